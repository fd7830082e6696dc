"""End to end: a simulated device speaking wire bytes on a pty -> real driver -> SessionRuntime.

Nothing is mocked: :class:`WireSimulator` writes the device's bytes to a pty master, the real
serial driver reads the slave through pyserial on its own thread, and a real
:class:`SessionRuntime` with a real SQLite store and the system clock records what arrives and
raises the alarms. The test loop plays the device, ticks the runtime and polls a condition with
a deadline (tiny waits only).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from sessionmon.clock import ScaledClock, SystemClock
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import LinkState
from sessionmon.devices.suntech_driver import SuntechNibp
from sessionmon.model import Kind, Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.sim.wire_sim import WireSimulator
from sessionmon.store import SessionStore

_PAUSE = threading.Event()


class Bench:
    """One simulated device on a pty, and a runtime reading it."""

    def __init__(
        self, store: SessionStore, runtime: SessionRuntime, port: PtyPort, sim: WireSimulator
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.port = port
        self.sim = sim

    def run_until(self, condition: Callable[[], bool], timeout_s: float = 3.0) -> float | None:
        """Play the device and tick the runtime until ``condition``; seconds taken, or None."""
        started = time.monotonic()
        while True:
            self.sim.receive(self.port.read_available())
            self.sim.step()
            self.runtime.tick()
            if condition():
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                return None
            _PAUSE.wait(0.01)

    def stored(self, kind: Kind) -> list[float]:
        rows = self.store.measurements(self.runtime.session_id, kinds=[kind])
        return [m.value for m in rows]

    def shows(self, kind: Kind) -> bool:
        value = self.runtime.snapshot().values.get(kind)
        return value is not None and not value.stale

    def alarm_active(self, condition: str) -> bool:
        return any(a.condition == condition for a in self.runtime.snapshot().alarms)


@pytest.fixture
def store(tmp_path) -> Iterator[SessionStore]:
    with SessionStore.open(tmp_path / "sessions.db", SystemClock()) as s:
        yield s


def _runtime(store: SessionStore, **devices) -> SessionRuntime:
    return SessionRuntime(
        store,
        SystemClock(),
        patient=Patient(pseudonym="E2E-1"),
        treatment="esketamine-84",
        flush_interval_s=0.05,
        **devices,
    )


@pytest.mark.parametrize("protocol", ["cms50-v7", "nonin-df2"])
def test_oximeter_on_a_pty_records_alarms_on_unplug_and_resumes(store, tmp_path, protocol):
    port = PtyPort(link=tmp_path / "ttyOXI")
    clock = SystemClock()
    sim = WireSimulator(protocol, port.offer, clock, hr=66, spo2=97, seed=3)
    oximeter = SerialOximeter(protocol, port.path, clock)
    runtime = _runtime(store, oximeter=oximeter)
    bench = Bench(store, runtime, port, sim)
    try:
        # readings land in the store and the snapshot shows them
        assert bench.run_until(
            lambda: (
                bool(bench.stored(Kind.HR) and bench.stored(Kind.SPO2))
                and bench.shows(Kind.HR)
                and bench.shows(Kind.SPO2)
            )
        )
        assert all(55 <= v <= 80 for v in bench.stored(Kind.HR))
        assert all(92 <= v <= 100 for v in bench.stored(Kind.SPO2))
        assert not bench.alarm_active("oximeter_disconnected")

        port.unplug()  # cable pulled
        took = bench.run_until(lambda: bench.alarm_active("oximeter_disconnected"))
        assert took is not None and took < 3.0
        hr_before = len(bench.stored(Kind.HR))

        port.replug()  # same port name, no restart of anything
        took = bench.run_until(
            lambda: (
                len(bench.stored(Kind.HR)) > hr_before
                and oximeter.state is LinkState.STREAMING
                and bench.shows(Kind.HR)
            )
        )
        assert took is not None and took < 3.0
        assert bench.run_until(lambda: not bench.alarm_active("oximeter_disconnected"))
    finally:
        runtime.close()
        port.close()


def test_suntech_measure_bp_intent_stores_the_pressure(store, tmp_path):
    port = PtyPort(link=tmp_path / "ttyNIBP")
    # the module's 20-40 s measurement runs 40x faster; the driver keeps real time
    sim = WireSimulator(
        "suntech", port.offer, ScaledClock(SystemClock(), speed=40.0), sys=132, dia=84, seed=5
    )
    nibp = SuntechNibp(port.path, SystemClock(), poll_interval_s=0.1)
    runtime = _runtime(store, nibp=nibp)
    bench = Bench(store, runtime, port, sim)
    try:
        assert bench.run_until(lambda: nibp.state is LinkState.STREAMING)
        runtime.measure_bp(by="nurse")
        assert bench.run_until(
            lambda: bool(bench.stored(Kind.NIBP_SYS) and bench.stored(Kind.NIBP_DIA)),
            timeout_s=5.0,
        )
        (systolic,), (diastolic,) = bench.stored(Kind.NIBP_SYS), bench.stored(Kind.NIBP_DIA)
        assert 120 <= systolic <= 144 and 76 <= diastolic <= 92
        assert max(bench.stored(Kind.CUFF_PRESSURE)) > systolic  # inflated past systolic
        assert bench.shows(Kind.NIBP_SYS)
        assert not bench.alarm_active("nibp_failed")
    finally:
        runtime.close()
        port.close()
