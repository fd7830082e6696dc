"""The nurse's path with a Philips IntelliVue: Devices dialog, Test connection, a real session.

The simulated IntelliVue answers the real Data Export protocol on UDP 127.0.0.1 on its own
thread (system clock); the console's driver runs on the console's manual clock, which the test
moves on a second at a time, so the driver polls as it would once a second.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from pty_helpers import wait_until
from sessionmon.clock import SystemClock
from sessionmon.devices.intellivue_driver import IntelliVueMonitor
from sessionmon.model import Kind
from sessionmon.sim.intellivue_sim import SimulatedIntelliVue, UdpTransport
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.settings import DeviceChoice


@pytest.fixture
def monitor() -> Iterator[tuple[SimulatedIntelliVue, UdpTransport]]:
    sim = SimulatedIntelliVue(SystemClock(), nibp_interval_s=None, nibp_first_s=1e9, seed=2)
    sim.nibp_duration_s = 1.0
    transport = UdpTransport(sim, "127.0.0.1", 0)
    stop = threading.Event()
    thread = threading.Thread(target=transport.run, args=(stop,), daemon=True)
    thread.start()
    yield sim, transport
    stop.set()
    thread.join(2.0)
    transport.close()


def test_devices_dialog_offers_the_monitor_and_tests_its_connection(qtbot, console, monitor):
    _, transport = monitor
    setup = console.window.show_device_setup()
    driver = setup.driver_boxes["oximeter"]
    assert driver.findData("intellivue") >= 0
    driver.setCurrentIndex(driver.findData("intellivue"))
    assert "multiparameter monitor" in setup.results["oximeter"].text()
    assert "NIBP" in setup.results["oximeter"].text()
    setup.port_boxes["oximeter"].setEditText(transport.address)
    setup.test("oximeter")
    qtbot.waitUntil(lambda: not setup.running_tests, timeout=10000)
    text = setup.results["oximeter"].text()
    assert text.startswith(f"intellivue on {transport.address} (UDP 127.0.0.1:")
    assert "data is arriving" in text
    setup.reject()


def _alarm_texts(window) -> str:
    labels = window.alarm_bar.findChildren(QLabel)
    return " | ".join(label.text() for label in labels if not label.isHidden())


def test_session_with_the_monitor_tiles_bp_prompt_and_bp(qtbot, console, store, clock, monitor):
    sim, transport = monitor
    controller, window = console.controller, console.window
    controller.settings.devices = {"oximeter": DeviceChoice("intellivue", transport.address)}
    dialog = window.show_new_session()
    dialog.set_form(
        NewSessionForm(
            pseudonym="IV-01", sex="male", lot_number="L1", monitoring_provider="Dr. K. Example"
        )
    )
    assert dialog.try_accept(), window.message.text()
    device = controller.runtime._oximeter
    assert isinstance(device, IntelliVueMonitor)
    assert controller.nibp_source is device  # the monitor is the NIBP as well

    def second() -> bool:
        """One second on the console's clock, once the monitor has answered the last poll."""
        answered = device.messages_in
        clock.advance(1.0)
        wait_until(lambda: device.messages_in > answered, 1.0)
        controller.step()
        controller.refresh()
        return True

    assert wait_until(
        lambda: second() and window.hr_tile.value.text() not in ("", "--"), 5.0, pause_s=0.05
    )
    assert 60 <= int(window.hr_tile.value.text()) <= 85
    assert 94 <= int(window.spo2_tile.value.text()) <= 100

    qtbot.mouseClick(window.nibp_tile.start_button, Qt.MouseButton.LeftButton)
    assert wait_until(
        lambda: second() and "START BP ON THE MONITOR" in _alarm_texts(window),
        5.0,
        pause_s=0.05,
    ), _alarm_texts(window)
    sim.start_nibp()  # the nurse presses Start on the monitor
    session = controller.runtime.session
    assert wait_until(
        lambda: second() and bool(store.measurements(session.id, kinds=[Kind.NIBP_SYS])),
        8.0,
        pause_s=0.05,
    )
    (systolic,) = store.measurements(session.id, kinds=[Kind.NIBP_SYS])
    assert systolic.source == device.device_id
    assert wait_until(
        lambda: second() and "START BP ON THE MONITOR" not in _alarm_texts(window), 5.0
    )
    controller.refresh()
    assert window.nibp_tile.value.text().startswith(f"{systolic.value:g}/")
    assert "NO DATA" not in _alarm_texts(window)  # a monitor answering every poll
    window.grab().save("/tmp/intellivue_console.png")
