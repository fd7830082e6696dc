"""Every way a session ends besides discharge: recorded with how, why, who and when, locked,
and shown on the PDF report and the REMS form."""

from __future__ import annotations

import pytest

from export_fixtures import pdf_text
from sessionmon.clock import ManualClock
from sessionmon.export import export_session, record_state_for
from sessionmon.export.record_state import export_events
from sessionmon.model import EventKind, Patient, SessionEnding, SessionPhase
from sessionmon.runtime import IntentRefusedError, SessionLockedError, SessionRuntime
from sessionmon.store import SessionStore


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def store(tmp_path, clock):
    with SessionStore.open(tmp_path / "sessions.db", clock) as s:
        yield s


def dosed_runtime(store, clock, pseudonym="END-1"):
    runtime = SessionRuntime(
        store, clock, patient=Patient(pseudonym=pseudonym), treatment="esketamine-84"
    )
    runtime.start_baseline(by="RN A")
    runtime.record_bp(128, 82, by="RN A")
    clock.advance(60)
    runtime.dose(by="RN A", confirm_unanswered=True)
    clock.advance(30 * 60)
    runtime.tick()
    assert runtime.phase is SessionPhase.OBSERVATION
    return runtime


def test_a_transfer_is_recorded_with_where_why_who_and_when_and_locks_the_record(store, clock):
    runtime = dosed_runtime(store, clock)
    at = clock.now()
    runtime.end_session(
        "transferred", by="Dr Byrne", reason="chest pain, BP 190/120", destination="St Mary's ED"
    )
    stored = store.get_session(runtime.session_id)
    assert stored.phase is SessionPhase.CLOSED
    ending = stored.ending
    assert ending.how is SessionEnding.TRANSFERRED
    assert (ending.by, ending.at, ending.reason, ending.destination) == (
        "Dr Byrne",
        at,
        "chest pain, BP 190/120",
        "St Mary's ED",
    )
    assert (stored.ended_at, stored.signed_by) == (at, "Dr Byrne")
    events = store.events(runtime.session_id)
    ended = [e for e in events if e.payload.get("action") == "end_session"]
    assert len(ended) == 1 and "St Mary's ED" in ended[0].text and ended[0].by == "Dr Byrne"
    assert events[-1].kind is EventKind.PHASE_CHANGE and events[-1].payload["to"] == "closed"
    with pytest.raises(SessionLockedError):
        runtime.annotate("too late", by="RN A")
    assert runtime.engine.active_alarms == [] or all(
        a.condition != "bp_check_due" for a in runtime.engine.active_alarms
    )


@pytest.mark.parametrize(
    ("how", "dosed"),
    [
        ("dose_not_given", False),
        ("transferred", False),
        ("left_against_advice", True),
        ("ended_early", True),
    ],
)
def test_each_ending_closes_the_session_in_the_phases_it_applies_to(store, clock, how, dosed):
    if dosed:
        runtime = dosed_runtime(store, clock)
    else:
        runtime = SessionRuntime(
            store, clock, patient=Patient(pseudonym="END-2"), treatment="esketamine-56"
        )
        runtime.start_baseline(by="RN A")
    runtime.end_session(how, by="RN A", reason="the reason", destination="ED")
    stored = store.get_session(runtime.session_id)
    assert stored.phase is SessionPhase.CLOSED and stored.ending.how.value == how
    summary = next(s for s in store.list_sessions() if s.id == runtime.session_id)
    assert summary.phase is SessionPhase.CLOSED  # never listed as interrupted afterwards


def test_refusals_name_what_is_missing_and_record_nothing(store, clock):
    runtime = dosed_runtime(store, clock)
    before = len(store.events(runtime.session_id))
    with pytest.raises(IntentRefusedError, match="already been given"):
        runtime.end_session("dose_not_given", by="RN A", reason="patient declined")
    with pytest.raises(IntentRefusedError, match="needs a reason"):
        runtime.end_session("ended_early", by="RN A", reason="  ")
    with pytest.raises(IntentRefusedError, match="needs who ends it"):
        runtime.end_session("ended_early", by="", reason="x")
    with pytest.raises(IntentRefusedError, match="where the patient is transferred to"):
        runtime.end_session("transferred", by="RN A", reason="x")
    with pytest.raises(IntentRefusedError, match="Sign off"):
        runtime.end_session("discharged", by="RN A", reason="x")
    with pytest.raises(IntentRefusedError, match="unknown ending"):
        runtime.end_session("vanished", by="RN A", reason="x")
    assert len(store.events(runtime.session_id)) == before
    assert runtime.phase is SessionPhase.OBSERVATION
    before_dose = SessionRuntime(
        store, clock, patient=Patient(pseudonym="END-3"), treatment="esketamine-56"
    )
    with pytest.raises(IntentRefusedError, match="dose not given"):
        before_dose.end_session("left_against_advice", by="RN A", reason="left")


def test_the_report_and_the_rems_form_say_how_the_session_ended(store, clock, tmp_path):
    runtime = dosed_runtime(store, clock)
    runtime.end_session(
        "transferred", by="Dr Byrne", reason="chest pain", destination="St Mary's ED"
    )
    for fmt in ("pdf", "rems"):
        out = tmp_path / f"{fmt}.pdf"
        export_session(store, runtime.session_id, fmt, out, clock=clock)
        text = " ".join(pdf_text(out).split())
        assert "Transferred to emergency care (to St Mary's ED): chest pain - Dr Byrne" in text
        assert "Monitoring ended" in text, fmt
    state = record_state_for(
        next(s for s in store.list_sessions() if s.id == runtime.session_id),
        export_events(store, runtime.session_id),
        clock.now(),
    )
    assert state.signed and state.dosed and not state.open


def test_a_session_without_a_dose_has_no_rems_form(store, clock, tmp_path):
    runtime = SessionRuntime(
        store, clock, patient=Patient(pseudonym="END-4"), treatment="esketamine-84"
    )
    runtime.record_bp(182, 112, by="RN A")
    runtime.end_session("dose_not_given", by="RN A", reason="pre-dose BP 182/112")
    out = tmp_path / "r.pdf"
    export_session(store, runtime.session_id, "pdf", out, clock=clock)
    text = " ".join(pdf_text(out).split())
    assert "Dose not given: pre-dose BP 182/112 - RN A" in text
    assert "no dose was given: the REMS form does not apply" in text


def test_a_deidentified_export_keeps_the_ending_without_names_or_real_times(store, clock):
    from datetime import timedelta

    from sessionmon.export import load_record
    from sessionmon.export.deidentify import deidentify

    runtime = dosed_runtime(store, clock)
    runtime.end_session("left_against_advice", by="Dr Byrne", reason="Dr Byrne advised to stay")
    offset = timedelta(days=-3, minutes=7)
    shown = deidentify(load_record(store, runtime.session_id), offset).session
    assert shown.ending.how is SessionEnding.LEFT_AGAINST_ADVICE
    assert shown.ending.by == "(staff)" and "Byrne" not in shown.ending.reason
    assert shown.ending.at == runtime.session.ending.at + offset


@pytest.mark.parametrize(
    ("how", "code"), [("transferred", "other-hcf"), ("left_against_advice", "aadvice")]
)
def test_fhir_and_hl7_from_the_cli_say_how_the_session_ended(store, clock, tmp_path, how, code):
    import json

    from sessionmon.cli import main

    runtime = dosed_runtime(store, clock)
    extra = {"destination": "St Mary's ED"} if how == "transferred" else {}
    runtime.end_session(how, by="Dr Byrne", reason="chest pain", **extra)
    store.flush()
    short, db = str(runtime.session_id)[:8], str(tmp_path / "sessions.db")
    for fmt in ("fhir", "hl7"):
        out = tmp_path / f"out.{fmt}"
        assert (
            main(["--db", db, "export", "--session", short, "--format", fmt, "--out", str(out)])
            == 0
        )
    bundle = json.loads((tmp_path / "out.fhir").read_text())
    (encounter,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Encounter"
    ]
    disposition = encounter["hospitalization"]["dischargeDisposition"]
    assert disposition["coding"][0]["code"] == code
    assert "chest pain" in disposition["text"] and encounter["status"] == "finished"
    segments = (tmp_path / "out.hl7").read_bytes().decode().split("\r")
    pv1 = next(s for s in segments if s.startswith("PV1|")).split("|")
    assert pv1[45] == runtime.session.ending.at.strftime("%Y%m%d%H%M%S+0000")
    notes = [s for s in segments if s.startswith("NTE|")]
    assert any("Session ended:" in n and "chest pain" in n and "Dr Byrne" in n for n in notes)


def test_a_discharged_session_is_not_claimed_to_have_gone_home(store, clock, tmp_path):
    from sessionmon.export.fhir_bundle import build_bundle
    from sessionmon.export.record import load_record

    runtime = dosed_runtime(store, clock)
    runtime.end_session("ended_early", by="Dr Byrne", reason="patient asked to stop")
    record = load_record(store, runtime.session_id)
    bundle = build_bundle(record, clock.now())
    encounter = next(
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "Encounter"
    )
    disposition = encounter.hospitalization.dischargeDisposition
    assert disposition.coding is None and "patient asked to stop" in disposition.text
