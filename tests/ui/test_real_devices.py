"""The nurse's real path: every driver through the source factory and the console's real mode.

Each oximeter protocol and the SunTech NIBP are played on ptys by the wire simulator (on the
console's manual clock) and read by the real drivers through real pyserial. The console builds
them from its saved device setup with the core's source factory; the test starts a session
from the New session form, sees the vitals on the tiles, presses Start on the NIBP tile and
sees the module's result arrive on the tile and in the record.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt

from pty_helpers import wait_until
from sessionmon.devices.protocols import PROTOCOLS
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import DeviceRole, LinkState
from sessionmon.devices.suntech_driver import SuntechNibp
from sessionmon.model import Kind
from sessionmon.sim.wire_sim import WireSimulator
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.settings import DeviceChoice

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")

# streaming oximeters (a multiparameter monitor answers polls: tests/test_intellivue_*.py)
OXIMETERS = sorted(
    n for n, spec in PROTOCOLS.items() if spec.role is DeviceRole.OXIMETER and not spec.roles
)
NIBPS = sorted(n for n, spec in PROTOCOLS.items() if spec.role is DeviceRole.NIBP)


@pytest.fixture
def ports(tmp_path) -> Iterator[tuple[PtyPort, PtyPort]]:
    oximeter, nibp = PtyPort(link=tmp_path / "ttyUSB0"), PtyPort(link=tmp_path / "ttyUSB1")
    yield oximeter, nibp
    oximeter.close()
    nibp.close()


class Bench:
    """Two simulated devices on ptys, played one simulated second at a time."""

    def __init__(self, console, clock, ports, protocol: str, nibp: str) -> None:
        self.console, self.clock = console, clock
        self.ox_port, self.bp_port = ports
        self.oximeter = WireSimulator(protocol, self.ox_port, clock, hr=66, spo2=96, seed=3)
        self.nibp = WireSimulator(nibp, self.bp_port, clock, sys=142, dia=88, hr=66, seed=5)

    def second(self, expect_query: bool) -> None:
        """One simulated second: oximeter frames, and one NIBP query answered and read."""
        controller = self.console.controller
        self.clock.advance(1.0)
        link = controller.runtime._oximeter.link
        before_ox = link.bytes_in
        sent = self.oximeter.step()
        if sent:  # the reader has the second's frames before the clock moves on
            assert wait_until(lambda: link.bytes_in >= before_ox + sent)
        driver = controller.nibp_source
        host = bytearray()
        if expect_query:
            assert wait_until(lambda: host.extend(self.bp_port.read_available(0.005)) or host)
        else:
            host.extend(self.bp_port.read_available(0.0))
        before = driver.link.bytes_in
        written = self.nibp.receive(bytes(host)) + self.nibp.step()
        if written:
            assert wait_until(lambda: driver.link.bytes_in >= before + written)
        controller.step()


@pytest.mark.parametrize("nibp", NIBPS)
@pytest.mark.parametrize("protocol", OXIMETERS)
def test_every_driver_through_the_factory_and_the_console_real_mode(
    qtbot, console, store, clock, ports, protocol, nibp
):
    controller, window = console.controller, console.window
    ox_port, bp_port = ports
    controller.settings.devices = {
        "oximeter": DeviceChoice(protocol, ox_port.path),
        "nibp": DeviceChoice(nibp, bp_port.path),
    }
    form = NewSessionForm(
        pseudonym="REAL-01", sex="female", lot_number="L1", monitoring_provider="Dr. K. Example"
    )
    dialog = window.show_new_session()
    dialog.set_form(form)
    assert dialog.try_accept(), window.message.text()
    session = controller.runtime.session
    assert not session.simulated
    oximeter, driver = controller.runtime._oximeter, controller.nibp_source
    assert isinstance(oximeter, SerialOximeter) and oximeter.profile.name == protocol
    assert isinstance(driver, SuntechNibp)
    assert wait_until(lambda: oximeter.state is LinkState.STREAMING)
    assert wait_until(lambda: driver.state is LinkState.STREAMING)

    bench = Bench(console, clock, ports, protocol, nibp)
    for _ in range(6):
        bench.second(expect_query=False)

    def both_tiles_show_a_value() -> bool:
        controller.step()
        shown = (window.hr_tile.value.text(), window.spo2_tile.value.text())
        return all(text not in ("", "--") for text in shown)

    assert wait_until(both_tiles_show_a_value, 3.0), f"no HR and SpO2 on the tiles from {protocol}"
    assert 60 <= int(window.hr_tile.value.text()) <= 72
    assert 94 <= int(window.spo2_tile.value.text()) <= 98

    qtbot.mouseClick(window.nibp_tile.start_button, Qt.MouseButton.LeftButton)
    for _ in range(60):
        bench.second(expect_query=True)
        if store.measurements(session.id, kinds=[Kind.NIBP_SYS]):
            break
    (systolic,) = store.measurements(session.id, kinds=[Kind.NIBP_SYS])
    (diastolic,) = store.measurements(session.id, kinds=[Kind.NIBP_DIA])
    assert 130 <= systolic.value <= 155 and 80 <= diastolic.value <= 96
    controller.refresh()
    assert window.nibp_tile.value.text() == f"{systolic.value:g}/{diastolic.value:g}"
    assert "MEASURING" not in window.nibp_tile.measuring_label.text()


def test_test_connection_of_the_suntech_module_in_the_device_setup(qtbot, console, ports):
    from pty_helpers import LiveDevice

    _, bp_port = ports
    setup = console.window.show_device_setup()
    driver = setup.driver_boxes["nibp"]
    driver.setCurrentIndex(driver.findData("suntech"))
    setup.port_boxes["nibp"].setEditText(bp_port.path)
    with LiveDevice("suntech", bp_port) as module:
        setup.test("nibp")
        qtbot.waitUntil(lambda: not setup.running_tests, timeout=10000)
    text = setup.results["nibp"].text()
    assert (
        text == f"suntech on {bp_port.path} (9600 8-N-1): the module answers (cuff pressure 0 mmHg)"
    )
    assert not module.sim.encoder.measuring, "a connection test never inflates the cuff"
    setup.reject()


def test_a_device_failure_at_session_start_is_shown_in_full_in_a_dialog(
    qtbot, console, monkeypatch, ports
):
    import sessionmon.ui.controller as controller_module

    def broken(settings, clock):
        raise TypeError("SuntechNibp.__init__() got multiple values for argument 'clock'")

    monkeypatch.setattr(controller_module, "serial_devices", broken)
    window = console.window
    dialog = window.show_new_session()
    dialog.set_form(
        NewSessionForm(
            pseudonym="REAL-02", sex="male", lot_number="L2", monitoring_provider="Dr. K. Example"
        )
    )
    assert not dialog.try_accept()
    box = window.dialogs["failure"]
    assert box.isVisible()
    assert box.text() == (
        "The session could not start: TypeError: SuntechNibp.__init__() got multiple values "
        "for argument 'clock'"
    )
    assert "Traceback" in box.detailedText() and "broken" in box.detailedText()
    assert console.controller.runtime is None
    box.close()
    dialog.reject()
