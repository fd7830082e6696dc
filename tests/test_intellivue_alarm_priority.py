"""The IntelliVue's own alarm list reaches the console at the monitor's priorities, through
the real driver and runtime on UDP 127.0.0.1: the simulated monitor's "SpO2 Low" (medium,
MED_PRI_P_AL) becomes a medium physiological device alarm, its "Desat" (HI_PRI_P_AL) a high
one, and its "SpO2 Interference" (MED_PRI_T_AL) a medium technical one; they are never merged
with sessionmon's own SpO2 limit alarm."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionmon.clock import SystemClock
from sessionmon.devices.factory import parse_device, start_sources
from sessionmon.model import AlarmPriority, Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.runtime.monitor_alarms import monitor_priority
from sessionmon.sim import Physiology, PhysiologyTargets
from sessionmon.sim.intellivue_sim import SimulatedIntelliVue, UdpTransport
from sessionmon.store import SessionStore

CLOCK = SystemClock()
_PAUSE = threading.Event()


def _run(spo2: float, tmp_path, check: Callable[[SessionRuntime], bool], fault: str = ""):
    physiology = Physiology(CLOCK, PhysiologyTargets(hr=72, spo2=spo2, sys=124, dia=78), seed=1)
    sim = SimulatedIntelliVue(CLOCK, physiology, nibp_interval_s=None, nibp_first_s=1e9)
    if fault:
        sim.inject_fault(fault)
    transport = UdpTransport(sim, "127.0.0.1", 0)
    sources = start_sources(parse_device(f"intellivue:{transport.address}"), None, CLOCK)
    try:
        with SessionStore.open(tmp_path / "s.db", CLOCK) as store:
            runtime = SessionRuntime(
                store,
                CLOCK,
                patient=Patient(pseudonym="IV-P"),
                treatment="ketamine-iv",
                oximeter=sources.oximeter,
                nibp=sources.nibp,
            )
            started = time.monotonic()
            found = False
            while time.monotonic() - started < 4.0 and not found:
                transport.step()
                runtime.tick()
                found = check(runtime)
                _PAUSE.wait(0.005)
            alarms = {a.condition: a for a in runtime.snapshot().alarms}
            runtime.close()
            return found, alarms
    finally:
        sources.stop()
        transport.close()


def _has(condition: str) -> Callable[[SessionRuntime], bool]:
    return lambda rt: any(a.condition == condition for a in rt.snapshot().alarms)


@pytest.mark.parametrize(
    ("spo2", "priority", "words"),
    [(86, AlarmPriority.MEDIUM, "SpO2 Low (medium)"), (75, AlarmPriority.HIGH, "Desat (high)")],
)
def test_monitor_physiological_alarm_comes_at_the_monitors_priority(
    tmp_path, spo2, priority, words
):
    found, alarms = _run(spo2, tmp_path, _has("monitor_physiological_alarm"))
    assert found
    alarm = alarms["monitor_physiological_alarm"]
    assert alarm.priority is priority and alarm.category.value == "physiological"
    assert words in alarm.message


def test_monitor_technical_alarm_comes_at_the_monitors_priority(tmp_path):
    found, alarms = _run(97, tmp_path, _has("monitor_technical_alarm"), fault="invalid")
    assert found
    alarm = alarms["monitor_technical_alarm"]
    assert alarm.priority is AlarmPriority.MEDIUM and alarm.category.value == "technical"
    assert "SpO2 Interference (medium)" in alarm.message


@given(st.lists(st.sampled_from(["low", "medium", "high", "?", ""]), max_size=6))
def test_the_highest_known_priority_wins(words):
    got = monitor_priority(words)
    known = [w for w in words if w in ("low", "medium", "high")]
    if not known:
        assert got is None
    else:
        order = ["low", "medium", "high"]
        assert got.value == max(known, key=order.index)
