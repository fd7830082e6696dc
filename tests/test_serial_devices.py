"""Every registered protocol end to end: encoder bytes -> pty -> pyserial -> device -> poll().

The test plays the device on the pty master; the driver reads the slave through the real pyserial.
The port is a symlink so the "cable" can be pulled (master closed, link removed) and put back
(new pty, link re-pointed) while the same device object keeps running.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pty_helpers import wait_until
from sessionmon.clock import ManualClock
from sessionmon.devices.factory import build_source
from sessionmon.devices.profiles import DeviceConfig, get_profile, protocol_names
from sessionmon.devices.protocols import PROTOCOLS, nonin_df8
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import (
    ConditionChange,
    DeviceRole,
    LinkState,
    SourceOutput,
    VitalsSource,
    WaveformBlock,
)
from sessionmon.devices.suntech_driver import SuntechNibp
from sessionmon.errors import UserError
from sessionmon.model import Kind
from sessionmon.sim.wire_sim import WireSimulator

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")

# streaming oximeters (a multiparameter monitor answers polls: tests/test_intellivue_*.py)
OXIMETERS = sorted(
    n for n, spec in PROTOCOLS.items() if spec.role is DeviceRole.OXIMETER and not spec.roles
)
TC = TechnicalCondition


class Collector:
    """Drains a source and keeps everything it returned."""

    def __init__(self, source: VitalsSource) -> None:
        self.source = source
        self.outputs: list[SourceOutput] = []

    def drain(self) -> list[SourceOutput]:
        self.outputs += self.source.poll()
        return self.outputs

    def values(self, kind: Kind) -> list[float]:
        return [
            o.item.value
            for o in self.drain()
            if isinstance(o.item, Reading) and o.item.kind is kind
        ]

    def pleth(self) -> list[float]:
        return [
            s for o in self.drain() if isinstance(o.item, WaveformBlock) for s in o.item.samples
        ]

    def conditions(self) -> list[tuple[TechnicalCondition, bool]]:
        return [
            (o.item.condition, o.item.active)
            for o in self.drain()
            if isinstance(o.item, ConditionChange)
        ]


def device_bytes(
    protocol: str, hr: int | None, spo2: int | None, seconds: int = 2, **flags: bool
) -> bytes:
    """Wire bytes of ``seconds`` of a steady patient, made by the protocol's own encoder."""
    spec = PROTOCOLS[protocol]
    encoder = spec.make_encoder()
    if protocol == "nonin-df8":  # no checksum: values come once three frames agree
        seconds = max(seconds, nonin_df8.CONFIRM_FRAMES)
    if spec.pleth_rate_hz is None:
        return b"".join(encoder.frames_for(hr, spo2, (), 2.5, **flags) for _ in range(seconds))
    top = spec.pleth_max or 127
    count = int(spec.pleth_rate_hz * seconds)
    samples = [round(top * (0.2 + 0.6 * ((i % 20) / 20))) for i in range(count)]
    return encoder.frames_for(hr, spo2, samples, 2.5, **flags)


def offline(protocol: str, data: bytes) -> list:
    """What the parser alone makes of ``data`` (the reference for the end-to-end result)."""
    return PROTOCOLS[protocol].make_parser().feed(data)


@pytest.fixture
def port(tmp_path) -> Iterator[PtyPort]:
    pty = PtyPort(link=tmp_path / "ttyUSB-test")
    yield pty
    pty.close()


@pytest.fixture
def make_oximeter(port: PtyPort) -> Iterator[Callable[[str], SerialOximeter]]:
    made: list[SerialOximeter] = []

    def make(protocol: str, clock: ManualClock | None = None) -> SerialOximeter:
        device = SerialOximeter(protocol, port.path, clock or ManualClock())
        made.append(device)
        device.start()
        assert wait_until(lambda: device.state is LinkState.STREAMING)
        return device

    yield make
    for device in made:
        device.stop()


def test_registry_covers_the_issue() -> None:
    assert set(protocol_names()) >= {
        "cms50-legacy",
        "cms50-v7",
        "nonin-df2",
        "nonin-df7",
        "nonin-df8",
        "nonin-ascii",
        "masimo-ascii",
        "suntech",
    }


@pytest.mark.parametrize("protocol", OXIMETERS)
def test_oximeter_end_to_end_unplug_and_replug(protocol: str, port: PtyPort, make_oximeter):
    device = make_oximeter(protocol)
    got = Collector(device)
    assert isinstance(device, VitalsSource)
    assert device.role is DeviceRole.OXIMETER
    assert device.device_id == f"oximeter:{protocol}:{port.path}"

    data = device_bytes(protocol, hr=72, spo2=97)
    port.write(data)
    assert wait_until(lambda: 72.0 in got.values(Kind.HR) and 97.0 in got.values(Kind.SPO2))
    reference = offline(protocol, data)
    expected_pleth = [r.value for r in reference if isinstance(r, Reading) and r.kind is Kind.PLETH]
    assert wait_until(lambda: got.pleth() == expected_pleth)
    if PROTOCOLS[protocol].pleth_rate_hz is not None:
        assert len(expected_pleth) >= 100
    assert not device.active_conditions

    port.unplug()
    assert wait_until(lambda: TC.DISCONNECTED in device.active_conditions)
    assert (TC.DISCONNECTED, True) in got.conditions()
    assert device.state in (LinkState.RECONNECTING, LinkState.OPENING)

    port.replug()
    assert wait_until(lambda: device.state is LinkState.STREAMING)
    port.write(device_bytes(protocol, hr=88, spo2=93))
    assert wait_until(lambda: 88.0 in got.values(Kind.HR) and 93.0 in got.values(Kind.SPO2))
    assert (TC.DISCONNECTED, False) in got.conditions()
    assert not device.active_conditions


@pytest.mark.parametrize("protocol", OXIMETERS)
def test_oximeter_flags_start_and_end(protocol: str, port: PtyPort, make_oximeter):
    """Finger out (or "no value" sentinels where the protocol has no such flag) -> conditions."""
    off = device_bytes(protocol, hr=None, spo2=None, sensor_off=True)
    expected = {i.name for i in offline(protocol, off) if isinstance(i, Condition)}
    assert expected  # the frames do carry a flag or a sentinel
    clock = ManualClock()
    device = make_oximeter(protocol, clock)
    got = Collector(device)
    port.write(off)
    assert wait_until(lambda: expected <= device.active_conditions)
    assert got.values(Kind.HR) == [] and got.values(Kind.SPO2) == []  # never a number
    clock.advance(3.0)  # the device's 2 s have passed (faster would be too fast to be real)
    port.write(device_bytes(protocol, hr=70, spo2=98, seconds=3))
    assert wait_until(lambda: not device.active_conditions)
    assert wait_until(lambda: 70.0 in got.values(Kind.HR))
    changes = got.conditions()
    for condition in expected:
        assert changes.index((condition, True)) < changes.index((condition, False))


def host_bytes(port: PtyPort, count: int) -> bytes:
    """The next ``count`` bytes the host sends (waits up to 3 s; fewer if it sends fewer)."""
    got = bytearray()
    wait_until(lambda: bool(got.extend(port.read_available(0.01))) or len(got) >= count)
    return bytes(got)


def test_cms50_v7_sends_start_and_keep_alive(port: PtyPort) -> None:
    spec = PROTOCOLS["cms50-v7"]
    clock = ManualClock()
    device = SerialOximeter("cms50-v7", port.path, clock)
    device.start()
    try:
        assert wait_until(lambda: device.state is LinkState.STREAMING)
        assert host_bytes(port, 9) == spec.start_command
        clock.advance(spec.keepalive_s)
        assert host_bytes(port, 9) == spec.keepalive_command
        port.unplug()
        port.replug()  # after a re-plug the stream must be started again
        assert host_bytes(port, 9) == spec.start_command
        device.stop()
        assert host_bytes(port, 9) == spec.stop_command  # stream stopped before closing
    finally:
        device.stop()


def test_unknown_protocol_is_a_clear_error(port: PtyPort) -> None:
    with pytest.raises(UserError, match="unknown device protocol 'cms60'"):
        SerialOximeter("cms60", port.path, ManualClock())


def test_device_config_overrides_profile_settings() -> None:
    config = DeviceConfig(protocol="cms50-legacy", port="/dev/ttyUSB0", parity="odd", xonxoff=True)
    defaults = get_profile("cms50-legacy").defaults
    settings = config.settings()
    assert (settings.parity, settings.xonxoff) == ("O", True)
    assert settings.baud == defaults.baud == 19200
    with pytest.raises(ValueError, match="baud"):
        DeviceConfig(protocol="cms50-v7", port="COM3", baud=-1)
    with pytest.raises(UserError, match="unknown device protocol"):
        DeviceConfig(protocol="nope", port="COM3").settings()


# ---------------------------------------------------------------------- wire simulator


@pytest.mark.parametrize("protocol", OXIMETERS)
def test_wire_simulator_drives_the_real_driver(protocol: str, port: PtyPort, make_oximeter):
    sim_clock = ManualClock()  # the device and the driver share one time
    device = make_oximeter(protocol, sim_clock)
    got = Collector(device)
    sim = WireSimulator(protocol, port, sim_clock, hr=72, spo2=97, seed=5)
    for _ in range(6):
        sim_clock.advance(1.0)
        sim.step()  # and the driver reads it before the next second, as on a real line
        assert wait_until(lambda: device.link.bytes_in >= sim.bytes_out)
    assert sim.bytes_out > 0
    assert wait_until(lambda: bool(got.values(Kind.HR)) and bool(got.values(Kind.SPO2)))
    assert all(55 <= v <= 90 for v in got.values(Kind.HR))
    assert all(93 <= v <= 100 for v in got.values(Kind.SPO2))
    if PROTOCOLS[protocol].pleth_rate_hz is not None:
        assert wait_until(lambda: len(got.pleth()) >= 4 * PROTOCOLS[protocol].pleth_rate_hz)
        pleth = got.pleth()
        assert max(pleth) - min(pleth) > 0.2 * PROTOCOLS[protocol].pleth_max  # it pulses
    assert not device.active_conditions - {TC.INVALID_VALUE}


def run_nibp_measurement(driver: SuntechNibp, sim: WireSimulator, port: PtyPort, clock) -> list:
    """Let the driver and the simulated module talk until a result arrives (clock in 2 s steps)."""
    outputs: list[SourceOutput] = []
    host = bytearray()

    def exchanged() -> bool:
        host.extend(port.read_available(0.005))
        outputs.extend(driver.poll())
        return bool(host) or has_result()

    def has_result() -> bool:
        return any(isinstance(o.item, Reading) and o.item.kind is Kind.NIBP_SYS for o in outputs)

    driver.request_measurement()
    for _ in range(40):
        assert wait_until(exchanged)
        sim.receive(bytes(host))
        host.clear()
        sim.step()
        if has_result():
            return outputs
        clock.advance(2.0)
    raise AssertionError("no NIBP result after 80 s of simulated time")


def test_suntech_end_to_end_with_simulated_module_unplug_and_replug(port: PtyPort) -> None:
    clock = ManualClock()
    driver = SuntechNibp(port.path, clock, idle_poll_s=None)
    sim = WireSimulator("suntech", port, clock, sys=150, dia=95, hr=80, seed=11)
    driver.start()
    try:
        assert wait_until(lambda: driver.state is LinkState.STREAMING)
        outputs = run_nibp_measurement(driver, sim, port, clock)
        values = {o.item.kind: o.item.value for o in outputs if isinstance(o.item, Reading)}
        assert 135 <= values[Kind.NIBP_SYS] <= 165
        assert 85 <= values[Kind.NIBP_DIA] <= 105
        assert values[Kind.NIBP_DIA] < values[Kind.NIBP_MAP] < values[Kind.NIBP_SYS]
        cuff = [
            o.item.value
            for o in outputs
            if isinstance(o.item, Reading) and o.item.kind is Kind.CUFF_PRESSURE
        ]
        assert max(cuff) > values[Kind.NIBP_SYS]  # inflated above systolic, then deflated
        assert not driver.measuring

        port.unplug()
        assert wait_until(lambda: TC.DISCONNECTED in driver.active_conditions)
        port.replug()
        assert wait_until(lambda: driver.state is LinkState.STREAMING)
        assert TC.DISCONNECTED not in driver.active_conditions
        outputs = run_nibp_measurement(driver, sim, port, clock)
        assert any(isinstance(o.item, Reading) and o.item.kind is Kind.NIBP_DIA for o in outputs)
    finally:
        driver.stop()


def test_simulate_device_command_prints_the_port(capsys) -> None:
    from sessionmon.cli import main

    assert main(["simulate-device", "--protocol", "nonin-df8", "--duration", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "nonin-df8 (9600 8-N-1) on /dev/pts/" in out
    assert "sessionmon decode --device nonin-df8 --port /dev/pts/" in out
    assert main(["simulate-device", "--protocol", "cms60"]) == 2
    assert "unknown device protocol 'cms60'" in capsys.readouterr().err


def test_settings_file_entry_builds_the_right_driver(port: PtyPort) -> None:
    clock = ManualClock()
    oximeter = build_source(
        DeviceConfig(protocol="cms50-legacy", port=port.path, parity="O", xonxoff=True), clock
    )
    nibp = build_source(DeviceConfig(protocol="suntech", port=port.path, baud=4800), clock)
    assert isinstance(oximeter, SerialOximeter) and isinstance(nibp, SuntechNibp)
    assert oximeter.link.settings.describe() == "19200 8-O-1 xon/xoff"
    assert nibp.link.settings.describe() == "4800 8-N-1"
    assert nibp.role is DeviceRole.NIBP
