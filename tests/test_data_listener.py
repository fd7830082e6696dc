"""A serial source wakes whoever drains it when a reading arrives (issue 12 item 1).

Real pty, real pyserial, the real CMS50 v7 driver: the reader thread calls the data listener
for a new reading, a condition or a link move, never for waveform samples alone; the session
runtime hands the listener to every source that takes one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pty_helpers import wait_until
from sessionmon.clock import ManualClock
from sessionmon.devices.protocols.cms50_v7 import encode_packet
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import LinkState, WaveformBlock
from sessionmon.model import Kind

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")


@pytest.fixture
def port(tmp_path) -> Iterator[PtyPort]:
    with PtyPort(link=tmp_path / "ttyUSB0") as opened:
        yield opened


def test_a_new_reading_wakes_the_listener_and_pleth_alone_does_not(port: PtyPort) -> None:
    calls: list[int] = []
    device = SerialOximeter("cms50-v7", port.path, ManualClock())
    device.set_data_listener(lambda: calls.append(device.link.bytes_in))
    device.start()
    try:
        assert wait_until(lambda: device.state is LinkState.STREAMING)
        assert wait_until(lambda: calls), "the port opening is a link move: it wakes"
        port.write(encode_packet(72, 97, 60.0, 2.0))
        assert wait_until(lambda: calls[-1] >= 9), "the first values wake"
        assert any(getattr(o.item, "kind", None) is Kind.SPO2 for o in device.poll())
        woken = len(calls)
        port.write(b"".join(encode_packet(72, 97, 60.0 + i, 2.0) for i in range(12)))
        port.write(encode_packet(72, 88, 60.0, 2.0))
        assert wait_until(lambda: len(calls) > woken), "a new SpO2 value wakes acquisition"
        assert calls[woken] == 9 * 14, "the 12 unchanged packets (pleth only) did not wake"
        outputs = device.poll()
        assert sum(len(o.item.samples) for o in outputs if isinstance(o.item, WaveformBlock)) == 13
        assert [o.item.value for o in outputs if getattr(o.item, "kind", None) is Kind.SPO2] == [88]
    finally:
        device.stop()


def test_the_runtime_gives_its_listener_to_every_serial_source(port: PtyPort, tmp_path) -> None:
    from sessionmon.runtime.session_runtime import SessionRuntime
    from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedNibp
    from sessionmon.store import SessionStore

    clock = ManualClock()
    woken = threading.Event()
    oximeter = SerialOximeter("cms50-v7", port.path, clock)
    nibp = SimulatedNibp(
        clock, Physiology(clock, PhysiologyTargets(hr=72, spo2=98, sys=120, dia=80))
    )  # no reader thread
    with SessionStore.open(tmp_path / "s.db", clock) as store:
        runtime = SessionRuntime(
            store, clock, oximeter=oximeter, nibp=nibp, treatment="esketamine-84"
        )
        try:
            assert runtime.set_data_listener(woken.set)
            port.write(encode_packet(70, 96, 60.0, 2.0))
            assert wait_until(woken.is_set)
        finally:
            runtime.close()
        assert oximeter._data_listener is None, "a closed runtime no longer wakes anyone"
