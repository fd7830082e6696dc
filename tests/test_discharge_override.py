"""A clinician overrides a refused discharge with a written reason and their name."""

from __future__ import annotations

import pytest

from sessionmon.model import EventKind, Patient, SessionPhase
from sessionmon.runtime import IntentRefusedError, SessionRuntime
from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedOximeter
from sessionmon.store import SessionStore


@pytest.fixture
def runtime(tmp_path, clock):
    with SessionStore.open(tmp_path / "sessions.db", clock) as store:
        phys = Physiology(clock, PhysiologyTargets(hr=70, spo2=98, sys=124, dia=78), seed=4)
        rt = SessionRuntime(
            store,
            clock,
            patient=Patient(pseudonym="OV-1"),
            treatment="esketamine-84",
            simulated=True,
            oximeter=SimulatedOximeter(clock, phys, seed=5),
        )
        yield rt


def advance(runtime, clock, minutes):
    for _ in range(minutes):
        clock.advance(60)
        runtime.tick()


def test_override_needs_name_and_reason_and_is_recorded(runtime, clock):
    runtime.start_baseline()
    runtime.record_bp(124, 78, by="RN A")
    runtime.dose(by="RN A", confirm_unanswered=True)
    advance(runtime, clock, 70)  # the 40-min BP is missed
    with pytest.raises(IntentRefusedError, match="minimum observation time cannot be overridden"):
        runtime.override_discharge("Dr B", "patient well")
    advance(runtime, clock, 50)
    runtime.record_bp(126, 79, by="RN A")
    for scale, total in (("moaas", 5), ("aldrete", 10)):
        runtime.record_checklist(scale, total=total, by="RN A")
    refused = runtime.attempt_discharge(by="RN A")
    assert refused.blocking_ids == ["peak_bp"]
    with pytest.raises(IntentRefusedError, match="written reason"):
        runtime.override_discharge("Dr B", "  ")
    with pytest.raises(IntentRefusedError, match="clinician's name"):
        runtime.override_discharge("", "BP stable")
    event = runtime.override_discharge("Dr B", "40-min BP missed; stable since")
    assert event.kind is EventKind.DISCHARGE_ATTEMPT and event.by == "Dr B"
    assert event.payload["override"] == {"by": "Dr B", "reason": "40-min BP missed; stable since"}
    assert event.payload["blocking_ids"] == ["peak_bp"]
    assert "discharge overridden by Dr B" in event.text
    assert runtime.phase is SessionPhase.DISCHARGE_READY
    advance(runtime, clock, 1)  # the periodic check does not take it back
    assert runtime.phase is SessionPhase.DISCHARGE_READY
    runtime.sign(by="RN A")
    assert runtime.phase is SessionPhase.CLOSED


def test_nothing_to_override_when_discharge_is_allowed_or_before_the_dose(runtime, clock):
    with pytest.raises(IntentRefusedError, match="nothing to override"):
        runtime.override_discharge("Dr B", "why not")
