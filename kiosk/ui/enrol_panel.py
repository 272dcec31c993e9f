"""The technician screen's "Centre" tab: enrol the kiosk by scanning the centre's QR code.

Any scanner or camera works: the pipeline refuses an enrolment code as an entry (it is never
recorded) and its result still carries the scan, which the technician screen hands here
while it is open — a keyboard-wedge scanner's too, wherever the cursor is. A technician
types or pastes the text into the code box (a keyboard scanner the kiosk has no wedge
device for types there). The steps are :mod:`kiosk.sync.enrolling`'s, run in the io lane;
while the centre cannot be reached the panel says so and tries again on a timer, so the
screen stays usable.
The words are the catalogue's ``enrol.*`` sentences, shared with ``kiosk enrol``.

A kiosk already sending to a centre asks before following a code to another one: a QR
held up by anyone would otherwise hand its unsent entries to whoever made it.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from kiosk import messages
from kiosk.config import ConfigError, plain_http
from kiosk.enrolment import EnrolmentCode, EnrolmentCodeError, parse
from kiosk.store import ENROL_ACTION
from kiosk.sync.status import elsewhere_words
from kiosk.ui.bridge import KioskBridge
from kiosk.ui.i18n import screen_language
from kiosk.ui.widgets import Retranslating

RETRY_SECONDS = 15.0
"""Between attempts while the centre cannot be reached (``kiosk enrol``'s default)."""
MAX_TRIES = 20
COLOURS = {"ok": "#1b5e20", "error": "#c62828", "busy": ""}


class EnrolPanel(Retranslating):
    enrolled = Signal(object)
    """The Config now running, linked to the centre."""

    def __init__(self, bridge: KioskBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.retry_seconds = RETRY_SECONDS
        self.max_tries = MAX_TRIES
        self.code: EnrolmentCode | None = None
        """The code being enrolled with (or last enrolled with): a camera sees it many times."""
        self.busy = False
        self.tries = 0
        self._said: list[tuple[str, dict[str, object]]] = []
        self._tone = "busy"

        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.link = QLabel()
        self.link.setObjectName("enrol_link")
        self.link.setWordWrap(True)
        self.code_box = QLineEdit()
        self.code_box.setObjectName("enrol_code")
        self.code_box.setPlaceholderText("ckenrol:1?…")
        self.code_box.returnPressed.connect(self._typed)
        self.enrol_button = QPushButton()
        self.enrol_button.setObjectName("enrol_button")
        self.enrol_button.clicked.connect(self._typed)
        self.status = QLabel()
        self.status.setObjectName("enrol_status")
        self.status.setWordWrap(True)
        self.switch_button = QPushButton()
        self.switch_button.setObjectName("enrol_switch")
        self.switch_button.clicked.connect(self._switch)
        self.switch_button.hide()
        self.waiting: EnrolmentCode | None = None
        """A code waiting for the technician's yes: for another centre than the one the
        kiosk sends to, or for another kiosk id while the current id's entries wait."""
        self.confirming: str | None = None
        """What ``waiting`` waits for: "centre" or "leave" (the entries left behind)."""
        row = QHBoxLayout()
        row.addWidget(self.code_box, 1)
        row.addWidget(self.enrol_button)
        layout = QVBoxLayout(self)  # the box and Enrol first: in view on a 7" panel too,
        layout.addLayout(row)  # where the intro under the message line pushed them below
        layout.addWidget(self.intro)
        layout.addWidget(self.link)
        layout.addWidget(self.status)
        layout.addWidget(self.switch_button)
        layout.addStretch(1)

        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._attempt)
        self.retranslate()

    # -- a code arrives -------------------------------------------------------------------
    def take(self, text: str) -> None:
        """Enrol with the code in ``text`` (scanned or typed); the code already being used
        (a camera reads it many times a second) is ignored."""
        try:
            code = parse(text)
        except EnrolmentCodeError as exc:
            self._say("error", ("enrol.bad_code", {"detail": exc.words}))
            return
        if any(seen is not None and code.secret == seen.secret
               for seen in (self.code, self.waiting)):
            return
        from kiosk.sync.enrolling import linked_elsewhere

        current = linked_elsewhere(self.bridge.config.sync, code)
        if current is not None:
            self._ask("centre", code, ("enrol.other_centre", {"server": code.server_url,
                                                              "current": current}))
            return
        self._look_behind(code)

    def _look_behind(self, code: EnrolmentCode) -> None:
        """Enrol, unless ``code`` names another kiosk id while entries of this one wait: its
        token could not send them (:func:`kiosk.sync.enrolling.left_behind`), so ask first."""
        old = self.bridge.config.kiosk.id
        if code.kiosk_id == old:
            self._start(code)
            return

        def looked(left: dict[str, int]) -> None:
            if self.waiting is not code:
                return  # another code took over meanwhile
            words = elsewhere_words(left)
            if words is None:
                self._start(code)
            else:
                self._ask("leave", code, ("enrol.pending_left_behind",
                                          {**words.params, "old": old, "new": code.kiosk_id}))

        self.waiting, self.confirming = code, None  # a camera's repeats are ignored meanwhile
        self.busy = True
        self.bridge.read(lambda store: store.pending_elsewhere(code.kiosk_id), done=looked,
                         failed=lambda _error: looked({}), key="enrol-left-behind")

    def _ask(self, confirming: str, code: EnrolmentCode,
             said: tuple[str, dict[str, object]]) -> None:
        self.waiting, self.confirming = code, confirming
        self.busy = False
        self.retranslate()
        self.switch_button.show()
        self._say("error", said)

    def _switch(self) -> None:
        code, confirming, self.waiting = self.waiting, self.confirming, None
        self.switch_button.hide()
        if code is None:
            return
        if confirming == "centre":
            self._look_behind(code)  # the other centre confirmed: the entries next
        else:
            self._start(code)

    def _start(self, code: EnrolmentCode) -> None:
        self.waiting = None
        self.switch_button.hide()
        self.code = code
        self.tries = 0
        self._retry.stop()
        self._attempt()

    def _typed(self) -> None:
        text = self.code_box.text()
        self.code_box.clear()  # the secret does not stay on screen
        if text.strip():
            self.take(text)

    # -- the steps, off the GUI thread ----------------------------------------------------
    def _attempt(self) -> None:
        from kiosk.sync import enrolling

        code = self.code
        if code is None:
            return
        source = self.bridge.config.source
        if source is None:
            self._stop(("enrol.no_config", {}))
            return
        config_path = Path(source)
        if plain_http(code.server_url):
            self._stop(("enrol.plain_http_screen", {
                "url": code.server_url, "command": plain_http_command(config_path)}))
            return
        self.busy = True
        self.tries += 1
        self._say("busy", ("enrol.contacting", {"server": code.server_url}))
        keys = enrolling.keys_for(config_path)

        def attempt() -> dict:
            enrolling.preflight(config_path, code)  # the exchange spends the code
            return enrolling.exchange(code, keys)

        self.bridge.run(attempt, done=lambda answer: self._exchanged(code, config_path, answer),
                        failed=lambda error: self._not_exchanged(code, error),
                        job="ui.job.enrol_exchange")

    def _not_exchanged(self, code: EnrolmentCode, error: BaseException) -> None:
        from kiosk.sync import enrolling

        if code is not self.code:
            return  # a newer code took over
        if isinstance(error, enrolling.TRY_AGAIN) and self.tries < self.max_tries:
            self._say("busy", ("enrol.offline", {"detail": str(error),
                                                 "seconds": f"{self.retry_seconds:g}"}))
            self._retry.start(round(self.retry_seconds * 1000))
            return
        if isinstance(error, ConfigError):  # found before the exchange: the code still works
            self._stop(_said(error))
        elif isinstance(error, enrolling.TRY_AGAIN):
            self._stop(("enrol.gave_up", {"tries": self.tries}))
        elif isinstance(error, enrolling.FINAL):
            self._stop(("enrol.refused", {"detail": str(error)}))
        else:  # BadKey/OSError: the signing key beside the token, the centre never asked
            self._stop(("enrol.bad_signing_key", {"detail": str(error)}))

    def _stop(self, said: tuple[str, dict[str, object]]) -> None:
        """An attempt ended with ``said`` before the code was spent: the same code may be
        scanned again (once online, its config mended, or never)."""
        self.busy = False
        self.code = None
        self._say("error", said)

    def _exchanged(self, code: EnrolmentCode, config_path: Path, answer: dict) -> None:
        from kiosk.sync import enrolling

        running = self.bridge.kiosk.store.identity  # only this kiosk's own store file
        self.bridge.run(lambda: enrolling.install(code, answer, config_path, same_as=running),
                        done=lambda done: self._installed(code, answer, done),
                        failed=self._not_saved, job="ui.job.enrol_install")

    def _not_saved(self, error: BaseException) -> None:
        """The exchange spent the code: it is not offered again, only a new one can help."""
        self.busy = False
        self.code = None
        self._say("error", _said(error) if isinstance(error, ConfigError)
                  else ("enrol.not_saved", {"detail": str(error)}))

    def _installed(self, code: EnrolmentCode, answer: dict, enrolled: Any) -> None:
        from kiosk.sync import enrolling

        config = enrolled.config
        self.bridge.audit(ENROL_ACTION, {"kiosk": answer["kiosk_id"],
                                         "checkpoint": answer["checkpoint_id"],
                                         "server": code.server_url, "file": str(config.source)})
        done: list[tuple[str, dict[str, object]]] = [
            ("enrol.done", {"kiosk": answer["kiosk_id"], "checkpoint": answer["checkpoint_id"],
                            "config": str(config.source)})]
        if enrolled.replays_off:  # the running kiosk stops them with the config applied
            done.append(("enrol.replays_off", {"devices": ", ".join(enrolled.replays_off)}))
        if enrolled.title_cut is not None:
            done.append((enrolled.title_cut.code, enrolled.title_cut.params))
        self._say("busy", *done)

        def tested(problem: str | None) -> None:
            self.busy = False
            if problem is None:
                self._say("ok", *done, ("enrol.link_ok", {}))
            else:
                self._say("error", *done, ("enrol.link_failed", {"detail": problem}))
            self.enrolled.emit(config)

        def not_applied(error: BaseException) -> None:
            """Saved, but the running kiosk could not switch to it (the file on disk edited
            since the start: another store, taken only at a restart): it goes on with its old
            config."""
            self.busy = False
            detail = error if isinstance(error, messages.WordedError) else str(error)
            self._say("error", *done, ("enrol.not_applied", {"detail": detail}))

        self.bridge.apply_config(
            config, failed=not_applied,
            done=lambda _supervisor: self.bridge.run(
                lambda: enrolling.link_problem(code.server_url, answer["token"]),
                done=tested, failed=lambda error: tested(str(error)), job="ui.job.enrol_link"))

    # -- words ----------------------------------------------------------------------------
    def _say(self, tone: str, *sentences: tuple[str, dict[str, object]]) -> None:
        self._tone = tone
        self._said = list(sentences)
        self._show_status()

    def _show_status(self) -> None:
        language = screen_language()
        self.status.setText("\n".join(messages.text(code, language, **params)
                                      for code, params in self._said))
        colour = COLOURS[self._tone]
        self.status.setStyleSheet(f"color: {colour};" if colour else "")
        self.show_link()

    def show_link(self) -> None:
        """Which centre the kiosk is linked to now, from the running config."""
        config = self.bridge.config
        if config.sync.enabled and config.sync.server_url:
            self.link.setText(messages.text(
                "enrol.linked", screen_language(), kiosk=config.kiosk.id,
                checkpoint=config.kiosk.checkpoint_id, server=config.sync.server_url))
        else:
            self.link.setText(messages.text("enrol.not_linked", screen_language()))

    def retranslate(self) -> None:
        self.intro.setText(self.tr(
            "Scan the enrolment QR code made at the centre with any scanner or the camera "
            "while this screen is open, or type or paste it into the box above (tap the box "
            "first for a keyboard scanner)."))
        self.enrol_button.setText(self.tr("Enrol"))
        self.switch_button.setText(
            messages.text("enrol.leave_pending_button", screen_language(),
                          kiosk=self.waiting.kiosk_id)
            if self.confirming == "leave" and self.waiting is not None else
            self.tr("Switch to that centre"))
        self._show_status()


def plain_http_command(config_path: Path) -> str:
    """The command that enrols this kiosk at a plain ``http://`` centre of another machine,
    with its config: the screen has no tick for it — a tap on a PIN-guarded screen is too
    light a way to send the secret and everyone's data readable — so it names the command,
    which warns, and sets ``[sync] allow_plain_http``, as the technician's guide says."""
    return ("kiosk enrol --allow-plain-http --config "
            f"{shlex.quote(str(config_path))} --code -")


def _said(error: ConfigError) -> tuple[str, dict[str, object]]:
    """A refusal's own sentence, worded in the screen's language when shown."""
    return error.words.code, error.words.params
