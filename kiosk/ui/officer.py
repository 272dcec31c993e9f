"""The officer's screen: the last result, entry/exit, today's counts, recent scans, manual entry.

The result card changes colour and the cue sounds as soon as the pipeline reports a
committed result (a queued signal, no database call in between). Counts, the per-hour
chart and the recent list are then re-read from the database in the db lane, at most a few
times a second however fast people are scanned: the first result of a burst starts a short
timer, later ones ride on it, and the read itself is coalesced (only the newest request
waits behind a running one). The read's cost follows the day's volume: in a stream the
next one waits :data:`READ_SHARE` times as long as the last took, so at the busiest gate
the counts take a bounded share of the lane the scans' sync and screens share — always a
whole read, a little later, never a number made up between reads.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kiosk import ids, messages
from kiosk.certificates import verdicts
from kiosk.devices.kind import DeviceOptions
from kiosk.messages import visible
from kiosk.scan import ScanResult, mask_document
from kiosk.store import Stats, Store
from kiosk.timestamps import parse_utc, utc_iso
from kiosk.ui.bridge import KioskBridge, SyncView
from kiosk.ui.camera_preview import CameraPreview
from kiosk.ui.cues import SoundBoard, cue_for
from kiosk.ui.result_card import ResultCard
from kiosk.ui.widgets import (
    CountTile,
    DirectionToggle,
    HourChart,
    Retranslating,
    TouchTargets,
    WrappingButton,
    growth,
    keep_rows_visible,
    one_paragraph,
    pixel_font,
)

RECENT_ROWS = 20
REFRESH_DELAY_MS = 200
"""Results arriving closer together than this share one re-read of counts and list."""
READ_SHARE = 10
"""In a stream of scans, a re-read of counts and list starts at least this many times its
last read's duration after that read ended: the counts take at most 1/11 of the db lane
however many entries the day holds (12–50 ms a read at 60,000: docs/benchmarks.md)."""
CLOCK_REFRESH_MS = 60_000
CLOCK_STEP_SECONDS = 3.0
"""The wall clock moved this much more (or less) than the monotonic one between two checks
(:meth:`OfficerScreen.check_clock`) was set: network time, a technician. Timers' own lag
and a busy GUI thread stay well under it."""
CHART_MIN_SCREEN_HEIGHT = 700
RECENT_ROWS_SHOWN = 3
"""The recent list never shrinks below this many whole rows (the card scales instead)."""
NARROW_SCREEN = 600
"""A screen this small on its short side (a 7" panel) packs the officer's screen tighter
for the card's words."""
NAME_ROOM = (180, 320)
"""The recent list shows the kind of code, then the document, only while the name column
keeps its longest name whole, within these pixels (else time, direction, name and note:
`kiosk entries` lists the rest)."""
TIME, DIRECTION, NAME, NOTE, DOCUMENT, CODE = range(6)
"""The recent list's columns, in order."""
GIVING_WAY = (CODE, DOCUMENT)
"""The columns a narrow list hides, first to last: what an officer reads least."""
SEARCH_DAYS = 7
"""How far back the search box looks (the CLI's ``kiosk entries --all`` looks further)."""


NOT_ID_CLIP = 24
"""Characters of a code that names nobody its recent row shows (``https://example.vn/m…``)."""


def name_cell(row: dict[str, Any], language: str) -> str:
    """A recent row's name column: the person's name; for a code that names nobody (kind
    ``other``: a URL, a product code — the amber card's), what it is in words and the start
    of the code, printable (:func:`messages.visible`), not a blank the officer cannot place."""
    if row["name"] or row["kind"] != "other":
        return one_paragraph(row["name"] or "")
    try:
        code = visible(one_paragraph(bytes(row["payload"]).decode("utf-8")))
    except UnicodeDecodeError:  # a binary code: its bytes say nothing to an officer
        code = ""
    clip = code if len(code) <= NOT_ID_CLIP else code[:NOT_ID_CLIP - 1] + "…"
    return messages.text("recent.not_id", language, clip=clip)


CHECK, AGAIN = "check", "again"
"""A recent row's note: the card was red for its certificate; recorded again as a duplicate."""
NOTE_COLOURS = {CHECK: "#ffd9d6", AGAIN: "#fff3c4"}
"""The card's red and amber, pale: a row's note said in colour as well as in words."""


def certificate_status(row: dict[str, Any]) -> str:
    """The verdict's status stored with an entry ("": no certificate, or one unreadable)."""
    try:
        status = json.loads(row["certificate"] or "null")["status"]
    except (ValueError, TypeError, KeyError):
        return ""
    return status if isinstance(status, str) else ""


def row_note(row: dict[str, Any]) -> str:
    """What the recent list notes on a row. CHECK where the card was red for a certificate:
    forged, unreadable, from an unknown issuer, or a positive test. The list is in the
    queue's sight, so it does not say which: health data is for the card, which the officer
    reads for the person in front of them. AGAIN: recorded again within the duplicate
    window. "": nothing to note."""
    if verdicts.SEVERITY.get(certificate_status(row)) == verdicts.BAD:
        return CHECK
    return AGAIN if row["status"] == "duplicate" else ""


def read_screen(store: Store, checkpoint_id: str, search: str | None,
                now: float | None = None) -> tuple[Stats, list[dict[str, Any]]]:
    """What one refresh of the screen reads: today's counts and the recent (or found) rows."""
    now = time.time() if now is None else now
    if search:
        rows = store.entries(search=search, since=utc_iso(now - SEARCH_DAYS * 86400),
                             limit=RECENT_ROWS, newest_first=True)
    else:
        rows = recent_entries(store, now)
    return store.stats(checkpoint_id, now=now), rows


def recent_entries(store: Store, now: float) -> list[dict[str, Any]]:
    """The last :data:`RECENT_ROWS` entries, the latest made first: newest date first, but
    when some are dated after ``now`` — recorded by a clock ahead, set right since (network
    time) — every scan made after them is dated earlier. The entries dated up to now are read
    too, and this boot's are put in the order they were made by the monotonic clock (which
    setting the wall clock does not move), ahead of any earlier boot's. Each row keeps its
    time: by date alone, the person just scanned was under the scans of that hour, and off
    the list behind 20 of them."""
    rows = store.entries(limit=RECENT_ROWS, newest_first=True)
    if not rows or rows[0]["scanned_at"] <= utc_iso(now):
        return rows
    seen = {row["id"] for row in rows}
    rows += [row for row in store.entries(until=utc_iso(now + 1), limit=RECENT_ROWS,
                                          newest_first=True) if row["id"] not in seen]
    boot = ids.boot_id()
    rows.sort(reverse=True, key=lambda row: (row["boot_id"] == boot, row["monotonic_ns"]
                                             if row["boot_id"] == boot else 0,
                                             row["scanned_at"]))
    return rows[:RECENT_ROWS]


def timed_read(store: Store, checkpoint_id: str, search: str | None, now: float
               ) -> tuple[Stats, list[dict[str, Any]], float]:
    """:func:`read_screen` and the seconds it took (the lane's time, not the queue's)."""
    started = time.perf_counter()
    stats, rows = read_screen(store, checkpoint_id, search, now)
    return stats, rows, time.perf_counter() - started


class OfficerScreen(Retranslating):
    manual_requested = Signal()
    day_turned = Signal()
    """Today's counts are re-read for a new day (midnight, or a clock set across one): the
    header clock shows the time with them (:meth:`_new_day`)."""

    def __init__(self, bridge: KioskBridge, sounds: SoundBoard,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.sounds = sounds
        self.language = "vi"
        self.rows: list[dict[str, Any]] = []
        self.narrow = False
        """Laid out for a 7" panel (see ``arrange``)."""
        self.stats: Stats | None = None
        self.read_cost = 0.0
        """Seconds the last re-read of counts and list took in the db lane."""
        self._read_started = 0.0
        """``time.monotonic()`` when the last re-read was asked for."""
        self.clock: Callable[[], float] = time.time
        """The wall clock today's counts are read by (a test's may read just before
        midnight)."""
        self._counts_day: dt.date | None = None
        """The local day of the counts last asked for."""
        self._clock_seen = (self.clock(), time.monotonic())
        """(wall, monotonic) at the last :meth:`check_clock`."""
        timezone = bridge.config.timezone

        self.card = ResultCard(timezone)
        self.card.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the scan target

        self.recent_title = QLabel()
        self.recent_title.setFont(pixel_font(self, 20, bold=True))
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.search.setFont(pixel_font(self, 18))
        self.table = QTableWidget(0, CODE + 1)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.verticalHeader().setVisible(False)
        self.table.setFont(pixel_font(self, 17))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.viewport().installEventFilter(self)  # its width decides the columns

        left = self.left = QVBoxLayout()
        left.addWidget(self.card, 5)
        search_row = QHBoxLayout()
        search_row.addWidget(self.recent_title)
        search_row.addWidget(self.search, 1)
        left.addLayout(search_row)
        left.addWidget(self.table, 4)

        self.direction_title = QLabel()
        self.direction_title.setWordWrap(True)
        self.toggle = DirectionToggle()
        self.toggle.set_direction(bridge.kiosk.pipeline.operator_direction)
        self.toggle.chosen.connect(self.set_direction)
        self.lanes = QLabel()
        self.lanes.setWordWrap(True)

        self.tiles = {key: CountTile() for key in ("in", "out", "inside")}
        tiles = QGridLayout()
        for column, tile in enumerate(self.tiles.values()):
            tiles.addWidget(tile, 0, column)
        self.not_id_count = QLabel()
        """How many codes today named nobody (kind ``other``): counted in no tile, so shown
        apart, and only when there were any — one short line on a full screen."""
        self.not_id_count.setWordWrap(True)
        self.not_id_count.setVisible(False)
        self.chart_title = QLabel()
        self.chart = HourChart()
        self.camera = CameraPreview(bridge)
        self.camera.setMinimumHeight(150)
        self.manual_button = WrappingButton()
        self.manual_button.setObjectName("manual_entry")
        self.manual_button.setMinimumHeight(64)
        self.manual_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.manual_button.clicked.connect(self.manual_requested)

        self.right_type = [(self.direction_title, 18, True), (self.lanes, 16, False),
                           (self.not_id_count, 16, False), (self.chart_title, 16, True),
                           (self.manual_button, 22, True)]
        """The right column's words, with their pixel sizes on a 1280×800 screen."""
        for label, pixels, bold in self.right_type:
            label.setFont(pixel_font(self, pixels, bold=bold))

        right = QVBoxLayout()
        right.addWidget(self.direction_title)
        right.addWidget(self.toggle)
        right.addWidget(self.lanes)
        right.addLayout(tiles)
        right.addWidget(self.not_id_count)
        right.addWidget(self.chart_title)
        right.addWidget(self.chart, 1)
        right.addWidget(self.camera, 1)
        right.addStretch(0)  # without chart or camera: the room goes here, not between tiles
        right.addWidget(self.manual_button)

        layout = self.columns = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(16)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(
            lambda _text: self._refresh_timer.start(REFRESH_DELAY_MS))
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_REFRESH_MS)  # hour bars and "inside" age with the clock
        self._clock.timeout.connect(self.refresh)
        self._clock.start()
        self._midnight = QTimer(self)
        self._midnight.setSingleShot(True)
        self._midnight.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one: 5 % of a day
        self._midnight.timeout.connect(self._new_day)
        self.arm_midnight()

        bridge.result.connect(self.show_result)
        bridge.scan_begun.connect(self.card.scan_begun)
        bridge.sync_changed.connect(self.show_sync)
        self.set_devices(bridge.config.devices)
        self.retranslate()

    def arrange(self, screen: QSize) -> None:
        """Side by side on a landscape screen, one above the other in portrait; the chart
        only where there is height to spare. Called before the window takes ``screen``'s
        size, so the layout's minimum already fits it."""
        portrait = screen.height() > screen.width()
        self.columns.setDirection(QBoxLayout.Direction.TopToBottom if portrait
                                  else QBoxLayout.Direction.LeftToRight)
        roomy = screen.height() >= CHART_MIN_SCREEN_HEIGHT * (2 if portrait else 1)
        self.chart.setVisible(roomy)
        self.chart_title.setVisible(roomy)
        self.left.setStretchFactor(self.table, 4 if roomy else 2)  # the card's words first
        # one above the other without the chart: the spare height goes to the card, not
        # between today's counts and manual entry
        self.columns.setStretch(1, 0 if portrait and not roomy else 2)
        self.recent_title.setVisible(roomy)  # the search box's hint says it on a short screen
        narrow = min(screen.width(), screen.height()) < NARROW_SCREEN  # 7": time, way, name
        # On a 7" panel the card's words come before what explains the buttons: IN / OUT /
        # AUTO say what they do, and each scan's card and row say which way it went.
        self.direction_title.setVisible(not narrow)
        self.lanes.setVisible(bool(self.fixed_lanes) and not narrow)
        self.narrow = narrow
        keep_rows_visible(self.table, RECENT_ROWS_SHOWN)
        grow = growth(screen)  # full HD: 1.35
        for label, pixels, bold in self.right_type:
            label.setFont(pixel_font(self, round(pixels * grow), bold=bold))
        self.chart.set_growth(grow)
        self.toggle.set_compact(not roomy, grow)
        for tile in self.tiles.values():
            tile.set_compact(not roomy, grow)
        margin = 6 if narrow else 12
        self.columns.setContentsMargins(margin, margin, margin, margin)
        self.columns.setSpacing(8 if narrow else 16)
        floor = int(self.manual_button.property(TouchTargets.PROPERTY) or 0)  # never below 9 mm
        one_line = narrow and portrait  # the whole width: its words need one line only
        self.manual_button.setMinimumHeight(max(48 if one_line else 64, floor))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return False

    def _fit_columns(self) -> None:
        """The kind of code, then the document, only where the names keep their room
        (NAME_ROOM)."""
        header = self.table.horizontalHeader()
        for column in GIVING_WAY:  # a hidden column's title is measured as 0 px wide
            self.table.setColumnHidden(column, False)
        widths = [max(self.table.sizeHintForColumn(column), header.sectionSizeHint(column))
                  for column in range(self.table.columnCount())]
        least, most = NAME_ROOM
        needed = min(max(widths[NAME], least), most)
        room = self.table.viewport().width() - sum(widths) + widths[NAME]
        for column in GIVING_WAY:
            crowded = room < needed
            self.table.setColumnHidden(column, crowded)
            room += widths[column] if crowded else 0

    # -- results --------------------------------------------------------------------------
    def show_result(self, result: ScanResult) -> None:
        """Colour first, sound second, numbers after: the officer is waiting for the colour."""
        self.card.show_result(result, self.bridge.config.kiosk.result_seconds)
        self.sounds.play(cue_for(result))
        if result.reason_code == "storage_error" or self.card.refusing is not None:
            self.bridge.refresh_sync()  # the disk failed, or took a write again: the card
            # after this answer's hold says so, not what the last 3 s poll found
        self._schedule_refresh()

    def _schedule_refresh(self) -> None:
        """The first result of a burst starts the timer, later ones ride on it (a steady
        stream still refreshes); the next read starts :data:`READ_SHARE` times the last
        read's cost after the last one's end (counted from its start: one may still run)."""
        if self._refresh_timer.isActive():
            return
        rest = (READ_SHARE + 1) * self.read_cost - (time.monotonic() - self._read_started)
        self._refresh_timer.start(max(REFRESH_DELAY_MS, math.ceil(rest * 1000)))

    def show_sync(self, view: SyncView) -> None:
        """The bridge's poll (every 3 s, and after a scan the store failed or took while it
        failed) found the store recording no scan, or recording again: the card says NOT
        RECORDED before anyone scans, or READY again."""
        self.card.set_refusing(view.store_refusing)

    def type_into_search(self, text: str) -> None:
        """A person typing on the main screen means to search the recent list."""
        self.search.setFocus()
        self.search.insert(text)

    def set_direction(self, direction: str) -> None:
        self.bridge.kiosk.pipeline.set_direction(direction)
        self.toggle.set_direction(direction)

    def set_language(self, language: str) -> None:
        self.language = language
        self.card.set_language(language)
        self._fill_table()
        self._show_not_id()

    def _show_not_id(self) -> None:
        count = self.stats.not_id if self.stats is not None else 0
        self.not_id_count.setText(messages.text("officer.not_id_count", self.language,
                                                count=messages.number(count, self.language))
                                    if count else "")
        self.not_id_count.setVisible(count > 0)

    def set_devices(self, devices: Sequence[DeviceOptions]) -> None:
        """Show which lanes are fixed, and the camera when one is configured."""
        enabled = [d for d in devices if d.enabled]
        self.has_toggle_lane = not enabled or any(d.lane == "toggle" for d in enabled)
        self.fixed_lanes = [(d.id, d.lane) for d in enabled if d.lane != "toggle"]
        camera = next((d.id for d in enabled if d.type == "camera"), None)
        self.camera.setVisible(camera is not None)
        self.camera.watch(camera)
        self.retranslate()

    # -- counts and the recent list -------------------------------------------------------
    def arm_midnight(self) -> None:
        """Re-read the counts at the next local midnight: today's tiles start from zero then,
        not up to :data:`CLOCK_REFRESH_MS` later with yesterday's numbers under "today"."""
        now = self.clock()
        timezone = self.bridge.config.timezone
        tomorrow = dt.datetime.fromtimestamp(now, timezone).date() + dt.timedelta(days=1)
        midnight = dt.datetime.combine(tomorrow, dt.time(), timezone).timestamp()
        self._midnight.start(max(0, math.ceil((midnight - now) * 1000)))

    def check_clock(self) -> None:
        """Called every few seconds (the header clock's tick). A wall clock set since the
        last check, or a local day other than the counts', re-reads the counts and moves
        the midnight now: after a step (network time) "today" showed the other day's
        figures for up to :data:`CLOCK_REFRESH_MS`, and the midnight timer, counting in
        monotonic time, still waited for the old clock's midnight."""
        wall, steady = self.clock(), time.monotonic()
        last_wall, last_steady = self._clock_seen
        self._clock_seen = (wall, steady)
        stepped = abs((wall - last_wall) - (steady - last_steady)) > CLOCK_STEP_SECONDS
        day = dt.datetime.fromtimestamp(wall, self.bridge.config.timezone).date()
        if stepped or day != self._counts_day:
            self._new_day()

    def _new_day(self) -> None:
        """Re-armed from the wall clock, not a day's interval: a clock set meanwhile (network
        time) moves the midnight; a timer fired early by it fires again at midnight."""
        self.day_turned.emit()
        self.refresh()
        self.arm_midnight()

    def refresh(self) -> None:
        checkpoint = self.bridge.config.kiosk.checkpoint_id
        search = self.search.text().strip() or None
        now = self.clock()
        self._counts_day = dt.datetime.fromtimestamp(now, self.bridge.config.timezone).date()
        self._read_started = time.monotonic()
        self.bridge.read(lambda store: timed_read(store, checkpoint, search, now),
                         done=self._show_data, key="officer")

    def _show_data(self, data: tuple[Stats, list[dict[str, Any]], float]) -> None:
        self.stats, self.rows, self.read_cost = data
        self.tiles["in"].set_value(self.stats.entries_in)
        self.tiles["out"].set_value(self.stats.entries_out)
        self.tiles["inside"].set_value(self.stats.inside)
        self._show_not_id()
        now = dt.datetime.fromtimestamp(self.clock(), self.bridge.config.timezone)
        self.chart.set_counts(self.stats.per_hour, now.hour)
        self._fill_table()

    def _fill_table(self) -> None:
        timezone = self.bridge.config.timezone
        today = dt.datetime.fromtimestamp(self.clock(), timezone).date()
        self.table.setRowCount(len(self.rows))
        for row_number, row in enumerate(self.rows):
            when = parse_utc(row["scanned_at"]).astimezone(timezone)
            note = row_note(row)
            cells = {
                TIME: when.strftime("%H:%M:%S")
                if when.date() == today
                else when.strftime("%d/%m %H:%M"),
                DIRECTION: self._lane_word(row["direction"]),
                NAME: name_cell(row, self.language),
                NOTE: self._note_word(note),
                DOCUMENT: mask_document(row["document_number"]),
                CODE: messages.kind_name(row["kind"], self.language),
            }
            for column, text in cells.items():
                item = QTableWidgetItem(text)
                if note:
                    item.setBackground(QColor(NOTE_COLOURS[note]))
                    item.setToolTip(self._note_tip(note))
                self.table.setItem(row_number, column, item)
        self._fit_columns()

    def _note_word(self, note: str) -> str:
        return {CHECK: self.tr("CHECK"), AGAIN: self.tr("AGAIN")}.get(note, "")

    def _note_tip(self, note: str) -> str:
        if note == CHECK:
            return self.tr("Needs a check: the result card said why when it was scanned")
        return self.tr("Scanned again within the duplicate window")

    def _lane_word(self, lane: str) -> str:
        return {"in": self.tr("IN"), "out": self.tr("OUT")}.get(lane, self.tr("AUTO"))

    def retranslate(self) -> None:
        self.recent_title.setText(self.tr("Recent scans"))
        self.search.setPlaceholderText(self.tr("Search name or document number"))
        self.table.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("Direction"), self.tr("Name"), self.tr("Note"),
             self.tr("Document"), self.tr("Code")])
        self.direction_title.setText(
            self.tr("Direction for toggle-lane scanners and manual entries")
            if self.has_toggle_lane else self.tr("Direction for manual entries"))
        self.lanes.setText("  ".join(f"{device} → {self._lane_word(lane)}"
                                     for device, lane in self.fixed_lanes))
        self.lanes.setVisible(bool(self.fixed_lanes) and not self.narrow)
        self.tiles["in"].caption.setText(self.tr("In today"))
        self.tiles["out"].caption.setText(self.tr("Out today"))
        self.tiles["inside"].caption.setText(self.tr("Inside now"))
        self.chart_title.setText(self.tr("Scans per hour"))
        self.manual_button.set_caption(self.tr("Manual entry (no code)"))
        self._fill_table()
