"""The technician's screen (behind the PIN): devices with live status, a generated editor,
discovered candidates, the watch panel, the camera preview, enrolment with the centre's QR
code (scanned with any device while the screen is open), `kiosk doctor`'s checks; save and
apply.

Edits change a working list (``drafts``); "Save and apply" validates the whole file,
writes config.toml atomically (config_writer) in the io lane and then swaps the running
supervisor for one with the new list — no restart of the application.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import config as config_mod
from kiosk import messages
from kiosk.devices.registry import device_kind
from kiosk.devices.supervisor import DeviceStatus
from kiosk.scan import ScanResult
from kiosk.ui.bridge import KioskBridge
from kiosk.ui.camera_preview import CameraPreview
from kiosk.ui.checks_panel import ChecksPanel
from kiosk.ui.config_writer import DeviceDraft, save_devices
from kiosk.ui.device_form import DeviceForm
from kiosk.ui.enrol_panel import EnrolPanel
from kiosk.ui.i18n import screen_language
from kiosk.ui.watch import WatchPanel
from kiosk.ui.widgets import (
    NARROW_WIDTH,
    Retranslating,
    ScanNotice,
    keep_rows_visible,
    pixel_font,
    scrolling,
    state_text,
)

COLUMNS = ("id", "type", "lane", "enabled", "state", "scans", "detail")
GIVING_WAY = tuple(COLUMNS.index(name) for name in ("scans", "enabled", "type", "lane"))
"""The list's columns that make way, first to last, where the id and the state would not
show whole side by side (a 7" panel): the selected device's Settings tab says them."""
RED = "#c62828"


def discovery_module() -> Any:
    """kiosk.devices.discovery (what `kiosk devices` lists) when installed, else None."""
    try:
        module = importlib.import_module("kiosk.devices.discovery")
    except ImportError:
        return None
    return module if hasattr(module, "discover") else None


def candidate_text(candidate: Any, language: str) -> str:
    """A device `kiosk devices` lists, as the screen's list shows it: its kind, what it is
    (in ``language``), ★ when it looks like a scanner, and its path."""
    star = " ★" if getattr(candidate, "looks_like_scanner", False) else ""
    return (f"{candidate.device['type']}: {messages.worded(candidate.label, language)}{star}"
            f" — {candidate.path}")


class TechnicianScreen(Retranslating):
    closed = Signal()
    saved = Signal(object)
    """The Config now running, after a successful save and apply."""

    def __init__(self, bridge: KioskBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TechnicianScreen")
        self.bridge = bridge
        self.drafts: list[DeviceDraft] = []
        self.statuses: dict[str, DeviceStatus] = {}
        self.dirty = False
        self._filling = False
        self._found: list[Any] | None = []
        """What discovery found (``kiosk.devices.discovery.Candidate``), None while it looks."""
        self._discovery_failed: BaseException | None = None

        self.title = QLabel()
        self.title.setFont(pixel_font(self, 24, bold=True))
        self.title.setWordWrap(True)
        self.back = QPushButton()
        self.back.setObjectName("technician_back")
        self.back.clicked.connect(self.go_back)
        self._back_warned = False
        self.save_button = QPushButton()
        self.save_button.setObjectName("technician_save")
        self.save_button.clicked.connect(self.save)
        self.scan_notice = ScanNotice("technician_scan", self)
        self.message = QLabel()
        self.message.setObjectName("technician_message")
        self.message.setWordWrap(True)
        self._words: Callable[[], str] = str
        """What the message line says, worded again after a language switch (``_say``)."""
        self._colour = ""
        header = QHBoxLayout()
        header.addWidget(self.back)
        header.addWidget(self.title, 1)
        header.addWidget(self.save_button)
        for button in (self.back, self.save_button):
            button.setMinimumHeight(48)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("technician_devices")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(  # what is left: never past the
            COLUMNS.index("detail"), QHeaderView.ResizeMode.Stretch)  # edge ("…", tooltip)
        self.table.itemSelectionChanged.connect(self._selected)
        self.table.viewport().installEventFilter(self)  # its width decides the columns
        self.add_button = QPushButton()
        self.add_button.setObjectName("technician_add")
        self.add_button.clicked.connect(lambda: self.add_device())
        self.remove_button = QPushButton()
        self.remove_button.setObjectName("technician_remove")
        self.remove_button.clicked.connect(self.remove_device)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)

        self.discovered_title = QLabel()  # no word wrap: it would make the pane's scroll
        # area lay it out at its preferred height rather than its minimum
        self.discovered = QListWidget()
        self.discovered.setObjectName("technician_discovered")
        self.discovered.itemActivated.connect(self._use_candidate)
        self.rescan = QPushButton()
        self.rescan.clicked.connect(self.discover)
        self.use_candidate = QPushButton()
        self.use_candidate.clicked.connect(
            lambda: self._use_candidate(self.discovered.currentItem()))
        discovered_buttons = QHBoxLayout()
        discovered_buttons.addWidget(self.rescan)
        discovered_buttons.addWidget(self.use_candidate)
        discovered_buttons.addStretch(1)
        self.has_discovery = discovery_module() is not None

        devices = QWidget()  # scrolls on a 7" screen rather than squeezing the list
        left = QVBoxLayout(devices)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.table, 3)
        left.addLayout(buttons)
        left.addWidget(self.discovered_title)
        left.addWidget(self.discovered, 1)
        left.addLayout(discovered_buttons)
        for widget in (self.discovered_title, self.discovered, self.rescan, self.use_candidate):
            widget.setVisible(self.has_discovery)

        self.form = DeviceForm()
        self.form.changed.connect(self._form_changed)
        self.watch = WatchPanel(bridge)
        self.camera = CameraPreview(bridge, with_stats=True)
        self.tabs = QTabWidget()
        self.tabs.addTab(scrolling(self.form), "")
        self.watch_tab = scrolling(self.watch)  # a 7" screen scrolls to the key log
        self.tabs.addTab(self.watch_tab, "")
        self.tabs.addTab(self.camera, "")
        self.enrol = EnrolPanel(bridge)
        self.enrol.enrolled.connect(self._enrolled)
        self.enrol_tab = scrolling(self.enrol)
        self.tabs.addTab(self.enrol_tab, "")
        self.checks = ChecksPanel(bridge)
        self.checks_tab = scrolling(self.checks)  # under a long message on a 7" screen
        self.tabs.addTab(self.checks_tab, "")
        self.tabs.currentChanged.connect(self._tab_shown)

        self.devices, self.devices_pane = devices, scrolling(devices)
        body = self.body = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        body.addWidget(self.devices_pane, 3)
        body.addWidget(self.tabs, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scan_notice)
        layout.addLayout(header)
        layout.addWidget(self.message)
        layout.addLayout(body, 1)

        bridge.device_status.connect(self.show_status)
        bridge.result.connect(self.watch.show_result)
        bridge.result.connect(self._scanned)
        self.reload()
        self.retranslate()
        if self.has_discovery:
            self.discover()

    # -- the working list -----------------------------------------------------------------
    def reload(self) -> None:
        """Start from the devices the kiosk is running now."""
        self.drafts = [DeviceDraft(d.id, d) for d in self.bridge.config.devices]
        self.statuses = {s.device_id: s for s in self.bridge.kiosk.supervisor.status()}
        self.dirty = False
        self._back_warned = False
        self._fill_table()
        if self.drafts:
            self.table.selectRow(0)
        else:
            self._selected()

    def go_back(self) -> None:
        """Back to the officer's screen. With unsaved edits the first press warns and the
        second drops them: edits never wait silently for the next opening, where anyone with
        the PIN would find them and might save them unread."""
        if self.dirty and not self._back_warned:
            self._back_warned = True
            self._say(lambda: self.tr("Unsaved changes: press Back again to discard them, "
                                      "or Save and apply to keep them."), RED)
            return
        if self.dirty:
            self.drop_edits()
            self._show_dirty()
        self.closed.emit()

    def discard(self, note: Callable[[], str]) -> None:
        """Drop the unsaved edits (back to the running list) and say ``note`` (worded in the
        screen's language, again after a switch) about it, in red until the next edit: the
        technician who comes back learns what was lost."""
        self.drop_edits()
        self._say(note, RED)

    def drop_edits(self) -> None:
        """Back to the running list, the form too (its row may be the one still selected)."""
        self.reload()
        self._selected()

    def _fill_table(self) -> None:
        self._filling = True
        selected = self.current_row()
        self.table.setRowCount(len(self.drafts))
        for row, draft in enumerate(self.drafts):
            values = draft.values
            status = self.statuses.get(values.id) if draft.origin == values.id else None
            state = state_text(status.state) if status else self.tr("not running")
            kind = device_kind(values.type)
            if kind is not None and kind.window_fed:
                state = self.tr("typed into the window")
            cells = (values.id, values.type, values.lane, "✓" if values.enabled else "—", state,
                     str(status.scans) if status else "",
                     status.reason_in(screen_language()) if status else "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == COLUMNS.index("detail"):
                    item.setToolTip(text)
                self.table.setItem(row, column, item)
        if selected is not None and selected < len(self.drafts):
            self.table.selectRow(selected)
        self._filling = False
        self._fit_columns()
        self.save_button.setEnabled(self.bridge.config.source is not None)

    def current_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _selected(self) -> None:
        if self._filling:
            return
        row = self.current_row()
        device = self.drafts[row].values if row is not None else None
        self.form.setEnabled(device is not None)
        self.remove_button.setEnabled(device is not None)
        if device is not None:
            self.form.set_device(device.as_dict())
        self.watch.watch(device)
        if device is not None and device.id in self.statuses:
            self.watch.show_status(self.statuses[device.id])
        camera = device.id if device and device.type == "camera" else None
        self.camera.watch(camera)
        self.tabs.setTabEnabled(2, camera is not None)

    def _form_changed(self) -> None:
        row = self.current_row()
        if row is None or self._filling:
            return
        device = self.form.device(row)
        if device is None:
            return
        draft = self.drafts[row]
        if device != draft.values:
            self.drafts[row] = dataclasses.replace(draft, values=device)
            self.dirty = True
            self._fill_table()
            self._show_dirty()

    def add_device(self, device: dict[str, Any] | None = None) -> None:
        """Add a device (a discovered candidate, or a serial scanner to edit) to the list."""
        values = dict(device or {"type": "serial", "port": "/dev/ttyACM0"})
        taken = {d.values.id for d in self.drafts}
        if not values.get("id") or values["id"] in taken:
            number = 1
            while f"{values['type']}-{number}" in taken:
                number += 1
            values["id"] = f"{values['type']}-{number}"
        try:
            options = config_mod.validate_device(len(self.drafts), values)
        except config_mod.ConfigError as exc:
            refused = exc
            self._say(lambda: self.tr("Not valid: %1").replace(
                "%1", refused.text(screen_language())), RED)
            return
        self.drafts.append(DeviceDraft(None, options))
        self.dirty = True
        self._fill_table()
        self.table.selectRow(len(self.drafts) - 1)
        self._show_dirty()

    def remove_device(self) -> None:
        row = self.current_row()
        if row is None:
            return
        del self.drafts[row]
        self.dirty = True
        self._fill_table()
        if self.drafts:
            self.table.selectRow(min(row, len(self.drafts) - 1))
        else:
            self._selected()
        self._show_dirty()

    def _show_dirty(self) -> None:
        self._back_warned = False  # an edit after the warning is warned about again
        if self.dirty:
            self._say(lambda: self.tr("Unsaved changes: the kiosk still runs the previous "
                                      "list until you save."))
        else:
            self._say(str)

    def _say(self, words: Callable[[], str], colour: str = "") -> None:
        """The message line says ``words()`` in ``colour``, and says it again in the new
        language after a switch: a red note about dropped edits stays, re-worded."""
        self._words, self._colour = words, colour
        self._show_words()

    def _show_words(self) -> None:
        self.message.setStyleSheet(f"color: {self._colour};" if self._colour else "")
        self.message.setText(self._words())

    # -- discovery ------------------------------------------------------------------------
    def discover(self) -> None:
        module = discovery_module()
        if module is None:
            return
        self._found = None
        self._fill_candidates()
        self.bridge.run(module.discover, done=self._show_candidates,
                        failed=lambda exc: self._show_candidates([], exc),
                        job="ui.job.discover")

    def _show_candidates(self, candidates: list[Any], error: BaseException | None = None
                         ) -> None:
        self._found, self._discovery_failed = candidates, error
        self._fill_candidates()

    def _fill_candidates(self) -> None:
        """The found devices in the screen's language (again after a switch); each item holds
        its ready ``[[devices]]`` table, naming the device by something stable (by-id path,
        USB ids)."""
        self.discovered.clear()
        if not self.has_discovery:
            return
        if self._found is None:
            self.discovered.addItem(self.tr("Looking for devices…"))
            return
        language = screen_language()
        for candidate in self._found:
            item = QListWidgetItem(candidate_text(candidate, language))
            item.setData(Qt.ItemDataRole.UserRole, dict(candidate.device))
            self.discovered.addItem(item)
        if self._discovery_failed is not None:
            self.discovered.addItem(self.tr("Discovery failed: %1").replace(
                "%1", str(self._discovery_failed)))
        elif not self.discovered.count():
            self.discovered.addItem(self.tr("No scanner or camera found."))

    def _use_candidate(self, item: QListWidgetItem | None) -> None:
        device = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if isinstance(device, dict):
            self.add_device(device)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        return False

    def _fit_columns(self) -> None:
        """GIVING_WAY's columns hidden, in turn, until the rest fits the list's width: each
        device's id and state whole, not behind a sideways scroll bar, and the detail's
        title beside them (its words, stretched into what is left, end in "…")."""
        header = self.table.horizontalHeader()
        for column in GIVING_WAY:  # a hidden column's title is measured as 0 px wide
            self.table.setColumnHidden(column, False)
        widths = [max(self.table.sizeHintForColumn(column), header.sectionSizeHint(column))
                  for column in range(self.table.columnCount())]
        detail = COLUMNS.index("detail")  # stretches into what is left, may be cut
        room = self.table.viewport().width() - sum(widths) + widths[detail] \
            - header.sectionSizeHint(detail)
        for column in GIVING_WAY:
            crowded = room < 0
            self.table.setColumnHidden(column, crowded)
            room += widths[column] if crowded else 0

    def resizeEvent(self, event: Any) -> None:
        """On a narrow or portrait screen the device list stands above the tabs; side by
        side, the tabs take the width all their names need (the list scrolls sideways
        instead) where the list's buttons keep theirs: Centre and Check hid behind the tab
        bar's arrows on a 7" panel, and beside the list on a portrait totem."""
        size = event.size()
        stacked = size.width() < NARROW_WIDTH or size.height() > size.width()
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if stacked
                               else QBoxLayout.Direction.LeftToRight)
        pane = self.devices_pane  # scrolls up and down, never squeezes its buttons' words
        pane.setMinimumWidth(self.devices.minimumSizeHint().width() + 2 * pane.frameWidth()
                             + pane.verticalScrollBar().sizeHint().width())
        bar = self.tabs.tabBar()
        bar.setUsesScrollButtons(stacked)
        self.body.invalidate()
        if self.layout().totalMinimumSize().width() > size.width():
            bar.setUsesScrollButtons(True)
        super().resizeEvent(event)

    def showEvent(self, event: Any) -> None:
        keep_rows_visible(self.table, 3)  # measured once styled: row and title heights
        super().showEvent(event)

    def wants_scanner_keys(self, widget: QWidget) -> bool:
        """The one field a technician scans into on purpose: the Watch tab's capture field,
        which lists a wedge scanner's own keys and gaps (the wedge filter would take them
        first). Elsewhere on this screen a scanner's burst is a scan — in the enrolment box
        too: an enrolment code scanned anywhere here enrols (:meth:`_scanned`), and
        someone's code from the queue is recorded, not typed into the box."""
        return widget is self.watch.capture

    def hideEvent(self, event: Any) -> None:
        self.watch.stop_raw()  # leaving the screen ends a raw watch
        self.scan_notice.hide()  # the card has the answer now
        if not event.spontaneous():  # the screen left, not the window minimised
            self.forget_typed()
        super().hideEvent(event)

    def forget_typed(self) -> None:
        """Leaving the screen (Back, the idle time, the sync screen) wipes what was typed or
        scanned into it and kept nowhere: the enrolment box, the Watch tab's capture field
        and log (a PC-Covid or CCCD code scanned there holds a name), a form value not
        valid yet (so never a draft), the camera's last picture. Whoever opens the screen
        next sees none of it."""
        self.enrol.code_box.clear()
        self._selected()  # the form from its draft; the Watch and Camera tabs start afresh

    # -- enrolment ------------------------------------------------------------------------
    def _scanned(self, result: ScanResult) -> None:
        """An enrolment code scanned by any device while this screen is open enrols the
        kiosk (the pipeline refused it as an entry: nothing was recorded)."""
        if result.reason_code != "enrolment_code" or not self.isVisible():
            return
        self.tabs.setCurrentWidget(self.enrol_tab)
        self.enrol.take(result.scan.payload.decode("utf-8", "replace"))

    def _tab_shown(self, index: int) -> None:
        if self.tabs.widget(index) is self.enrol_tab:  # to type or paste a code
            self.enrol.code_box.setFocus()
        elif self.tabs.widget(index) is self.checks_tab and not self.checks.checks:
            self.checks.run()  # the first look runs them

    def _enrolled(self, config: config_mod.Config) -> None:
        if not self.dirty:  # unsaved device edits stay: enrolment changed no device
            self.reload()
        self.saved.emit(config)

    # -- status ---------------------------------------------------------------------------
    def show_status(self, status: DeviceStatus) -> None:
        self.statuses[status.device_id] = status
        self._fill_table()
        self.watch.show_status(status)

    # -- save and apply -------------------------------------------------------------------
    def save(self) -> None:
        source = self.bridge.config.source
        row = self.current_row()
        if row is not None and self.form.device(row) is None:
            return  # the form shows what is wrong
        if source is None:
            return
        drafts = list(self.drafts)
        self.save_button.setEnabled(False)
        self._say(lambda: self.tr("Saving…"))
        self.bridge.run(lambda: save_devices(Path(source), drafts), done=self._written,
                        failed=self._save_failed, job="ui.job.save_devices")

    def _written(self, config: config_mod.Config) -> None:
        self.bridge.audit("config.devices.save", {"devices": [d.id for d in config.devices],
                                                  "file": str(config.source)})
        self._say(lambda: self.tr("Saved. Restarting the devices…"))
        self.bridge.apply_config(config, done=lambda _s: self._applied(config),
                                 failed=lambda error: self._not_applied(config, error))

    def _applied(self, config: config_mod.Config) -> None:
        self.reload()
        self._say(lambda: self.tr("Saved to %1 and applied.").replace("%1", str(config.source)),
                  "#1b5e20")
        self.saved.emit(config)

    def _not_applied(self, config: config_mod.Config, error: BaseException) -> None:
        """Written, but the running kiosk could not take it (e.g. a [store] path edited by
        hand: another store is taken only at a restart): it goes on with its old devices;
        the edits stay here, to save again once the cause is fixed."""
        self.save_button.setEnabled(True)
        detail = error if isinstance(error, messages.WordedError) else str(error)
        self._say(lambda: messages.text("config.not_applied", screen_language(),
                                        path=config.source, detail=detail), RED)

    def _save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self._say(lambda: self.tr("Not saved: %1").replace("%1", str(error)), RED)

    def retranslate(self) -> None:
        self.title.setText(self.tr("Technician — devices"))
        self.back.setText(self.tr("Back"))
        self.save_button.setText(self.tr("Save and apply"))
        self.add_button.setText(self.tr("Add device"))
        self.remove_button.setText(self.tr("Remove device"))
        self.discovered_title.setText(self.tr("Found on this machine (`kiosk devices`)"))
        self.rescan.setText(self.tr("Look again"))
        self.use_candidate.setText(self.tr("Add the selected one"))
        self.table.setHorizontalHeaderLabels(  # config.toml's keys: the Settings tab's
            [self.tr("Device"), self.tr("Type"), self.tr("Lane"), self.tr("Enabled"),
             self.tr("State"), self.tr("Scans"), self.tr("Detail")])
        self.tabs.setTabText(0, self.tr("Settings"))
        self.tabs.setTabText(1, self.tr("Watch"))
        self.tabs.setTabText(2, self.tr("Camera"))
        self.tabs.setTabText(3, self.tr("Centre"))
        self.tabs.setTabText(4, self.tr("Check"))
        self._fill_table()
        self._fill_candidates()
        self._show_words()
