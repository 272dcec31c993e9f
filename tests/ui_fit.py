"""What "fits" means on a kiosk screen, measured on real widgets after layout.

Every visible label and button is measured with QFontMetrics on its own font, its actual
text and its actual rectangle (the word-wrapped height for wrapping labels); a text larger
than its rectangle is cut off on screen. So is an empty text field's placeholder (the hint
saying what to type), and a table's column titles. A table shows at least
``MIN_TABLE_ROWS`` whole rows (one row peeking out of a list is no list). Visible labels and
buttons (and lists and tables: a layout squeezed below its minimum draws its rows of buttons
over them) must not overlap one another, and everything pressed must be at least a touch
target (kiosk.ui.metrics): tabs and a tab bar's scroll arrows too.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStyle,
    QTabBar,
    QTableView,
    QWidget,
)
from ui_support import settle

from kiosk.ui.metrics import touch_pixels

BUTTON_PADDING = 8
"""Horizontal room a button's style keeps around its text (Fusion: 2 × 4 px at least)."""
LINE_EDIT_PADDING = 4
"""QLineEdit's own horizontal margin around its text (2 px a side), besides the frame."""
MIN_TABLE_ROWS = 3


def _plain(label: QLabel) -> str:
    text = label.text()
    if label.textFormat() == Qt.TextFormat.RichText or (
            label.textFormat() == Qt.TextFormat.AutoText and "<" in text):
        document = QTextDocument()
        document.setHtml(text)
        return document.toPlainText()
    return text


def _name(widget: QWidget) -> str:
    return widget.objectName() or type(widget).__name__


def label_problem(label: QLabel) -> str | None:
    text = _plain(label)
    if not text.strip():
        return None
    metrics = QFontMetrics(label.font())
    margin = label.margin() * 2 + max(label.indent(), 0)
    area = label.contentsRect().adjusted(0, 0, -margin, -margin)
    if label.wordWrap():
        needed = metrics.boundingRect(QRect(0, 0, area.width(), 100_000),
                                      int(label.alignment()) | Qt.TextFlag.TextWordWrap, text)
    else:
        needed = metrics.boundingRect(QRect(0, 0, 100_000, 100_000), int(label.alignment()),
                                      text)
    # The rectangle measure counts the leading under the last line, which is never inked.
    slack = max(1, metrics.leading())
    if needed.width() > area.width() or needed.height() - slack > area.height():
        return (f"label {_name(label)} {text!r}: needs {needed.width()}×{needed.height()}, "
                f"has {area.width()}×{area.height()}")
    return None


def wrapped_lines(label: QLabel) -> list[str]:
    """The lines a word-wrapping plain-text label draws its text in at its present width."""
    text = label.text()
    layout = QTextLayout(text, label.font())
    option = QTextOption(label.alignment())
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    width = label.contentsRect().width() - label.margin() * 2 - max(label.indent(), 0)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        lines.append(text[line.textStart():line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


def button_problem(button: QAbstractButton, touch: int) -> str | None:
    size = button.size()
    if min(size.width(), size.height()) < touch:
        return f"button {_name(button)} {button.text()!r}: {size.width()}×{size.height()} " \
               f"is smaller than a {touch} px touch target"
    text = button.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if text:
        width = QFontMetrics(button.font()).horizontalAdvance(text) + BUTTON_PADDING
        if width > size.width():
            return f"button {_name(button)} {text!r}: needs {width} px, has {size.width()}"
    return None


def placeholder_problem(edit: QLineEdit) -> str | None:
    hint = edit.placeholderText()
    if edit.text() or not hint:
        return None
    frame = edit.style().pixelMetric(QStyle.PixelMetric.PM_DefaultFrameWidth, None, edit)
    margins = edit.textMargins()
    room = (edit.width() - 2 * frame - LINE_EDIT_PADDING - margins.left() - margins.right()
            - (edit.height() if edit.isClearButtonEnabled() else 0))  # the clear button
    needed = QFontMetrics(edit.font()).horizontalAdvance(hint)
    if needed > room:
        return f"text field {_name(edit)} hint {hint!r}: needs {needed} px, has {room}"
    return None


def edit_problem(edit: QLineEdit) -> str | None:
    """A text field shorter than its own text needs, or taller than the box it sits in (a
    spin box or combo box squeezed below its field: the digits are cut in half)."""
    if edit.height() < edit.minimumSizeHint().height():
        return f"text field {_name(edit)}: {edit.height()} px high, its text needs " \
               f"{edit.minimumSizeHint().height()}"
    box = edit.parentWidget()
    if isinstance(box, QAbstractSpinBox | QComboBox) and not box.rect().contains(
            edit.geometry()):
        return f"text field of {_name(box)} {edit.text()!r} is cut off: {edit.geometry()} " \
               f"does not fit in {box.rect()}"
    return None


def tab_problems(bar: QTabBar, touch: int) -> list[str]:
    """Tabs are pressed like buttons: each at least a touch target high."""
    return [f"tab {bar.tabText(index)!r}: {bar.tabRect(index).height()} px high, smaller "
            f"than a {touch} px touch target" for index in range(bar.count())
            if bar.isTabVisible(index) and bar.tabRect(index).height() < touch]


def table_problems(table: QTableView) -> list[str]:
    problems = []
    rows = table.viewport().height() // max(1, table.verticalHeader().defaultSectionSize())
    if rows < MIN_TABLE_ROWS:
        problems.append(f"table {_name(table)} shows {rows} whole row(s), fewer than "
                        f"{MIN_TABLE_ROWS}: {table.viewport().height()} px high")
    header = table.horizontalHeader()
    if header.isVisible():
        metrics = QFontMetrics(header.font())
        for column in range(header.count()):
            if header.isSectionHidden(column):
                continue
            title = str(table.model().headerData(column, Qt.Orientation.Horizontal) or "")
            width = header.sectionSize(column)
            if title and metrics.horizontalAdvance(title) + BUTTON_PADDING > width:
                problems.append(f"table {_name(table)} column title {title!r} is cut off: "
                                f"{width} px wide")
    return problems


def _scroll_view(widget: QWidget, window: QWidget) -> QRect | None:
    """The visible part of the scroll area ``widget`` is in (None: not in one). What lies
    outside it is reachable by scrolling, not cut off."""
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        if isinstance(parent, QScrollArea):
            view = parent.viewport()
            return QRect(view.mapTo(window, view.rect().topLeft()), view.size())
        parent = parent.parentWidget()
    return None


def touch_target(window: QWidget) -> int:
    """The touch size the kiosk's main window applies (from ``[kiosk] screen_dpi`` or the
    screen), for it and its dialogs; else what the screen alone gives."""
    widget: QWidget | None = window
    while widget is not None:
        targets = getattr(widget, "touch", None)
        if targets is not None:
            return targets.pixels
        widget = widget.parentWidget()
    return touch_pixels(window.screen())


def fit_problems(window: QWidget) -> list[str]:
    """Everything that does not fit on ``window`` as it is laid out now (empty: all fits)."""
    touch = touch_target(window)
    problems: list[str] = []
    shown: list[tuple[QWidget, QRect]] = []
    frame = window.rect()
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window):
            continue
        if isinstance(widget, QLineEdit):
            problems += [p for p in [placeholder_problem(widget), edit_problem(widget)] if p]
        elif isinstance(widget, QTableView) and _scroll_view(widget, window) is None:
            problems += table_problems(widget)
        if isinstance(widget, QTabBar):
            problems += tab_problems(widget, touch)
        if not isinstance(widget, QLabel | QAbstractButton | QAbstractItemView):
            continue  # lists and tables take part in the overlap check below
        problem = (label_problem(widget) if isinstance(widget, QLabel)
                   else button_problem(widget, touch) if isinstance(widget, QAbstractButton)
                   else None)
        if problem:
            problems.append(problem)
        place = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
        view = _scroll_view(widget, window)
        if view is not None:  # scrolls up and down, never sideways
            if place.left() < view.left() or place.right() > view.right():
                problems.append(f"{_name(widget)} runs past the side of its scroll area: "
                                f"{place} beyond {view}")
            place = place.intersected(view)
        elif not frame.contains(place):
            problems.append(f"{_name(widget)} lies outside the window: {place} not in {frame}")
        parent = widget.parentWidget()
        if parent is not None and not parent.rect().contains(widget.geometry()):
            problems.append(f"{_name(widget)} is clipped by {_name(parent)}: "
                            f"{widget.geometry()} not in {parent.rect()}")
        if not place.isEmpty():
            shown.append((widget, place))
    for index, (first, place) in enumerate(shown):
        for second, other in shown[index + 1:]:
            related = first.isAncestorOf(second) or second.isAncestorOf(first)
            arrows = isinstance(first.parent(), QTabBar) and first.parent() is second.parent()
            if arrows and place.intersected(other).width() <= 1:
                continue  # a tab bar's scroll arrows share their border
            if not related and place.intersects(other):
                problems.append(f"{_name(first)} overlaps {_name(second)}")
    return problems


def lay_out(window: QWidget, size: tuple[int, int]) -> list[str]:
    """The kiosk's main window fitted to a ``size`` screen: what does not fit there."""
    window.fit_to(QSize(*size))
    settle()
    problems = fit_problems(window)
    if window.size() != QSize(*size):
        problems.insert(0, f"the window cannot shrink to {size}: it is {window.size()}")
    return problems
