"""Correcting patient details after the start, and the REMS fields signing needs."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from sessionmon.model import EventKind, Patient, SessionPhase
from sessionmon.runtime import (
    IntentRefusedError,
    RemsFieldsMissingError,
    RemsFormIncompleteError,
    SessionLockedError,
    SessionRuntime,
)
from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedOximeter
from sessionmon.store import SessionStore

FULL = {
    "name": "Ann Example",
    "date_of_birth": "1970-02-03",
    "sex": "female",
    "lot_number": "L-1",
    "monitoring_provider": "Dr. B",
}


PROVIDER = {"first_name": "Bea", "last_name": "Byrne", "phone": "555-0101", "email": "b@c.example"}
SIGN_OFF = {
    "minutes_until_ready": 95,
    "answers": {
        "vitals_before_dose": {"occurred": True, "details": "SpO2 98 % on the monitor"},
        "respiratory_depression": {"occurred": False, "details": "breathing watched"},
    },
    "provider": PROVIDER,
    "setting": {
        "name": "Harbour Clinic",
        "address": "1 Quay St",
        "city": "Portland",
        "state": "ME",
        "zip": "04101",
    },
}


@pytest.fixture
def store(tmp_path, clock):
    with SessionStore.open(tmp_path / "sessions.db", clock) as s:
        yield s


def runtime_for(store, clock, treatment="esketamine-84", simulated=False):
    phys = Physiology(clock, PhysiologyTargets(hr=70, spo2=98, sys=124, dia=78), seed=4)
    return SessionRuntime(
        store,
        clock,
        patient=Patient(pseudonym="PD-1"),
        treatment=treatment,
        simulated=simulated,
        oximeter=SimulatedOximeter(clock, phys, seed=5),
    )


def to_discharge_ready(runtime, clock) -> None:
    """Dose, then record what discharge needs two hours later (no devices: BP by hand)."""
    runtime.start_baseline()
    runtime.record_bp(124, 78, by="RN A")
    iv = {} if runtime.is_nasal else {"weight_kg": 70.0, "mg_per_kg": 0.5}
    runtime.dose(by="RN A", confirm_unanswered=True, **iv)
    for minutes in (41, 80):
        for _ in range(minutes):
            clock.advance(60)
            runtime.tick()
        runtime.record_bp(126, 79, by="RN A")
    for scale, total in (("moaas", 5), ("aldrete", 10), ("cadss6", 0)):
        runtime.record_checklist(scale, total=total, by="RN A")
    decision = runtime.attempt_discharge(by="RN A")
    assert decision.allowed, decision.blocking


def test_corrected_details_are_a_new_session_version_and_an_event(store, clock, tmp_path):
    runtime = runtime_for(store, clock)
    assert runtime.missing_rems_fields() == [
        "name",
        "date_of_birth",
        "sex",
        "lot_number",
        "monitoring_provider",
    ]
    clock.advance(30)
    event = runtime.update_patient_details(
        "RN A", **FULL, concomitant_medicines=["opioids", "benzodiazepines"]
    )
    stored = store.get_session(runtime.session_id)
    assert stored.patient.name == "Ann Example"
    assert stored.patient.date_of_birth == date(1970, 2, 3)
    assert stored.patient.sex == "female"
    assert stored.patient.pseudonym == "PD-1"
    assert stored.treatment.lot_number == "L-1"
    assert stored.monitoring_provider == "Dr. B"
    assert stored.concomitant_medicines == ("benzodiazepines", "opioids")
    assert runtime.missing_rems_fields() == []
    assert event.kind is EventKind.NURSE_ACTION and event.by == "RN A"
    assert "patient name" in event.text and "date of birth" in event.text and "RN A" in event.text
    recorded = store.events(runtime.session_id)[-1]
    assert recorded.payload["changed"]["date_of_birth"] == {"from": None, "to": "1970-02-03"}
    # Append-only: the first version (pseudonymous) is still in the database.
    with sqlite3.connect(tmp_path / "sessions.db") as db:
        bodies = [
            body
            for (body,) in db.execute(
                "SELECT body FROM session_versions WHERE session_id = ? ORDER BY version_id",
                (str(runtime.session_id),),
            )
        ]
    assert "Ann Example" not in bodies[0] and "Ann Example" in bodies[-1]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date_of_birth": "1970-13-40"}, "date of birth '1970-13-40' is not a date"),
        ({"date_of_birth": "2999-01-01"}, "date of birth must be before today"),
        ({"sex": "robot"}, "sex: choose"),
        ({"lot_number": "  "}, "enter the lot number"),
        ({"monitoring_provider": ""}, "enter the monitoring provider"),
        ({"concomitant_medicines": ["aspirin"]}, "unknown concomitant medicines class: aspirin"),
        ({"name": "x" * 201}, "patient name is 201 characters"),
        ({"pseudonym": "other"}, "cannot correct pseudonym"),
    ],
)
def test_a_refused_correction_names_the_field_and_changes_nothing(store, clock, fields, message):
    runtime = runtime_for(store, clock)
    before = store.get_session(runtime.session_id)
    events_before = len(store.events(runtime.session_id))
    with pytest.raises(IntentRefusedError, match=message):
        runtime.update_patient_details("RN A", **fields)
    assert store.get_session(runtime.session_id) == before
    assert len(store.events(runtime.session_id)) == events_before


def test_a_correction_needs_a_name_and_a_change(store, clock):
    runtime = runtime_for(store, clock)
    with pytest.raises(IntentRefusedError, match="name of the person"):
        runtime.update_patient_details(" ", name="Ann")
    runtime.update_patient_details("RN A", name="Ann")
    with pytest.raises(IntentRefusedError, match="nothing to correct"):
        runtime.update_patient_details("RN A", name="Ann")


def test_signing_a_real_esketamine_session_waits_for_the_rems_fields(store, clock):
    runtime = runtime_for(store, clock)
    to_discharge_ready(runtime, clock)
    runtime.update_patient_details("RN A", sex="male", lot_number="L-9")
    with pytest.raises(RemsFieldsMissingError) as refused:
        runtime.sign(by="RN A")
    assert refused.value.missing == ["name", "date_of_birth", "monitoring_provider"]
    assert "patient name, date of birth, monitoring provider" in str(refused.value)
    assert runtime.phase is SessionPhase.DISCHARGE_READY, "refusal leaves the session open"
    assert not any(e.kind is EventKind.SIGN_OFF for e in store.events(runtime.session_id))
    runtime.update_patient_details(
        "RN A", name="Bo Example", date_of_birth=date(1966, 5, 1), monitoring_provider="Dr. B"
    )
    # The REMS form itself: provider, setting, the clinician's minutes and open answers.
    with pytest.raises(RemsFormIncompleteError) as incomplete:
        runtime.sign(by="RN A")
    assert incomplete.value.missing == [
        "provider first name",
        "provider last name",
        "provider telephone",
        "provider email",
        "setting name",
        "setting address",
        "setting city",
        "setting state",
        "setting ZIP",
        "minutes until ready to leave",
        # No SpO2 was recorded before the dose (the oximeter's first tick came after it).
        "vital signs acceptable before dosing (clinician)",
        # An oximeter only: breathing was not monitored, so the record cannot answer No.
        "respiratory depression (clinician)",
    ]
    form = runtime.rems_form()
    assert form.minutes_until_ready_suggested is not None
    assert form.open_questions == ["vitals_before_dose", "respiratory_depression"]
    with pytest.raises(IntentRefusedError, match="provider email: email 'b@' is not an email"):
        runtime.sign(by="RN A", rems={**SIGN_OFF, "provider": {**PROVIDER, "email": "b@"}})
    with pytest.raises(IntentRefusedError, match="minutes until ready -5 must be from 0"):
        runtime.sign(by="RN A", rems={**SIGN_OFF, "minutes_until_ready": -5})
    runtime.sign(by="RN A", rems=SIGN_OFF)
    assert store.get_session(runtime.session_id).phase is SessionPhase.CLOSED
    signed = [e for e in store.events(runtime.session_id) if e.kind is EventKind.SIGN_OFF]
    assert signed[0].payload["rems"]["minutes_until_ready"] == 95
    assert signed[0].payload["rems"]["answers"]["vitals_before_dose"]["occurred"] is True
    with pytest.raises(SessionLockedError):
        runtime.update_patient_details("RN A", name="Changed Later")
    assert store.get_session(runtime.session_id).patient.name == "Bo Example"


@pytest.mark.parametrize(
    ("treatment", "simulated"), [("esketamine-56", True), ("ketamine-iv", False)]
)
def test_training_and_ketamine_sessions_sign_without_rems_fields(
    store, clock, treatment, simulated
):
    runtime = runtime_for(store, clock, treatment, simulated)
    assert runtime.missing_rems_fields() == []
    to_discharge_ready(runtime, clock)
    runtime.sign(by="RN A")
    assert store.get_session(runtime.session_id).phase is SessionPhase.CLOSED
