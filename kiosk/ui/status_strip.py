"""The bottom strip: every device's state and the sync state, always in view.

Offline must be obvious: when the centre cannot be reached the sync text turns red and says
how many entries wait and since when — the entries are safe on disk, and the strip says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QWidget

from kiosk.devices.kind import DeviceOptions
from kiosk.devices.supervisor import DeviceStatus
from kiosk.messages import saved_text
from kiosk.timestamps import parse_utc
from kiosk.ui.bridge import SyncView
from kiosk.ui.i18n import counted_n, screen_language
from kiosk.ui.widgets import (
    NARROW_WIDTH,
    DeviceBadge,
    Retranslating,
    pixel_font,
    stack_when_narrow,
)


def local_time(value: Any, timezone: ZoneInfo) -> str:
    """HH:MM (or day and time when not today) of a timestamp, datetime or ISO text."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        moment = dt.datetime.fromtimestamp(value, dt.UTC)
    elif isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    else:
        try:
            moment = parse_utc(str(value))
        except ValueError:
            return str(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
    moment = moment.astimezone(timezone)
    today = dt.datetime.now(timezone).date()
    return moment.strftime("%H:%M" if moment.date() == today else "%d/%m %H:%M")


def age_text(seconds: float | None) -> str:
    """How old, in the screen's language: "12 min", "5 h 07", "3 d" (Vietnamese: "12 phút",
    "5 giờ 07", "3 ngày")."""
    if seconds is None:
        return ""
    minutes = int(seconds // 60)
    if minutes < 60:
        return QCoreApplication.translate("Age", "%1 min").replace("%1", str(minutes))
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return QCoreApplication.translate("Age", "%1 h %2").replace("%1", str(hours)).replace(
            "%2", f"{minutes:02d}")
    return QCoreApplication.translate("Age", "%1 d").replace("%1", str(hours // 24))


def kept_together(text: str) -> str:
    """``text`` with no-break spaces where a wrapped line must not break: on either side of
    a number (it stays with what it counts, an age's parts with each other: "oldest 5 h"
    over "51 · 2" over "refused by the centre" was read on a 7" panel) and before a part's
    "·", so that a line ends with one and the next part starts the next."""
    text = re.sub(r"(?<=[^\s·]) (?=\d)", "\u00a0", text)
    text = re.sub(r"(?<=\d) ", "\u00a0", text)
    return text.replace(" · ", "\u00a0· ")


class StatusStrip(Retranslating):
    def __init__(self, timezone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timezone = timezone
        self.badges: dict[str, DeviceBadge] = {}
        self.view: SyncView | None = None
        self.setAutoFillBackground(True)
        self.grow = 1.0
        """How much larger than on a 1280×800 screen the strip's words are (:meth:`arrange`)."""
        layout = self.columns = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        layout.setContentsMargins(12, 4, 12, 4)
        self.devices = QHBoxLayout()
        self.devices.setSpacing(18)
        layout.addLayout(self.devices)
        layout.addStretch(0)
        separator = self.separator = QFrame()
        separator.setFrameShape(QFrame.Shape.VLine)
        layout.addWidget(separator)
        self.sync = QLabel()
        self.sync.setObjectName("sync_summary")
        self.sync.setWordWrap(True)  # a long offline line wraps rather than widen the window
        self.sync.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.sync.setFont(pixel_font(self, 16, bold=True))
        layout.addWidget(self.sync, 1)
        self.no_devices = QLabel()
        self.no_devices.setFont(pixel_font(self, 16))
        self.devices.addWidget(self.no_devices)
        self.retranslate()

    def arrange(self, width: int, grow: float = 1.0) -> None:
        """Devices and sync side by side; on a narrow (portrait) screen the sync line goes
        under the devices and takes the whole width, rather than wrapping word by word in
        the half left to it. Its words ``grow`` times larger on a large screen
        (:func:`kiosk.ui.widgets.growth`): "MẤT KẾT NỐI" at 16 px on a 24" one."""
        narrow = width < NARROW_WIDTH
        stack_when_narrow(self.columns, width)
        self.grow = grow
        self.sync.setFont(pixel_font(self, round((15 if narrow else 16) * grow), bold=True))
        for badge in self.badges.values():
            badge.setFont(pixel_font(self, round(15 * grow)))
        self.no_devices.setFont(pixel_font(self, round(16 * grow)))
        self.separator.setVisible(not narrow)
        self.sync.setAlignment((Qt.AlignmentFlag.AlignLeft if narrow else
                                Qt.AlignmentFlag.AlignRight) | Qt.AlignmentFlag.AlignVCenter)

    def set_devices(self, devices: Sequence[DeviceOptions]) -> None:
        for badge in self.badges.values():
            badge.deleteLater()
        self.badges = {}
        for device in devices:
            if device.enabled:
                badge = DeviceBadge(device.id)
                badge.setFont(pixel_font(self, round(15 * self.grow)))
                self.badges[device.id] = badge
                self.devices.addWidget(badge)
        self.no_devices.setVisible(not self.badges)

    def set_status(self, status: DeviceStatus) -> None:
        badge = self.badges.get(status.device_id)
        if badge is not None:
            badge.set_status(status.state, status.reason)

    def set_sync(self, view: SyncView) -> None:
        self.view = view
        self._render_sync()

    def _render_sync(self) -> None:
        view = self.view
        if view is None:
            self.sync.setText("")
            return
        language = screen_language()
        if view.store_refusing is not None:  # nothing else on the line matters as much
            self.sync.setText(self.tr("NO SCAN IS RECORDED"))  # why: on the card above it
            self.sync.setStyleSheet("color: #c62828;")
            self.sync.setToolTip(view.store_refusing(language))
            return
        colour = "#1b5e20"
        if not view.enabled:
            text = (counted_n(self.tr("Sync off · %n not sent", "", view.pending), view.pending)
                    if view.pending
                    else self.tr("Sync off"))
            colour = "#455a64"
        elif view.online is False:
            text = counted_n(self.tr("OFFLINE · %n waiting, safe on this kiosk", "", view.pending),
                             view.pending)
            if view.oldest_pending_age_seconds is not None:
                text += self.tr(" · oldest %1").replace(
                    "%1", age_text(view.oldest_pending_age_seconds))
            colour = "#c62828"
        else:
            text = counted_n(self.tr("Sync online · %n pending", "", view.pending), view.pending)
            if view.uploading:
                text += self.tr(" · sending…")
        last = local_time(view.last_success, self.timezone)
        if view.enabled and last:
            text += self.tr(" · last sent %1").replace("%1", last)
        if view.rejected:
            text += counted_n(self.tr(" · %n refused by the centre", "", view.rejected),
                             view.rejected)
            colour = "#c62828" if colour != "#455a64" else "#b26a00"
        if view.enabled and view.alert is not None:  # a revoked token read "Sync online"
            text += self.tr(" · ALERT: see the sync screen")  # above uploads stopped
            colour = "#c62828"
        self.sync.setText(kept_together(text))
        self.sync.setStyleSheet(f"color: {colour};")
        self.sync.setToolTip(view.alert(language) if view.alert else
                             saved_text(view.last_error, language) if view.error_current
                             else "")

    def retranslate(self) -> None:
        self.no_devices.setText(self.tr("No scanner configured"))
        self._render_sync()
