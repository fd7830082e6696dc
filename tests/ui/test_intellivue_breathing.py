"""An IntelliVue set up as the oximeter lights the RR and etCO2 tiles and draws the capnogram,
with no capnograph of its own: the console end to end, the simulated monitor speaking the real
Data Export protocol on a pty (RS232 framing, real pyserial) and on UDP 127.0.0.1.

The simulated monitor answers on its own thread (system clock); the console's driver runs on
the console's manual clock, moved on a second at a time once the monitor has answered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from test_layout_sizes import clipped_texts

from pty_helpers import wait_until
from sessionmon.clock import SystemClock
from sessionmon.devices.pty_port import PtyPort
from sessionmon.model import Kind
from sessionmon.sim.intellivue_sim import PtyTransport, SimulatedIntelliVue, UdpTransport
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.settings import DeviceChoice


def _serve_pty(transport: PtyTransport, stop: threading.Event) -> None:
    while not stop.is_set():
        transport.step()
        stop.wait(0.005)


@pytest.fixture(params=["rs232", "udp"])
def monitor(request) -> Iterator[tuple[SimulatedIntelliVue, str]]:
    sim = SimulatedIntelliVue(SystemClock(), nibp_interval_s=None, nibp_first_s=1e9, seed=4)
    stop = threading.Event()
    if request.param == "rs232":
        pty = PtyPort()
        transport = PtyTransport(sim, pty)
        thread = threading.Thread(target=_serve_pty, args=(transport, stop), daemon=True)
        address = transport.path
    else:
        transport = UdpTransport(sim, "127.0.0.1", 0)
        thread = threading.Thread(target=transport.run, args=(stop,), daemon=True)
        address = transport.address
    thread.start()
    yield sim, address
    stop.set()
    thread.join(2.0)
    if request.param == "rs232":
        pty.close()
    else:
        transport.close()


def test_monitor_as_oximeter_lights_rr_and_etco2_tiles(qtbot, console, store, clock, monitor):
    _, address = monitor
    controller, window = console.controller, console.window
    window.show()
    qtbot.waitExposed(window)
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.width() == 1920, timeout=2000)
    controller.settings.devices = {"oximeter": DeviceChoice("intellivue", address)}
    dialog = window.show_new_session()
    dialog.set_form(
        NewSessionForm(
            pseudonym="IV-02", sex="female", lot_number="L1", monitoring_provider="Dr. K. Example"
        )
    )
    assert dialog.try_accept(), window.message.text()
    device = controller.runtime._oximeter
    assert controller.runtime.has_respiration  # the monitor is the capnograph too

    def second() -> bool:
        answered = device.messages_in
        clock.advance(1.0)
        wait_until(lambda: device.messages_in > answered, 1.0)
        controller.step()
        controller.refresh()
        return True

    def breathing_shown() -> bool:
        return window.rr_tile.value.text() not in (
            "",
            "--",
        ) and window.etco2_tile.value.text() not in (
            "",
            "--",
        )

    assert wait_until(lambda: second() and breathing_shown(), 8.0, pause_s=0.05)
    assert window.rr_tile.isVisible() and window.etco2_tile.isVisible()
    assert 8 <= int(window.rr_tile.value.text()) <= 30
    assert 25 <= int(window.etco2_tile.value.text()) <= 50
    session = controller.runtime.session
    rr = store.measurements(session.id, kinds=[Kind.RESP_RATE])
    assert rr and rr[-1].source == device.device_id
    # The CO2 wave reaches the capnogram and the store.
    assert wait_until(
        lambda: (
            second()
            and controller.runtime.snapshot().co2 is not None
            and len(controller.runtime.snapshot().co2.samples) > 10
        ),
        5.0,
        pause_s=0.05,
    )

    def co2_stored() -> bool:
        store.flush()
        return store.waveform_count(session.id, Kind.CO2) > 0

    assert wait_until(lambda: second() and co2_stored(), 8.0, pause_s=0.05)
    QApplication.processEvents()  # let the layout settle (events only, no waiting)
    controller.refresh()
    assert window.etco2_tile.wave.has_trace, "the capnogram is swept on the etCO2 tile"
    assert [t for t in clipped_texts(window) if "RR" in t or "etCO2" in t] == []
    window.grab().save("/tmp/intellivue_breathing.png")


def test_unplugged_monitor_greys_its_etco2_and_fico2_not_only_its_rr(qtbot, console, clock):
    """The IntelliVue is the oximeter and the capnograph at once: when its cable is pulled (the
    pty closes) its etCO2 and FiCO2 are old values like its RR and SpO2, shown stale at once
    (never a live-looking etCO2 of a monitor that is gone), and no capnogram is drawn."""
    sim = SimulatedIntelliVue(SystemClock(), nibp_interval_s=None, nibp_first_s=1e9, seed=4)
    stop = threading.Event()
    pty = PtyPort()
    transport = PtyTransport(sim, pty)
    thread = threading.Thread(target=_serve_pty, args=(transport, stop), daemon=True)
    thread.start()
    try:
        controller, window = console.controller, console.window
        window.show()
        window.resize(1920, 1080)
        qtbot.waitUntil(lambda: window.width() == 1920, timeout=2000)
        controller.settings.devices = {"oximeter": DeviceChoice("intellivue", transport.path)}
        dialog = window.show_new_session()
        dialog.set_form(
            NewSessionForm(
                pseudonym="IV-03", sex="female", lot_number="L1", monitoring_provider="Dr. K. Ex"
            )
        )
        assert dialog.try_accept(), window.message.text()
        device = controller.runtime._oximeter

        def second() -> bool:
            answered = device.messages_in
            clock.advance(1.0)
            wait_until(lambda: device.messages_in > answered, 1.0)
            controller.step()
            controller.draw_frame()
            return True

        def live() -> bool:
            shown = (window.rr_tile.value.text(), window.etco2_tile.value.text())
            return "--" not in shown and "" not in shown and window.etco2_tile.wave.has_trace

        assert wait_until(lambda: second() and live(), 10.0, pause_s=0.05)
        assert not window.rr_tile.stale and not window.etco2_tile.stale
        assert window.etco2_tile.fico2_label.text() != "FiCO2 --"
        stop.set()
        thread.join(2.0)
        pty.close()  # the cable is pulled

        def gone() -> bool:
            controller.acquire()
            controller.draw_frame()
            return window.rr_tile.stale  # the monitor's loss is seen

        assert wait_until(gone, 5.0, pause_s=0.02)
        assert window.etco2_tile.stale, "etCO2 of an unplugged monitor shown as current"
        assert window.etco2_tile.fico2_label.text() == "FiCO2 --"
        assert not window.etco2_tile.wave.has_trace
    finally:
        stop.set()
        thread.join(2.0)
        pty.close()
