"""Manual entry for a person without a code: name, document number (Vietnamese, or another
country's), phone, address, reason — and the direction it is recorded in, shown and chosen
here: on a 7" screen the form covers the main screen's toggle.

The form is checked by the same rules the pipeline applies (``decode_manual``), each problem
shown next to its field in plain words; a valid form is recorded through
``pipeline.submit_manual`` off the GUI thread, so it is decided, stored and shown exactly like
a scan (kind ``manual``, direction from the officer's toggle, which this form's follows).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.payloads import Rejection
from kiosk.payloads.manual import ManualEntry, decode_manual
from kiosk.scan import ScanResult, Status
from kiosk.ui.bridge import KioskBridge
from kiosk.ui.i18n import screen_language
from kiosk.ui.result_card import COLOURS
from kiosk.ui.widgets import NARROW_WIDTH, DirectionToggle, pixel_font, scrolling

FIELDS = ("name", "document_number", "phone", "address", "reason")
CHECKED = ("name", "document_number", "phone")
STAND_IN_NAME, STAND_IN_PHONE = "Nguyễn Văn A", "0912345678"
WIDTH = 860
"""A comfortable width for the form, where the screen has it."""


class ManualEntryDialog(QDialog):
    recorded = Signal(object)
    """The ScanResult of the submitted entry."""
    direction_chosen = Signal(str)
    """The officer chose the direction here: the main screen's toggle follows."""

    def __init__(self, bridge: KioskBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ManualEntryDialog")
        self.bridge = bridge
        self.setModal(True)
        layout = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setFont(pixel_font(self, 24, bold=True))
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        fields = QWidget()
        form = self.form = QFormLayout(fields)
        form.setContentsMargins(0, 0, 0, 0)
        self.direction_label = QLabel()
        self.toggle = DirectionToggle()
        self.toggle.set_compact(True)
        for button in self.toggle.buttons.values():  # three in a portrait 7" form's width
            button.setFont(pixel_font(self, 18, bold=True))
        self.toggle.set_direction(bridge.kiosk.pipeline.operator_direction)
        self.toggle.chosen.connect(self._direction_chosen)
        form.addRow(self.direction_label, self.toggle)
        self.fields: dict[str, QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        for name in FIELDS:
            if name == "reason":
                combo = QComboBox()
                combo.setEditable(True)
                combo.setSizeAdjustPolicy(  # the longest reason must not widen the form
                    QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                combo.setMinimumContentsLength(12)
                edit = combo.lineEdit()
                self.reason_box = combo
                widget: QWidget = combo
            else:
                edit = QLineEdit()
                widget = edit
            edit.setObjectName(f"manual_{name}")
            edit.setFont(pixel_font(self, 20))
            self.fields[name] = edit
            self.labels[name] = QLabel()
            column = QVBoxLayout()
            column.addWidget(widget)
            if name == "document_number":  # another country's passport or ID card
                self.foreign = QCheckBox()
                self.foreign.setObjectName("manual_foreign")
                self.foreign.setFont(pixel_font(self, 18))
                column.addWidget(self.foreign)
            if name in CHECKED:
                error = QLabel()
                error.setObjectName(f"manual_{name}_error")
                error.setStyleSheet("color: #c62828;")
                error.setMinimumHeight(error.fontMetrics().height())  # room kept: no jumping
                error.setWordWrap(True)
                self.errors[name] = error
                column.addWidget(error)
            form.addRow(self.labels[name], column)
        # Tab goes name, number, phone, address, reason as typed from a paper, then the tick
        QWidget.setTabOrder(self.reason_box, self.foreign)
        self.scroll = scrolling(fields)
        layout.addWidget(self.scroll, 1)
        self.status = QLabel()
        self.status.setObjectName("manual_status")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.scan_notice = QLabel()  # a code scanned meanwhile: show_scan
        self.scan_notice.setObjectName("scan_notice")
        self.scan_notice.setWordWrap(True)
        layout.addWidget(self.scan_notice)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel = QPushButton()
        self.cancel.setObjectName("manual_cancel")
        self.cancel.clicked.connect(self.reject)
        self.submit = QPushButton()
        self.submit.setObjectName("manual_submit")
        self.submit.setDefault(True)
        self.submit.clicked.connect(self.record)
        for button in (self.cancel, self.submit):
            button.setMinimumHeight(56)
            button.setFont(pixel_font(self, 20, bold=True))
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.retranslate()
        self.fields["name"].setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: QShowEvent) -> None:
        """As wide as a form is comfortable (860 px) and as tall as all its fields, never
        wider or taller than the window it covers: on a 7" screen the fields scroll
        instead."""
        parent = self.parentWidget()
        if parent is not None:
            room = parent.window().size()
            self.form.setRowWrapPolicy(  # portrait 7": each label above its field
                QFormLayout.RowWrapPolicy.WrapAllRows if room.width() < NARROW_WIDTH
                else QFormLayout.RowWrapPolicy.DontWrapRows)
            width = min(WIDTH, room.width())
            self.layout().activate()
            fields = self.scroll.widget()
            inner = width - self.layout().contentsMargins().left() \
                - self.layout().contentsMargins().right()
            tall = fields.heightForWidth(inner) if fields.hasHeightForWidth() else \
                fields.sizeHint().height()
            # a scroll area hints at most 24 lines: ask for the fields' whole height
            hidden = max(0, tall - self.scroll.sizeHint().height() + 2 * self.scroll.frameWidth())
            self.resize(width, min(self.sizeHint().height() + hidden, room.height()))
            self.setMaximumSize(room)
        super().showEvent(event)

    def entry(self) -> ManualEntry:
        return ManualEntry(**{name: self.fields[name].text().strip() for name in FIELDS},
                           foreign=self.foreign.isChecked())

    def _direction_chosen(self, direction: str) -> None:
        self.toggle.set_direction(direction)
        self.direction_chosen.emit(direction)
        self._word_submit()

    def _field_message(self, field: str, problem: str) -> str:
        if problem == "made_up":
            return self.tr("This is not a real number (one digit repeated, or 1-2-3…). Ask "
                           "for the number on the person's document.")
        if problem == "document_digits":  # never the foreign tick: that is how it got in
            return self.tr("Digits only, yet not 9 or 12 of them (a CCCD has 12, a CMND 9): "
                           "a digit lost or doubled? Read the number on the document again.")
        if field == "document_number" and self.foreign.isChecked():
            return self.tr("Another country's document: 6 to 20 letters and digits, as "
                           "printed.")
        return {
            "name": self.tr("Enter the full name (at least 2 letters)."),
            "document_number": self.tr("9 or 12 digits, or a Vietnamese passport: a letter "
                                       "and 7–8 digits. A foreigner's document: tick "
                                       "\"Foreign document\"."),
            "phone": self.tr("A phone number starts with 0 or +84 and has 10–11 digits; a "
                             "foreign one starts with + and its country code."),
        }.get(field, "")

    def validate(self) -> bool:
        """Show every problem at once; True when the pipeline will accept the form.

        The rules are ``decode_manual``'s own: each field is tried on its own beside a valid
        stand-in for the others, so the officer sees all problems, not just the first.
        """
        for error in self.errors.values():
            error.clear()
        entry = self.entry()
        probes = {"name": ManualEntry(name=entry.name, phone=STAND_IN_PHONE)}
        if entry.document_number:
            probes["document_number"] = ManualEntry(name=STAND_IN_NAME,
                                                    document_number=entry.document_number,
                                                    foreign=entry.foreign)
        if entry.phone:
            probes["phone"] = ManualEntry(name=STAND_IN_NAME, phone=entry.phone)
        for field, probe in probes.items():
            refused = decode_manual(probe)
            if isinstance(refused, Rejection):
                self._show_error(field, self._field_message(field, refused.problem))
        if not entry.document_number and not entry.phone:
            for field in ("document_number", "phone"):
                self._show_error(field, self.tr("Enter a document number or a phone number."))
        return not isinstance(decode_manual(entry), Rejection)

    def _show_error(self, field: str, message: str) -> None:
        self.errors[field].setText(message)

    def record(self) -> None:
        if not self.validate():
            self.status.setText(self.tr("Please correct the fields marked in red."))
            return
        entry = self.entry()
        self.submit.setEnabled(False)
        self.status.setText(self.tr("Recording…"))
        self.bridge.record(lambda: self.bridge.kiosk.pipeline.submit_manual(entry),
                           done=self._recorded, failed=self._failed,
                           job="ui.job.manual_entry")

    def show_scan(self, words: str, state: str) -> None:
        """A code scanned while the form is open was answered as that person's scan (never
        typed into a field); the form is left as it was. The line replaces the last scan's,
        in the colours of the card that answers it (``state``): a refusal reads red."""
        background, foreground = COLOURS[state]
        self.scan_notice.setStyleSheet(f"background: {background}; color: {foreground}; "
                                       "font-weight: bold; padding: 4px;")
        self.scan_notice.setText(words)

    def _recorded(self, result: ScanResult) -> None:
        self.submit.setEnabled(True)
        self.recorded.emit(result)
        if result.status is Status.REJECTED:
            self.status.setText(result.reason_in(screen_language()))
            return
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.submit.setEnabled(True)
        self.status.setText(self.tr("Not recorded: %1").replace("%1", str(error)))

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Manual entry"))
        self.title.setText(self.tr("Manual entry — person without a code"))
        self.hint.setText(self.tr("Name, and a document number or a phone number, are "
                                  "required."))
        captions = {
            "name": self.tr("Full name"),
            "document_number": self.tr("ID / passport number"),
            "phone": self.tr("Phone"),
            "address": self.tr("Address"),
            "reason": self.tr("Reason"),
        }
        for name, caption in captions.items():
            self.labels[name].setText(caption)
        current = self.reason_box.currentText()
        self.reason_box.clear()
        self.reason_box.addItems(["", self.tr("No phone with them"), self.tr("Phone out of "
                                  "battery"), self.tr("Child"), self.tr("Code does not scan")])
        self.reason_box.setEditText(current)
        self.direction_label.setText(self.tr("Direction"))
        self.foreign.setText(self.tr("Foreign document"))  # a tick's words never wrap
        self.foreign.setToolTip(self.tr("Another country's passport or ID card"))
        self.cancel.setText(self.tr("Cancel"))
        self._word_submit()

    def _word_submit(self) -> None:
        """The button says what it records: "Record IN" / "Record OUT", the direction the
        card will show (AUTO: the kiosk decides, in or out, by who is inside)."""
        self.submit.setText({"in": self.tr("Record IN"), "out": self.tr("Record OUT")}.get(
            self.toggle.direction, self.tr("Record (IN/OUT automatic)")))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
