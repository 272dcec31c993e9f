"""The sync operator's screen (behind the PIN): what waits, what the centre refused, and the
actions — sync now (with progress), export the backlog to a file (a USB stick), load the
centre's answer to such a file (``FILE.refused``, carried back on the stick), and retry the
refused entries.

Every action runs in the io lane and reports back by signal; progress callbacks from the
sync worker's thread are re-emitted as a queued signal. The actions use ``kiosk.sync``
(kiosk/sync/worker.py) when sync is enabled; with sync off, counts come from the store,
retry works on the store directly, and an export uses a one-off worker built from the
[sync] section (it needs the kiosk's token to sign the file). The answer is loaded by
:func:`kiosk.sync.refusals.load`, as ``kiosk sync load-refusals`` loads it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk import messages, private_files
from kiosk.clock import age_words
from kiosk.messages import Number, WordedError, Words, saved_text
from kiosk.scan import mask_document
from kiosk.sync.commands import PUSH_MAX_WAIT_SECONDS
from kiosk.sync.kiosk_keys import KioskKeys
from kiosk.sync.refusals import Loaded, Receipt, load
from kiosk.sync.status import elsewhere_words, past_retention_text
from kiosk.timestamps import parse_utc
from kiosk.ui.bridge import KioskBridge, SyncView
from kiosk.ui.i18n import counted, counted_n, screen_language
from kiosk.ui.status_strip import age_text, local_time
from kiosk.ui.widgets import (
    NARROW_WIDTH,
    CountTile,
    Retranslating,
    ScanNotice,
    TouchTargets,
    one_paragraph,
    pixel_font,
    scrolling,
)

if TYPE_CHECKING:
    from kiosk.sync.worker import Wait

REJECTED_ROWS = 200
REASON_ROOM = 240
"""Pixels the centre's reason keeps before the document column makes way for it."""
BUTTON_HEIGHT = 56
TABBED_HEIGHT = 560
"""Below this height (a 7" or 1024×600 panel), or on a narrow (portrait) screen, the
refused list has a tab of its own: under the tiles, the buttons and the connection's facts
it kept about one row, and the whole screen scrolled to it."""


def removable_media_dir() -> str:
    """Where a USB stick is mounted, when one is (else the home folder)."""
    for base in private_files.MEDIA_ROOTS:  # where the exports look for one too
        if not base.is_dir():
            continue
        for mount in sorted(base.glob("*/*")) + sorted(base.glob("*")):
            if mount.is_dir() and mount.is_mount():
                return str(mount)
    return QStandardPaths.writableLocation(QStandardPaths.StandardLocation.HomeLocation)


class SyncScreen(Retranslating):
    closed = Signal()
    _progress = Signal(object)
    _waiting = Signal(object)
    _another = Signal(int)

    def __init__(self, bridge: KioskBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SyncScreen")
        self.bridge = bridge
        self.view: SyncView | None = None
        self.rejected: list[dict[str, Any]] = []
        self.busy = False
        self.chooser: QFileDialog | None = None

        self.scan_notice = ScanNotice("sync_scan", self)
        self.title = QLabel()
        self.title.setFont(pixel_font(self, 24, bold=True))
        self.back = QPushButton()
        self.back.setObjectName("sync_back")
        self.back.clicked.connect(self.closed)
        header = QHBoxLayout()
        header.addWidget(self.back)
        header.addWidget(self.title, 1)

        self.tiles = {key: CountTile() for key in ("pending", "rejected", "acknowledged")}
        tiles = QGridLayout()
        for column, tile in enumerate(self.tiles.values()):
            tiles.addWidget(tile, 0, column)
        self.facts = QLabel()
        self.facts.setObjectName("sync_facts")
        self.facts.setWordWrap(True)
        self.facts.setTextFormat(Qt.TextFormat.PlainText)  # holds what a centre said
        self.facts.setFont(pixel_font(self, 18))

        self.push_button = self._button("sync_now", self.push_now)
        self.export_button = self._button("sync_export", self.choose_export_file)
        self.answer_button = self._button("sync_load_answer", self.choose_answer_file)
        self.retry_button = self._button("sync_retry", self.retry_rejected)
        # the network's actions, then the stick's: the answer beside the export on a row of
        # four, of two, or one a line
        self.buttons = (self.push_button, self.retry_button, self.export_button,
                        self.answer_button)
        self.actions = QGridLayout()
        self.columns = 0
        self._arrange_actions(len(self.buttons))
        self.progress = QProgressBar()
        self.progress.setObjectName("sync_progress")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.message = QLabel()
        self.message.setObjectName("sync_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # holds what a centre said

        self.rejected_title = QLabel()
        self.rejected_title.setFont(pixel_font(self, 18, bold=True))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("sync_rejected")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        # the centre's reason wraps onto more lines rather than end in "…": a touch screen
        # shows no tooltip with the rest
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.viewport().installEventFilter(self)  # its width decides the columns

        self.refused_page = QWidget()
        refused = QVBoxLayout(self.refused_page)
        refused.setContentsMargins(0, 0, 0, 0)
        refused.addWidget(self.rejected_title)
        refused.addWidget(self.table, 1)
        body = QWidget()
        column = self.column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(tiles)
        column.addLayout(self.actions)
        column.addWidget(self.progress)  # under the buttons: in view on a 7" screen too
        column.addWidget(self.message)
        column.addWidget(self.facts)
        column.addWidget(self.refused_page, 1)
        layout = self.screen_layout = QVBoxLayout(self)
        layout.addWidget(self.scan_notice)
        layout.addLayout(header)
        self.scroll = scrolling(body)  # a short screen scrolls to the facts' end
        layout.addWidget(self.scroll, 1)
        self.scroll.viewport().installEventFilter(self)  # its width decides the rows
        self.tabs = QTabWidget()
        self.tabs.setObjectName("sync_tabs")
        self.tabs.hide()
        layout.addWidget(self.tabs, 1)

        self._progress.connect(self._show_progress)
        self._waiting.connect(self._show_wait)
        self._another.connect(self._show_another)
        bridge.sync_changed.connect(self.show_view)
        self.retranslate()
        self._update_buttons()
        self.refresh()

    def _button(self, name: str, action: Any) -> QPushButton:
        button = QPushButton()
        button.setObjectName(name)
        button.setMinimumHeight(BUTTON_HEIGHT)
        button.setFont(pixel_font(self, 18, bold=True))
        button.clicked.connect(action)
        return button

    # -- reading --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Totals and the refused list: read when the screen opens or an action ends."""
        self.bridge.refresh_sync(totals=True)
        self.bridge.read(lambda store: store.rejected_entries(REJECTED_ROWS),
                         done=self._show_rejected, key="sync-rejected")

    def _arrange_actions(self, columns: int) -> None:
        """The buttons on rows of ``columns``, in reading order."""
        for button in self.buttons:
            self.actions.removeWidget(button)
        self.columns = columns
        for index, button in enumerate(self.buttons):
            self.actions.addWidget(button, index // columns, index % columns)

    def _fit_actions(self) -> None:
        """The buttons on one row where their words fit side by side, else two rows (a 7"
        landscape panel), else one a line (portrait): never squeezed into cut words."""
        width = self.scroll.viewport().width()
        needs = [button.sizeHint().width() for button in self.buttons]
        spacing = self.actions.horizontalSpacing()
        columns = next((columns for columns in (len(needs), 2) if all(
            sum(row) + spacing * (len(row) - 1) <= width
            for row in (needs[start:start + columns]
                        for start in range(0, len(needs), columns)))), 1)
        if columns != self.columns:
            self._arrange_actions(columns)

    def resizeEvent(self, event: Any) -> None:
        """On a short or narrow screen the actions with the facts and the refused list
        are two tabs (:data:`TABBED_HEIGHT`); else one column, the list at its foot."""
        size = event.size()
        self._tab(size.height() < TABBED_HEIGHT or size.width() < NARROW_WIDTH)
        super().resizeEvent(event)

    def _tab(self, tabbed: bool) -> None:
        if tabbed == (self.tabs.count() > 0):
            return
        if tabbed:
            self.screen_layout.removeWidget(self.scroll)
            self.column.removeWidget(self.refused_page)
            self.tabs.addTab(self.scroll, "")
            self.tabs.addTab(self.refused_page, "")
        else:
            self.tabs.clear()
            self.column.addWidget(self.refused_page, 1)
            self.screen_layout.insertWidget(self.screen_layout.indexOf(self.tabs), self.scroll, 1)
            self.scroll.show()  # the tabs had hidden the page not shown
            self.refused_page.show()
        self.tabs.setVisible(tabbed)
        for tile in self.tiles.values():  # under the tab bar: the outcome under the buttons
            tile.set_compact(tabbed)  # stays in view
        for button in self.buttons:
            floor = int(button.property(TouchTargets.PROPERTY) or 0)  # never below 9 mm
            button.setMinimumHeight(max(48 if tabbed else BUTTON_HEIGHT, floor))
        self.rejected_title.setVisible(not tabbed)  # the tab names the list
        self._name_tabs()

    def _name_tabs(self) -> None:
        if self.tabs.count():
            self.tabs.setTabText(0, self.tr("Sync"))
            self.tabs.setTabText(1, self.tr("Refused entries"))

    def showEvent(self, event: Any) -> None:
        self.refresh()
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:
        """Left (Back, or the PIN screens' idle time): the card has a scan's answer now, and
        a file chooser left open would let a passer-by write the backlog to a stick, or
        load a file from one, without the PIN."""
        self.scan_notice.hide()
        if self.chooser is not None:
            self.chooser.reject()
        super().hideEvent(event)

    def show_view(self, view: SyncView) -> None:
        self.view = view
        self.tiles["pending"].set_value(view.pending)
        self.tiles["rejected"].set_value(view.rejected)
        if view.acknowledged is not None:  # polled views leave the last total shown
            self.tiles["acknowledged"].set_value(view.acknowledged)
        self._render_facts()
        self._update_buttons()

    def _render_facts(self) -> None:
        view = self.view
        if view is None:
            return
        timezone = self.bridge.config.timezone
        none = self.tr("never")
        if not view.enabled:
            connection = self.tr("Sync is off in config.toml ([sync] enabled = false).")
        elif view.online is None:
            connection = self.tr("Not tried yet.")
        elif view.online:
            connection = self.tr("Online: the centre answers.")
        else:
            connection = self.tr("OFFLINE: the centre cannot be reached. Entries stay safe "
                                 "on this kiosk and are sent when it answers again.")
        lines = [
            connection,
            self.tr("Centre: %1").replace("%1", self.bridge.config.sync.server_url),
            self.tr("Oldest entry waiting: %1").replace("%1", self._oldest(view)),
            self.tr("Last success: %1").replace(
                "%1", local_time(view.last_success, timezone) or none),
            self.tr("Last error: %1").replace("%1", self._last_error(view)),
        ]
        if view.past_retention:
            lines.append(self.tr("Past the centre's retention: %1").replace(
                "%1", past_retention_text(view.past_retention, screen_language(),
                                          lambda at: local_time(at, timezone))))
        if (stranded := elsewhere_words(view.elsewhere)) is not None:
            lines.insert(0, self.tr("ALERT: %1").replace("%1", stranded(screen_language())))
        if view.alert:
            lines.insert(0, self.tr("ALERT: %1").replace("%1", view.alert(screen_language())))
        self.facts.setText("\n".join(lines))

    def _last_error(self, view: SyncView) -> str:
        """As saved while it stands; one an upload after it ended, with its time and "resolved
        since" (:func:`kiosk.sync.status.error_current`): "401" read as the state of the
        token long after a new one had sent everything."""
        if not view.last_error:
            return "—"
        said = saved_text(view.last_error, screen_language())
        if view.error_current:
            return said
        return Words("sync.error_resolved", {"error": said, "when": local_time(
            view.last_error_at, self.bridge.config.timezone)})(screen_language())

    def _oldest(self, view: SyncView) -> str:
        """Its time and age (:func:`kiosk.clock.age_words`), as ``kiosk sync status`` words
        them: a time with no age (later than the clock reads, or recorded by a wrong clock) says
        why."""
        if view.oldest_pending is None:
            return "—"
        age = age_words(parse_utc(view.oldest_pending), lambda age: age_text(age.total_seconds()))
        return (f"{local_time(view.oldest_pending, self.bridge.config.timezone)} "
                f"({age(screen_language())})")

    def _show_rejected(self, rows: list[dict[str, Any]]) -> None:
        self.rejected = rows
        self._fill_rejected()
        self._update_buttons()

    def _fill_rejected(self) -> None:
        """The refused entries, each with the centre's reason worded in the screen's
        language (the centre sends a code; see kiosk.sync.protocol.Refusal)."""
        timezone = self.bridge.config.timezone
        language = screen_language()
        self.table.setRowCount(len(self.rejected))
        for number, row in enumerate(self.rejected):
            when = parse_utc(row["scanned_at"]).astimezone(timezone).strftime("%d/%m %H:%M")
            cells = (when, one_paragraph(row["name"] or ""), mask_document(row["document_number"]),
                     saved_text(row["sync_error"] or "", language))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(number, column, item)
        self._fit_columns()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_columns()
        elif watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_actions()
        return False

    def _fit_columns(self) -> None:
        """The masked document gives its column to the reason on a narrow screen (a reason
        wrapped into a 100 px column is a word a line)."""
        widths = [max(self.table.sizeHintForColumn(column),
                      self.table.horizontalHeader().sectionSizeHint(column))
                  for column in range(3)]
        self.table.setColumnHidden(
            2, self.table.viewport().width() - sum(widths) < REASON_ROOM)

    def _update_buttons(self) -> None:
        enabled = self.view.enabled if self.view else self.bridge.sync is not None
        self.push_button.setEnabled(not self.busy and enabled)
        self.export_button.setEnabled(not self.busy)
        self.answer_button.setEnabled(not self.busy)
        self.retry_button.setEnabled(not self.busy and bool(
            self.rejected or (self.view and self.view.rejected)))

    def _start(self, text: str) -> None:
        self.busy = True
        self.message.setStyleSheet("")
        self.message.setText(text)
        self.scroll.ensureWidgetVisible(self.message)  # scrolled down to the refused list
        self._update_buttons()

    def _finish(self, text: str, *, error: bool = False) -> None:
        self.busy = False
        self.progress.hide()
        self.message.setStyleSheet("color: #c62828;" if error else "color: #1b5e20;")
        self.message.setText(text)
        self.refresh()
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        reason = exc.text(screen_language()) if isinstance(exc, WordedError) else str(exc)
        self._finish(self.tr("Failed: %1").replace("%1", reason), error=True)

    # -- sync now -------------------------------------------------------------------------
    def push_now(self) -> None:
        sync = self.bridge.sync
        if sync is None or self.busy:
            return
        self._start(self.tr("Sending to the centre…"))
        self.progress.setRange(0, 0)
        self.progress.show()
        self.bridge.run(lambda: sync.push_now(self._progress.emit,
                                              max_wait=PUSH_MAX_WAIT_SECONDS,
                                              waiting=self._waiting.emit,
                                              another=self._another.emit),
                        done=self._pushed, failed=self._failed, job="ui.job.push")

    def _show_progress(self, progress: Any) -> None:
        total = max(1, int(getattr(progress, "total", 0) or 0))
        done = int(getattr(progress, "done", 0) or 0)
        self.progress.setRange(0, total)
        self.progress.setValue(min(done, total))
        self.progress.setFormat(f"{done} / {total}")

    def _show_wait(self, wait: Wait) -> None:
        """A wait the centre asked for: said, or the push seems to hang for minutes."""
        self.message.setText(messages.text("sync.screen_waiting", screen_language(),
                                           waiting=wait.words()))

    def _show_another(self, pid: int) -> None:
        """Another process sends the backlog, the push waiting for it: said, or the screen
        shows only "Sending to the centre…" for as long as it sends."""
        self.message.setText(messages.text("sync.screen_another_sending", screen_language(),
                                           pid=pid or "?", limit=Number(PUSH_MAX_WAIT_SECONDS)))

    def _pushed(self, summary: Any) -> None:
        counts = self.tr("%1 accepted, %2 already there, %3 refused; %4 still waiting.")
        for key, value in (("%1", summary.accepted), ("%2", summary.duplicate),
                           ("%3", summary.rejected), ("%4", summary.remaining)):
            counts = counts.replace(key, counted(value))
        if summary.past_retention and summary.retention_cut:  # done, the centre holding none
            counts += " " + self.tr(
                "%1 older than the centre's retention cut (%2): not stored, not counted."
            ).replace("%1", counted(summary.past_retention)).replace("%2", summary.retention_cut)
        elif summary.past_retention:  # a cut the centre did not say (or not as a day)
            counts += " " + self.tr(
                "%1 older than the centre's retention cut: not stored, not counted."
            ).replace("%1", counted(summary.past_retention))
        if summary.error:
            self._finish(self.tr("Stopped: %1").replace("%1", summary.error(screen_language()))
                         + " " + counts,
                         error=True)
        else:
            self._finish(self.tr("Done: ") + counts)

    # -- export ---------------------------------------------------------------------------
    def choose_export_file(self) -> QFileDialog:
        stamp = dt.datetime.now(self.bridge.config.timezone).strftime("%Y%m%d-%H%M")
        name = f"{self.bridge.config.kiosk.id}-{stamp}.backlog"
        dialog = QFileDialog(self, self.tr("Export the backlog to a file"),
                             str(Path(removable_media_dir()) / name),
                             self.tr("Backlog files (*.backlog)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        return self._open_chooser(dialog, self.export_to)

    def _open_chooser(self, dialog: QFileDialog, chosen: Any) -> QFileDialog:
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)  # stays above kiosk mode
        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(lambda _code: self._chooser_closed(dialog))
        self.chooser = dialog
        dialog.open()
        return dialog

    def _chooser_closed(self, dialog: QFileDialog) -> None:
        if self.chooser is dialog:
            self.chooser = None
        dialog.deleteLater()

    def export_to(self, path: str) -> None:
        if self.busy or not path:
            return
        self._start(self.tr("Writing %1…").replace("%1", path))
        sync, kiosk = self.bridge.sync, self.bridge.kiosk

        def export() -> Any:
            if sync is not None:  # its connection opened the kiosk's file (same_as)
                return sync.export(path)
            from kiosk.sync.worker import SyncWorker

            # The kiosk's own connection: the file it records in. One opened at the path
            # now would read another file moved over it since (a backup put back), not the
            # entries recorded today, which only the kiosk's file holds.
            worker = SyncWorker.from_config(kiosk.config, kiosk.store, owns_store=False)
            try:
                return worker.export(path)
            finally:
                worker.stop()

        self.bridge.run(export, done=self._exported, failed=self._export_failed,
                        job="ui.job.export")

    def _export_failed(self, exc: BaseException) -> None:
        """A refused export in the screen's language, as ``kiosk sync export`` words it in
        the kiosk's: a BacklogError is no WordedError, and its ``str()`` is both languages
        one after the other."""
        from kiosk.sync.backlog import BacklogError  # loaded by the export already

        if not isinstance(exc, BacklogError):
            self._failed(exc)
            return
        where = f"{exc.path}: " if exc.path else ""
        self._finish(self.tr("Failed: %1").replace("%1", where + exc.words(screen_language())),
                     error=True)

    def _exported(self, summary: Any) -> None:
        """What was written; when the centre may refuse the file (it holds another signing
        key for this kiosk, or has not confirmed this one), ``kiosk sync export``'s note
        too (in red), in the screen's language: the operator would otherwise carry the
        file there for nothing. A file written whose entries the store could not mark
        exported is said good, with why (in red): it may be the only copy."""
        written = (self.tr("%1 entries written to %2. They stay pending until the centre "
                           "confirms it has imported them.")
                   .replace("%1", counted(summary.entries)).replace("%2", str(summary.path)))
        said = [written if summary.not_marked is None  # else a good file, maybe the only
                else summary.not_marked(screen_language())]  # copy, the store refusing: red
        if summary.note is not None:
            said.append(summary.note(screen_language()))
        self._finish("\n".join(said), error=len(said) > 1 or summary.not_marked is not None)

    # -- the centre's answer --------------------------------------------------------------
    def choose_answer_file(self) -> QFileDialog:
        """The ``.refused`` file ``kiosk-central import`` wrote beside the backlog file,
        looked for where the export writes: the stick."""
        dialog = QFileDialog(self, self.tr("Load the centre's answer"), removable_media_dir(),
                             self.tr("The centre's answers (*.refused)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        return self._open_chooser(dialog, self.load_answer)

    def load_answer(self, path: str) -> None:
        """Load it as ``kiosk sync load-refusals`` does (:func:`kiosk.sync.refusals.load`),
        in the io lane (an answer of many entries takes a while to read and apply), on the
        connection the export uses: the sync worker's, else the kiosk's own."""
        if self.busy or not path:
            return
        self._start(self.tr("Reading %1…").replace("%1", path))
        store = self.bridge.sync.store if self.bridge.sync is not None else self.bridge.kiosk.store
        actor = self.bridge.config.kiosk.operator or "operator"
        keys = KioskKeys.for_config(self.bridge.config)
        self.bridge.run(lambda: load(store, path, actor, keys), done=self._answer_loaded,
                        failed=self._failed, job="ui.job.load_answer")

    def _answer_loaded(self, loaded: Loaded) -> None:
        """What the command prints, in the screen's language; in red when entries the
        centre holds still wait here (an answer cut short, or one not acknowledging them)."""
        self._finish("\n".join(words(screen_language()) for words in loaded.words()),
                     error=loaded.answer.receipt is not Receipt.CHECKED
                     or not loaded.answer.complete)

    # -- retry ----------------------------------------------------------------------------
    def retry_rejected(self) -> None:
        if self.busy:
            return
        self._start(self.tr("Queuing the refused entries again…"))
        sync = self.bridge.sync
        if sync is not None:
            self.bridge.run(sync.retry_rejected, done=self._retried, failed=self._failed,
                            job="ui.job.retry_rejected")
        else:
            self.bridge.read(lambda store: store.retry_rejected("operator"),
                             done=self._retried, failed=self._failed)

    def _retried(self, count: int) -> None:
        self._finish(counted_n(self.tr("%n entries queued again.", "", count), count))

    def retranslate(self) -> None:
        self.title.setText(self.tr("Sync with the centre"))
        self.back.setText(self.tr("Back"))
        self.tiles["pending"].caption.setText(self.tr("Waiting to be sent"))
        self.tiles["rejected"].caption.setText(self.tr("Refused by the centre"))
        self.tiles["acknowledged"].caption.setText(self.tr("Confirmed by the centre"))
        self.push_button.setText(self.tr("Sync now"))
        self.export_button.setText(self.tr("Export backlog to file…"))
        self.answer_button.setText(self.tr("Load the centre's answer…"))
        self.retry_button.setText(self.tr("Retry refused entries"))
        self.rejected_title.setText(self.tr("Refused entries and the centre's reasons"))
        self._name_tabs()
        self.table.setHorizontalHeaderLabels(
            [self.tr("Time"), self.tr("Name"), self.tr("Document"), self.tr("Reason")])
        self._fill_rejected()
        self._render_facts()
        self._fit_actions()  # the words' widths changed
