"""Device status: one indicator per device (streaming, stalled, reconnecting...)."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from sessionmon.ui.viewmodel import DeviceView

STATE_COLOURS = {
    "streaming": "#2ECC71",
    "connected": "#2ECC71",
    "opening": "#00E5FF",
    "stalled": "#FFD400",
    "reconnecting": "#FF8C00",
    "disconnected": "#FF1F1F",
}


class DeviceStatus(QFrame):
    """Shows a row of :class:`DeviceView` indicators."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 0, 4, 0)
        self.labels: dict[str, QLabel] = {}
        self._shown: tuple[DeviceView, ...] | None = None
        self.none_label = QLabel("No devices")
        self._layout.addWidget(self.none_label)

    def set_devices(self, devices: tuple[DeviceView, ...]) -> None:
        """Show ``devices``."""
        if devices == self._shown:
            return
        self._shown = devices
        self.none_label.setVisible(not devices)
        seen = set()
        for device in devices:
            seen.add(device.role)
            label = self.labels.get(device.role)
            if label is None:
                label = QLabel()
                self._layout.addWidget(label)
                self.labels[device.role] = label
            colour = STATE_COLOURS.get(device.state, "#9AA3AD")
            label.setText(f"\u25cf {device.role.upper()}: {device.state}")
            label.setToolTip(f"{device.device_id} {device.detail}".strip())
            label.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 17px;")
            label.setVisible(True)
        for role, label in self.labels.items():
            if role not in seen:
                label.setVisible(False)

    def state_of(self, role: str) -> str | None:
        """The state shown for the device with ``role``."""
        for device in self._shown or ():
            if device.role == role:
                return device.state
        return None
