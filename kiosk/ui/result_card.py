"""The big coloured card with the last result, readable from two metres.

Green with a tick: accepted (direction first, then name, masked document, kind, time).
Amber with "!": recorded from a code that names nobody (a URL, a product code): ask for an ID.
Amber with "!": already scanned N minutes ago. Red with a cross: refused or not recorded,
with the reason in plain words and what to do next. Colour, word and symbol each say it
alone (an officer who cannot tell red from green reads the symbol). A vaccination
certificate (HC1) is coloured by its verdict instead: green valid, amber expired / not yet
valid / not confirmed, with the name and birth date to compare with an ID card, and whether
the entry was recorded. A forged or unfit one that was recorded (policy "record") is red with
a warning triangle, headed by what the officer must do — "CERTIFICATE NOT VALID — CHECK
DOCUMENTS" — with the verdict and "Recorded IN" under it: stop the person, though the entry
stands. Refused under "require-valid", it is red with a cross and "NOT RECORDED". The card
only ever shows a ScanResult the pipeline produced after its COMMIT, and only for
``[kiosk] result_seconds``: then it reads READY again, grey, with the previous answer's time
and headline in small type (never whose, nor a certificate's verdict), so nobody reads it as
the next person's answer. While the store records no scan (its file deleted, replaced or
damaged, its disk failing every write, or another program holding it: the status strip's
poll), it reads NOT RECORDED instead of READY, red with a cross; a green answer gives way to
it at once. A scan whose answer is slow to come (another program holding the store: up to
5 s) is shown being saved after :data:`SAVING_AFTER_MS`, blue with a clock — SAVING…, not
recorded yet, wait — never the last answer or READY meanwhile: the next person would step up.
The type shrinks to fit the card down to floors read from arm's length; past them a
person's name ends in "…", the headline never gets smaller for it. Each line keeps room above
it for the ink of its words (a capital with two marks, Ẵ or Ầ, rises above the font's
ascent), counted in what must fit. No scanner able to take a scan (each unplugged, not
found, failing, or a keyboard-wedge scanner without the keyboard) for 3 s, the card reads
SCANNER NOT CONNECTED between scans, amber with "!", and the first one's reason, not READY: the
queue would scan into nothing. The store's words (why it
records no scan), between scans or on a scan's answer, keep 14 px under their path in fine
print; too long even so (a 7" panel), they end in "…", all of them in the line's tooltip —
and, a touch panel showing no tooltip, a tap on the card (anywhere: the line itself is no
touch target) unfolds them whole in place, at no less than the same 14 px, for
:data:`UNFOLDED_SECONDS` or until the next tap (too long for the card even so, they end in "…"
again, after more of them). Meanwhile the officer's words above them give
way (the headline still says NOT RECORDED); the card stays the scan target, so the scanner's
keys still come to it, and a scan's answer, the SAVING… card or the store's next state folds
them at once: unfolding never holds back nor covers an answer.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QWidget

from kiosk import messages
from kiosk.certificates import verdicts
from kiosk.scan import Direction, Scan, ScanResult, Status
from kiosk.ui.widgets import GROWTH, headroom, one_paragraph

IDLE, ACCEPTED, DUPLICATE, REJECTED = "idle", "accepted", "duplicate", "rejected"
SAVING = "saving"
NO_SCANNER = "no_scanner"
"""Between scans, no scanner able to take one (see :meth:`ResultCard.set_scanners_away`)."""
NOT_ID = "not_id"
"""Recorded, from a code that names no person (:attr:`ScanResult.names_nobody`): amber, so
the officer asks for an ID rather than waving on a URL or a product code."""
"""A scan taken up whose answer has not come after :data:`SAVING_AFTER_MS`."""
SAVING_AFTER_MS = 300
"""How long a scan's answer may take before the card says it is being saved: a scan is
answered in a few ms, one waiting for another program's lock in up to 5 s. Shown at once,
it would flash on every scan."""
CERTIFICATE_STATES = {verdicts.GOOD: "certificate_valid", verdicts.WARN: "certificate_warning",
                      verdicts.BAD: "certificate_invalid"}
"""A recorded certificate's card, by the verdict's severity."""
CERTIFICATE_REFUSED = "certificate_refused"
"""Not recorded: under "require-valid", a certificate that is not valid."""
RED = (REJECTED, CERTIFICATE_STATES[verdicts.BAD], CERTIFICATE_REFUSED)
"""A card saying "stop the person"."""
RED_SEEN_SECONDS = 1.5
"""A red card replaced by another person's answer sooner than this may not have been seen (two
lanes on one screen, a queue scanning over a shoulder): that answer names it, for its hold
(:meth:`ResultCard.show_result`). Refusals are no entries: nothing else on the screen would.
Longer, it named the refused person's own next try (a code shown again after SCAN AGAIN takes
a second or two)."""
NOT_RECORDED = ("storage_error", "kiosk_fault")
"""Refusals that are no fault of the code scanned (the store's, the kiosk's own): headed
NOT RECORDED with "call the technician", not REFUSED with "ask for another code"."""
GREEN = (ACCEPTED, CERTIFICATE_STATES[verdicts.GOOD])
"""A card saying "recorded, go on" and nothing to act on: it gives way at once when the store
is found to record no more (:meth:`ResultCard.set_refusing`)."""

SPARE_DETAILS = (NOT_ID, REJECTED, DUPLICATE)
"""Cards whose details line (the code's kind, the direction, the time; a refusal's time)
repeats what the headline says and the recent list keeps: where even fine print leaves no
room, it gives way rather than the headline go below READABLE_SIZES (the clock alert and
the note of a refusal just before, both on a 7" panel's NOT AN ID CODE card). Not a
certificate's (the birth date to compare with an ID card) nor the store's path
(:data:`PATH_FIRST`); a person's name gives way first (:data:`ELLIPSIS`)."""

TYPE_SIZES = (48, 38, 26, 24)
"""Pixel sizes of headline, name, details and reason on a card of a 1280×800 screen; up to
GROWTH times larger on a card with room to spare."""
READABLE_SIZES = (26, 20, 14, 14)
"""The sizes the lines keep while the card shrinks its type to fit: an officer an arm's
length away reads 20 px on a 7" panel."""
HEADLINE_KEPT = 36
"""The headline keeps this size while the words under it shrink to READABLE_SIZES: shrunk
in step with them, a refusal's (three lines of what to do under it) went to 28 px on a 7"
panel, a 4.0 mm capital, while the accepted card's was 40 px: the answer that must stop the
person was the hardest to read from a step away."""
SMALL_SIZES = (26, 20, 11, 11)
"""Then the time and the technical reason (read up close, by whoever is called) give way,
before the headline and the officer's words do."""
FINE_PRINT = (26, 20, 9, 9)
"""Then the time and the technical reason go down to fine print, read up close by the
technician, before the headline and the officer's words do."""
PATH_FIRST = (26, 20, 9, 14)
"""On a card whose reason is the store's (NOT RECORDED: why it records no scan, what to do),
the details line (the store's path, after the person's masked document and time) goes down
to fine print first, while the reason keeps the size read from arm's length: on a 7" panel
the store's words went to 9 px (1.7 mm) with the path and a prefix the headline says. Still
too long there, they end in "…" after the most whole words that fit, all of them in the
line's tooltip (see ``_elide``), rather than shrink: between scans they went to 10 px."""
SMALLEST_SCALE = 0.3
"""Of SMALL_SIZES, as a last resort: a word is never cut off."""
ELLIPSIS = "…"
"""Ends a person's name cut short to keep the card's type at SMALL_SIZES, or the store's words
cut short to keep them at PATH_FIRST (see ``_elide``)."""
UNFOLDED_SECONDS = 30
"""How long the store's words a tap unfolded (see ``unfold``) stay whole before the card
folds them back by itself: long enough to copy "kiosk store recover" down, short enough that
the officer's own words come back without anyone touching the card."""
MARGINS, SPACING = (32, 24), 10
"""Horizontal and vertical padding inside the card (scaled with the type), and between lines."""

COLOURS = {
    # state: (background, text): contrast ≥ 4.5:1 for every pair
    IDLE: ("#37474f", "#ffffff"),
    ACCEPTED: ("#1b7f3b", "#ffffff"),
    DUPLICATE: ("#ffb300", "#1a1a1a"),
    REJECTED: ("#c62828", "#ffffff"),
    SAVING: ("#1565c0", "#ffffff"),
}
COLOURS[NO_SCANNER] = COLOURS[NOT_ID] = COLOURS[DUPLICATE]
COLOURS.update({CERTIFICATE_STATES[verdicts.GOOD]: COLOURS[ACCEPTED],
                CERTIFICATE_STATES[verdicts.WARN]: COLOURS[DUPLICATE],
                CERTIFICATE_STATES[verdicts.BAD]: COLOURS[REJECTED],
                CERTIFICATE_REFUSED: COLOURS[REJECTED]})


MARKS = {ACCEPTED: "tick", DUPLICATE: "alert", REJECTED: "cross", SAVING: "clock",
         NO_SCANNER: "alert", NOT_ID: "alert"}
MARKS.update({CERTIFICATE_STATES[verdicts.GOOD]: "tick",
              CERTIFICATE_STATES[verdicts.WARN]: "alert",
              CERTIFICATE_STATES[verdicts.BAD]: "caution",
              CERTIFICATE_REFUSED: "cross"})
"""Red says stop; the cross says not recorded, the warning triangle recorded but not cleared;
the clock, not answered yet. Each has a shape of its own, not only its strokes inside a ring:
the cross is cut out of a solid stop sign, the clock drawn as an hourglass. The card's green,
red and blue are one grey (a red-green colour-blind officer, a washed-out panel): "let
through", "stop" and "wait" must not be three rings (tests/test_ui_colour_blind.py)."""
STOP_SIGN = ((0.29, 0.0), (0.71, 0.0), (1.0, 0.29), (1.0, 0.71), (0.71, 1.0), (0.29, 1.0),
             (0.0, 0.71), (0.0, 0.29))
"""The octagon the cross is cut out of (fractions of the symbol's side)."""
MARK_GAP = 0.4
"""Room between the symbol and the headline, in headline heights."""


_WORD = re.compile("([^\\s\u200b]{2,})")
"""A word: what lies between spaces and the zero-width spaces :func:`_breakable` puts in."""


def _breakable(word: str) -> str:
    """``word`` with a zero-width space (a place a line may break) before each letter but
    the first, a combining mark kept with its letter (a name may come decomposed)."""
    return "".join(("\u200b" + c) if i and not unicodedata.combining(c) else c
                   for i, c in enumerate(word))


class Mark(QWidget):
    """The answer's symbol, drawn (not a font's glyph, which a kiosk may lack) in the card's
    text colour: a tick or an exclamation mark inside a ring, a cross cut out of a solid stop
    sign, an hourglass, or an exclamation mark inside a warning triangle (caution)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("result_mark")
        self.shape = ""
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)

    def set_shape(self, shape: str) -> None:
        self.shape = shape
        self.setVisible(bool(shape))
        self.update()

    def paintEvent(self, event: object) -> None:
        side = min(self.width(), self.height())
        if not self.shape or side <= 0:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.palette().color(QPalette.ColorRole.WindowText), max(2.0, side / 9))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        inset = pen.widthF() / 2 + 1

        def at(x: float, y: float) -> QPointF:
            return QPointF(inset + x * (side - 2 * inset), inset + y * (side - 2 * inset))

        if self.shape == "caution":
            painter.drawPolygon([at(0.5, 0.04), at(0.98, 0.92), at(0.02, 0.92)])
            painter.drawLine(at(0.5, 0.36), at(0.5, 0.62))
            painter.drawPoint(at(0.5, 0.78))
            painter.end()
            return
        if self.shape == "cross":  # a stop sign, solid: no ring like "let through"'s tick
            painter.setBrush(pen.color())
            painter.drawPolygon([at(x, y) for x, y in STOP_SIGN])
            pen.setColor(self.palette().color(QPalette.ColorRole.Window))
            painter.setPen(pen)
            painter.drawLine(at(0.32, 0.32), at(0.68, 0.68))
            painter.drawLine(at(0.68, 0.32), at(0.32, 0.68))
            painter.end()
            return
        if self.shape == "clock":  # an hourglass, solid: wait
            painter.setBrush(pen.color())
            painter.drawPolygon([at(0.15, 0.0), at(0.85, 0.0), at(0.5, 0.5),
                                 at(0.85, 1.0), at(0.15, 1.0), at(0.5, 0.5)])
            painter.end()
            return
        painter.drawEllipse(QRectF(at(0, 0), at(1, 1)))
        if self.shape == "tick":
            painter.drawPolyline([at(0.27, 0.52), at(0.44, 0.69), at(0.74, 0.34)])
        else:  # alert
            painter.drawLine(at(0.5, 0.24), at(0.5, 0.56))
            painter.drawPoint(at(0.5, 0.75))
        painter.end()


def same_person(one: ScanResult, other: ScanResult) -> bool:
    """Both answers name the same person (a certificate shown twice): the second is no one
    else's, and says ALREADY SCANNED itself."""
    return bool(one.identity and other.identity
                and one.identity.subject_key == other.identity.subject_key)


def own_retry(refused: ScanResult, result: ScanResult) -> bool:
    """``refused`` named no one (a misread, a code read half) and ``result`` came from the
    same scanner: the person standing there scanned again, and the officer sees them. A
    refusal on another scanner (two lanes, one screen), or one that named someone else, is
    another person's."""
    return refused.identity is None and refused.scan.device_id == result.scan.device_id


class ResultCard(QFrame):
    painted = Signal(object)
    """The result just painted (after a real paint event): for latency measurements."""

    def __init__(self, timezone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ResultCard")
        self.timezone = timezone
        self.language = "vi"
        self.result: ScanResult | None = None
        self.previous: ScanResult | None = None
        """The last result shown, once its hold ran out (see ``show_result``)."""
        self.missed: ScanResult | None = None
        """A red answer replaced within :data:`RED_SEEN_SECONDS`: named by the answers that
        follow until one has been up that long, or the card is READY again."""
        self._shown_at = 0.0
        """time.monotonic() when the current result was shown."""
        self.refusing: messages.Words | None = None
        """Why the store records no scan (:meth:`set_refusing`): the card says so instead
        of READY."""
        self.scanners_away: tuple[str, messages.Words | str] | None = None
        """(device, why) of the first scanner, when none can take a scan
        (:meth:`set_scanners_away`): the card says so instead of READY."""
        self._hold = QTimer(self)
        self._hold.setSingleShot(True)
        self._hold.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse one may end 5 % early
        self._hold.timeout.connect(self._held)
        self.awaiting: Scan | None = None
        """The latest scan taken up (:meth:`scan_begun`) whose answer has not come."""
        self.saving = False
        """The card says :attr:`awaiting` is being saved (its answer slow to come)."""
        self._saving = QTimer(self)
        self._saving.setSingleShot(True)
        self._saving.setInterval(SAVING_AFTER_MS)
        self._saving.timeout.connect(self._show_saving)
        self.state = IDLE
        self._painted_result: ScanResult | None = None
        self.painted_at = 0
        """time.monotonic_ns() of the first paint of the current result."""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAutoFillBackground(True)
        self.mark = Mark(self)
        self.headline = self._label(bold=True)
        self.name = self._label(bold=True)
        self.details = self._label()
        self.reason = self._label()
        self.texts: dict[QLabel, str] = {}
        """Each line's words as the answer gives them (:meth:`_fit` may let one wrap, or cut
        a person's name short)."""
        self.name_elides = False
        """The name line holds a person's name (not a refusal's plain words), which may end in
        "…" rather than shrink the verdict above it."""
        self.sizes = TYPE_SIZES
        """The lines' pixel sizes after the last fit."""
        self.path_first = False
        """The reason line holds the store's words (the details line, its path): the details
        go to fine print first, and the store's words end in "…" rather than go below the
        size read from arm's length (:data:`PATH_FIRST`)."""
        self.unfolded = False
        """A tap unfolded the store's words cut short (:meth:`unfold`): they show whole, the
        officer's words above them giving way, until :meth:`fold`."""
        self.fold_timer = QTimer(self)
        self.fold_timer.setSingleShot(True)
        self.fold_timer.setInterval(UNFOLDED_SECONDS * 1000)
        self.fold_timer.timeout.connect(self.fold)
        self._render()

    def _label(self, *, bold: bool = False) -> QLabel:
        label = QLabel(self)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        font = label.font()
        font.setBold(bold)
        label.setFont(font)
        return label

    # -- type that fits ---------------------------------------------------------------------
    # The lines are placed by hand, not by a layout: a layout would make the window as tall
    # as the longest name at full size needs, and a 7" screen is not that tall. Instead the
    # whole card's type shrinks in step until every line, wrapped, fits the card.
    def sizeHint(self) -> QSize:
        return QSize(480, 300)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, 120)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _lines(self) -> list[tuple[QLabel, int]]:
        """(label, index into the size tuples) of each line with words."""
        lines = (self.headline, self.name, self.details, self.reason)
        return [(label, index) for index, label in enumerate(lines) if label.text()]

    @staticmethod
    def candidate_sizes(path_first: bool = False) -> Iterator[tuple[int, ...]]:
        """Line sizes from the largest to the smallest the card tries, in steps of 8 %:
        all lines from GROWTH × TYPE_SIZES down to READABLE_SIZES (the headline stopping at
        HEADLINE_KEPT until the others are there), then the lower two down
        to SMALL_SIZES and on to FINE_PRINT, then everything together (the last resort).
        With ``path_first``, the details line goes to fine print before the reason shrinks
        (:data:`PATH_FIRST`)."""
        largest = tuple(round(size * GROWTH) for size in TYPE_SIZES)
        kept = (HEADLINE_KEPT, *READABLE_SIZES[1:])
        stages = [(largest, kept), (kept, READABLE_SIZES), (READABLE_SIZES, SMALL_SIZES),
                  (SMALL_SIZES, FINE_PRINT)]
        if path_first:
            reason_small = (*FINE_PRINT[:3], SMALL_SIZES[3])
            stages = [(largest, kept), (kept, READABLE_SIZES), (READABLE_SIZES, PATH_FIRST),
                      (PATH_FIRST, reason_small), (reason_small, FINE_PRINT)]
        for start, floor in stages:
            scale = 1.0
            while True:
                sizes = tuple(max(low, round(high * scale)) for high, low in zip(
                    start, floor, strict=True))
                yield sizes
                if sizes == floor:
                    break
                scale *= 0.92
        scale = 0.92
        while scale > SMALLEST_SCALE:
            yield tuple(max(9, round(size * scale)) for size in SMALL_SIZES)
            scale *= 0.92

    def _needed(self, sizes: tuple[int, ...], width: int,
                spacing: int) -> tuple[int, list[tuple[int, int]]]:
        """Total height of the wrapped lines at ``sizes``, and each line's own height with
        its headroom (see :func:`headroom`) in it."""
        heights = []
        for label, index in self._lines():
            font = label.font()
            font.setPixelSize(sizes[index])
            room = width - (self._mark_room(sizes) if label is self.headline else 0)
            flags = int(Qt.AlignmentFlag.AlignLeft) | int(Qt.TextFlag.TextWordWrap)
            metrics = QFontMetrics(font)
            rect = metrics.boundingRect(QRect(0, 0, room, 100_000), flags, label.text())
            if rect.width() > room:
                return 1 << 30, []  # a single word wider than the card
            above = headroom(metrics, label.text())
            heights.append((above + (max(rect.height(), self._mark_side(sizes))
                                     if label is self.headline else rect.height()), above))
        return sum(h for h, _ in heights) + spacing * max(0, len(heights) - 1), heights

    def _mark_side(self, sizes: tuple[int, ...]) -> int:
        """The symbol is as tall as one line of the headline."""
        if not self.mark.shape:
            return 0
        font = self.headline.font()
        font.setPixelSize(sizes[0])
        return QFontMetrics(font).height()

    def _mark_room(self, sizes: tuple[int, ...]) -> int:
        side = self._mark_side(sizes)
        return side + round(side * MARK_GAP) if side else 0

    def _fit(self) -> None:
        """The largest candidate sizes whose wrapped lines fit the card (the smallest if
        none does); margins and spacing shrink with the headline, to half. A person's name
        too long for the room left at SMALL_SIZES ends in "…" there, rather than take the
        verdict below its floor; so do the store's words at PATH_FIRST. A word wider than
        the card even in the smallest type wraps between its letters."""
        for label, text in self.texts.items():  # a word broken or a name cut short for a
            label.setText(text)                 # smaller card is whole again
            label.setVisible(bool(text))        # and a details line given way is back
        self.name.setToolTip("")
        self.reason.setToolTip("")
        sizes, across, down, width, spacing, heights = self._choose()
        if not heights and self._break_long_words(sizes, width):
            sizes, across, down, width, spacing, heights = self._choose()
        if sizes[0] < READABLE_SIZES[0] and self.state in SPARE_DETAILS and not (
                self.path_first) and self.details.text():
            self.details.setText("")  # gives way before the headline goes below its floor
            self.details.setVisible(False)
            sizes, across, down, width, spacing, heights = self._choose()
        self.sizes = sizes
        top = down
        side, room = self._mark_side(sizes), self._mark_room(sizes)
        self.mark.setGeometry(across, top, side, side)
        for (label, index), (line_height, above) in zip(self._lines(), heights, strict=False):
            font = label.font()
            font.setPixelSize(sizes[index])
            label.setFont(font)
            label.setContentsMargins(0, above, 0, 0)
            indent = room if label is self.headline else 0
            if label is self.headline:  # beside the first line's letters, not their marks
                self.mark.move(across, top + above)
            label.setGeometry(across + indent, top, width - indent, line_height)
            top += line_height + spacing

    def _choose(self) -> tuple[tuple[int, ...], int, int, int, int, list[tuple[int, int]]]:
        """(sizes, margin across, margin down, text width, spacing, each line's height) of
        the first candidate that fits, else of the last; no heights: a word is too wide."""
        for sizes in self.candidate_sizes(self.path_first):
            scale = min(1.0, sizes[0] / TYPE_SIZES[0])
            across, down = (round(m * max(scale, 0.5)) for m in MARGINS)
            width, height = self.width() - 2 * across, self.height() - 2 * down
            spacing = round(SPACING * max(scale, 0.5))
            needed, heights = self._needed(sizes, width, spacing)
            cut = (self.name if sizes == SMALL_SIZES and self.name_elides else self.reason
                   if sizes == PATH_FIRST and self.path_first else None)
            if needed > height and heights and cut is not None and self._elide(
                    cut, sizes, width, height, spacing):
                needed, heights = self._needed(sizes, width, spacing)
            if needed <= height:
                break
        return sizes, across, down, width, spacing, heights

    def _elide(self, label: QLabel, sizes: tuple[int, ...], width: int, height: int,
               spacing: int) -> bool:
        """Cut ``label``'s words to the most whole words (else letters) that, ending in "…",
        let every line fit at ``sizes``, all of them in its tooltip; whether it did (not when
        even "…" alone does not fit). Only a person's name (whatever a code says, a forger's
        too: it must never push the verdict below the size it is read at from arm's length)
        or the store's words (the technician's, the officer's told above them: call the
        technician, use the paper list) — never a refusal's plain words, which the officer
        needs whole."""
        full = label.text()
        if not full:
            return False
        words = full.split(" ")
        shorter = [" ".join(words[:count]) for count in range(1, len(words))]
        if not shorter or not self._fits(label, shorter[0] + ELLIPSIS, sizes, width, height,
                                         spacing):
            shorter = [full[:count].rstrip() for count in range(1, len(full))]
        low, high, best = 0, len(shorter) - 1, ""
        while low <= high:  # longer prefixes wrap onto as many lines or more
            middle = (low + high) // 2
            text = shorter[middle].rstrip(",;:") + ELLIPSIS
            if self._fits(label, text, sizes, width, height, spacing):
                best, low = text, middle + 1
            else:
                high = middle - 1
        label.setText(best or full)
        label.setToolTip(full if best else "")
        return bool(best)

    def _fits(self, label: QLabel, text: str, sizes: tuple[int, ...], width: int, height: int,
              spacing: int) -> bool:
        label.setText(text)
        return self._needed(sizes, width, spacing)[0] <= height

    def _break_long_words(self, sizes: tuple[int, ...], width: int) -> bool:
        """Let each word wider than the card at ``sizes`` (no name has one; a forged code
        can) wrap between any two letters, rather than be cut off at the card's edge with
        the lines under it left where the previous answer had them; whether any did."""
        changed = False
        for label, index in self._lines():
            font = label.font()
            font.setPixelSize(sizes[index])
            metrics = QFontMetrics(font)
            room = width - (self._mark_room(sizes) if label is self.headline else 0)
            text = "".join(_breakable(part) if n % 2 and metrics.horizontalAdvance(part)
                           > room else part for n, part in enumerate(
                               _WORD.split(label.text())))  # odd parts: the words
            if text != label.text():
                label.setText(text)
                changed = True
        return changed

    # -- the store's words cut short, unfolded by a tap --------------------------------------
    @property
    def cut(self) -> bool:
        """The reason line's words end in "…", all of them in its tooltip only."""
        return bool(self.reason.toolTip())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A tap (a touch panel's, made a mouse press by Qt) anywhere on the card unfolds the
        store's words cut short, or folds them back; elsewhere it is the card's as before
        (it takes the keyboard: the card is the scan target)."""
        if event.button() == Qt.MouseButton.LeftButton and (self.unfolded or self.cut):
            event.accept()
            if self.unfolded:
                self.fold()
            else:
                self.unfold()
            return
        super().mousePressEvent(event)

    def unfold(self) -> None:
        """Show the store's words cut short whole (see the module's docstring), for
        :data:`UNFOLDED_SECONDS`; nothing when they are not cut."""
        if self.unfolded or not self.cut:
            return
        self.unfolded = True
        self.fold_timer.start()
        self._render()

    def fold(self) -> None:
        """The store's words back as the card fits them, the officer's words above them."""
        if self._folded():
            self._render()

    def _folded(self) -> bool:
        """Fold without showing it (what is shown next is about to be rendered); whether the
        words were unfolded."""
        self.fold_timer.stop()
        unfolded, self.unfolded = self.unfolded, False
        return unfolded

    # -- what to show ---------------------------------------------------------------------
    def show_result(self, result: ScanResult, hold_seconds: float | None = None) -> None:
        """Show now, and paint now: the officer is waiting for this colour. After
        ``hold_seconds`` (None: until the next result) the card is READY again, saying only
        when the previous scan was and its headline, never whose it was: an answer left up
        would be read as the answer for whoever stands there next. A red answer replaced
        sooner than :data:`RED_SEEN_SECONDS` is named by the answer that replaced it (not
        when that is the same person's: :func:`same_person`, :func:`own_retry`), and
        by the next while that one too is replaced sooner: with answers held 15 s, a
        queue's card is seldom READY between people, and the note stayed on every
        answer after it."""
        now = time.monotonic()
        if self.missed is not None and (now - self._shown_at >= RED_SEEN_SECONDS
                                        or self._own_answer(self.missed, result)):
            self.missed = None  # its note stood its time, or the refused person came back
        if self.result is not None and self.state in RED and (
                now - self._shown_at < RED_SEEN_SECONDS) and not self._own_answer(
                self.result, result):
            self.missed = self.result
        self._shown_at = now
        self.result = result
        self.saving = False
        self._folded()
        if result.scan is self.awaiting:
            self.awaiting = None
            self._saving.stop()
        elif self.awaiting is not None and not self._saving.isActive():
            self._saving.start()  # a later scan is still waiting for its answer
        self._render()
        self.repaint()
        if hold_seconds is None:
            self._hold.stop()
        else:
            self._hold.start(round(hold_seconds * 1000))

    @staticmethod
    def _own_answer(refused: ScanResult, result: ScanResult) -> bool:
        """``result`` is the refused person's own next answer: no one else to check."""
        return same_person(refused, result) or own_retry(refused, result)

    def scan_begun(self, scan: Scan) -> None:
        """A scan was taken up: if its answer has not come within :data:`SAVING_AFTER_MS`
        (another program holding the store makes it wait up to 5 s), the card says it is
        being saved, not recorded yet — not the previous person's answer, nor READY, which
        would send the next person forward."""
        self.awaiting = scan
        if not self._saving.isActive():
            self._saving.start()

    def _show_saving(self) -> None:
        if self.awaiting is None or self.saving:
            return
        self.saving = True
        self._folded()
        self._hold.stop()
        if self.result is not None:
            self.previous, self.result = self.result, None
        self._render()
        self.repaint()

    def set_refusing(self, refusing: messages.Words | None) -> None:
        """The store records no scan (its file deleted, replaced or damaged, or the last
        write failed: its disk full or read-only, another program holding its write lock) —
        or, with None, records them again: between answers the card reads NOT RECORDED, red
        with a cross, and why, instead of READY. An
        officer at a queue must see at once that nothing is recorded, not learn it from the
        next person's refused scan. A green answer gives way to it at once: left up for its
        hold, it tells the queue "recorded, go on" while nothing more is; any other answer
        (a refusal, a certificate to act on) keeps its hold."""
        if refusing == self.refusing:
            return
        self.refusing = refusing
        if self.result is None:
            self._folded()
            self._render()
        elif refusing is not None and self.state in GREEN:
            self._hold.stop()
            self._held()

    def set_scanners_away(self, away: tuple[str, messages.Words | str] | None) -> None:
        """No scanner can take a scan — ``away``: the first one's id and why (unplugged, not
        found, failing, a wedge without the keyboard) — or, with None, one can again: between
        answers the card reads SCANNER NOT CONNECTED, amber, with why, instead of READY,
        which would send the queue to scan into nothing. An answer shown keeps its hold."""
        if away == self.scanners_away:
            return
        self.scanners_away = away
        if self.result is None and not self.saving:
            self._folded()
            self._render()

    def _held(self) -> None:
        self.previous, self.result, self.missed = self.result, None, None
        self._folded()
        self._render()

    def set_language(self, language: str) -> None:
        self.language = language
        self._render()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._render()
        super().changeEvent(event)

    def _render(self) -> None:
        result = self.result
        if result is not None:
            state, headline, name, details, reason = self._answer(result)
            if self.missed is not None:
                at = dt.datetime.fromtimestamp(self.missed.scan.wall_time, self.timezone)
                reason = " ".join(part for part in (messages.text(
                    "card.missed_red", self.language, time=at.strftime("%H:%M:%S"),
                    headline=self.in_short(self.missed)), reason) if part)
            self._fill(state, headline, name, details, reason)
            return
        path, why = self._path_apart(self.refusing) if self.refusing is not None else ("", "")
        if self.saving:  # and why it is slow, when the store's poll knows
            self._fill(SAVING, messages.text("card.saving", self.language),
                       messages.text("card.saving_wait", self.language), path, why)
            return
        if self.refusing is not None:
            self._fill(REJECTED, self.tr("NOT RECORDED"),
                       self.tr("The kiosk records no scan. Call the technician; use the "
                               "paper list meanwhile."), path, why)
            return
        if self.scanners_away is not None:
            device, why = self.scanners_away
            self._fill(NO_SCANNER, self.tr("SCANNER NOT CONNECTED"),
                       self.tr("Codes cannot be read now. Check the scanner, or call the "
                               "technician; use manual entry meanwhile."), "",
                       ": ".join(part for part in (
                           device, messages.worded(why, self.language)) if part))
            return
        previous = ""
        if self.previous is not None:
            at = dt.datetime.fromtimestamp(self.previous.scan.wall_time, self.timezone)
            previous = self.tr("Previous scan, at %1: %2").replace(
                "%1", at.strftime("%H:%M:%S")).replace("%2", self.in_short(self.previous))
        self._fill(IDLE, self.tr("READY"), self.tr("Scan a QR code, or use manual entry"), "",
                   previous)

    def in_short(self, result: ScanResult) -> str:
        """A previous answer as the READY card recalls it: its headline, but a certificate's
        only as the recent list notes it (CHECK when its card was red, else what was
        recorded). The queue sees this card: health data is for the person's own answer."""
        state, headline = self._answer(result)[:2]
        if state in (CERTIFICATE_STATES[verdicts.BAD], CERTIFICATE_REFUSED):
            return self.tr("CHECK")
        if state in CERTIFICATE_STATES.values():
            return messages.text("certificate_recorded", self.language,
                                 direction=self._direction_word(result.direction))
        return headline

    def in_full(self, result: ScanResult) -> str:
        """The card's answer to ``result`` on one line — its headline and the words under
        it (the person's name, or what to do) — for the manual-entry form, which covers the
        card: the officer reads the answer where they are looking."""
        headline, words = self._answer(result)[1:3]
        return " — ".join(part for part in (headline, words) if part)

    def state_of(self, result: ScanResult) -> str:
        """The state (colour) of the card that answers ``result``."""
        return self._answer(result)[0]

    def _answer(self, result: ScanResult) -> tuple[str, str, str, str, str]:
        """(state, headline, name, details, reason): the card that answers ``result``."""
        identity = result.identity
        name = (identity.name or "") if identity else ""
        direction = self._direction_word(result.direction)
        kind = messages.kind_name(identity.kind, self.language) if identity else ""
        when = dt.datetime.fromtimestamp(result.scan.wall_time, self.timezone).strftime("%H:%M:%S")
        details = " · ".join(p for p in (result.display_document, kind, direction, when) if p)
        verdict = result.certificate
        if verdict is not None and (
                result.reason_code in ("accepted", "certificate_not_valid")
                or (result.status is Status.DUPLICATE and verdict.severity == verdicts.BAD)):
            return self._certificate(result, verdict, direction, when)
        if result.names_nobody:
            return (NOT_ID, messages.text("card.not_id", self.language, direction=direction),
                    messages.text("card.not_id_ask", self.language), details, "")
        if result.status is Status.ACCEPTED:
            headline = (self.tr("OUT — ACCEPTED") if result.direction is Direction.OUT
                        else self.tr("IN — ACCEPTED"))
            return ACCEPTED, headline, name or self.tr("(no name in this code)"), details, ""
        if result.status is Status.DUPLICATE:
            again = (self.tr("Recorded again.") if result.recorded
                     else self.tr("Not recorded again."))
            if not result.recorded:  # "VÀO · 13:51:04" alone reads as an entry made then
                details = " · ".join((details, self.tr("not recorded")))
            if verdict is not None:
                again += " " + messages.certificate_line(verdict.status, verdict.kind,
                                                         verdict.facts, self.language)
            return DUPLICATE, self._already_scanned(result), name, details, again
        headline, plain, technical = self._refusal(result)
        details = details if identity else when
        path, why = self._store_said(result)
        if why:  # the headline says NOT RECORDED: the store's own words, its path apart
            return REJECTED, headline, plain, " · ".join(p for p in (details, path) if p), why
        return REJECTED, headline, plain, details, technical

    def _store_said(self, result: ScanResult) -> tuple[str, str]:
        """(the store's path, its words after it) of a scan the store refused: the reason
        less the prefix ("Storage error, scan NOT recorded:") that the headline says, for
        logs and commands, which have no headline; ("", "") for any other answer."""
        said = result.words
        detail = said.params.get("detail") if said and said.code == "storage_error" else None
        if not isinstance(detail, messages.Words):
            return "", ""
        return self._path_apart(detail)

    def _path_apart(self, said: messages.Words) -> tuple[str, str]:
        """(the store's path, its words after it) of why the store records no scan, for the
        details line (fine print first) and the reason line (read from arm's length)."""
        words = said(self.language)
        path = str(said.params.get("path", ""))
        if path and words.startswith(path + ": "):  # the path kept on one line if it fits
            words = words[len(path) + 2:]
            return re.sub("([-/.])", "\\1\u2060", path), words[:1].upper() + words[1:]
        return "", words

    def _certificate(self, result: ScanResult, verdict: verdicts.Verdict, direction: str,
                     when: str) -> tuple[str, str, str, str, str]:
        """What the officer must know first (its colour), then the name and birth date to
        compare with an ID card, then what was recorded. A bad certificate scanned again
        keeps its red card: "already scanned" goes under it, never over it."""
        language = self.language
        identity = result.identity
        name = verdict.facts.get("name") or (identity.name if identity else "") or ""
        details = " · ".join(part for part in [*messages.certificate_details(
            verdict.status, verdict.kind, verdict.facts, language), direction, when] if part)
        refused = result.reason_code == "certificate_not_valid"
        headline, underneath = messages.certificate_answer(verdict, language,
                                                           recorded=not refused)
        outcome = [underneath] if underneath else []
        if refused:
            outcome.append(messages.text("certificate_refused", language))
        elif result.status is Status.DUPLICATE:
            outcome += [self._already_scanned(result), self.tr("Recorded again.")
                        if result.recorded else self.tr("Not recorded again.")]
        else:
            outcome.append(messages.text("certificate_recorded", language,
                                         direction=direction))
        state = CERTIFICATE_REFUSED if refused else CERTIFICATE_STATES[verdict.severity]
        return (state, headline, name or self.tr("(no name in this code)"), details,
                " · ".join(outcome))

    def _direction_word(self, direction: Direction | None) -> str:
        if direction is None:
            return ""
        return self.tr("OUT") if direction is Direction.OUT else self.tr("IN")

    def _already_scanned(self, result: ScanResult) -> str:
        previous = result.previous_wall_time
        minutes = int((result.scan.wall_time - previous) // 60) if previous else 0
        if minutes < 1:
            return self.tr("ALREADY SCANNED UNDER A MINUTE AGO")
        return self.tr("ALREADY SCANNED %n MIN AGO", "", minutes)

    def _refusal(self, result: ScanResult) -> tuple[str, str, str]:
        """(headline, what happened in plain words, the technical reason to pass on); a
        certificate's verdict leads the words, whatever the refusal: a forged or positive
        one is still to be acted on (on the paper list, or before a manual entry)."""
        code = result.reason_code
        if code in NOT_RECORDED:
            headline = self.tr("NOT RECORDED")
            plain = self.tr("Call the technician; use the paper list meanwhile.")
        elif code == "code_cut":  # a fragment (a cable pulled, a code cut off): not recorded
            headline = self.tr("SCAN AGAIN")
            plain = self.tr("The code was not read whole, nothing was recorded. Scan it again.")
        else:
            headline = self.tr("REFUSED")
            plain = {
                "empty": self.tr("The code is empty. Ask the person to show it again."),
                "too_large": self.tr("This is not a QR code the kiosk can read."),
                "cccd_bad_field": self.tr("This citizen ID code is damaged or not genuine."),
                "pccovid_bad_field": self.tr("This PC-Covid code is damaged or not genuine."),
                "scanner_code_page": messages.text("card.scanner_code_page", self.language),
                "manual_bad_field": self.tr("The manual entry is incomplete."),
            }.get(code, self.tr("This code cannot be accepted.")) + " " + self.tr(
                "Ask for another code, or use manual entry.")
        verdict = result.certificate
        if verdict is not None:
            plain = messages.certificate_line(verdict.status, verdict.kind, verdict.facts,
                                              self.language) + " — " + plain
        return headline, plain, result.reason_in(self.language)

    def _fill(self, state: str, headline: str, name: str, details: str, reason: str) -> None:
        self.state = state
        background, foreground = COLOURS[state]
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(background))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(foreground))
        self.setPalette(palette)  # a palette, not a style sheet: no re-polish on every scan
        self.name_elides = state not in (IDLE, REJECTED, SAVING, NO_SCANNER, NOT_ID)  # words
        self.path_first = bool(reason) and (
            (self.result is None and self.refusing is not None and state in (REJECTED, SAVING))
            or (self.result is not None and state == REJECTED
            and bool(self._store_said(self.result)[1])))
        if self.unfolded and self.path_first:  # the store's words whole, in their place
            name = ""
        self.texts = {label: one_paragraph(text) for label, text in (
            (self.headline, headline), (self.name, name), (self.details, details),
            (self.reason, reason))}
        self.mark.set_shape(MARKS.get(state, ""))
        for label, text in self.texts.items():
            label.setVisible(bool(text))
        self._fit()

    # -- latency probe --------------------------------------------------------------------
    def paintEvent(self, event: object) -> None:
        super().paintEvent(event)  # type: ignore[arg-type]
        if self.result is not None and self.result is not self._painted_result:
            self._painted_result = self.result
            self.painted_at = time.monotonic_ns()
            self.painted.emit(self.result)
