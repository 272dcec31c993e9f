"""A device editor generated from the device kinds' options (``kiosk.devices.registry``):
the same options, types, ranges and choices as config.toml, so the form can never drift
from the file's schema.

Keys are shown as they are written in config.toml (the technician reads both); what each
expects is written under its field, wrapped (a touch screen shows no tooltips, and a hint
inside the field is cut off on a 7" screen). ``device()`` validates with
``kiosk.config.validate_device``, so a refused value is named exactly as the file check
would name it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kiosk import config as config_mod
from kiosk.devices.kind import DeviceOptions
from kiosk.devices.registry import kinds
from kiosk.schema import Opt
from kiosk.ui.i18n import screen_language
from kiosk.ui.widgets import Retranslating

INT_LIMIT = 2**31 - 1


class Field:
    """One option's editor: the widget plus how to read and write it."""

    def __init__(self, widget: QWidget, get: Callable[[], Any], put: Callable[[Any], None],
                 changed: Any) -> None:
        self.widget, self.get, self.put, self.changed = widget, get, put, changed


def editor_for(opt: Opt) -> Field:
    types = opt.kinds
    if types == (bool,):
        box = QCheckBox()
        return Field(box, box.isChecked, lambda v: box.setChecked(bool(v)), box.toggled)
    if opt.choices is not None:
        combo = QComboBox()
        for choice in opt.choices:
            combo.addItem(_text(choice), choice)

        def put_choice(value: Any) -> None:
            index = combo.findData(value)
            combo.setCurrentIndex(index if index >= 0 else 0)
        return Field(combo, combo.currentData, put_choice, combo.currentIndexChanged)
    if types == (int,):
        spin = QSpinBox()
        spin.setRange(int(opt.minimum if opt.minimum is not None else -INT_LIMIT),
                      int(min(opt.maximum if opt.maximum is not None else INT_LIMIT, INT_LIMIT)))
        return Field(spin, spin.value, lambda v: spin.setValue(int(v)), spin.valueChanged)
    if types == (float,):
        double = QDoubleSpinBox()
        double.setDecimals(2)
        double.setRange(opt.minimum if opt.minimum is not None else -1e9,
                        opt.maximum if opt.maximum is not None else 1e9)
        return Field(double, double.value, lambda v: double.setValue(float(v)),
                     double.valueChanged)
    line = QLineEdit()
    if int in types:  # e.g. a camera: an index or a path
        return Field(line, lambda: _int_or_text(line.text()), lambda v: line.setText(str(v)),
                     line.textChanged)
    return Field(line, line.text, lambda v: line.setText(str(v)), line.textChanged)


def described(editor: QWidget, hint: QLabel) -> QWidget:
    """``editor`` with ``hint`` (what it expects) under it in grey words."""
    hint.setObjectName(f"{editor.objectName()}_hint")
    hint.setWordWrap(True)
    hint.setStyleSheet("color: #546e7a;")
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addWidget(editor)
    column.addWidget(hint)
    return box


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _int_or_text(text: str) -> int | str:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else text  # "²" is a digit to isdigit


class DeviceForm(Retranslating):
    """Type first (it decides the other options), then id, lane, enabled, then the type's
    own options with their config.toml names."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        layout = QVBoxLayout(self)
        self.common = QFormLayout()
        self.common.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a 7" screen
        self.type_box = QComboBox()
        self.type_box.setObjectName("device_type")
        for kind in kinds():
            self.type_box.addItem(kind, kind)
        self.common.addRow("type", self.type_box)
        self.fields: dict[str, Field] = {}
        self.hints: dict[str, tuple[QLabel, Opt]] = {}
        """Each type option's description under its field, with the option it describes."""
        for key in ("id", "lane", "enabled"):
            field = editor_for(DeviceOptions.schema()[key])
            field.widget.setObjectName(f"device_{key}")
            field.changed.connect(self._changed)
            self.fields[key] = field
            self.common.addRow(key, field.widget)
        layout.addLayout(self.common)
        self.options_title = QLabel()
        self.options_title.setWordWrap(True)
        layout.addWidget(self.options_title)
        self.options = QFormLayout()
        self.options.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        layout.addLayout(self.options)
        self.error = QLabel()
        self.error.setObjectName("device_error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.type_box.currentIndexChanged.connect(lambda _i: self._build_options(self.kind))
        self._build_options(self.kind)
        self.retranslate()

    @property
    def kind(self) -> str:
        return self.type_box.currentData()

    def _build_options(self, kind: str, values: dict[str, Any] | None = None) -> None:
        while self.options.rowCount():
            self.options.removeRow(0)
        for key in [k for k in self.fields if k not in ("id", "lane", "enabled")]:
            del self.fields[key]
        self.hints.clear()
        for key, opt in kinds()[kind].options.own_schema().items():
            field = editor_for(opt)
            field.widget.setObjectName(f"device_{key}")
            field.put(opt.default)
            self.fields[key] = field
            self.hints[key] = (QLabel(), opt)
            self.options.addRow(key, described(field.widget, self.hints[key][0]))
            field.changed.connect(self._changed)
        self._word_hints()
        loading, self._loading = self._loading, True
        for key, value in (values or {}).items():
            if key in self.fields:
                self.fields[key].put(value)
        self._loading = loading
        self._changed()

    def _changed(self, *_args: Any) -> None:
        """One ``changed`` per edit, none while the form is being filled."""
        if not self._loading:
            self.changed.emit()

    def set_device(self, device: dict[str, Any]) -> None:
        """Fill the form from a device dict (from config.toml or a discovered candidate)."""
        kind = device.get("type", "replay")
        self._loading = True
        self.type_box.blockSignals(True)
        self.type_box.setCurrentIndex(max(0, self.type_box.findData(kind)))
        self.type_box.blockSignals(False)
        for key in ("id", "lane", "enabled"):
            default = DeviceOptions.schema()[key].default
            self.fields[key].put(device.get(key, "" if key == "id" else default))
        self._build_options(kind, device)
        self._loading = False
        self.error.clear()

    def raw_values(self) -> dict[str, Any]:
        return {"type": self.kind, **{key: field.get() for key, field in self.fields.items()}}

    def device(self, index: int = 0) -> DeviceOptions | None:
        """The validated device, or None with the problem shown under the form; a disabled
        device that could not be enabled as it is, with the warning ``kiosk config check``
        gives."""
        try:
            device = config_mod.validate_device(index, self.raw_values())
        except config_mod.ConfigError as exc:
            self.error.setText(self.tr("Not valid: %1").replace(
                "%1", exc.text(screen_language())))
            return None
        warning = config_mod.device_warning(index, device)
        self.error.setText(warning(screen_language()) if warning is not None else "")
        return device

    def _word_hints(self) -> None:
        language = screen_language()
        for key, (hint, opt) in self.hints.items():
            hint.setText(opt.describe()(language))
            self.fields[key].widget.setToolTip(hint.text())

    def retranslate(self) -> None:
        self.options_title.setText(self.tr("Options for this type (as in config.toml)"))
        self._word_hints()
