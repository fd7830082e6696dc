"""A simulated CMS50 V7 oximeter that obeys the host's commands, as a real unit does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pty_helpers import wait_until
from sessionmon.clock import ManualClock
from sessionmon.devices.protocols import cms50_v7
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import LinkState
from sessionmon.model import Kind
from sessionmon.sim.cms50_commands import STOPPED, UNKNOWN_COMMAND, Cms50V7Commands, reply
from sessionmon.sim.wire_sim import WireSimulator

HELLO = cms50_v7.command(0xA7)  # the first greeting of the peer GUI cms50ew


def test_silent_until_start_and_again_after_stop() -> None:
    commands = Cms50V7Commands()
    assert not commands.streaming
    assert commands.feed(cms50_v7.start_stream()) == b""
    assert commands.streaming
    assert commands.feed(cms50_v7.keep_alive()) == b""
    assert commands.streaming
    assert commands.feed(cms50_v7.stop_stream()) == reply(STOPPED, cms50_v7.CMD_STOP)
    assert not commands.streaming
    assert commands.feed(HELLO) == reply(UNKNOWN_COMMAND, 0xA7)
    assert commands.commands_seen == [0xA1, 0xAF, 0xA2, 0xA7]


def test_reply_packets_frame_like_any_packet() -> None:
    packet = reply(UNKNOWN_COMMAND, 0xA7)
    assert len(packet) == 9
    assert packet[0] < 0x80 and all(b >= 0x80 for b in packet[1:])
    parser = cms50_v7.Cms50V7Parser()
    assert parser.feed(packet + cms50_v7.encode_packet(72, 97, 40)) != []
    assert parser.stats.extra.get("other_packets") == 1  # skipped, not taken for data


_COMMANDS = st.sampled_from([0xA1, 0xA2, 0xAF, 0xA7, 0xA0, 0xAA])


@given(
    cmds=st.lists(_COMMANDS, max_size=8),
    noise=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\x7d", b"")), max_size=9),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_commands_in_noise_and_split_anywhere(cmds, noise, cuts) -> None:
    """Noise between commands is dropped; how the bytes are split changes nothing."""
    wire = bytearray(noise[0] if noise else b"")
    for i, cmd in enumerate(cmds):
        wire += cms50_v7.command(cmd)
        wire += noise[i + 1] if i + 1 < len(noise) else b""
    whole = Cms50V7Commands()
    replies = whole.feed(bytes(wire))
    split = Cms50V7Commands()
    pieces, last = [], 0
    for cut in sorted(min(c, len(wire)) for c in cuts):
        pieces.append(split.feed(bytes(wire[last:cut])))
        last = cut
    pieces.append(split.feed(bytes(wire[last:])))
    assert whole.commands_seen == split.commands_seen == cmds
    assert b"".join(pieces) == replies
    assert whole.streaming == split.streaming
    expected_streaming = False
    for cmd in cmds:
        expected_streaming = {0xA1: True, 0xA2: False}.get(cmd, expected_streaming)
    assert whole.streaming is expected_streaming


def test_only_the_cms50_v7_simulation_takes_commands() -> None:
    with pytest.raises(ValueError, match="nonin-df7 has no simulated stream commands"):
        WireSimulator("nonin-df7", lambda data: None, ManualClock(), commanded=True)


def streaming(sim: WireSimulator) -> bool:
    return sim.commands is not None and sim.commands.streaming


@pytest.fixture
def port(tmp_path) -> Iterator[PtyPort]:
    pty = PtyPort(link=tmp_path / "ttyUSB-commanded")
    yield pty
    pty.close()


def test_a_greeting_host_gets_replies_and_no_stream_before_start(port: PtyPort) -> None:
    clock = ManualClock()
    sim = WireSimulator("cms50-v7", port, clock, seed=4, commanded=True)
    clock.advance(2.0)
    assert sim.step() == 0  # two seconds measured, nothing sent
    assert sim.receive(HELLO + cms50_v7.stop_stream()) == 18
    assert sim.bytes_out == 18
    sim.receive(cms50_v7.start_stream())
    clock.advance(1.0)
    assert sim.step() >= 50 * cms50_v7.PACKET_LEN  # about 60 packets a second once started


def test_the_console_driver_starts_a_commanded_simulator(port: PtyPort) -> None:
    clock = ManualClock()
    sim = WireSimulator("cms50-v7", port, clock, hr=72, spo2=97, seed=5, commanded=True)
    device = SerialOximeter("cms50-v7", port.path, clock)
    device.start()
    try:
        assert wait_until(lambda: device.state is LinkState.STREAMING)
        assert wait_until(lambda: sim.receive(port.read_available(0.01)) == 0 and streaming(sim))
        for _ in range(3):
            clock.advance(1.0)
            sim.step()
            assert wait_until(lambda: device.link.bytes_in >= sim.bytes_out)
        assert sim.bytes_out > 0
        kinds = {getattr(o.item, "kind", None) for o in device.poll()}
        assert {Kind.HR, Kind.SPO2} <= kinds
    finally:
        device.stop()
