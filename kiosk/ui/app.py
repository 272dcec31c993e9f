"""The Qt application: main window, screen switching, kiosk mode, language, ``run_ui``.

``kiosk run`` calls ``run_ui(config)`` when a display exists. The officer screen is the
default; the technician and sync screens open behind the PIN. In kiosk mode
(``kiosk.fullscreen = true``) the window is full screen without decorations, closing it
needs the PIN, and a focus guard gives the keyboard back to the scan target. A wedge
scanner's burst is a scan wherever the keyboard is on the officer screen (the search box,
the manual-entry form, the PIN pad, which a scan closes: ``kiosk/ui/wedge_input.py``) and on
the screens behind the PIN — technician (but for its Watch capture field) and sync —, where
it is answered on top of the screen; both go back to the officer's after
``[kiosk] technician_idle_seconds`` without a person's input.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFont, QFontDatabase, QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import messages
from kiosk.app import Kiosk
from kiosk.clock import WrongClock, local_minute
from kiosk.commandline import EXIT_BINDING, EXIT_USAGE, refusal_in, store_failure
from kiosk.config import Config, ConfigError
from kiosk.messages import both, os_words
from kiosk.scan import ScanResult
from kiosk.store import StoreError
from kiosk.ui.binding import binding_refusal
from kiosk.ui.bridge import KioskBridge
from kiosk.ui.config_writer import save_setting
from kiosk.ui.cues import SoundBoard
from kiosk.ui.i18n import LANGUAGES, MissingCatalog, Translations
from kiosk.ui.manual_entry import ManualEntryDialog
from kiosk.ui.metrics import touch_pixels
from kiosk.ui.officer import OfficerScreen
from kiosk.ui.pin import PinGate
from kiosk.ui.status_strip import StatusStrip
from kiosk.ui.wedge_input import FocusGuard, WedgeInput, wedge_devices
from kiosk.ui.widgets import (
    ElidedLabel,
    SnugButton,
    TouchTargets,
    growth,
    headroom,
    pixel_font,
    stack_when_narrow,
)

if TYPE_CHECKING:
    from kiosk.ui.technician import TechnicianScreen  # imported when first opened

log = logging.getLogger(__name__)

MINIMUM_SIZE = QSize(480, 400)
"""Smaller than any kiosk display: a window never refuses the screen it is given."""
HEADER_SLACK = 16
"""Room the header's own spacing between its widgets takes, beyond what they ask for."""
EXIT_CONFIG = EXIT_USAGE
EXIT_STORE = 3
CLOCK_TICK_MS = 5000
"""The header clock's tick at most this far apart (:meth:`MainWindow._tick`)."""
SCANNERS_AWAY_MS = 3000
"""How long every scanner may be away before the idle card says so: a scanner replugged or
reconnecting, the keyboard passing to another window and back, is no cause for alarm."""
AWAY = ("waiting", "error", "unfocused")
"""A scanner's badge states in which it takes no scan: not plugged in or not found, failing,
or a wedge typing where the kiosk does not listen."""
FONT_FAMILIES = ("Noto Sans", "DejaVu Sans", "Liberation Sans")
"""Families with full Vietnamese coverage, first installed one wins (fonts-noto-core or
fonts-dejavu-core, see scripts/bootstrap.sh)."""


INPUT_EVENTS = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress,
                          QEvent.Type.TouchBegin, QEvent.Type.Wheel})
"""What a person at the screen does: a touch, a click, a wheel turn, a key."""


class IdleWatch(QObject):
    """Fires ``timer`` after its interval without a person's input anywhere in the
    application, while it runs. Installed before the wedge input's filter, it never sees a
    scanner's burst (held and taken as a scan there): a queue scanning keeps no screen
    open."""

    def __init__(self, timer: QTimer, parent: QObject) -> None:
        super().__init__(parent)
        self.timer = timer
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False

    def stop(self) -> None:
        self.timer.stop()
        QApplication.instance().removeEventFilter(self)


class MainWindow(QMainWindow):
    def __init__(self, kiosk: Kiosk, translations: Translations, *,
                 sounds: SoundBoard | None = None, kiosk_mode: bool | None = None) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.setMinimumSize(MINIMUM_SIZE)  # not the layout's: tests/ui_fit.py checks the fit
        self.touch = TouchTargets(touch_pixels(self.screen(), kiosk.config.kiosk.screen_dpi), self)
        QApplication.instance().installEventFilter(self.touch)
        self.kiosk = kiosk
        self.translations = translations
        self.bridge = KioskBridge(kiosk, self)
        self.sounds = sounds or SoundBoard(self)
        self.kiosk_mode = kiosk.config.kiosk.fullscreen if kiosk_mode is None \
            else kiosk_mode
        self.gate = PinGate(kiosk.config.kiosk.pin, self)
        self._exit_granted = False
        self._shut_down = False
        self.manual_dialog: ManualEntryDialog | None = None
        self.wedge: WedgeInput | None = None

        self.officer = OfficerScreen(self.bridge, self.sounds)
        self.officer.manual_requested.connect(self.open_manual_entry)
        self.technician: TechnicianScreen | None = None
        self.sync_screen: QWidget | None = None
        self.stack = QStackedWidget()
        self.stack.addWidget(self.officer)

        self.title = ElidedLabel(smallest=18, lines=2)
        self.title.setObjectName("checkpoint_name")
        self.title.setFont(pixel_font(self, 22, bold=True))
        self.clock = QLabel()
        self.clock.setObjectName("clock")
        self.clock_reads = time.time()
        self.wrong_clock: WrongClock | None = None
        self._width = 1280
        """The screen's width the window was last arranged for (:meth:`arrange`)."""
        self.language_button = self._top_button("language", self.toggle_language)
        self.technician_button = self._top_button("technician", self.open_technician)
        self.sync_button = self._top_button("sync", self.open_sync)
        self.exit_button = self._top_button("exit", self.request_exit)
        heading = self.heading = QHBoxLayout()
        heading.addWidget(self.title, 1)  # all the room there is, before it shortens itself
        heading.addSpacing(12)  # the checkpoint's name never touches the clock
        heading.addWidget(self.clock)
        buttons = self.buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.language_button, self.technician_button, self.sync_button,
                       self.exit_button):
            buttons.addWidget(button)
        top = self.top = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        top.setContentsMargins(12, 6, 12, 0)
        top.addLayout(heading, 1)
        top.addSpacing(8)
        top.addLayout(buttons)
        alert = self.alert_row = QHBoxLayout()  # the clock alert, when the name needs its room
        alert.setContentsMargins(12, 0, 12, 0)

        self.strip = StatusStrip(kiosk.config.timezone)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addLayout(top)
        column.addLayout(alert)
        column.addWidget(self.stack, 1)
        column.addWidget(self.strip)
        self.setCentralWidget(central)

        self.bridge.device_status.connect(self.strip.set_status)
        self.bridge.device_status.connect(lambda _status: self._check_scanners())
        self._scanners_away = QTimer(self)
        self._scanners_away.setSingleShot(True)
        self._scanners_away.setInterval(SCANNERS_AWAY_MS)
        self._scanners_away.timeout.connect(self._tell_scanners_away)
        self.bridge.sync_changed.connect(self.strip.set_sync)
        self.bridge.supervisor_replaced.connect(lambda _s: self.apply_devices())
        self.bridge.result.connect(self._scan_recorded)
        self.pin_screen_idle = QTimer(self)
        self.pin_screen_idle.setSingleShot(True)
        self.pin_screen_idle.timeout.connect(self.pin_screen_left_idle)
        self.idle_watch = IdleWatch(self.pin_screen_idle, self)  # before the wedge's filter
        self.focus_guard = FocusGuard(self.officer.card, parent=self)
        self._clock_timer = QTimer(self)
        self._clock_timer.setSingleShot(True)  # re-armed by each tick, for the next minute
        self._clock_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._clock_timer.timeout.connect(self._tick)
        self.officer.day_turned.connect(lambda: self.show_time(self.officer.clock()))
        self._tick()
        self.apply_devices()
        self.set_kiosk_mode(self.kiosk_mode)
        self.retranslate()
        self.officer.set_language(translations.language)
        self.officer.refresh()
        self.bridge.refresh_sync()

    def _top_button(self, name: str, action: Any) -> QPushButton:
        button = SnugButton()
        button.setObjectName(name)
        button.setMinimumHeight(44)
        button.setFont(pixel_font(self, 17))
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(action)
        return button

    # -- devices --------------------------------------------------------------------------
    def apply_devices(self) -> None:
        """(Re)build what depends on the device list: badges, lanes, camera, wedge input."""
        devices = self.kiosk.config.devices
        self.strip.set_devices(devices)
        for status in self.kiosk.supervisor.status():
            self.strip.set_status(status)
        self.officer.set_devices(devices)
        if self.wedge is not None:
            self.wedge.remove()
            self.wedge.deleteLater()
            self.wedge = None
        wedges = wedge_devices(devices)
        if wedges:
            self.wedge = WedgeInput(wedges[0], target=self.officer.card,
                                    in_scope=self.scan_keys, parent=self)
            self.wedge.scanned.connect(self.submit_scan)
            self.wedge.typed.connect(self.officer.type_into_search)
            self.wedge.install()
            for device in wedges:
                badge = self.strip.badges.get(device.id)
                if badge is not None and not self.wedge.available:
                    badge.set_status("error", self.tr("keyboard-wedge support is not installed"))
        self._update_wedge_badges()
        self._check_scanners()

    def _check_scanners(self) -> None:
        """When no scanner can take a scan (every badge :data:`AWAY` for
        :data:`SCANNERS_AWAY_MS`), the idle card says so, with the first one's reason: READY
        would send people to scan into nothing, with only a small badge at the bottom (its
        reason in a tooltip a touch panel never shows) to say why nothing happens. One
        scanner back, the card reads READY again at once. No scanner configured: the status
        strip says so, the card stays READY for manual entry."""
        badges = list(self.strip.badges.values())
        if not badges or any(badge.state not in AWAY for badge in badges):
            self._scanners_away.stop()
            self.officer.card.set_scanners_away(None)
        elif self.officer.card.scanners_away is not None:
            self._tell_scanners_away()  # its reason now
        elif not self._scanners_away.isActive():
            self._scanners_away.start()

    def _tell_scanners_away(self) -> None:
        badge = next(iter(self.strip.badges.values()), None)
        if badge is not None:
            self.officer.card.set_scanners_away((badge.device_id, badge.reason))

    def scan_keys(self, widget: QWidget) -> bool:
        """Whether a key sent to ``widget`` is watched for a scanner's bursts: the widget is
        in this window or in a dialog over it (PIN pad, manual entry, the export's file
        chooser), whichever screen is shown. On the screens behind the PIN a code scanned
        while a settings field or a button has the keyboard is a scan of the queue: never
        typed into config.toml, nor its space pressing the sync screen's focused Back and
        the rest recorded as a code of its own. The technician's Watch capture field keeps
        its keys: it lists a scanner's own keys and gaps. No one scans into the export's
        file name: a person typing it gets their keys."""
        current = self.stack.currentWidget()
        if (current is self.technician and self.technician is not None
                and self.technician.wants_scanner_keys(widget)):
            return False
        window: QWidget | None = widget.window()
        while window is not None and window is not self:
            parent = window.parentWidget()
            window = parent.window() if parent is not None else None
        return window is self

    def submit_scan(self, scan: Any) -> None:
        """A scan from the wedge input: recorded and shown on the card with its cue like any
        scan, also while a dialog is open over the card (its keys never reach the dialog)."""
        self.bridge.record(lambda: self.kiosk.pipeline.submit(scan), job="ui.job.scan")

    def _scan_recorded(self, result: ScanResult) -> None:
        """Any device's scan, answered (the pipeline's listeners: a serial, USB or camera
        scanner's as a wedge's). The card behind shows it and its cue sounds; what covers the
        card must not hide it. The PIN pad is closed (someone in the queue is scanning: the
        officer must see the card; a PIN half typed is typed again); the manual-entry form,
        which holds a walk-in's details and covers the card (a 7" screen whole), stays and
        says in one line, coloured as the card, this scan's answer as the card words it —
        headline, then the name or what to do, not "the card shows it": the card is under
        the form — the last scan's only (a green line left over a refusal sent a refused
        person through). The form's own entry is its own answer. On the technician or sync
        screen it is answered on top of the screen (:meth:`_answer_over_pin_screen`)."""
        if result.scan.source == "manual":
            return
        if self.gate.dialog is not None and self.gate.dialog.isVisible():
            self.gate.dialog.reject()
        if self.manual_dialog is not None and self.manual_dialog.isVisible():
            self.manual_dialog.show_scan(messages.text(
                "manual.scanned_meanwhile", self.translations.language,
                answer=self.officer.card.in_full(result)), self.officer.card.state_of(result))
        self._answer_over_pin_screen(result)

    def _answer_over_pin_screen(self, result: ScanResult) -> None:
        """A scan recorded while the technician or sync screen is open (any device: the
        pipeline records it anyway) is answered on top of that screen, its cue sounding as
        ever. Said there rather than switching to the card: a technician testing a scanner
        scans on purpose and reads it on the Watch tab, an export or push under way stays
        in view; someone from the queue hears the cue and the officer reads the answer
        above, or the card after "Back". An enrolment code is no entry: the technician's
        Centre tab takes it."""
        current = self.stack.currentWidget()
        if current is self.technician and self.technician is not None:
            if result.reason_code == "enrolment_code":
                return
            said = self.tr(
                "Scanned while the technician screen is open: %1. Back shows the result card.")
            notice = self.technician.scan_notice
        elif current is self.sync_screen and self.sync_screen is not None:
            said = self.tr(
                "Scanned while the sync screen is open: %1. Back shows the result card.")
            notice = self.sync_screen.scan_notice
        else:
            return
        notice.say(said.replace("%1", self._short_answer(result)))

    def _short_answer(self, result: ScanResult) -> str:
        name = result.identity.name if result.identity is not None else ""
        return self.officer.card.in_short(result) + (f" — {name}" if name else "")

    def _update_wedge_badges(self) -> None:
        """A wedge scanner can only type into the kiosk while the keyboard is on the officer
        screen (this window, or a dialog over it: :meth:`scan_keys`); else its badge says
        it waits for the focus ("unfocused"), not "not connected" as an unplugged scanner's
        does."""
        if self.wedge is None or not self.wedge.available:
            return
        window = QApplication.activeWindow()
        active = window is not None and self.scan_keys(window)
        for device in wedge_devices(self.kiosk.config.devices):
            badge = self.strip.badges.get(device.id)
            if badge is not None:
                badge.set_status("connected" if active else "unfocused",
                                 "" if active else self.tr("the kiosk window does not have "
                                                           "the keyboard focus"))
        self._check_scanners()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.ActivationChange:
            self._update_wedge_badges()
        elif event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- kiosk mode and leaving -----------------------------------------------------------
    def set_kiosk_mode(self, enabled: bool) -> None:
        self.kiosk_mode = enabled
        self.focus_guard.enabled = enabled
        flags = self.windowFlags()
        if enabled:
            flags |= Qt.WindowType.FramelessWindowHint
        else:
            flags &= ~Qt.WindowType.FramelessWindowHint
        self.setWindowFlags(flags)
        self.exit_button.setVisible(enabled)

    def fit_to(self, size: QSize) -> None:
        """Arrange the screens for ``size`` first (portrait or not, chart or not), then take
        it: the layout's minimum must already fit when the window shrinks."""
        self.arrange(size)
        self.resize(size)

    def arrange(self, size: QSize) -> None:
        """On a narrow (portrait) screen the checkpoint's name takes the top line alone, the
        clock and the buttons the next, and the status strip's sync line goes under its
        devices. The clock alert goes by the name where both fit whole, else on a line of
        its own under the header: the officer must read where they are (beside the alert,
        a 7" panel's name read "C…")."""
        stack_when_narrow(self.top, size.width())
        self._width = size.width()
        self._place_clock()
        self.strip.arrange(size.width(), growth(size))
        self.officer.arrange(size)

    def _place_clock(self) -> None:
        stacked = self.top.direction() == QBoxLayout.Direction.TopToBottom
        place = (self.buttons if stacked and self.wrong_clock is None else
                 self.heading if self.wrong_clock is None or self._alert_beside_name() else
                 self.alert_row)
        if place.indexOf(self.clock) >= 0:
            return
        for layout in (self.heading, self.buttons, self.alert_row):
            layout.removeWidget(self.clock)
        if place is self.buttons:
            self.buttons.insertWidget(0, self.clock)
        else:
            place.addWidget(self.clock)

    def _alert_beside_name(self) -> bool:
        """Whether the checkpoint's whole name and the clock alert fit its line together."""
        margins = self.top.contentsMargins()
        room = self._width - margins.left() - margins.right() - HEADER_SLACK
        if self.top.direction() == QBoxLayout.Direction.LeftToRight:
            room -= self.buttons.sizeHint().width() + 8
        return self.title.sizeHint().width() + 12 + self.clock.sizeHint().width() <= room

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.arrange(event.size())  # a window manager or a rotated screen resized us
        super().resizeEvent(event)

    def show_for_mode(self) -> None:
        """Kiosk mode covers the whole screen. The geometry is set before asking for full
        screen: without a window manager (xinit, cage's X fallback) nobody honours the
        full-screen request and the window would keep its size hint (910×563)."""
        if self.kiosk_mode:
            screen = self.screen() or QGuiApplication.primaryScreen()
            area = screen.geometry()
            self.fit_to(area.size())
            self.setGeometry(area)
            self.showFullScreen()
        else:
            self.show()
        self.officer.card.setFocus()

    def request_exit(self) -> None:
        self.gate.request(self.tr("Enter the PIN to close the kiosk"), self.exit_now)

    def exit_now(self) -> None:
        self._exit_granted = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.kiosk_mode and not self._exit_granted:
            event.ignore()
            self.request_exit()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop timers and worker lanes (once); the Kiosk itself is stopped by its owner."""
        if self._shut_down:
            return
        self._shut_down = True
        QApplication.instance().removeEventFilter(self.touch)  # sizes for this window's screen
        self._clock_timer.stop()
        self.focus_guard.stop()
        self.idle_watch.stop()
        if self.wedge is not None:
            self.wedge.remove()
        self.bridge.close()

    # -- screens --------------------------------------------------------------------------
    def show_screen(self, screen: QWidget) -> None:
        self.stack.setCurrentWidget(screen)
        if screen is self.officer:
            self.pin_screen_idle.stop()
        else:  # behind the PIN
            self.pin_screen_idle.start(self.kiosk.config.kiosk.technician_idle_seconds * 1000)
        self._update_wedge_badges()
        if screen is self.officer:
            self.officer.card.setFocus()

    def open_technician(self) -> None:
        self.gate.request(self.tr("Enter the PIN to open the technician screen"),
                          self._show_technician)

    def _show_technician(self) -> None:
        if self.technician is None:
            from kiosk.ui.technician import TechnicianScreen

            self.technician = TechnicianScreen(self.bridge, self)
            self.technician.closed.connect(lambda: self.show_screen(self.officer))
            self.technician.saved.connect(lambda _config: self.retranslate())  # enrolled: ids
            self.stack.addWidget(self.technician)
        self.show_screen(self.technician)

    def pin_screen_left_idle(self) -> None:
        """Nobody touched the technician or sync screen for ``technician_idle_seconds``: the
        kiosk stands at a queue, so the officer's screen comes back and the PIN is asked
        again (a sync screen left open would let a passer-by export the backlog). The
        technician's unsaved edits are dropped (whatever a scan or a passer-by typed into a
        field must not wait for "Save and apply"); the screen says so when it is opened
        next. A push or an export under way goes on; the sync screen shows how it ended."""
        current = self.stack.currentWidget()
        if current is self.officer:
            return
        seconds = self.kiosk.config.kiosk.technician_idle_seconds
        if current is self.technician and self.technician is not None and self.technician.dirty:
            self.technician.discard(lambda: self.tr(
                "Unsaved changes were discarded: the screen was left %1 s without input.")
                .replace("%1", str(seconds)))
        self.show_screen(self.officer)

    def open_sync(self) -> None:
        self.gate.request(self.tr("Enter the PIN to open the sync screen"), self._show_sync)

    def _show_sync(self) -> None:
        if self.sync_screen is None:
            from kiosk.ui.sync_screen import SyncScreen

            self.sync_screen = SyncScreen(self.bridge, self)
            self.sync_screen.closed.connect(lambda: self.show_screen(self.officer))
            self.stack.addWidget(self.sync_screen)
        self.show_screen(self.sync_screen)

    def open_manual_entry(self) -> ManualEntryDialog:
        dialog = self.manual_dialog = ManualEntryDialog(self.bridge, self)
        dialog.direction_chosen.connect(self.officer.set_direction)
        dialog.finished.connect(lambda _code: self._manual_closed(dialog))
        dialog.open()
        return dialog

    def _manual_closed(self, dialog: ManualEntryDialog) -> None:
        if self.manual_dialog is dialog:
            self.manual_dialog = None
        dialog.deleteLater()
        self.officer.card.setFocus()

    # -- language -------------------------------------------------------------------------
    def toggle_language(self) -> None:
        self.set_language("en" if self.translations.language == "vi" else "vi")

    def set_language(self, language: str, *, remember: bool = True) -> None:
        """Switch the screens (each words a result's reason in its language, the last one
        shown included); with ``remember``, write it to config.toml (off the GUI thread) so a
        restart keeps it."""
        self.translations.set_language(language)
        self.officer.set_language(language)
        source = self.kiosk.config.source
        if remember and source is not None:
            self.bridge.run(lambda: save_setting(Path(source), "kiosk", "language", language),
                            failed=lambda error: log.warning("%s", both(
                                "ui.log.language_not_saved", language=language, path=source,
                                reason=os_words(error) if isinstance(error, OSError)
                                else error)), job="ui.job.save_language")

    def retranslate(self) -> None:
        config = self.kiosk.config.kiosk
        self.setWindowTitle(self.tr("Checkpoint kiosk — %1").replace(
            "%1", config.checkpoint_name or config.checkpoint_id))
        self.title.set_full_text(config.checkpoint_name or config.checkpoint_id)
        other = "en" if self.translations.language == "vi" else "vi"
        self.language_button.setText(LANGUAGES[other])
        self.technician_button.setText(self.tr("Technician"))
        self.sync_button.setText(self.tr("Sync"))
        self.exit_button.setText(self.tr("Close"))
        self._render_clock()

    def _tick(self) -> None:
        """The time shown and the day's counts checked (:meth:`OfficerScreen.check_clock`)
        every :data:`CLOCK_TICK_MS` and at each whole minute, by the clock the counts are
        read by: HH:MM turned up to a tick late, and at midnight read 23:59 beside today's
        counts already started from zero."""
        now = self.officer.clock()
        self.show_time(now)
        self.officer.check_clock()
        if not self._shut_down:
            self._clock_timer.start(min(CLOCK_TICK_MS, math.ceil((60 - now % 60) * 1000)))

    def show_time(self, now: float) -> None:
        """The header clock reading ``now``: HH:MM, or, while the clock is surely wrong
        (before the release: asked of the pipeline, no query), white on red with the date
        and year it reads, since HH:MM alone looks right at 1970. In the header, not a row
        of its own where the name and it fit side by side: the officer's card keeps all its
        height."""
        self.clock_reads = now
        self.wrong_clock = self.kiosk.pipeline.wrong_clock(now)
        self._render_clock()

    def _render_clock(self) -> None:
        timezone = self.kiosk.config.timezone
        if self.wrong_clock is None:
            self.clock.setFont(pixel_font(self, 22, bold=True))
            self.clock.setText(dt.datetime.fromtimestamp(self.clock_reads, timezone)
                               .strftime("%H:%M"))
            self.clock.setStyleSheet("")
        else:
            self.clock.setFont(pixel_font(self, 17, bold=True))  # the buttons' size: one line
            self.clock.setText(self.tr("⚠ CLOCK WRONG %1").replace(
                "%1", local_minute(self.wrong_clock.now, timezone)))
            above = headroom(self.clock.fontMetrics(), self.clock.text())  # Ồ's two marks
            self.clock.setStyleSheet(f"background: #c62828; color: white; "
                                     f"padding: {above}px 6px 0 6px;")
        self._place_clock()  # by what it reads: the alert is wider


def choose_font(app: QApplication) -> str:
    """The first installed family with Vietnamese coverage, made the application font."""
    families = set(QFontDatabase.families())
    family = next((f for f in FONT_FAMILIES if f in families), app.font().family())
    font = QFont(family)
    font.setPixelSize(16)
    app.setFont(font)
    return family


OWN_PIXELS = {"QT_ENABLE_HIGHDPI_SCALING": "0", "QT_FONT_DPI": "96"}
"""Qt's environment for a kiosk whose desktop's scale would shrink it (:func:`shrunk`): laid
out in its screen's own pixels. Its type is in pixels, sized to the screen it has (the
card's as large as the card allows), and its touch targets in millimetres from the screen's
DPI (:mod:`kiosk.ui.metrics`). A desktop's larger text (Xft.dpi, QT_FONT_DPI) or screen
scale made Qt lay it out on a smaller screen than it has — a 7" 800×480 panel at 125 % was a
640×384 one, smaller than any the kiosk is made for: the window taller than the screen,
words cut, the verdict smaller."""
SCALE_FACTORS = ("QT_SCALE_FACTOR", "QT_SCREEN_SCALE_FACTORS", "QT_AUTO_SCREEN_SCALE_FACTOR")
"""A desktop's scale for its screens (KDE exports them): dropped, for the same reason."""
OWN_PIXELS_MARK = "CHECKPOINT_KIOSK_OWN_PIXELS"
"""Set in the environment of the kiosk started again in its screen's own pixels."""
SMALLEST_SCREEN = (800, 480)
"""The smallest screen the kiosk is made for (a 7" panel), either way up."""


def shrunk(app: QApplication) -> bool:
    """Whether the desktop's text size or scale lays a screen out smaller than
    :data:`SMALLEST_SCREEN`. A 4K panel at 200 % is a 1920×1080 screen, which the kiosk
    fills as it does any: there the scale is kept — in its own pixels the whole window but
    the card was drawn at half size, its 16 px text 1.4 mm high on a 15.6" panel."""
    for screen in app.screens():
        size = screen.geometry().size()
        scaled = screen.devicePixelRatio() != 1 or screen.logicalDotsPerInch() != 96
        if scaled and (max(size.width(), size.height()) < SMALLEST_SCREEN[0]
                       or min(size.width(), size.height()) < SMALLEST_SCREEN[1]):
            return True
    return False


def create_application() -> QApplication:
    """The application, laid out at the desktop's scale unless that shrinks a screen below
    the smallest the kiosk is made for: then this process is started again (nothing is
    open yet) in the screen's own pixels (:data:`OWN_PIXELS`), since Qt reads its scale
    once, when the first application is made."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        if OWN_PIXELS_MARK not in os.environ and shrunk(app):
            environment = {**os.environ, **OWN_PIXELS, OWN_PIXELS_MARK: "1"}
            for name in SCALE_FACTORS:
                environment.pop(name, None)
            sys.stdout.flush()
            sys.stderr.flush()
            os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environment)
    app.setApplicationName("checkpoint-kiosk")
    choose_font(app)
    return app


def run_ui(config: Config, warnings: Sequence[str] = ()) -> int:
    """Start the kiosk with its window; returns the exit code when the window closes.
    ``warnings`` (the config's, for the journal) are said once the application is made:
    :func:`create_application` may start this process again in its screen's own pixels,
    and both said them."""
    refused = binding_refusal(config.kiosk.language)
    if refused is None:
        app = create_application()
    for warning in warnings:
        print(warning, file=sys.stderr)
    if refused is not None:
        print(refused, file=sys.stderr)
        return EXIT_BINDING
    translations = Translations(app)
    try:
        translations.set_language(config.kiosk.language)
    except MissingCatalog as exc:
        log.error("%s", both("ui.log.showing_english", reason=exc))
    try:
        kiosk = Kiosk(config)
    except ConfigError as exc:  # a [store] path that loops
        QMessageBox.critical(None, "checkpoint-kiosk", refusal_in(config.kiosk.language, exc))
        return EXIT_CONFIG
    except (StoreError, OSError) as exc:
        QMessageBox.critical(None, "checkpoint-kiosk",
                             store_failure(config.store_path, exc, config.kiosk.language))
        return EXIT_STORE
    window = MainWindow(kiosk, translations)
    kiosk.start()
    window.show_for_mode()
    # Let Python see SIGINT/SIGTERM while Qt's loop runs; closing then skips the PIN. The
    # handler only posts the close: run in the handler, it ran wherever the main thread was
    # interrupted — once inside a lane's lock (a refresh queued in a stream of scans), which
    # the close then waited for, for ever.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: QTimer.singleShot(0, window.exit_now))
    wakeup = QTimer()
    wakeup.start(250)
    wakeup.timeout.connect(lambda: None)
    try:
        return app.exec()
    finally:
        kiosk.stop()
