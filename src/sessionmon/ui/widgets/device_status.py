"""Device status: one indicator per device (streaming, stalled, reconnecting...)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from sessionmon.ui.viewmodel import DeviceView

STATE_COLOURS = {
    "streaming": "#2ECC71",
    "connected": "#2ECC71",
    "opening": "#00E5FF",
    "stalled": "#FFD400",
    "reconnecting": "#FF8C00",
    "disconnected": "#FF1F1F",
}

#: Where the status row is narrow (a small laptop with three devices), the role in fewer letters;
#: the state is never shortened.
SHORT_ROLES = {"oximeter": "OXI", "respiration": "RESP", "capnograph": "CO2"}


class DeviceStatus(QFrame):
    """Shows a row of :class:`DeviceView` indicators."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(4, 0, 4, 0)
        # the row's own hints (full and short texts) decide its width, not its labels' sizes
        self._layout.setSizeConstraint(QHBoxLayout.SizeConstraint.SetNoConstraint)
        self.labels: dict[str, QLabel] = {}
        self._texts: dict[str, tuple[str, str]] = {}  # role -> (full, short)
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
                # each label as wide as its text; the row picks the texts (see _fit)
                label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
                self._layout.addWidget(label)
                self.labels[device.role] = label
            colour = STATE_COLOURS.get(device.state, "#9AA3AD")
            short = SHORT_ROLES.get(device.role, device.role.upper())
            self._texts[device.role] = (
                f"\u25cf {device.role.upper()}: {device.state}",
                f"\u25cf {short}: {device.state}",
            )
            label.setToolTip(f"{device.device_id} {device.detail}".strip())
            label.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 17px;")
            label.ensurePolished()  # its font is the style sheet's before it is measured
            label.setVisible(True)
        for role, label in self.labels.items():
            if role not in seen:
                label.setVisible(False)
                self._texts.pop(role, None)
        self._fit()
        self.updateGeometry()

    def _width_of(self, which: int) -> int:
        metrics = next(iter(self.labels.values())).fontMetrics() if self.labels else None
        if metrics is None or not self._texts:
            return self.none_label.sizeHint().width() + 8
        texts = [pair[which] for pair in self._texts.values()]
        gaps = self._layout.spacing() * (len(texts) - 1) + 8 + 4 * len(texts)
        return sum(metrics.horizontalAdvance(t) for t in texts) + gaps

    def sizeHint(self) -> QSize:
        return QSize(self._width_of(0), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(self._width_of(1), super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """Full role names where they fit, the short ones where they do not."""
        which = 0 if self._width_of(0) <= self.width() else 1
        for role, texts in self._texts.items():
            label = self.labels[role]
            if label.text() != texts[which]:
                label.setText(texts[which])
                label.setFixedWidth(label.fontMetrics().horizontalAdvance(texts[which]) + 4)

    def state_of(self, role: str) -> str | None:
        """The state shown for the device with ``role``."""
        for device in self._shown or ():
            if device.role == role:
                return device.state
        return None
