"""SunTech driver exchanges, byte by byte in both directions, over a real pty.

The test plays the module on the pty master: it asserts the exact bytes the driver sends and
answers with module frames written out in hex. Protocol timers run on a manual clock, so the
test decides when the next cuff-pressure poll is due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from pty_helpers import wait_until
from sessionmon.clock import ManualClock
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.readings import Reading, TechnicalCondition
from sessionmon.devices.source import (
    ConditionChange,
    DeviceRole,
    LinkState,
    NibpControl,
    VitalsSource,
)
from sessionmon.devices.suntech_driver import Phase, SuntechNibp
from sessionmon.model import Kind

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")

H = bytes.fromhex
START = H("3A 20 A6")
CUFF = H("3A 79 05 00 48")
BP_DATA = H("3A 79 03 00 4A")
ABORT = H("3A 79 01 00 4C")
ACK_O = H("3E 04 4F 6F")
ACK_K = H("3E 04 4B 73")
ACK_A = H("3E 04 41 7D")
ACK_E = H("3E 04 45 79")
CUFF_258 = H("3E 05 02 01 BA")  # the reference's example
CUFF_120 = H("3E 05 78 00 45")
CUFF_150 = H("3E 05 96 00 27")
CUFF_0 = H("3E 05 00 00 BD")
# sys 128, dia 84, 12 beats, HR 70, MAP 99, no error
BP_OK = H("3E 18 80 00 54 00 0C 00 00000000 00000000 46 00 63 00 00 00 00 21")
# error 0x57 (loose cuff or leak)
BP_LEAK = H("3E 18 00 00 00 00 00 00 00000000 00000000 00 00 00 00 57 00 00 53")
TC = TechnicalCondition


class Module:
    """The test's side of the cable: reads what the host sent, answers with module frames."""

    def __init__(self, port: PtyPort) -> None:
        self.port = port
        self.pending = bytearray()

    def expect(self, frame: bytes) -> None:
        """Assert that the host's next bytes are exactly ``frame``."""
        assert wait_until(lambda: self._fill(len(frame))), (
            f"host sent {bytes(self.pending).hex(' ')!r}, expected {frame.hex(' ')}"
        )
        got = bytes(self.pending[: len(frame)])
        del self.pending[: len(frame)]
        assert got.hex(" ") == frame.hex(" ")

    def _fill(self, n: int) -> bool:
        self.pending += self.port.read_available(0.005)
        return len(self.pending) >= n

    def nothing_sent(self) -> bool:
        self.pending += self.port.read_available(0.05)
        return not self.pending

    def reply(self, frame: bytes) -> None:
        self.port.write(frame)


@pytest.fixture
def port(tmp_path) -> Iterator[PtyPort]:
    pty = PtyPort(link=tmp_path / "ttyNIBP")
    yield pty
    pty.close()


@pytest.fixture
def make_driver(port: PtyPort, clock: ManualClock) -> Iterator[Callable[..., SuntechNibp]]:
    made: list[SuntechNibp] = []

    def make(**kwargs) -> SuntechNibp:
        kwargs.setdefault("idle_poll_s", None)
        driver = SuntechNibp(port.path, clock, **kwargs)
        made.append(driver)
        driver.start()
        assert wait_until(lambda: driver.state is LinkState.STREAMING)
        return driver

    yield make
    for driver in made:
        driver.stop()


def readings(outputs, kind: Kind) -> list[float]:
    return [o.item.value for o in outputs if isinstance(o.item, Reading) and o.item.kind is kind]


def condition_changes(outputs) -> list[tuple[TechnicalCondition, bool, str]]:
    return [
        (o.item.condition, o.item.active, o.item.detail)
        for o in outputs
        if isinstance(o.item, ConditionChange)
    ]


def poll_until(driver: SuntechNibp, predicate: Callable[[list], bool]) -> list:
    outputs: list = []
    assert wait_until(lambda: bool(outputs.extend(driver.poll())) or predicate(outputs))
    return outputs


def test_is_a_vitals_source_and_nibp_control(make_driver, port: PtyPort) -> None:
    driver = make_driver()
    assert isinstance(driver, VitalsSource) and isinstance(driver, NibpControl)
    assert driver.role is DeviceRole.NIBP
    assert driver.device_id.startswith("nibp:suntech:")
    assert not driver.measuring


def test_measurement_exchange_byte_by_byte(make_driver, port: PtyPort, clock: ManualClock) -> None:
    driver = make_driver()
    module = Module(port)
    driver.request_measurement()
    assert driver.measuring
    module.expect(START)
    module.reply(ACK_O)
    clock.advance(0.5)
    module.expect(CUFF)
    module.reply(CUFF_258)
    clock.advance(0.5)
    module.expect(CUFF)
    module.reply(CUFF_120)
    module.reply(ACK_K)  # the module says it is done
    module.expect(BP_DATA)
    module.reply(BP_OK)
    outputs = poll_until(driver, lambda o: bool(readings(o, Kind.NIBP_HR)))
    assert readings(outputs, Kind.CUFF_PRESSURE) == [258.0, 120.0]
    assert readings(outputs, Kind.NIBP_SYS) == [128.0]
    assert readings(outputs, Kind.NIBP_DIA) == [84.0]
    assert readings(outputs, Kind.NIBP_MAP) == [99.0]
    assert readings(outputs, Kind.NIBP_HR) == [70.0]
    assert not driver.measuring and driver.phase is Phase.IDLE
    assert module.nothing_sent()


def test_error_code_becomes_nibp_failed_with_the_device_text(
    make_driver, port: PtyPort, clock
) -> None:
    driver = make_driver()
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
    module.reply(ACK_O)
    clock.advance(0.5)
    module.expect(CUFF)
    module.reply(CUFF_150)
    module.reply(ACK_K)
    module.expect(BP_DATA)
    module.reply(BP_LEAK)
    outputs = poll_until(driver, lambda o: bool(condition_changes(o)))
    assert condition_changes(outputs) == [(TC.NIBP_FAILED, True, "57 loose cuff or leak")]
    assert TC.NIBP_FAILED in driver.active_conditions
    assert readings(outputs, Kind.NIBP_SYS) == []
    assert not driver.measuring

    # the next good measurement clears the failure
    driver.request_measurement()
    module.expect(START)
    module.reply(ACK_O)
    module.reply(ACK_K)
    module.expect(BP_DATA)
    module.reply(BP_OK)
    outputs = poll_until(driver, lambda o: bool(readings(o, Kind.NIBP_SYS)))
    assert (TC.NIBP_FAILED, False, "measurement succeeded") in condition_changes(outputs)
    assert not driver.active_conditions


def test_deflated_cuff_ends_the_measurement_without_a_done_ack(
    make_driver, port: PtyPort, clock
) -> None:
    driver = make_driver()
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
    module.reply(ACK_O)
    for answer in (CUFF_150, CUFF_0, CUFF_0):
        clock.advance(0.5)
        module.expect(CUFF)
        module.reply(answer)
    module.expect(BP_DATA)
    module.reply(ACK_K[:2] + b"B" + bytes([(0x100 - (0x3E + 0x04 + 0x42)) & 0xFF]))  # busy
    assert driver.measuring
    clock.advance(0.5)
    module.expect(BP_DATA)  # asked again after busy
    module.reply(BP_OK)
    outputs = poll_until(driver, lambda o: bool(readings(o, Kind.NIBP_MAP)))
    assert readings(outputs, Kind.NIBP_MAP) == [99.0]
    assert readings(outputs, Kind.CUFF_PRESSURE) == [150.0, 0.0, 0.0]


def test_abort_sends_abort_and_deflates(make_driver, port: PtyPort, clock) -> None:
    driver = make_driver()
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
    module.reply(ACK_O)
    clock.advance(0.5)
    module.expect(CUFF)
    module.reply(CUFF_120)
    driver.abort()
    module.expect(ABORT)
    module.reply(ACK_A)
    outputs = poll_until(driver, lambda o: readings(o, Kind.CUFF_PRESSURE)[-1:] == [0.0])
    assert not driver.measuring
    assert driver.phase is Phase.IDLE
    assert condition_changes(outputs) == []  # an abort the nurse asked for is not a failure
    clock.advance(2.0)
    assert module.nothing_sent()  # no more polling once aborted


@pytest.mark.parametrize("answer", [ACK_O, None], ids=["received-only", "no-answer"])
def test_after_an_abort_without_aborted_ack_a_new_measurement_starts(
    make_driver, port: PtyPort, clock, answer: bytes | None
) -> None:
    driver = make_driver(reply_timeout_s=1.0)
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
    module.reply(ACK_O)
    driver.abort()
    module.expect(ABORT)
    if answer is not None:
        module.reply(answer)
    clock.advance(1.0)  # past the reply timeout
    assert wait_until(lambda: driver.phase is Phase.IDLE)
    driver.request_measurement()
    module.expect(START)


def test_error_ack_fails_the_measurement(make_driver, port: PtyPort, clock) -> None:
    driver = make_driver()
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
    module.reply(ACK_E)
    outputs = poll_until(driver, lambda o: bool(condition_changes(o)))
    assert condition_changes(outputs) == [(TC.NIBP_FAILED, True, "module refused start: error 'E'")]
    assert not driver.measuring


def test_silent_module_is_reported_failed(make_driver, port: PtyPort, clock) -> None:
    driver = make_driver(reply_timeout_s=1.0, max_missed_replies=3)
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
    for _ in range(2):  # each unanswered request times out and is followed by a poll
        clock.advance(1.0)
        module.expect(CUFF)
    clock.advance(1.0)  # the third unanswered request
    outputs = poll_until(driver, lambda o: bool(condition_changes(o)))
    assert condition_changes(outputs) == [
        (TC.NIBP_FAILED, True, "module not answering (3 requests unanswered)")
    ]
    assert not driver.measuring


def test_measurement_timeout_aborts_and_fails(make_driver, port: PtyPort, clock) -> None:
    driver = make_driver(measurement_timeout_s=2.0)
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
    module.reply(ACK_O)
    for _ in range(3):
        clock.advance(0.5)
        module.expect(CUFF)
        module.reply(CUFF_150)
    clock.advance(0.5)
    module.expect(ABORT)
    module.reply(ACK_A)
    outputs = poll_until(driver, lambda o: bool(condition_changes(o)))
    assert condition_changes(outputs) == [(TC.NIBP_FAILED, True, "measurement timed out after 2 s")]
    assert not driver.measuring


def test_auto_interval_starts_measurements_by_the_clock(make_driver, port: PtyPort, clock) -> None:
    driver = make_driver()
    module = Module(port)
    driver.set_auto_interval(300.0)
    module.expect(START)
    module.reply(ACK_K)
    module.expect(BP_DATA)
    module.reply(BP_OK)
    assert wait_until(lambda: not driver.measuring)
    clock.advance(299.0)
    assert module.nothing_sent()
    clock.advance(1.0)
    module.expect(START)
    driver.set_auto_interval(None)
    with pytest.raises(ValueError, match="positive"):
        driver.set_auto_interval(0)


def test_idle_heartbeat_polls_the_cuff(make_driver, port: PtyPort, clock) -> None:
    driver = make_driver(idle_poll_s=5.0)
    module = Module(port)
    clock.advance(5.0)
    module.expect(CUFF)
    module.reply(CUFF_0)
    outputs = poll_until(driver, lambda o: bool(readings(o, Kind.CUFF_PRESSURE)))
    assert readings(outputs, Kind.CUFF_PRESSURE) == [0.0]
    assert not driver.measuring


def test_cable_pulled_during_measurement(make_driver, port: PtyPort, clock) -> None:
    driver = make_driver()
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
    module.reply(ACK_O)
    port.unplug()
    outputs = poll_until(driver, lambda o: TC.DISCONNECTED in driver.active_conditions)
    outputs += driver.poll()
    assert (TC.NIBP_FAILED, True, "link lost during measurement") in condition_changes(outputs)
    assert not driver.measuring
    port.replug()
    assert wait_until(lambda: driver.state is LinkState.STREAMING)
    module = Module(port)
    driver.request_measurement()
    module.expect(START)
