"""Timed faults of ``simulate-device``: parsed, scheduled, and seen by the real driver."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pty_helpers import wait_until
from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.readings import TechnicalCondition
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.wire_faults import (
    FaultRunner,
    FaultSchedule,
    ScheduledFault,
    parse_fault,
)
from sessionmon.errors import UserError
from sessionmon.sim.wire_sim import WireSimulator

TC = TechnicalCondition


def test_parse_fault_forms():
    assert parse_fault("sensor_off@30:20") == ScheduledFault("sensor_off", 30.0, 20.0)
    assert parse_fault(" unplug@1.5 ") == ScheduledFault("unplug", 1.5, None)
    assert parse_fault("sensor_off@30:20").describe() == "sensor_off at 30 s for 20 s"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sensor_off", "not NAME@START[:DURATION]"),
        ("sensor_off@-1:2", "not NAME@START[:DURATION]"),
        ("finger_out@3", "unknown fault 'finger_out'; use one of sensor_off, unplug, noise"),
        ("sensor_off@3:0", "the duration must be positive"),
        ("sensor_off@3.1.2", "must be numbers"),
    ],
)
def test_parse_fault_rejects_bad_text(text, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_fault(text)


def test_schedule_starts_and_ends_in_order():
    schedule = FaultSchedule([ScheduledFault("unplug", 5, 1), ScheduledFault("sensor_off", 1, 2)])
    assert schedule.advance(0.5) == []
    assert schedule.advance(1.0) == [(ScheduledFault("sensor_off", 1, 2), True)]
    assert schedule.advance(5.5) == [
        (ScheduledFault("sensor_off", 1, 2), False),
        (ScheduledFault("unplug", 5, 1), True),
    ]
    assert not schedule.done
    assert schedule.advance(9) == [(ScheduledFault("unplug", 5, 1), False)]
    assert schedule.done


def test_overlapping_faults_of_one_name_are_refused():
    with pytest.raises(UserError, match="faults overlap"):
        FaultSchedule([ScheduledFault("sensor_off", 0, 10), ScheduledFault("sensor_off", 5)])


def _until(condition: Callable[[], bool], step: Callable[[], None]) -> bool:
    return wait_until(condition, step=step, pause_s=0.01)


def test_sensor_off_and_unplug_reach_the_real_driver(tmp_path):
    port = PtyPort(link=tmp_path / "ttyOXI")
    clock = ManualClock()
    sim = WireSimulator("nonin-df2", port.offer, clock, hr=70, spo2=97, seed=1)
    lines: list[str] = []
    start = clock.now()
    runner = FaultRunner(
        sim,
        port,
        [ScheduledFault("sensor_off", 2, 3), ScheduledFault("unplug", 8, 1)],
        lambda: (clock.now() - start).total_seconds(),
        lines.append,
    )
    device = SerialOximeter("nonin-df2", port.path, clock)  # the simulator's time
    device.start()

    def step() -> None:  # a tenth of a device second per loop
        clock.advance(0.1)
        runner.tick()
        sim.step()

    def elapsed() -> float:
        return (clock.now() - start).total_seconds()

    try:
        assert _until(lambda: TC.SENSOR_OFF in device.active_conditions, step)
        assert 2.0 <= elapsed() < 3.5  # the finger came out at 2 s
        assert _until(lambda: TC.SENSOR_OFF not in device.active_conditions, step)
        assert 5.0 <= elapsed() < 6.5  # and went back in at 5 s
        assert _until(lambda: TC.DISCONNECTED in device.active_conditions, step)
        assert elapsed() >= 8.0
        assert _until(lambda: TC.DISCONNECTED not in device.active_conditions, step)
        assert lines == [
            "fault sensor_off started at 2.0 s",
            "fault sensor_off ended at 5.0 s",
            "fault unplug started at 8.0 s",
            f"fault unplug ended at 9.0 s (port {port.path})",
        ]
    finally:
        device.stop()
        port.close()


def test_simulate_device_refuses_a_bad_fault_in_one_line(capsys):
    assert main(["simulate-device", "--protocol", "suntech", "--fault", "sensor_off@1"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "sessionmon: fault sensor_off applies to oximeters, not to suntech"


def test_wire_faults_start_and_end_on_schedule():
    clock = ManualClock()
    sent: list[bytes] = []
    sim = WireSimulator("nonin-df8", sent.append, clock, seed=4)
    start = clock.now()
    lines: list[str] = []
    runner = FaultRunner(
        sim,
        None,
        [ScheduledFault("noise", 1, 2), ScheduledFault("fast", 4, 1)],
        lambda: (clock.now() - start).total_seconds(),
        lines.append,
    )
    seen = []
    for _ in range(60):
        clock.advance(0.1)
        runner.tick()
        sim.step()
        seen.append(frozenset(sim.wire_faults))
    assert frozenset({"noise"}) in seen and frozenset({"fast"}) in seen
    assert sim.wire_faults == set()
    assert lines[0] == "fault noise started at 1.0 s"
    assert max(len(chunk) for chunk in sent) == 400  # a 4-byte frame sent 100 times


def test_oximeter_only_wire_faults_are_refused_for_suntech():
    sim = WireSimulator("suntech", lambda data: None, ManualClock())
    with pytest.raises(UserError, match="fault fast applies to oximeters"):
        FaultRunner(sim, None, [ScheduledFault("fast", 1)], lambda: 0.0)
