"""The officer's window in each state that says the kiosk cannot do its job, and what must
hold of it at a screen size: every word of the state shown whole, nothing overlapping,
nothing outside the window, the card's answer readable from arm's length.

The states: the store refusing every scan (another program holding it, its file deleted or
replaced, its log deleted, its path not to be looked at, the file damaged, the disk full),
both between scans (the card's NOT RECORDED and the status strip) and as a scan's own
answer; a scan waiting for another program's lock (SAVING…); a certificate checked against
a trust list of unknown age (imported by a wrong clock: "import it again"); and the clock
far behind (1970, a flat RTC battery) while the store refuses. Used offscreen by
tests/test_ui_states_fit.py, and on a real X server (a child process on Xvfb) by its Xvfb
test, so both measure the same states the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize
from ui_fit import fit_problems
from ui_support import replay_device, settle, with_dpi, write_config

from kiosk import messages
from kiosk.certificates import trustlist
from kiosk.messages import Words
from kiosk.scan import Scan, ScanResult, Status
from kiosk.ui.result_card import ELLIPSIS, FINE_PRINT, READABLE_SIZES
from tests.test_store_busy import wait_for_names_moved

STORE_PATH = Path("/var/lib/checkpoint-kiosk/kiosk.db")
"""Where scripts/install-kiosk.sh puts the store: its words name it."""
LANDSCAPE = [(800, 480), (1024, 600), (1366, 768), (1920, 1080)]
PORTRAIT = [(480, 800), (600, 1024), (1080, 1920)]
SIZES = LANDSCAPE + PORTRAIT
PANEL_DPI = {(800, 480): 133, (480, 800): 133, (1024, 600): 170, (600, 1024): 170}
"""A 7" panel's DPI at its own sizes (touch targets 48 and 61 px), else the screen's."""
FLAT_BATTERY = 0.0
"""1970-01-01 00:00 UTC: where an RTC without power starts."""
CHECKPOINT = "Chốt kiểm soát Cầu Giấy — làn 2"
CERTIFICATE_HOLDERS = {"vi": (("Tôn Nữ Hoàng", "Thị Phương Thảo"), "1961-01-01"),
                       "en": (("Công Tằng Tôn", "Nữ Bảo Khánh Linh"), "1972-02-02")}
"""One person per language (a holder is told apart by birth date and transliterated
name): the second language's scan is no duplicate of the first's."""


def longest_os_words() -> Words:
    """The longest reason the system gives for a path not to be looked at, as worded."""
    return max((Words(code) for code, (vi, _en) in messages.CATALOGUE.items()
                if code.startswith("os.") and "{" not in vi), key=lambda w: len(w("vi")))


def store_words(path: Path = STORE_PATH) -> dict[str, Words]:
    """Why the store records no scan, for each state, as kiosk/store.py words it."""
    return {"store.busy": Words("store.busy", {"path": path}),
            "store.gone": Words("store.gone", {"path": path}),
            "store.log_gone": Words("store.log_gone", {"path": path}),
            "store.unconfirmed": Words("store.unconfirmed",
                                       {"path": path, "detail": longest_os_words()}),
            "store.damaged": Words("store.damaged", {"path": path}),
            "store.disk_full": Words("store.disk_full", {"path": path})}


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the state in time")
        settle(20)


_HOLDERS: dict[int, sqlite3.Connection] = {}
"""Per window: a second connection holding the store's write lock while it reads
"store.busy" (the screens' poll looks whether the lock was let go, and would clear a
busy store no program holds)."""


def refusing(window: Any, words: Words | None) -> None:
    """The store saying ``words`` (None: recording again) as a failed write leaves it
    (Store.failing), read by the bridge's poll as the strip and the card read it; for
    "store.busy", with another connection really holding the write lock meanwhile. The
    upkeep's move of the names scanned so far is waited for first: that write, committed
    after the state is set, would end it (a commit says the store takes writes again)."""
    wait_for_names_moved(window.kiosk.store)
    holder = _HOLDERS.pop(id(window), None)
    if holder is not None:
        holder.rollback()
        holder.close()
    if words is not None and words.code == "store.busy":
        holder = sqlite3.connect(window.kiosk.store.path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        _HOLDERS[id(window)] = holder
    if words is not None and words.code == "store.disk_full":  # the state is set, not made:
        window.kiosk.store.room_again = lambda: False  # the disk's real room would end it
    with window.kiosk.store.lock:  # as the store sets it: the screens' poll, looking
        window.kiosk.store.failing = words  # whether "store.busy" ended, clears it under
    window.bridge.refresh_sync()            # this lock (a new state set meanwhile was lost)
    wait_until(lambda: window.officer.card.refusing == words)


def storage_error(person: ScanResult, words: Words) -> ScanResult:
    """The answer to ``person``'s scan the store refused with ``words``, built as the
    pipeline builds it (Pipeline._result): NOT RECORDED, the person's code read."""
    said = Words("storage_error", {"minutes": 0, "detail": words})
    return dataclasses.replace(person, status=Status.REJECTED, reason_code="storage_error",
                               words=said, entry_id=None,
                               recorded=False, previous_wall_time=None, certificate=None)


def clear_answer(window: Any) -> None:
    """The answer's hold ends now: the card reads what it reads between scans."""
    card = window.officer.card
    if card.result is not None:
        card.show_result(card.result, hold_seconds=0)
        wait_until(lambda: card.result is None)


def states(window: Any, language: str, person: ScanResult,
           certificate: Callable[[str], str] | None) -> Iterator[str]:
    """Put the kiosk's ``window`` into each state in turn, yielding its name while shown.
    ``person``: a recorded scan whose code the refused answers carry; ``certificate``: a
    language → HC1 code of a certificate the trust list cannot confirm (None: skipped)."""
    for code, words in store_words().items():
        refusing(window, words)
        yield f"{code}, between scans"
        window.officer.card.show_result(storage_error(person, words))
        yield f"{code}, a scan's answer"
        clear_answer(window)
    refusing(window, None)
    if certificate is not None:
        scan = Scan(certificate(language).encode(), device_id="t", lane="in")
        window.officer.card.show_result(window.kiosk.pipeline.submit(scan))
        assert window.officer.card.state == "certificate_warning", window.officer.card.state
        yield "trust list of unknown age (import it again)"
        clear_answer(window)
    refusing(window, store_words()["store.busy"])
    card = window.officer.card
    waiting = Scan(b"a scan waiting for the lock", device_id="t", lane="in")
    card.scan_begun(waiting)
    wait_until(lambda: card.saving)
    yield "a scan being saved (SAVING…), store held by another program"
    # Its own answer: one for another scan would leave it awaited, and the card would say
    # SAVING… again 300 ms on (SAVING_AFTER_MS), in the middle of the next state.
    answer = storage_error(person, store_words()["store.busy"])
    card.show_result(dataclasses.replace(answer, scan=waiting))
    clear_answer(window)
    window.show_time(FLAT_BATTERY)
    yield "clock far behind, store held by another program"
    window.show_time(time.time())
    refusing(window, None)


def state_problems(window: Any, size: tuple[int, int], *, card_shown: bool = True) -> list[str]:
    """What does not fit, or cannot be read, on ``window`` fitted to a ``size`` screen (a
    kiosk-mode window on a real X server already has the screen's size); with
    ``card_shown``, the officer's card among it."""
    if window.size() != QSize(*size):
        window.fit_to(QSize(*size))
    settle()
    problems = fit_problems(window)
    if window.size() != QSize(*size):
        problems.insert(0, f"the window is {window.size()}, not the screen's {size}")
    if not card_shown:
        return problems
    card = window.officer.card
    sizes = [label.font().pixelSize() for label in (card.headline, card.name, card.details,
                                                     card.reason)]
    if sizes[0] < READABLE_SIZES[0] or sizes[1] < READABLE_SIZES[1]:
        problems.append(f"the card's headline and words at {sizes[:2]} px, below "
                        f"{list(READABLE_SIZES[:2])} (a {card.width()}×{card.height()} card)")
    for label, size_px in zip((card.details, card.reason), sizes[2:], strict=True):
        if label.text() and size_px < FINE_PRINT[2]:
            problems.append(f"the card's fine print at {size_px} px: {label.text()[:40]!r}")
    store_words = card.reason.text() and (  # why the store records no scan
        (card.result is None and card.refusing is not None)
        or (card.result is not None and card.result.reason_code == "storage_error"))
    if store_words and sizes[3] < READABLE_SIZES[3]:  # read from arm's length (were 10 px)
        problems.append(f"the store's words on the {card.state} card at {sizes[3]} px, "
                        f"below {READABLE_SIZES[3]}: {card.reason.text()[:40]!r}")
    below = [size_px for label, size_px in zip((card.name, card.details, card.reason),
                                               sizes[1:], strict=True) if label.text()]
    if store_words and sizes[0] <= max(below):
        problems.append(f"the card's headline at {sizes[0]} px is not its biggest: {sizes}")
    for label, words in card.texts.items():
        shown = label.text().replace("\u200b", "")
        cut = (store_words and label is card.reason and label.toolTip() == words
               and shown.endswith(ELLIPSIS) and words.startswith(shown[:-1]))
        if shown != words and not cut:  # the store's words may end in "…", whole in its tooltip
            problems.append(f"the card shows {label.text()!r} for {words!r}")
    clock = window.clock
    if clock.isVisible() and clock.width() < clock.sizeHint().width():
        problems.append(f"the clock {clock.text()!r} cut to {clock.width()} px of "
                        f"{clock.sizeHint().width()}")
    if window.wrong_clock is not None and window.title.text() != window.title.full_text:
        problems.append(f"the checkpoint's name reads {window.title.text()!r} beside the clock "
                        f"alert {clock.text()!r}")  # the officer must see where they are
    return problems


def kiosk_config(directory: Path, dpi: int = 0) -> tuple[Path, Callable[[str], str]]:
    """A kiosk's config.toml in ``directory`` (a long checkpoint name, a scanner at a fixed
    lane and a wedge on the desk, ``[kiosk] screen_dpi = dpi``) whose trust list was imported
    while the clock read 1970: how old it is is unknown, so every verdict says the list is
    too old until it is imported again. And a certificate maker (language → HC1 code) for
    the list's one issuer."""
    from tests.certificate_support import make_issuer, trust_list_of, vaccination

    issuer = make_issuer()
    trustlist.save(trust_list_of(issuer.der, imported_at=dt.datetime(1970, 1, 1, 0, 5,
                                                                      tzinfo=dt.UTC)),
                   directory / "trust.json")
    devices = (replay_device("lan-vao", directory / "queue.txt", lane="in")
               + '\n[[devices]]\nid = "quay-ban"\ntype = "wedge"\nlane = "toggle"\n')
    path = write_config(directory, devices,
                        extra='\n[certificates]\ntrust_list = "trust.json"\n')
    path.write_text(path.read_text(encoding="utf-8").replace(
        'checkpoint_name = "Chốt Cầu Giấy"', f'checkpoint_name = "{CHECKPOINT}"'),
        encoding="utf-8")
    now, day = time.time(), 86400

    def certificate(language: str) -> str:
        name, birth = CERTIFICATE_HOLDERS[language]
        return issuer.sign(vaccination(2, 2, name=name, birth=birth), issued=now - day,
                           expires=now + 300 * day)
    return with_dpi(path, dpi), certificate
