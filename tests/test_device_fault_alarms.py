"""Every device fault has a technical alarm: fault injection through the real path.

A :class:`WireSimulator` plays the device on a pty (the ``simulate-device`` faults: noise, a
wrong protocol, "no value" markers, a stream 100x too fast, a silent NIBP module, a re-plug);
the real driver reads the slave through pyserial on its own thread; a real
:class:`SessionRuntime` with a real SQLite store is ticked as the console ticks it. Device,
driver and runtime share one :class:`ManualClock`, moved 0.1 s per step once the driver has read
what the device sent, so the times measured are device seconds and the test runs fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from pty_helpers import wait_until
from sessionmon.clock import ManualClock
from sessionmon.devices.protocols import PROTOCOLS, suntech
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import DeviceRole, LinkState
from sessionmon.devices.suntech_driver import SuntechNibp
from sessionmon.model import Kind, Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.sim.wire_sim import WireSimulator
from sessionmon.store import SessionStore

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")

# streaming oximeters (the IntelliVue monitor answers polls: tests/test_intellivue_*.py)
OXIMETERS = sorted(n for n, s in PROTOCOLS.items() if s.role is DeviceRole.OXIMETER and not s.roles)
STEP_S = 0.1


class Rig:
    """A simulated device on a pty, its real driver and a runtime, on one manual clock."""

    def __init__(self, tmp_path, device_protocol: str, driver_protocol: str | None = None):
        self.clock = ManualClock()
        self.port = PtyPort(link=tmp_path / "ttyDEV")
        self.sim = WireSimulator(device_protocol, self.port, self.clock, hr=70, spo2=97, seed=2)
        self.store = SessionStore.open(tmp_path / "sessions.db", self.clock)
        driver_protocol = driver_protocol or device_protocol
        if PROTOCOLS[driver_protocol].role is DeviceRole.NIBP:
            self.driver = SuntechNibp(
                self.port.path, self.clock, poll_interval_s=0.5, read_timeout_s=0.002
            )
            devices = {"nibp": self.driver}
        else:
            self.driver = SerialOximeter(
                driver_protocol, self.port.path, self.clock, read_timeout_s=0.002
            )
            devices = {"oximeter": self.driver}
        self.runtime = SessionRuntime(
            self.store,
            self.clock,
            patient=Patient(pseudonym="FAULT-1"),
            treatment="esketamine-84",
            protocol_nibp_requests=False,
            flush_interval_s=0.05,
            **devices,
        )
        assert wait_until(lambda: self.driver.state is LinkState.STREAMING)

    def close(self) -> None:
        self.runtime.close()
        self.store.close()
        self.port.close()

    def step(self) -> None:
        """One tenth of a device second: the device speaks, the driver reads, the console ticks."""
        link = self.driver.link
        ticks = link.ticks
        self.clock.advance(STEP_S)
        if self.port.plugged:
            self.sim.receive(self.port.read_available())
            self.sim.step()
            wait_until(lambda: link.bytes_in >= self.sim.bytes_out, timeout_s=2.0)
            # the driver's own timers (validity, rate, keep-alive) have seen the new time
            wait_until(lambda: link.ticks >= ticks + 2, timeout_s=1.0)
        self.runtime.tick()

    def run_until(self, condition: Callable[[], bool], limit_s: float = 30.0) -> float | None:
        """Step until ``condition``; device seconds taken, or None if ``limit_s`` passed."""
        start = self.clock.monotonic()
        while self.clock.monotonic() - start < limit_s:
            self.step()
            if condition():
                return round(self.clock.monotonic() - start, 2)
        return None

    def alarm(self, condition: str):
        return next((a for a in self.runtime.snapshot().alarms if a.condition == condition), None)

    def stored(self, kind: Kind, since=None) -> list[float]:
        self.runtime.tick()
        rows = self.store.measurements(self.runtime.session_id, kinds=[kind])
        return [m.value for m in rows if since is None or m.received_at >= since]

    def shows(self, kind: Kind) -> bool:
        value = self.runtime.snapshot().values.get(kind)
        return value is not None and not value.stale


@pytest.fixture
def rig(tmp_path) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(device_protocol: str, driver_protocol: str | None = None) -> Rig:
        made.append(Rig(tmp_path, device_protocol, driver_protocol))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _healthy(r: Rig) -> None:
    assert r.run_until(lambda: r.shows(Kind.SPO2) and r.shows(Kind.HR), limit_s=5.0) is not None
    assert not [a.condition for a in r.runtime.snapshot().alarms if "oximeter" in a.condition]


@pytest.mark.parametrize("protocol", OXIMETERS)
def test_noise_raises_no_valid_data_in_10_s_and_gives_no_reading(rig, protocol):
    r = rig(protocol)
    _healthy(r)
    r.sim.set_wire_fault("noise", True)
    since = r.clock.now()
    took = r.run_until(lambda: r.alarm("oximeter_no_valid_data") is not None)
    # 10 s after the last valid reading (a fast stream gives one a second; a once-a-second
    # device sends its first bad record up to 1 s after the fault)
    assert took is not None and 8.9 <= took <= 11.05
    alarm = r.alarm("oximeter_no_valid_data")
    assert "check the driver and baud" in alarm.message + alarm.detail
    assert not r.shows(Kind.SPO2)  # the last value is not shown as current
    if protocol in ("cms50-legacy", "nonin-df8"):  # no checksum: the resync guard holds noise
        assert r.stored(Kind.SPO2, since=since + timedelta(seconds=0.5)) == []
    r.sim.set_wire_fault("noise", False)
    assert r.run_until(lambda: r.alarm("oximeter_no_valid_data") is None, limit_s=5.0)
    assert r.run_until(lambda: r.shows(Kind.SPO2), limit_s=5.0) is not None


@pytest.mark.parametrize(
    ("configured", "sent"),
    [
        ("cms50-v7", "cms50-legacy"),
        ("nonin-df2", "nonin-df8"),
        ("nonin-ascii", "cms50-v7"),
        ("masimo-ascii", "nonin-df2"),
    ],
)
def test_wrong_protocol_raises_no_valid_data(rig, configured, sent):
    r = rig(sent, driver_protocol=configured)
    took = r.run_until(lambda: r.alarm("oximeter_no_valid_data") is not None)
    assert took is not None and took <= 10.5
    assert r.stored(Kind.SPO2) == [] and r.stored(Kind.HR) == []


@pytest.mark.parametrize("protocol", OXIMETERS)
def test_no_value_markers_raise_sensor_off(rig, protocol):
    r = rig(protocol)
    _healthy(r)
    r.sim.set_wire_fault("no_value", True)
    took = r.run_until(lambda: r.alarm("oximeter_sensor_off") is not None, limit_s=15.0)
    assert took is not None and took <= 6.5  # 5 s sensor-off delay, plus one record
    assert "no" in r.alarm("oximeter_sensor_off").detail
    assert r.alarm("oximeter_no_valid_data") is None  # the device speaks; it has no value
    r.sim.set_wire_fault("no_value", False)
    assert r.run_until(lambda: r.alarm("oximeter_sensor_off") is None, limit_s=5.0) is not None


@pytest.mark.parametrize("protocol", ["cms50-v7", "nonin-df2", "nonin-df8", "masimo-ascii"])
def test_stream_100x_too_fast_is_an_alarm_and_never_100x_rows(rig, protocol):
    spec = PROTOCOLS[protocol]
    r = rig(protocol)
    _healthy(r)
    since = r.clock.now()
    r.sim.set_wire_fault("fast", True)
    took = r.run_until(lambda: r.alarm("oximeter_no_valid_data") is not None)
    assert took is not None and took <= 7.05  # the profile's 6 s, after the first fast burst
    assert f"faster than a {protocol} sends them" in r.alarm("oximeter_no_valid_data").detail
    r.run_until(lambda: False, limit_s=5.0)  # 11 s of a 100x stream in all
    seconds = (r.clock.now() - since).total_seconds()
    hr_rows = len(r.stored(Kind.HR, since=since))
    # at most the burst allowance (3 s) on top of what the device sends in that time; never 100x
    assert hr_rows <= 2 * (seconds + 3) * max(1.0, spec.frame_rate_hz / 60)
    if spec.pleth_rate_hz:
        chunks = r.store.waveform(r.runtime.session_id)
        samples = sum(len(c.samples) for c in chunks if c.start >= since)
        assert samples <= (seconds + 3) * spec.pleth_rate_hz
    r.sim.set_wire_fault("fast", False)
    assert r.run_until(lambda: r.alarm("oximeter_no_valid_data") is None, limit_s=5.0)


def test_idle_suntech_that_stops_answering_is_nibp_disconnected(rig):
    r = rig("suntech")
    assert r.run_until(lambda: len(r.stored(Kind.CUFF_PRESSURE)) >= 1, limit_s=8.0) is not None
    r.sim.set_wire_fault("silent", True)
    took = r.run_until(lambda: r.alarm("nibp_disconnected") is not None, limit_s=20.0)
    assert took is not None and took <= 6.5  # keep-alive every 5 s, 1 s to answer
    assert "not answering" in r.alarm("nibp_disconnected").detail
    r.sim.set_wire_fault("silent", False)
    assert r.run_until(lambda: r.alarm("nibp_disconnected") is None, limit_s=8.0) is not None


@pytest.mark.parametrize("protocol", OXIMETERS)
def test_spo2_returns_with_the_first_valid_frame_after_replug(rig, protocol):
    r = rig(protocol)
    _healthy(r)
    r.port.unplug()
    assert wait_until(lambda: r.driver.state is not LinkState.STREAMING)  # the reader noticed
    assert r.run_until(lambda: r.alarm("oximeter_disconnected") is not None, limit_s=1.0)
    r.port.replug()
    assert wait_until(lambda: r.driver.state is LinkState.STREAMING, timeout_s=5.0)
    reopened = r.clock.now()
    took = r.run_until(lambda: bool(r.stored(Kind.SPO2, since=reopened)), limit_s=5.0)
    # the first frame that can carry SpO2: a Nonin #2/#7 packet's frame 3 (1/3 s), the next
    # record of a once-a-second device (1 s; Nonin #8 needs 3 agreeing frames), any CMS50 frame
    first_frame_s = {"nonin-df2": 0.34, "nonin-df7": 0.34, "nonin-df8": 3.0}.get(protocol, 1.0)
    if protocol.startswith("cms50"):
        first_frame_s = 0.0  # 60 frames a second: within the step
    assert took is not None and took <= first_frame_s + STEP_S + 0.05


# ---------------------------------------------------------------------- SunTech plausibility


class ModuleOnPty:
    """A SunTech module emulator on a pty, answering whatever the driver asks."""

    def __init__(self, port: PtyPort) -> None:
        self.port = port
        self.emu = suntech.SuntechModuleEmulator()

    def answer(self) -> None:
        host = self.port.read_available(0.02)  # what the driver asked, if it asked
        if host:
            self.port.write(self.emu.feed(host))


@pytest.mark.parametrize(
    ("systolic", "diastolic", "map_", "hr"),
    [(120, 0, 0, 0), (80, 200, 150, 70), (5, 3, 4, 60)],
)
def test_implausible_suntech_result_is_failed_and_never_ends_dia_high(
    tmp_path, systolic, diastolic, map_, hr
):
    clock = ManualClock()
    port = PtyPort(link=tmp_path / "ttyNIBP")
    module = ModuleOnPty(port)
    nibp = SuntechNibp(port.path, clock, poll_interval_s=0.5)
    with SessionStore.open(tmp_path / "s.db", clock) as store:
        runtime = SessionRuntime(
            store,
            clock,
            patient=Patient(pseudonym="BP-1"),
            treatment="esketamine-84",
            protocol_nibp_requests=False,
            nibp=nibp,
            flush_interval_s=0.05,
        )

        def step() -> None:
            clock.advance(0.25)
            module.answer()
            runtime.tick()

        def measure(sys_: int, dia: int, mean: int, rate: int) -> None:
            runtime.measure_bp(by="nurse")
            assert wait_until(lambda: module.emu.measuring, step=step, timeout_s=5.0)
            module.port.write(module.emu.finish(sys_, dia, mean, rate))
            assert wait_until(lambda: not nibp.measuring, step=step, timeout_s=5.0)
            for _ in range(4):
                step()

        def alarm(condition: str):
            return next((a for a in runtime.snapshot().alarms if a.condition == condition), None)

        try:
            assert wait_until(lambda: nibp.state is LinkState.STREAMING)
            measure(150, 105, 120, 70)
            assert alarm("nibp_dia_high") is not None
            measure(systolic, diastolic, map_, hr)
            failed = alarm("nibp_failed")
            assert failed is not None and "implausible" in failed.detail
            assert alarm("nibp_dia_high") is not None  # not ended by numbers that are no BP
            rows = store.measurements(runtime.session_id, kinds=[Kind.NIBP_DIA, Kind.NIBP_SYS])
            assert sorted(m.value for m in rows) == [105.0, 150.0]
        finally:
            runtime.close()
            port.close()


# ---------------------------------------------------------------------- the mapping itself


def test_device_conditions_map_to_one_alarm_each():
    from sessionmon.runtime.technical import TC, alarm_conditions

    ox, nibp, up = DeviceRole.OXIMETER, DeviceRole.NIBP, LinkState.STREAMING
    assert alarm_conditions(ox, up, {TC.NO_VALUE}, True) == {"oximeter_sensor_off"}
    assert alarm_conditions(ox, up, {TC.NO_VALID_DATA}, True) == {"oximeter_no_valid_data"}
    assert alarm_conditions(ox, up, {TC.TOO_FAST}, True) == {"oximeter_no_valid_data"}
    # silence explains more than noise: one alarm, the one that says what to do
    assert alarm_conditions(ox, up, {TC.NO_VALID_DATA, TC.NO_DATA}, True) == {"oximeter_no_data"}
    assert alarm_conditions(nibp, up, {TC.NO_DATA}, True) == {"nibp_disconnected"}
    assert alarm_conditions(nibp, up, set(), True) == set()
