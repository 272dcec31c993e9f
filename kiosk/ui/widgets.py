"""Small reusable widgets: count tiles, the per-hour chart, the direction toggle, device
badges and a camera frame view. Each knows how to re-translate itself and nothing else."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPen,
    QPixmap,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QBoxLayout,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kiosk.messages import Words, worded
from kiosk.ui.i18n import counted, screen_language

OUTLINE_READ, OUTLINE_UNREAD = "#00e676", "#ffab00"
STATE_COLOURS = {
    "connected": "#2e7d32", "waiting": "#f9a825", "unfocused": "#f9a825", "error": "#c62828",
    "finished": "#607d8b", "stopped": "#607d8b",
}


_SPACES = re.compile("[^\\S\u00a0]+")
"""A run of white space other than no-break spaces."""


def one_paragraph(text: str) -> str:
    """``text`` as one paragraph that only wraps: its line breaks and runs of white space read
    as one space. A name is whatever a code's maker (a forger, say) wrote: a hundred line
    breaks would take the card's height (its fit would shrink "check documents" to a few
    pixels to make room) or leave a list's cell showing one line of them. A no-break space
    stays one: the catalogue keeps "HỢP LỆ" together with one, never split over two lines
    (480×800 read "VÀO — HỢP" over "LỆ")."""
    return _SPACES.sub(" ", text).strip(" ")


def headroom(metrics: QFontMetrics, text: str) -> int:
    """Pixels the ink of ``text`` rises above the font's ascent, where a label's first line
    starts: Vietnamese capitals stack two marks (Ẵ, Ầ, Ễ, Ồ reach 64–67 px of a 60 px DejaVu
    Sans Bold, whose ascent is 56), and a label as high as its lines cuts them off: "SẴN
    SÀNG" read "SĂN SÀNG" (hunt), "TRẦN THỊ HẰNG" read "TRÂN THỊ HĂNG", "ĐỒNG HỒ SAI"
    "ĐÔNG HÔ SAI"."""
    return max(0, -metrics.tightBoundingRect(text).top() - metrics.ascent())


def pixel_font(widget: QWidget, pixels: int, *, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font


def scrolling(widget: QWidget) -> QScrollArea:
    """``widget`` in a frameless vertical scroll area: a form taller than a 7" screen scrolls
    rather than pushing the window off the screen or squashing its lines."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return area


GROWTH = 1.6
"""The most a screen's type grows over its size on :data:`BASE_SCREEN` (full HD, a portrait
totem): the answer is read from further away there."""
BASE_SCREEN = (1280, 800)
"""The screen the type sizes are set for (the card's ``TYPE_SIZES`` too)."""


def growth(screen: QSize) -> float:
    """How much larger than on :data:`BASE_SCREEN` the officer screen's type around the card
    (its right column, the status line) is on ``screen``, either way up: as much as both its
    sides allow, 1.35 on full HD, at most :data:`GROWTH`, never smaller — a 7" panel has its
    own compact sizes. At 16 px the counts' captions and the lanes were 4 mm on a 24" full-HD
    screen, read at arm's length."""
    long, short = max(screen.width(), screen.height()), min(screen.width(), screen.height())
    return max(1.0, min(long / BASE_SCREEN[0], short / BASE_SCREEN[1], GROWTH))


NARROW_WIDTH = 640
"""Below this width (a portrait 7" panel: 480 px, a portrait 1024×600 one: 600 px) rows of
buttons and side-by-side panes stack instead of squeezing their words."""


def stack_when_narrow(layout: QBoxLayout, width: int) -> None:
    layout.setDirection(QBoxLayout.Direction.TopToBottom if width < NARROW_WIDTH
                        else QBoxLayout.Direction.LeftToRight)


def keep_rows_visible(table: QTableView, rows: int) -> None:
    """Never let a layout squeeze ``table`` below ``rows`` whole rows under its titles: a
    list showing one row is no list (the layout takes the room from what scales instead)."""
    frame = table.frameWidth() * 2
    header = table.horizontalHeader().sizeHint().height() if \
        table.horizontalHeader().isVisibleTo(table) else 0
    sideways = 0 if table.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff \
        else table.horizontalScrollBar().sizeHint().height()
    table.setMinimumHeight(frame + header + sideways
                           + rows * table.verticalHeader().defaultSectionSize())


class TouchTargets(QObject):
    """Installed on the application: every button, check box, combo box, number box and
    text field is made at least ``pixels`` tall (and buttons as wide, a check box's square
    60 % of it; tabs too, and a tab bar's scroll arrows as wide) when first polished,
    whichever screen or dialog creates it; larger minimums set by a screen are kept.

    The text field inside a number or combo box is left to its box: made touch-tall on its
    own, it would stand taller than the box and show its digits cut in half."""

    KINDS = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit)
    BOXES = (QAbstractSpinBox, QComboBox)
    PROPERTY = "touch_pixels"
    """Set on each widget it sized: a screen that later changes a minimum keeps this floor."""

    def __init__(self, pixels: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pixels = pixels

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Polish and isinstance(watched, self.KINDS) and not (
                isinstance(watched, QLineEdit)
                and isinstance(watched.parentWidget(), self.BOXES)):
            watched.setProperty(self.PROPERTY, self.pixels)
            watched.setMinimumHeight(max(watched.minimumHeight(), self.pixels))
            if isinstance(watched, QPushButton):
                watched.setMinimumWidth(max(watched.minimumWidth(), self.pixels))
            if isinstance(watched, QCheckBox) and not watched.styleSheet():
                side = self.indicator_pixels  # the box the finger aims at, not 13 px
                watched.setStyleSheet(
                    f"QCheckBox::indicator {{ width: {side}px; height: {side}px; }}")
        elif event.type() == QEvent.Type.Polish and isinstance(watched, QTabBar) and \
                not watched.styleSheet():  # tabs and their scroll arrows are pressed too
            side = self.pixels
            watched.setStyleSheet(
                f"QTabBar::tab {{ min-height: {side}px; padding: 0 8px; }}"
                f" QTabBar::scroller {{ width: {2 * side}px; }}"
                f" QTabBar QToolButton {{ width: {side}px; }}")
        return False

    @property
    def indicator_pixels(self) -> int:
        """A check box's square: 60 % of a touch target (26 px of 44, 37 of 61)."""
        return round(self.pixels * 0.6)


class ElidedLabel(QLabel):
    """One line that ends in "…" when its room is too narrow, the whole text in its tooltip:
    a long checkpoint name shortens itself rather than squeeze the buttons beside it or
    push the screen down a line. With ``smallest`` (px), it first gives up size down to
    that, keeping its words: a lane's name ("— làn 2") lost its end on a 7" panel. With
    ``lines=2``, at that size it then breaks between two words onto a second line (as
    even as it can), and only that line ends in "…": a province's checkpoint name read
    "Chốt kiểm soát Cầu Giấy số 3 — c…" at 800×480, where two lines take no more height
    than the buttons beside them."""

    def __init__(self, parent: QWidget | None = None, *, smallest: int = 0,
                 lines: int = 1) -> None:
        super().__init__(parent)
        self.full_text = ""
        self.smallest = smallest
        self.lines = lines
        self.base_font = self.font()
        """The font set (:meth:`setFont`): the room it asks for is measured in it."""

    def setFont(self, font: QFont) -> None:
        self.base_font = QFont(font)
        super().setFont(font)
        self.updateGeometry()
        self._elide()

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self.updateGeometry()
        self._elide()

    @staticmethod
    def _width(text: str, font: QFont) -> int:
        """The room ``text`` needs in ``font``: its advance, or its ink where a glyph
        overhangs."""
        metrics = QFontMetrics(font)
        return max(metrics.horizontalAdvance(text),
                   metrics.boundingRect(QRect(0, 0, 100_000, 100), 0, text).width())

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        return QSize(self._width(self.full_text, self.base_font) + margins.left()
                     + margins.right(), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(QFontMetrics(self.base_font).horizontalAdvance("M…"),
                     super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width()
        font = QFont(self.base_font)
        size = font.pixelSize()
        while self._width(self.full_text, font) > room and 0 < self.smallest < size:
            size -= 1
            font.setPixelSize(size)
        if font != self.font():
            super().setFont(font)
        if self._width(self.full_text, font) <= room:
            self.setText(self.full_text)
        elif self.lines == 2 and " " in self.full_text.strip():
            first, second = self._two_lines(font)
            self.setText(first + "\n" + QFontMetrics(font).elidedText(
                second, Qt.TextElideMode.ElideRight, room))
        else:
            self.setText(QFontMetrics(font).elidedText(self.full_text,
                                                      Qt.TextElideMode.ElideRight, room))

    def _two_lines(self, font: QFont) -> tuple[str, str]:
        """The full text broken at the space that leaves its longer line shortest; the
        first line always fits (else the break moves left)."""
        room = self.contentsRect().width()
        words = self.full_text.split(" ")
        splits = [(" ".join(words[:cut]), " ".join(words[cut:]))
                  for cut in range(1, len(words))]
        fitting = [s for s in splits if self._width(s[0], font) <= room] or splits[:1]
        return min(fitting, key=lambda s: max(self._width(s[0], font),
                                              self._width(s[1], font)))


class SnugButton(QPushButton):
    """A push button as wide as its words and its frame need (never below the touch target
    TouchTargets sets as its minimum width), not Fusion's 80 px floor: the header's short
    "Sync" and "Close" gave up to 39 px each that the clock alert and the buttons beside them
    needed on a 7" screen in kiosk mode."""

    PADDING = 16
    """Room beside the words: what Fusion's own hint keeps (14–15 px at 17 px type)."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        words = self.fontMetrics().horizontalAdvance(self.text().replace("&", ""))
        return QSize(max(min(hint.width(), words + self.PADDING), self.minimumWidth()),
                     hint.height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class WrappingButton(QPushButton):
    """A push button whose words wrap onto a second line rather than run past its edges
    (a long Vietnamese caption in a 7" screen's narrow column). The words are in ``label``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label)

    def setFont(self, font: QFont) -> None:
        super().setFont(font)
        self.label.setFont(font)

    def set_caption(self, text: str) -> None:
        self.label.setText(text)
        self.setAccessibleName(text)


class ScanNotice(QLabel):
    """A band on top of a screen behind the PIN saying the answer to a scan recorded while
    it is open (``kiosk.ui.app``): the card is hidden there, the queue is not. Gone once
    the screen is left, since the card has the answer then."""

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWordWrap(True)
        self.setFont(pixel_font(parent, 20, bold=True))
        self.setStyleSheet("background: #fff3e0; padding: 6px;")
        self.hide()

    def say(self, text: str) -> None:
        self.setText(text)
        self.show()


class Retranslating(QWidget):
    """A widget whose texts come from ``retranslate``, called again on every language change."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        raise NotImplementedError


class CountTile(QFrame):
    """One big number with its caption (caption text is set by the owner, translated)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.value = QLabel("0")
        self.value.setFont(pixel_font(self, 40, bold=True))
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel()
        self.caption.setFont(pixel_font(self, 18))
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setWordWrap(True)  # "Đang ở trong" on a narrow 7" column
        layout.addWidget(self.value)
        layout.addWidget(self.caption)
        self.number = 0

    def set_value(self, value: int) -> None:
        """Shown grouped as the screen's language writes it (:func:`counted`), again when
        the language changes."""
        self.number = value
        self.value.setText(counted(value))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.value.setText(counted(self.number))
        super().changeEvent(event)

    def set_compact(self, compact: bool, grow: float = 1.0) -> None:
        """Smaller type for a short screen (the number stays the biggest thing on the tile),
        ``grow`` times larger on a large one."""
        self.value.setFont(pixel_font(self, round((28 if compact else 40) * grow), bold=True))
        self.caption.setFont(pixel_font(self, round((14 if compact else 18) * grow)))


class HourChart(QWidget):
    """Scans per hour of the local day, as bars; the current hour is highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: dict[int, int] = {}
        self.current_hour: int | None = None
        self.grow = 1.0
        """How much larger than 12 px the hours under the bars are (a large screen's)."""
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_counts(self, counts: dict[int, int], current_hour: int | None) -> None:
        self.counts = dict(counts)
        self.current_hour = current_hour
        self.update()

    def set_growth(self, grow: float) -> None:
        self.grow = grow
        self.update()

    def paintEvent(self, event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        label_height = round(18 * self.grow)
        area = QRectF(self.rect()).adjusted(4, 4, -4, -label_height)
        peak = max(self.counts.values(), default=0) or 1
        slot = area.width() / 24
        painter.setFont(pixel_font(self, round(12 * self.grow)))
        axis = self.palette().color(self.foregroundRole())
        for hour in range(24):
            count = self.counts.get(hour, 0)
            height = area.height() * count / peak
            bar = QRectF(area.left() + hour * slot + 1, area.bottom() - height, slot - 2, height)
            colour = "#1565c0" if hour == self.current_hour else "#64b5f6"
            painter.fillRect(bar, QColor(colour))
            if hour % 3 == 0:
                painter.setPen(axis)
                painter.drawText(QRectF(area.left() + hour * slot - 6, area.bottom() + 2,
                                        slot + 12, label_height - 2),
                                 Qt.AlignmentFlag.AlignHCenter, f"{hour:02d}")
        painter.setPen(QPen(axis, 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.end()


class DirectionToggle(Retranslating):
    """In / Out / Auto as three big exclusive buttons: what "toggle" lanes and manual entries
    record."""

    chosen = Signal(str)
    DIRECTIONS = ("in", "out", "auto")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QPushButton] = {}
        colours = {"in": "#1b7f3b", "out": "#1565c0", "auto": "#6a1b9a"}
        for direction in self.DIRECTIONS:
            button = QPushButton()
            button.setObjectName(f"direction_{direction}")
            button.setCheckable(True)
            button.setMinimumHeight(72)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the scan target keeps the keys
            button.setFont(pixel_font(self, 24, bold=True))
            button.setStyleSheet(
                f"QPushButton:checked {{ background: {colours[direction]}; color: white; }}")
            button.clicked.connect(lambda _c=False, d=direction: self.chosen.emit(d))
            self.group.addButton(button)
            layout.addWidget(button)
            self.buttons[direction] = button
        self.retranslate()

    def set_direction(self, direction: str) -> None:
        self.buttons[direction].setChecked(True)

    def set_compact(self, compact: bool, grow: float = 1.0) -> None:
        """Lower buttons for a short screen; words ``grow`` times larger on a large one."""
        for button in self.buttons.values():
            floor = int(button.property(TouchTargets.PROPERTY) or 0)  # never below 9 mm
            button.setMinimumHeight(max(52 if compact else 72, floor))
            button.setFont(pixel_font(self, round(24 * grow), bold=True))

    @property
    def direction(self) -> str:
        return next(d for d, b in self.buttons.items() if b.isChecked())

    def retranslate(self) -> None:
        self.buttons["in"].setText(self.tr("IN"))
        self.buttons["out"].setText(self.tr("OUT"))
        self.buttons["auto"].setText(self.tr("AUTO"))


def state_text(state: str) -> str:
    """A device state in the officer's words."""
    words = {
        "connected": QCoreApplication.translate("DeviceState", "connected"),
        "waiting": QCoreApplication.translate("DeviceState", "not connected"),
        "unfocused": QCoreApplication.translate("DeviceState", "waiting for focus"),
        "error": QCoreApplication.translate("DeviceState", "error"),
        "finished": QCoreApplication.translate("DeviceState", "finished"),
        "stopped": QCoreApplication.translate("DeviceState", "stopped"),
    }
    return words.get(state, state)


class DeviceBadge(QLabel):
    """● device-id: state, coloured; the reason (if any) in the tooltip, in the screen's
    language."""

    def __init__(self, device_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device_id = device_id
        self.state = "waiting"
        self.reason: Words | str = ""
        """The supervisor's words, or the window's own text (already in its language)."""
        self.setTextFormat(Qt.TextFormat.RichText)
        self._render()

    def set_status(self, state: str, reason: Words | str | None = "") -> None:
        self.state, self.reason = state, reason or ""
        self._render()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._render()
        super().changeEvent(event)

    def _render(self) -> None:
        colour = STATE_COLOURS.get(self.state, "#607d8b")
        self.setText(f'<span style="color:{colour}">●</span> {escape(self.device_id)}: '
                     f"{escape(state_text(self.state))}")
        self.setToolTip(worded(self.reason, screen_language()))


def frame_to_image(frame: Any, *, read: Iterable[Sequence[Sequence[float]]] = (),
                   unread: Iterable[Sequence[Sequence[float]]] = ()) -> QImage:
    """A BGR numpy frame (OpenCV's layout) as a QImage, with the codes read outlined in green
    and QR-shaped things that could not be read in amber (a hint to hold the code closer).

    Safe outside the GUI thread (QImage, unlike QPixmap, is not tied to it).
    """
    height, width = frame.shape[:2]
    layout = QImage.Format.Format_Grayscale8 if frame.ndim == 2 else QImage.Format.Format_BGR888
    image = QImage(frame.data, width, height, frame.strides[0], layout).copy()
    outlines = [(OUTLINE_READ, list(read)), (OUTLINE_UNREAD, list(unread))]
    if any(shapes for _, shapes in outlines):
        painter = QPainter(image)
        for colour, shapes in outlines:
            painter.setPen(QPen(QColor(colour), max(2, width // 200)))
            for outline in shapes:
                points = [QPointF(float(p[0]), float(p[1])) for p in outline]
                if len(points) >= 2:
                    painter.drawPolygon(QPolygonF(points))
        painter.end()
    return image


class FrameView(QLabel):
    """Shows the latest camera frame, scaled to fit; a placeholder text when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setStyleSheet("background: #263238; color: #cfd8dc;")
        self.image: QImage | None = None

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        if image is None or image.isNull():
            self.clear()
            return
        self.setPixmap(QPixmap.fromImage(image).scaled(
            self.size(), Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation))
