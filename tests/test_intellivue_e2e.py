"""End to end: the simulated IntelliVue over a pty and over UDP loopback -> the real driver ->
the session runtime.

Nothing is mocked: :class:`SimulatedIntelliVue` answers the Data Export dialog on a pty master
(RS232 framing) or on a real UDP socket on 127.0.0.1, the real :class:`IntelliVueMonitor` talks
to it through pyserial or a socket on its own thread, and a real :class:`SessionRuntime` with a
real SQLite store and the system clock records it. The test loop plays the monitor, ticks the
runtime and checks a condition with a real-time deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from sessionmon.clock import SystemClock
from sessionmon.devices.factory import parse_device, start_sources
from sessionmon.devices.intellivue_driver import IntelliVueMonitor
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.source import DeviceRole
from sessionmon.model import Kind, Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.sim.intellivue_sim import PtyTransport, SimulatedIntelliVue, UdpTransport
from sessionmon.store import SessionStore

_PAUSE = threading.Event()


@pytest.fixture
def store(tmp_path) -> Iterator[SessionStore]:
    with SessionStore.open(tmp_path / "sessions.db", SystemClock()) as s:
        yield s


class Bench:
    """A simulated monitor on one transport and a runtime reading it through the factory."""

    def __init__(self, store: SessionStore, transport, monitor: SimulatedIntelliVue) -> None:
        self.store = store
        self.transport = transport
        self.monitor = monitor
        self.sources = start_sources(parse_device(f"intellivue:{transport.path}"), None, CLOCK)
        self.device: IntelliVueMonitor = self.sources.oximeter
        self.runtime = SessionRuntime(
            store,
            CLOCK,
            patient=Patient(pseudonym="IV-1"),
            treatment="ketamine-iv",
            flush_interval_s=0.05,
            oximeter=self.sources.oximeter,
            nibp=self.sources.nibp,
        )

    def run_until(self, condition: Callable[[], bool], timeout_s: float = 3.0) -> float | None:
        started = time.monotonic()
        while True:
            self.transport.step()
            self.runtime.tick()
            if condition():
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                return None
            _PAUSE.wait(0.005)

    def stored(self, kind: Kind) -> list[float]:
        rows = self.store.measurements(self.runtime.session_id, kinds=[kind])
        return [m.value for m in rows]

    def shows(self, kind: Kind) -> bool:
        value = self.runtime.snapshot().values.get(kind)
        return value is not None and not value.stale

    def alarm(self, condition: str):
        return next((a for a in self.runtime.snapshot().alarms if a.condition == condition), None)

    def close(self) -> None:
        self.runtime.close()
        self.sources.stop()
        self.transport.close()


CLOCK = SystemClock()


def _monitor(**kwargs) -> SimulatedIntelliVue:
    options = {"nibp_first_s": 0.1, "nibp_duration_s": 0.5, "seed": 3, **kwargs}
    return SimulatedIntelliVue(CLOCK, **options)


@pytest.fixture(params=["rs232", "udp"])
def bench(request, store) -> Iterator[Bench]:
    monitor = _monitor()
    if request.param == "rs232":
        transport = PtyTransport(monitor, PtyPort())
    else:
        transport = UdpTransport(monitor, "127.0.0.1", 0)
    b = Bench(store, transport, monitor)
    try:
        yield b
    finally:
        b.close()


NUMERICS = (Kind.HR, Kind.SPO2, Kind.RESP_RATE, Kind.ETCO2)


def test_monitor_fills_every_role_and_the_record_names_it(bench):
    assert bench.sources.nibp is bench.device  # one monitor: oximeter, NIBP and respiration
    assert set(bench.device.roles) == {DeviceRole.OXIMETER, DeviceRole.NIBP, DeviceRole.RESPIRATION}
    assert bench.run_until(
        lambda: all(bench.shows(k) for k in NUMERICS) and bench.stored(Kind.NIBP_SYS)
    )
    assert all(60 <= v <= 85 for v in bench.stored(Kind.HR))
    assert all(30 <= v <= 45 for v in bench.stored(Kind.ETCO2))
    rows = bench.store.measurements(bench.runtime.session_id, kinds=[Kind.NIBP_SYS, Kind.ETCO2])
    assert {m.source for m in rows} == {bench.device.device_id}
    nibp = [m for m in rows if m.kind is Kind.NIBP_SYS]
    assert nibp[0].device_time is not None  # the monitor's measurement time
    assert bench.runtime.snapshot().values[Kind.HR].source.startswith("monitor:intellivue:")
    assert bench.run_until(lambda: len(bench.runtime.protocol_state.bp_readings) >= 1)


def test_monitor_that_stops_answering_alarms_and_comes_back(bench):
    assert bench.run_until(lambda: bench.shows(Kind.SPO2))
    associations = bench.device.dialog.associations
    bench.monitor.inject_fault("silent")
    took = bench.run_until(lambda: bench.alarm("oximeter_no_data") is not None)
    assert took is not None and took < 3.0
    count = len(bench.stored(Kind.SPO2))
    bench.monitor.clear_fault("silent")
    took = bench.run_until(lambda: len(bench.stored(Kind.SPO2)) > count and bench.shows(Kind.SPO2))
    assert took is not None and took < 3.0
    assert bench.device.dialog.associations > associations  # it associated again
    assert bench.run_until(lambda: bench.alarm("oximeter_no_data") is None)


def test_refused_association_is_a_technical_alarm_saying_why(store):
    monitor = _monitor()
    monitor.inject_fault("refuse")
    transport = UdpTransport(monitor, "127.0.0.1", 0)
    b = Bench(store, transport, monitor)
    # The driver asks again this long after a refusal (5 s by default): shortened so that the
    # test waits one back-off of 1 s instead of 5 (the retry itself is what is checked).
    b.device.dialog.refused_retry_s = 1.0
    try:
        assert b.run_until(lambda: b.alarm("oximeter_no_data") is not None)
        assert "refused the association" in b.alarm("oximeter_no_data").detail
        assert b.device.dialog.refusals >= 1
        assert not b.stored(Kind.SPO2)
        monitor.clear_fault("refuse")
        assert b.run_until(lambda: b.shows(Kind.SPO2), timeout_s=8.0)  # after the back-off
    finally:
        b.close()


def test_invalid_numerics_give_no_value_and_the_monitors_own_alarm(bench):
    assert bench.run_until(lambda: bench.shows(Kind.SPO2))
    bench.monitor.inject_fault("invalid")
    assert bench.run_until(lambda: bench.alarm("monitor_technical_alarm") is not None)
    alarm = bench.alarm("monitor_technical_alarm")
    assert alarm.category.value == "technical" and "SpO2 Interference" in alarm.message
    assert bench.run_until(lambda: not bench.shows(Kind.SPO2), timeout_s=12.0)
    bench.monitor.clear_fault("invalid")
    assert bench.run_until(lambda: bench.shows(Kind.SPO2))


def test_unplugged_pty_alarms_and_the_same_port_comes_back(store, tmp_path):
    monitor = _monitor()
    transport = PtyTransport(monitor, PtyPort(link=tmp_path / "ttyIV"))
    b = Bench(store, transport, monitor)
    try:
        assert b.run_until(lambda: b.shows(Kind.HR))
        transport.unplug()
        assert b.run_until(lambda: b.alarm("oximeter_disconnected") is not None)
        assert b.alarm("nibp_disconnected") is not None  # the monitor was the NIBP too
        transport.replug()
        count = len(b.stored(Kind.HR))
        assert b.run_until(lambda: len(b.stored(Kind.HR)) > count, timeout_s=5.0)
    finally:
        b.close()


def test_bp_requested_is_a_prompt_to_start_it_on_the_monitor(store):
    monitor = _monitor(nibp_interval_s=None, nibp_first_s=1e9, nibp_duration_s=2.5)
    transport = UdpTransport(monitor, "127.0.0.1", 0)
    b = Bench(store, transport, monitor)
    try:
        assert b.run_until(lambda: b.shows(Kind.HR))
        event = b.runtime.measure_bp(by="RN")
        assert "start it on the monitor" in event.text
        assert b.run_until(lambda: b.alarm("bp_start_on_monitor") is not None)
        monitor.start_nibp()  # the nurse presses Start on the monitor
        assert b.run_until(lambda: b.device.measuring)
        assert b.run_until(
            lambda: b.alarm("bp_start_on_monitor") is None and b.stored(Kind.NIBP_SYS)
        )
    finally:
        b.close()
