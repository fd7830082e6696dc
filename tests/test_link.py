"""Serial link: the state table, reconnect back-off, stall detection, over a real pty."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest

from pty_helpers import wait_until
from sessionmon.clock import ManualClock
from sessionmon.devices.link import (
    TRANSITIONS,
    Backoff,
    LinkStateMachine,
    LinkTransitionError,
    SerialLink,
)
from sessionmon.devices.profiles import DeviceProfile
from sessionmon.devices.protocols import PortSettings
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.readings import Condition, ParserStats, Reading, TechnicalCondition
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import (
    ConditionChange,
    DeviceRole,
    LinkState,
    LinkStateChange,
    VitalsSource,
    WaveformBlock,
)
from sessionmon.model import Kind

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")

S = LinkState
EXPECTED_LEGAL = {
    (S.DISCONNECTED, S.OPENING),
    (S.OPENING, S.STREAMING),
    (S.OPENING, S.RECONNECTING),
    (S.OPENING, S.DISCONNECTED),
    (S.STREAMING, S.STALLED),
    (S.STREAMING, S.RECONNECTING),
    (S.STREAMING, S.DISCONNECTED),
    (S.STALLED, S.STREAMING),
    (S.STALLED, S.RECONNECTING),
    (S.STALLED, S.DISCONNECTED),
    (S.RECONNECTING, S.OPENING),
    (S.RECONNECTING, S.DISCONNECTED),
}


# ---------------------------------------------------------------------- state table


def test_table_lists_exactly_the_expected_moves() -> None:
    listed = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}
    assert listed == EXPECTED_LEGAL
    assert set(TRANSITIONS) == set(LinkState)


@pytest.mark.parametrize(("old", "new"), list(itertools.product(LinkState, LinkState)))
def test_every_move_is_allowed_or_refused_by_the_table(old: LinkState, new: LinkState) -> None:
    machine = LinkStateMachine(old)
    if (old, new) in EXPECTED_LEGAL:
        change = machine.move(new, "why")
        assert change == LinkStateChange(old, new, "why")
        assert machine.state is new
    else:
        with pytest.raises(LinkTransitionError, match=f"from {old.value} to {new.value}"):
            machine.move(new)
        assert machine.state is old


def test_backoff_doubles_to_its_ceiling() -> None:
    delays = [Backoff(0.25, 2.0).delay(n) for n in range(6)]
    assert delays == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert sum(delays[:3]) < 3.0  # three failed attempts still leave room to reopen within 3 s


def test_port_settings_short_form() -> None:
    assert PortSettings(19200, "O", 8, 1, xonxoff=True).describe() == "19200 8-O-1 xon/xoff"
    assert PortSettings(115200).describe() == "115200 8-N-1"


# ---------------------------------------------------------------------- link over a pty


class Recorder:
    """A link listener that keeps what it is told."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.changes: list[LinkStateChange] = []
        self.opened = 0

    def link_opened(self, link: SerialLink) -> None:
        self.opened += 1
        link.write(b"hello device")

    def link_bytes(self, data: bytes) -> None:
        self.data += data

    def link_state(self, change: LinkStateChange) -> None:
        self.changes.append(change)

    def link_tick(self, link: SerialLink) -> None:
        pass


@pytest.fixture
def pty(tmp_path) -> Iterator[PtyPort]:
    port = PtyPort(link=tmp_path / "ttyTEST")
    yield port
    port.close()


def test_link_reads_writes_stalls_and_reconnects(pty: PtyPort, clock: ManualClock) -> None:
    rec = Recorder()
    link = SerialLink(pty.path, PortSettings(9600), clock, rec, stall_timeout_s=5.0)
    link.start()
    try:
        assert wait_until(lambda: link.state is S.STREAMING)
        assert wait_until(lambda: pty.read_available(0.05) == b"hello device")
        pty.write(b"abc")
        assert wait_until(lambda: bytes(rec.data) == b"abc")

        clock.advance(4.9)
        pty.write(b"d")  # data within the timeout keeps it streaming
        assert wait_until(lambda: bytes(rec.data) == b"abcd")
        clock.advance(5.0)
        assert wait_until(lambda: link.state is S.STALLED)
        pty.write(b"e")
        assert wait_until(lambda: link.state is S.STREAMING)

        pty.unplug()
        assert wait_until(lambda: link.state in (S.RECONNECTING, S.OPENING))
        pty.replug()
        assert wait_until(lambda: rec.opened == 2)
        pty.write(b"fg")
        assert wait_until(lambda: bytes(rec.data) == b"abcdefg")
    finally:
        link.stop()
    states = [c.new for c in rec.changes]
    assert states[:2] == [S.OPENING, S.STREAMING]
    assert S.STALLED in states and S.RECONNECTING in states
    assert states[-1] is S.DISCONNECTED
    lost = next(c for c in rec.changes if c.new is S.RECONNECTING)
    assert "ttyTEST" in lost.detail
    assert link.state is S.DISCONNECTED


def test_missing_port_keeps_retrying_then_opens_when_it_appears(tmp_path, clock) -> None:
    path = tmp_path / "ttyLATE"
    rec = Recorder()
    link = SerialLink(str(path), PortSettings(9600), clock, rec, backoff=Backoff(0.05, 0.2))
    link.start()
    try:
        assert wait_until(lambda: link.reconnects >= 2)
        assert link.state in (S.RECONNECTING, S.OPENING)
        assert "cannot open" in rec.changes[1].detail
        with PtyPort(link=path) as late:
            assert wait_until(lambda: link.state is S.STREAMING)
            late.write(b"x")
            assert wait_until(lambda: bytes(rec.data) == b"x")
    finally:
        link.stop()
    assert link.state is S.DISCONNECTED


class FaultyListener(Recorder):
    """A listener whose state callback has a bug."""

    def link_state(self, change: LinkStateChange) -> None:
        super().link_state(change)
        raise RuntimeError("listener bug")


def test_a_failing_state_listener_does_not_kill_the_reader(pty: PtyPort, clock) -> None:
    rec = FaultyListener()
    link = SerialLink(pty.path, PortSettings(9600), clock, rec)
    link.start()
    try:
        assert wait_until(lambda: link.state is S.STREAMING)
        pty.write(b"still read")
        assert wait_until(lambda: bytes(rec.data) == b"still read")
        assert link.listener_errors >= 2  # opening and streaming
    finally:
        link.stop()
    assert link.state is S.DISCONNECTED


def test_stop_is_idempotent_and_prompt(pty: PtyPort, clock: ManualClock) -> None:
    link = SerialLink(pty.path, PortSettings(9600), clock, Recorder())
    link.start()
    assert wait_until(lambda: link.state is S.STREAMING)
    started = time.monotonic()
    link.stop()
    link.stop()
    assert time.monotonic() - started < 1.0
    assert link.state is S.DISCONNECTED
    assert not link.write(b"x")


# ---------------------------------------------------------------------- device on top of a link


class LineParser:
    """A tiny line protocol: ``HR=72``, ``P=12`` (pleth), ``OFF`` (sensor off flag)."""

    def __init__(self) -> None:
        self.stats = ParserStats()
        self._buf = b""

    def feed(self, data: bytes) -> list[Reading | Condition]:
        self.stats.bytes_in += len(data)
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        out: list[Reading | Condition] = []
        for line in lines:
            self.stats.frames += 1
            for token in line.decode().split():
                if token == "OFF":
                    out.append(Condition(TechnicalCondition.SENSOR_OFF, "finger out"))
                else:
                    key, value = token.split("=")
                    kind = {"HR": Kind.HR, "P": Kind.PLETH}[key]
                    reading = Reading.of(kind, float(value))
                    if reading is None:
                        out.append(Condition(TechnicalCondition.INVALID_VALUE, key))
                    else:
                        out.append(reading)
        return out


LINE_PROFILE = DeviceProfile(
    name="line",
    role=DeviceRole.OXIMETER,
    defaults=PortSettings(9600),
    parser_factory=LineParser,
    pleth_rate_hz=4.0,
    condition_hold_frames=2,
    start_command=b"START\n",
    keepalive_command=b"KA\n",
    keepalive_s=5.0,
)


def changes_of(outputs, kind):
    return [o.item for o in outputs if isinstance(o.item, kind)]


@pytest.fixture
def oximeter(pty: PtyPort, clock: ManualClock) -> Iterator[SerialOximeter]:
    device = SerialOximeter(LINE_PROFILE, pty.path, clock, stall_timeout_s=5.0)
    yield device
    device.stop()


def test_line_oximeter_is_a_vitals_source(oximeter: SerialOximeter) -> None:
    assert isinstance(oximeter, VitalsSource)
    assert oximeter.role is DeviceRole.OXIMETER
    assert oximeter.device_id.startswith("oximeter:line:")
    assert oximeter.state is S.DISCONNECTED


def test_stall_raises_no_data_and_data_clears_it(oximeter, pty, clock) -> None:
    oximeter.start()
    assert wait_until(lambda: pty.read_available(0.05) == b"START\n")
    pty.write(b"HR=72\n")
    got: list = []
    assert wait_until(lambda: bool(got.extend(oximeter.poll()) or changes_of(got, Reading)))
    assert changes_of(got, Reading)[0].value == 72.0

    clock.advance(5.0)
    assert wait_until(lambda: oximeter.state is S.STALLED)
    assert TechnicalCondition.NO_DATA in oximeter.active_conditions
    assert pty.read_available(0.5) == b"KA\n"  # keep-alive went out after 5 s on the clock
    pty.write(b"HR=73\n")
    assert wait_until(lambda: oximeter.state is S.STREAMING)
    assert TechnicalCondition.NO_DATA not in oximeter.active_conditions
    got += oximeter.poll()
    conditions = changes_of(got, ConditionChange)
    assert [(c.condition, c.active) for c in conditions] == [
        (TechnicalCondition.NO_DATA, True),
        (TechnicalCondition.NO_DATA, False),
    ]
    assert [r.value for r in changes_of(got, Reading)] == [72.0, 73.0]


def test_frame_flags_become_condition_start_and_end(oximeter, pty) -> None:
    oximeter.start()
    assert wait_until(lambda: oximeter.state is S.STREAMING)
    pty.write(b"P=1 OFF\nP=2 OFF\n")
    assert wait_until(lambda: TechnicalCondition.SENSOR_OFF in oximeter.active_conditions)
    pty.write(b"P=3\n")  # one frame without the flag is not enough (hold = 2 frames)
    pty.write(b"P=4 HR=999\n")  # out-of-range value: a condition, never a number
    got: list = []
    assert wait_until(
        lambda: (
            bool(got.extend(oximeter.poll()))
            or TechnicalCondition.SENSOR_OFF not in oximeter.active_conditions
        )
    )
    got += oximeter.poll()
    starts_ends = [(c.condition, c.active, c.detail) for c in changes_of(got, ConditionChange)]
    assert (TechnicalCondition.SENSOR_OFF, True, "finger out") in starts_ends
    assert (TechnicalCondition.SENSOR_OFF, False, "cleared") in starts_ends
    assert (TechnicalCondition.INVALID_VALUE, True, "HR") in starts_ends
    samples = [s for block in changes_of(got, WaveformBlock) for s in block.samples]
    assert samples == [1.0, 2.0, 3.0, 4.0]
    assert {b.sample_rate_hz for b in changes_of(got, WaveformBlock)} == {4.0}
    assert not changes_of(got, Reading)


def test_unplug_gives_disconnected_and_ends_device_flags(oximeter, pty) -> None:
    oximeter.start()
    assert wait_until(lambda: oximeter.state is S.STREAMING)
    pty.write(b"OFF\n")
    assert wait_until(lambda: TechnicalCondition.SENSOR_OFF in oximeter.active_conditions)
    pty.unplug()
    assert wait_until(
        lambda: oximeter.active_conditions == frozenset({TechnicalCondition.DISCONNECTED})
    )
    pty.replug()
    assert wait_until(lambda: not oximeter.active_conditions)
    outputs = oximeter.poll()
    links = [(c.old, c.new) for c in changes_of(outputs, LinkStateChange)]
    assert (S.STREAMING, S.RECONNECTING) in links
    assert links[-1] == (S.OPENING, S.STREAMING)
    assert [o.at for o in outputs] == sorted(o.at for o in outputs)
