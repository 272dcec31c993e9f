"""The technician screen's "Check" tab: ``kiosk doctor`` on the running kiosk, one line per
check in the screen's language, failures red and warnings amber (the same checks, words and
verdicts as the command: kiosk/doctor.py). They run in the io lane: the centre may take
seconds to answer."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout

from kiosk import messages
from kiosk.ui.bridge import KioskBridge
from kiosk.ui.i18n import screen_language
from kiosk.ui.widgets import Retranslating

COLOURS = {"fail": "#c62828", "warn": "#8a5a00", "ok": "#1b5e20"}
MARKS = {"fail": "✗", "warn": "!", "ok": "✓"}


class ChecksPanel(Retranslating):
    def __init__(self, bridge: KioskBridge) -> None:
        super().__init__()
        self.bridge = bridge
        self.checks: list = []
        """The last run's kiosk.doctor.Check list."""
        self.run_button = QPushButton()
        self.run_button.setObjectName("checks_run")
        self.run_button.clicked.connect(self.run)
        self.summary = QLabel()
        self.summary.setObjectName("checks_summary")
        self.summary.setWordWrap(True)
        self.lines = QListWidget()
        self.lines.setObjectName("checks_lines")
        self.lines.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.run_button)
        layout.addWidget(self.summary)
        layout.addWidget(self.lines, 1)
        self.retranslate()

    def run(self) -> None:
        from kiosk.doctor import run_checks

        source = self.bridge.config.source
        if source is None:
            self.summary.setText(messages.text("enrol.no_config", screen_language()))
            return
        self.run_button.setEnabled(False)
        self.summary.setText(self.tr("Checking…"))
        self.bridge.run(lambda: run_checks(Path(source)), done=self._show,
                        failed=self._failed, job="ui.job.checks")

    def _show(self, checks: list) -> None:
        self.checks = checks
        self.run_button.setEnabled(True)
        self._fill()

    def _failed(self, error: BaseException) -> None:
        self.run_button.setEnabled(True)
        self.summary.setText(self.tr("The checks could not run: %1").replace("%1", str(error)))

    def _fill(self) -> None:
        language = screen_language()
        self.lines.clear()
        for check in self.checks:
            level = "fail" if not check.ok else "warn" if check.warning else "ok"
            item = QListWidgetItem(f"{MARKS[level]}  {check.vi if language == 'vi' else check.en}")
            item.setForeground(QBrush(QColor(COLOURS[level])))
            self.lines.addItem(item)
        if self.checks:
            failed = sum(not c.ok for c in self.checks)
            warned = sum(c.warning for c in self.checks)
            self.summary.setText(messages.text(
                "doctor.tally_warned" if warned else "doctor.tally", language,
                passed=len(self.checks) - failed, total=len(self.checks), warned=warned))

    def retranslate(self) -> None:
        self.run_button.setText(self.tr("Check everything (kiosk doctor)"))
        if self.checks:
            self._fill()
        else:
            self.summary.setText(self.tr("Config, store, disk, devices, clock, centre, fonts "
                                         "and sound, as `kiosk doctor` checks them."))
