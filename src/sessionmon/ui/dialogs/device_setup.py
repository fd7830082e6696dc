"""Device setup: a driver and a serial port per role, a connection test, or simulated devices."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.settings import ConsoleSettings, DeviceChoice

ROLES = ("oximeter", "nibp")

#: ``tester(role, protocol, port) -> (ok, message)``.
ConnectionTester = Callable[[str, str, str], tuple[bool, str]]


def drivers_by_role() -> dict[str, list[str]]:
    """Return the protocol (driver) names per role from the protocols registry."""
    from sessionmon.devices.protocols import PROTOCOLS

    result: dict[str, list[str]] = {role: [] for role in ROLES}
    for name, spec in sorted(PROTOCOLS.items()):
        role = getattr(spec, "role", "oximeter")
        result.setdefault(str(getattr(role, "value", role)), []).append(name)
    return result


def supplies_text(protocol: str) -> str:
    """Say what one device of ``protocol`` supplies when it fills several roles ('' if not)."""
    from sessionmon.devices.protocols import PROTOCOLS

    spec = PROTOCOLS.get(protocol)
    if spec is None or len(spec.all_roles) < 2:
        return ""
    return (
        f"{protocol} is a multiparameter monitor: it supplies SpO2 and pulse/HR, the NIBP "
        "(unless an NIBP is chosen below) and respiration (RR, etCO2). Port: a serial port "
        "(MIB/RS232) or udp:HOST for its LAN interface."
    )


def available_ports() -> list[tuple[str, str]]:
    """Return ``(device, description)`` for each serial port found."""
    try:
        from sessionmon.devices.ports import list_ports

        return [(p.device, f"{p.device}  {p.hint}") for p in list_ports()]
    except Exception:
        return []


class ConnectionTestThread(QThread):
    """Runs one connection test off the UI thread (it waits up to a few seconds for data).

    Parameters
    ----------
    tester : callable
        ``tester(role, protocol, port) -> (ok, message)``.
    role, protocol, port : str
        What to test.

    Signals
    -------
    outcome(str, bool, str)
        ``(role, ok, message)`` once the test is over.
    """

    outcome = Signal(str, bool, str)

    def __init__(
        self,
        tester: ConnectionTester,
        role: str,
        protocol: str,
        port: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tester = tester
        self.role, self.protocol, self.port = role, protocol, port

    def run(self) -> None:
        """Run the test and report its outcome (an unexpected error is the outcome too)."""
        try:
            ok, message = self._tester(self.role, self.protocol, self.port)
        except Exception as exc:  # a failed test is reported, never lost in the thread
            ok, message = False, f"{self.protocol} on {self.port}: {exc}"
        self.outcome.emit(self.role, ok, message)


class DeviceSetupDialog(QDialog):
    """Choose simulated devices, or a driver and a port for the oximeter and the NIBP.

    Parameters
    ----------
    settings : ConsoleSettings
        The current choice (shown; updated by :meth:`apply_to`).
    tester : callable, optional
        Tries a connection and says what happened.
    """

    def __init__(
        self,
        settings: ConsoleSettings,
        tester: ConnectionTester | None = None,
        drivers: dict[str, list[str]] | None = None,
        ports: list[tuple[str, str]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Devices")
        self._tester = tester
        drivers = drivers if drivers is not None else drivers_by_role()
        ports = ports if ports is not None else available_ports()
        self.simulated = QCheckBox("Use simulated devices (training; no patient data)")
        self.simulated.setChecked(settings.simulated_devices)
        self.driver_boxes: dict[str, QComboBox] = {}
        self.port_boxes: dict[str, QComboBox] = {}
        self.results: dict[str, QLabel] = {}
        self.test_buttons: dict[str, QPushButton] = {}
        self.running_tests: dict[str, ConnectionTestThread] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.simulated)
        self.group = QGroupBox("Serial devices")
        grid = QGridLayout(self.group)
        for row, role in enumerate(ROLES):
            driver = QComboBox()
            driver.addItem("(none)", "")
            for name in drivers.get(role, []):
                driver.addItem(name, name)
            port = QComboBox()
            port.setEditable(True)
            for device, description in ports:
                port.addItem(description, device)
            chosen = settings.devices.get(role)
            if chosen:
                driver.setCurrentIndex(max(0, driver.findData(chosen.protocol)))
                index = port.findData(chosen.port)
                if index >= 0:
                    port.setCurrentIndex(index)
                else:
                    port.setEditText(chosen.port)
            test = QPushButton("Test connection")
            test.clicked.connect(lambda _=False, r=role: self.test(r))
            result = QLabel("")
            result.setWordWrap(True)
            result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            result.setMinimumWidth(520)
            grid.addWidget(QLabel(role.upper()), row * 2, 0)
            grid.addWidget(driver, row * 2, 1)
            grid.addWidget(port, row * 2, 2)
            grid.addWidget(test, row * 2, 3)
            grid.addWidget(result, row * 2 + 1, 1, 1, 3)
            if chosen and not result.text():
                result.setText(supplies_text(chosen.protocol))
            driver.currentIndexChanged.connect(
                lambda _=0, box=driver, label=result: label.setText(
                    supplies_text(box.currentData() or "")
                )
            )
            self.driver_boxes[role] = driver
            self.port_boxes[role] = port
            self.results[role] = result
            self.test_buttons[role] = test
        if not ports:
            grid.addWidget(QLabel("No serial ports found; type the port name."), 4, 1, 1, 3)
        layout.addWidget(self.group)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.simulated.toggled.connect(lambda on: self.group.setEnabled(not on))
        self.group.setEnabled(not settings.simulated_devices)

    def port_of(self, role: str) -> str:
        """The port chosen (or typed) for ``role``."""
        box = self.port_boxes[role]
        data = box.currentData()
        text = box.currentText().strip()
        if data and box.itemText(box.currentIndex()) == text:
            return data
        return text

    def test(self, role: str) -> None:
        """Try the connection of ``role`` in the background; the outcome shows under its row.

        The test waits seconds for data, so it never runs on the UI thread: the console keeps
        drawing and sounding alarms meanwhile.
        """
        protocol = self.driver_boxes[role].currentData()
        port = self.port_of(role)
        label = self.results[role]
        if not protocol or not port:
            label.setText("Choose a driver and a port first.")
            label.setStyleSheet("color: #FFD400;")
            return
        if self._tester is None:
            label.setText("Connection test is not available.")
            return
        if role in self.running_tests:
            return
        label.setText(f"Testing {protocol} on {port}...")
        label.setStyleSheet("")
        self.test_buttons[role].setEnabled(False)
        thread = ConnectionTestThread(self._tester, role, protocol, port, self)
        thread.outcome.connect(self._tested)
        self.running_tests[role] = thread
        thread.start()

    def _tested(self, role: str, ok: bool, message: str) -> None:
        thread = self.running_tests.pop(role, None)
        if thread is not None:
            thread.wait()  # run() has emitted its last signal; let the thread end
            thread.deleteLater()
        self.test_buttons[role].setEnabled(True)
        label = self.results[role]
        label.setText(message)
        label.setStyleSheet("color: #2ECC71;" if ok else "color: #FF6B6B;")

    def done(self, result: int) -> None:
        """Close; a connection test still running is let finish first (a thread is never
        destroyed while it runs)."""
        for thread in list(self.running_tests.values()):
            thread.wait()
        super().done(result)

    def apply_to(self, settings: ConsoleSettings) -> None:
        """Write the choices into ``settings``."""
        settings.simulated_devices = self.simulated.isChecked()
        before, settings.devices = settings.devices, {}
        for role in ROLES:
            protocol = self.driver_boxes[role].currentData()
            port = self.port_of(role)
            if protocol and port:
                saved = before.get(role)
                # port overrides from the settings file stay while the driver stays
                keep = dict(saved.overrides) if saved and saved.protocol == protocol else {}
                settings.devices[role] = DeviceChoice(protocol, port, keep)
