"""Reader wake-ups: one read per burst, waits until the next timer, wakes and stops at once.

The link blocks until bytes arrive or the first timer is due (the stall deadline, or the time the
listener's ``link_tick`` returned). Over real ptys with real pyserial: a packet written in one
go reaches the listener in one call; a link with no timer due waits its whole read timeout; a
request from another thread (``wake``) and ``stop`` end a 30 s wait at once. The drivers' "next
due" answers are checked by properties: a tick earlier than the time a driver named does
nothing, so no timer can fire late because the link slept until then.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pty_helpers import wait_until
from sessionmon.clock import ManualClock, ScaledClock
from sessionmon.devices.link import LinkStateMachine, SerialLink, wait_step
from sessionmon.devices.protocols import PortSettings, suntech
from sessionmon.devices.protocols.intellivue_client import ClientDialog
from sessionmon.devices.protocols.intellivue_monitor import MonitorSession
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import LinkState, LinkStateChange
from sessionmon.devices.suntech_driver import SuntechNibp

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")

#: Time steps of the property tests: multiples of 1/64 s are exact in binary floating point, so
#: "due at t" and "now - last >= interval" agree to the bit.
TICK = 1 / 64


class Chunks:
    """A link listener that keeps every chunk it is handed, and names its next timer."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.due: float | None = None
        self.ticks = 0

    def link_opened(self, link: SerialLink) -> None:
        pass

    def link_bytes(self, data: bytes) -> None:
        self.chunks.append(data)

    def link_state(self, change: LinkStateChange) -> None:
        pass

    def link_tick(self, link: SerialLink) -> float | None:
        self.ticks += 1
        return self.due


@pytest.fixture
def pty(tmp_path) -> Iterator[PtyPort]:
    port = PtyPort(link=tmp_path / "ttyWAKE")
    yield port
    port.close()


def _started(link: SerialLink) -> SerialLink:
    link.start()
    assert wait_until(lambda: link.state is LinkState.STREAMING)
    return link


# ---------------------------------------------------------------------- over a pty


def test_a_packet_written_at_once_is_one_chunk(pty: PtyPort, clock: ManualClock) -> None:
    listener = Chunks()
    link = _started(SerialLink(pty.path, PortSettings(115200), clock, listener))
    try:
        packets = [bytes([0x80 | n]) + bytes(range(n, n + 8)) for n in range(20)]
        for count, packet in enumerate(packets, start=1):
            pty.write(packet)  # one write: the whole packet is waiting when the read wakes
            assert wait_until(lambda c=count: len(b"".join(listener.chunks)) == 9 * c)
        assert listener.chunks == packets  # never the first byte alone, then the rest
        assert link.bytes_in == 9 * len(packets)
    finally:
        link.stop()


def test_with_no_timer_due_a_read_waits_its_whole_timeout(pty: PtyPort, clock: ManualClock) -> None:
    listener = Chunks()
    link = _started(SerialLink(pty.path, PortSettings(9600), clock, listener, stall_timeout_s=None))
    try:
        pty.write(b"x")
        assert wait_until(lambda: listener.chunks == [b"x"] and link.ticks >= 1)
        assert link.last_wait_s == 0.5  # READ_TIMEOUT_S: an idle port wakes twice a second
        listener.due = clock.monotonic() + 0.1  # a timer 0.1 s ahead
        pty.write(b"y")
        assert wait_until(lambda: link.last_wait_s == 0.0625)  # the step below 0.1 s
        listener.due = None
        link.wake()
        assert wait_until(lambda: link.last_wait_s == 0.5)
    finally:
        link.stop()


def test_the_stall_deadline_bounds_the_wait(pty: PtyPort, clock: ManualClock) -> None:
    link = _started(SerialLink(pty.path, PortSettings(9600), clock, Chunks(), stall_timeout_s=5.0))
    try:
        pty.write(b"x")
        assert wait_until(lambda: link.bytes_in == 1)
        clock.advance(4.8)  # the stall is due in 0.2 s
        link.wake()
        assert wait_until(lambda: link.last_wait_s == 0.125)
        clock.advance(0.2)
        link.wake()
        assert wait_until(lambda: link.state is LinkState.STALLED)
    finally:
        link.stop()


def test_wake_and_stop_end_a_long_wait_at_once(pty: PtyPort, clock: ManualClock) -> None:
    listener = Chunks()
    link = _started(
        SerialLink(
            pty.path, PortSettings(9600), clock, listener, stall_timeout_s=None, read_timeout_s=30
        )
    )
    assert wait_until(lambda: link.last_wait_s == 30 and listener.ticks == 1)  # on opening
    link.wake()  # without cancel_read the next tick would be 30 s away
    assert wait_until(lambda: listener.ticks == 2)
    link.stop(timeout_s=5.0)  # likewise the join would give up after 5 s
    assert link.state is LinkState.DISCONNECTED
    assert link._thread is None


def test_a_measurement_request_is_sent_at_once(pty: PtyPort, clock: ManualClock) -> None:
    driver = SuntechNibp(pty.path, clock, idle_poll_s=None, read_timeout_s=30)
    driver.start()
    try:
        assert wait_until(lambda: driver.state is LinkState.STREAMING)
        driver.request_measurement()  # from the GUI thread: the reader is in a 30 s wait
        got = bytearray()
        assert wait_until(lambda: got.extend(pty.read_available(0.005)) or bytes(got) == _START)
    finally:
        driver.stop()


_START = suntech.start_adult()


# ---------------------------------------------------------------------- wait steps


@given(
    to_deadline=st.floats(min_value=-10, max_value=100, allow_nan=False),
    longest=st.sampled_from([0.002, 0.02, 0.5, 30.0]),
    speed=st.sampled_from([1.0, 2.0, 60.0]),
)
def test_a_wait_never_passes_the_deadline(to_deadline: float, longest: float, speed: float) -> None:
    clock = ScaledClock(ManualClock(), speed)
    clock.pause()  # time stands still while the wait is worked out
    deadline = clock.monotonic() + to_deadline
    wait = wait_step(clock, [deadline, deadline + 1.0], longest)
    real = to_deadline / speed
    smallest = longest / 64
    steps = [longest / 2**k for k in range(7)]
    assert wait in steps
    assert wait <= max(real, smallest)  # never late but by the smallest step
    assert wait == longest or wait == smallest or wait > real / 2  # and not much early
    assert wait_step(clock, [], longest) == longest


# ---------------------------------------------------------------------- drivers' next due


class Wire:
    """What a driver's ``link_tick`` writes to (the test's side of a link)."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def write(self, data: bytes) -> bool:
        self.sent.append(data)
        return True


def _open(driver: SuntechNibp | SerialOximeter) -> None:
    """Make the (never started) driver's link count as open, as a running one would be."""
    driver.link._machine = LinkStateMachine(LinkState.STREAMING)


def _tick(driver, wire: Wire, clock: ManualClock) -> float | None:
    """Tick as the link does; a time already passed means "at once": the link's next read
    waits the smallest step and ticks again, and that tick must name a time ahead."""
    due = driver.link_tick(wire)
    if due is not None and due <= clock.monotonic():
        due = driver.link_tick(wire)
    assert due is None or due > clock.monotonic(), f"{due} is past ({clock.monotonic()})"
    return due


def _quiet_until(driver, wire: Wire, clock: ManualClock, due: float | None, state) -> None:
    """Tick at every step strictly before ``due``: nothing may be sent, queued or changed."""
    start = clock.monotonic()
    limit = start + 8.0 if due is None else min(due, start + 8.0)
    before = state()
    probe = ManualClock()
    probe.advance(start)
    driver._clock = probe  # the probe ticks must not move the test's clock
    try:
        while probe.monotonic() + TICK < limit:
            probe.advance(TICK)
            driver.link_tick(wire)
            assert not wire.sent, f"sent {wire.sent} at {probe.monotonic()} before due {due}"
            assert not driver.poll(), f"output at {probe.monotonic()} before due {due}"
            assert state() == before
    finally:
        driver._clock = clock


SUNTECH_REPLIES = [
    suntech.ack_frame("O"),
    suntech.ack_frame("K"),
    suntech.ack_frame("A"),
    suntech.ack_frame("B"),
    suntech.ack_frame("E"),
    suntech.cuff_pressure_frame(150),
    suntech.cuff_pressure_frame(40),
    suntech.cuff_pressure_frame(0),
    suntech.bp_data_frame(suntech.BpResult(128, 84, 99, 70, 0, 12, 0, bytes(8))),
    suntech.bp_data_frame(suntech.BpResult(0, 0, 0, 0, 0x57, 0, 0, bytes(8))),
]

suntech_steps = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(1, 640)),
        st.tuples(st.just("reply"), st.integers(0, len(SUNTECH_REPLIES) - 1)),
        st.tuples(st.just("request"), st.none()),
        st.tuples(st.just("abort"), st.none()),
        st.tuples(st.just("auto"), st.sampled_from([None, 2.0, 30.0])),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(steps=suntech_steps, idle_poll=st.sampled_from([None, 5.0]))
def test_suntech_does_nothing_before_the_time_it_names(steps, idle_poll) -> None:
    clock = ManualClock()
    driver = SuntechNibp("/nonexistent/ttyNIBP", clock, idle_poll_s=idle_poll)
    _open(driver)
    wire = Wire()
    state = lambda: (driver.phase, driver._awaiting, driver.active_conditions)  # noqa: E731
    due = _tick(driver, wire, clock)
    for what, value in steps:
        wire.sent.clear()
        driver.poll()
        if what == "wait":
            _quiet_until(driver, wire, clock, due, state)
            clock.advance(value * TICK)
        elif what == "reply":
            driver.link_bytes(SUNTECH_REPLIES[value])
        elif what == "request":
            driver.request_measurement()
        elif what == "abort":
            driver.abort()
        else:
            driver.set_auto_interval(value)
        due = _tick(driver, wire, clock)  # the link ticks after bytes, a wake or a wait


oximeter_steps = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(1, 640)),
        st.tuples(st.just("bytes"), st.sampled_from(["packet", "junk", "burst"])),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(steps=oximeter_steps, protocol=st.sampled_from(["cms50-v7", "nonin-df8", "cms50-legacy"]))
def test_oximeter_does_nothing_before_the_time_it_names(steps, protocol) -> None:
    from sessionmon.sim.wire_sim import WireSimulator

    clock = ManualClock()
    sink = Wire()
    sim = WireSimulator(protocol, sink, clock, hr=72, spo2=97, seed=1)
    for _ in range(200):
        clock.advance(TICK)
        sim.step()
    packet = b"".join(sink.sent)[:40]
    driver = SerialOximeter(protocol, "/nonexistent/ttyOX", clock)
    _open(driver)
    wire = Wire()
    state = lambda: driver.active_conditions  # noqa: E731
    driver.link_opened(wire)
    due = _tick(driver, wire, clock)
    for what, value in steps:
        wire.sent.clear()
        driver.poll()
        if what == "wait":
            _quiet_until(driver, wire, clock, due, state)
            clock.advance(value * TICK)
        elif value == "packet":
            driver.link_bytes(packet)
        elif value == "junk":
            driver.link_bytes(bytes(range(1, 40, 3)))
        else:
            driver.link_bytes(packet * 200)  # far faster than the device: too_fast
        due = _tick(driver, wire, clock)


dialog_steps = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(1, 640)),
        st.tuples(st.just("answer"), st.none()),
        st.tuples(st.just("silent"), st.booleans()),
        st.tuples(st.just("refuse"), st.booleans()),
        st.tuples(st.just("start"), st.none()),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(steps=dialog_steps, waves=st.sampled_from([None, 0.5]))
def test_intellivue_dialog_sends_nothing_before_the_time_it_names(steps, waves) -> None:
    dialog = ClientDialog(wave_period_s=waves)
    monitor = MonitorSession()
    now = 0.0
    outbox: list[bytes] = dialog.start(now)  # as the driver does when the port opens
    due = dialog.next_due(now)
    for what, value in steps:
        assert due is None or due > now, f"{due} names a time already passed ({now})"
        if what == "wait":
            end = now + value * TICK
            t = now
            phase = dialog.phase
            while t + TICK < min(end, due if due is not None else end):
                t += TICK
                assert dialog.tick(t) == [], f"sent at {t} before due {due}"
                assert dialog.phase is phase
            now = end
        elif what == "answer":
            sent, outbox = outbox, []
            for message in sent:
                for answer in monitor.handle(message, 0, None):
                    outbox += dialog.receive(answer, now)[0]
        elif what == "silent":
            monitor.silent = value
        elif what == "refuse":
            monitor.refuse_association = value
        else:
            outbox += dialog.start(now)
        outbox += dialog.tick(now)
        due = dialog.next_due(now)


def test_udp_link_waits_on_its_sockets_and_wakes_at_once(clock: ManualClock) -> None:
    import socket

    from sessionmon.devices.udp_link import UdpLink

    monitor = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    monitor.bind(("127.0.0.1", 0))
    monitor.settimeout(5.0)
    listener = Chunks()
    link = UdpLink(
        f"udp:127.0.0.1:{monitor.getsockname()[1]}",
        clock,
        listener,
        stall_timeout_s=None,
        read_timeout_s=30,
        indication_port=None,
    )
    link.start()
    try:
        assert wait_until(lambda: link.state is LinkState.STREAMING and listener.ticks >= 1)
        ticks = listener.ticks
        link.wake()  # the reader is in a 30 s wait
        assert wait_until(lambda: listener.ticks == ticks + 1)
        assert link.write(b"request")
        data, client = monitor.recvfrom(100)
        assert data == b"request"
        monitor.sendto(b"answer", client)  # a datagram ends the wait too
        assert wait_until(lambda: listener.chunks == [b"answer"])
    finally:
        link.stop(timeout_s=5.0)
        monitor.close()
    assert link.state is LinkState.DISCONNECTED
