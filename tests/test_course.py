"""The treatment course (issue 15): migration from a database written before courses, a
simulated 8-session course whose outcomes fall, questionnaires and their alarm, exports."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_helpers import build_course
from export_fixtures import pdf_text
from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.course.enrol import carried_forward, new_course_session
from sessionmon.course.measures import MEASURES, load_outcome_file, score_outcome
from sessionmon.errors import UserError
from sessionmon.model import Patient, TreatmentId
from sessionmon.protocol.scales import SCALES
from sessionmon.runtime import SessionRuntime
from sessionmon.scenarios.model import Scenario
from sessionmon.store import SessionStore, schema

#: Written by sessionmon at commit e4b945a (main before courses) with
#: ``PYTHONPATH=<worktree at e4b945a>/src python -m sessionmon --db F simulate --scenario S
#: --headless`` (two sessions of OLD-PATIENT, one of OLD-OTHER; schema version 2).
OLD_DB = Path(__file__).parent / "data" / "main-before-courses.db"


@pytest.fixture(scope="module")
def course_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course")
    db = folder / "course.db"
    build_course(db, folder)
    return db


def _course_json(capsys, db: Path, *extra: str) -> dict:
    capsys.readouterr()
    assert main(["--db", str(db), "course", "--patient", "COURSE-01", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


# --------------------------------------------------------------------------- migration


def test_a_database_written_before_courses_migrates_with_nothing_lost(tmp_path, capsys):
    db = tmp_path / "old.db"
    shutil.copy(OLD_DB, db)
    raw = sqlite3.connect(db)
    assert schema.schema_version(raw) == 2
    before = {
        t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("session_versions", "measurements", "waveform_chunks", "events", "audit")
    }
    sessions_before = {r[0] for r in raw.execute("SELECT session_id FROM session_versions")}
    raw.close()
    with SessionStore.open(db, ManualClock()) as store:
        assert store.schema_version == schema.SCHEMA_VERSION >= 3
        assert [p.patient.pseudonym for p in store.list_patients()] == ["OLD-OTHER", "OLD-PATIENT"]
        courses = store.courses_for("OLD-PATIENT")
        assert len(courses) == 2 and all(c.migrated and c.status.value == "closed" for c in courses)
        for course in courses:
            (only,) = store.course_sessions(course)
            assert only.id == course.id and only.course_id is None
            assert course.treatment is TreatmentId.ESKETAMINE_56
        assert store.verify_audit().ok
        summaries = {str(s.id) for s in store.list_sessions()}
    assert summaries == sessions_before
    raw = sqlite3.connect(db)
    for table, count in before.items():
        adopted = 2 if table == "audit" else 0  # migration 3's patients and courses, audited
        assert raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == count + adopted, table
    assert {
        r[0] for r in raw.execute("SELECT target FROM audit WHERE action = 'anchor.adopt'")
    } == {
        "patient_versions",
        "course_versions",
    }
    raw.close()
    assert main(["--db", str(db), "patients", "show", "OLD-PATIENT"]) == 0
    out = capsys.readouterr().out
    assert out.count("migrated") == 2 and "1 session(s)" in out
    assert main(["--db", str(db), "course", "--patient", "OLD-OTHER", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["course"]["migrated"] and data["sessions"][0]["treatment"] == "ketamine-iv"


# --------------------------------------------------------------------------- the course


def test_a_simulated_course_of_8_sessions_over_5_weeks_falls_to_remission(course_db, capsys):
    data = _course_json(capsys, course_db, "--today", "2026-04-03")
    sessions = data["sessions"]
    assert len(sessions) == 8
    assert sessions[0]["start"].startswith("2026-03-02T09:00")
    assert sessions[-1]["start"].startswith("2026-04-02T09:00")  # 4.5 weeks: inside 5 weeks
    phq = [s["outcomes"]["phq9"] for s in sessions]
    assert phq == sorted(phq, reverse=True) and phq[0] == 20 and phq[-1] == 4
    assert all(s["treatment"] == "esketamine-84" for s in sessions)
    assert all(s["peak_bp_rise"] is not None and s["highest_cadss"] is not None for s in sessions)
    assert sessions[0]["highest_cadss"] > sessions[-1]["highest_cadss"]
    phq9, gad7 = data["measures"]["phq9"], data["measures"]["gad7"]
    assert (phq9["baseline"], phq9["latest"], phq9["response"], phq9["remission"]) == (
        20,
        4,
        True,
        True,
    )
    assert (gad7["baseline"], gad7["latest"], gad7["response"], gad7["remission"]) == (
        15,
        4,
        True,
        True,
    )
    assert data["trends"]["highest_cadss_per_session"] < 0, "dissociation fading"
    assert "item 9" in sessions[0]["alerts"][0] and not sessions[1]["alerts"]
    assert sessions[0]["anxiety"] == {"before_dose": 6}
    assert data["schedule"]["held"] == 8 and data["schedule"]["next_due"] == "2026-04-06"


def test_item_9_raises_the_protocol_alarm_and_is_on_the_session_report(course_db, tmp_path):
    with SessionStore.open(course_db, ManualClock()) as store:
        (course,) = store.courses_for("COURSE-01")
        first, second = store.course_sessions(course)[:2]
        alarms = {a.condition: a for a in store.alarms(first.id)}
        assert alarms["suicide_risk_screen"].category.value == "protocol"
        assert "suicide_risk_screen" not in {a.condition for a in store.alarms(second.id)}
    pdf = tmp_path / "first.pdf"
    assert main(["--db", str(course_db), "export", "--session", str(first.id)[:8],
                 "--format", "pdf", "--out", str(pdf)]) == 0  # fmt: skip
    text = pdf_text(pdf)
    assert "item 9 (self-harm): 1" in text and "PHQ-9" in text


def test_course_round_trips_through_the_json_export_and_import(course_db, tmp_path, capsys):
    out = tmp_path / "course.json"
    assert (
        main(["--db", str(course_db), "course", "--patient", "COURSE-01", "--export", str(out)])
        == 0
    )
    original = _course_json(capsys, course_db, "--today", "2026-04-03")
    fresh = tmp_path / "fresh.db"
    assert main(["--db", str(fresh), "course", "--import", str(out)]) == 0
    assert "8 session(s)" in capsys.readouterr().out
    assert _course_json(capsys, fresh, "--today", "2026-04-03") == original
    assert main(["--db", str(fresh), "course", "--import", str(out)]) != 0
    assert "already in" in capsys.readouterr().err
    with pytest.raises(UserError, match="already in"):
        from sessionmon.export.course_export import import_course_json

        with SessionStore.open(fresh, ManualClock()) as store:
            import_course_json(out, store)
    with SessionStore.open(fresh, ManualClock()) as store:
        assert store.verify_audit().ok


def test_research_csv_and_fhir_bundle(course_db, tmp_path):
    table, bundle = tmp_path / "course.csv", tmp_path / "course.fhir.json"
    argv = ["--db", str(course_db), "course", "--patient", "COURSE-01"]
    assert main([*argv, "--csv", str(table), "--fhir", str(bundle)]) == 0
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 16  # PHQ-9 and GAD-7 at 8 sessions (the 0-10 rating is in-session)
    first = next(r for r in rows if r["measure"] == "phq9")
    assert (first["session_number"], first["total"], first["item9"], first["loinc"]) == (
        "1",
        "20",
        "1",
        "44261-6",
    )
    resources = [e["resource"] for e in json.loads(bundle.read_text())["entry"]]
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("EpisodeOfCare") == 1 and kinds.count("QuestionnaireResponse") == 24
    totals = [r for r in resources if r["resourceType"] == "Observation"]
    codes = {r["code"]["coding"][0]["code"] for r in totals}
    assert {"44261-6", "70274-6"} <= codes
    episode = next(r for r in resources if r["resourceType"] == "EpisodeOfCare")
    assert all(
        r["extension"][0]["valueReference"]["reference"] == f"urn:uuid:{episode['id']}"
        for r in totals
    )
    assert "name" not in resources[0] and "birthDate" not in resources[0]


def test_the_course_pdf_is_written(course_db, tmp_path):
    pdf = tmp_path / "course.pdf"
    argv = ["--db", str(course_db), "course", "--patient", "COURSE-01", "--today", "2026-04-03"]
    assert main([*argv, "--pdf", str(pdf)]) == 0
    text = pdf_text(pdf)
    assert "Treatment course - COURSE-01" in text and "RESPONSE, REMISSION" in text
    assert "SIMULATION" in text


# --------------------------------------------------------------------------- enrolment


def test_a_new_session_joins_the_open_course_and_carries_forward(course_db, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copy(course_db, db)
    clock = ManualClock()
    with SessionStore.open(db, clock) as store:
        (course,) = store.courses_for("COURSE-01")
        details = carried_forward(store, course)
        assert details["treatment"].dose_mg == 84 and details["patient"].pseudonym == "COURSE-01"
        session = new_course_session(
            store, Patient(pseudonym="COURSE-01"), TreatmentId.ESKETAMINE_84, clock.now()
        )
        assert session.course_id == course.id and session.treatment.dose_mg == 84
        other = new_course_session(store, Patient(pseudonym="NEW-1"), TreatmentId.KETAMINE_IV,
                                   clock.now())  # fmt: skip
        assert other.course_id != course.id
        assert store.open_course("NEW-1").schedule[0].count == 6


# --------------------------------------------------------------------------- measures as data


def test_licensed_measure_from_a_file_raises_the_alarm_on_a_positive_screen(tmp_path, clock):
    measure = tmp_path / "cssrs.toml"
    measure.write_text(
        '[cssrs]\ntitle = "C-SSRS screen"\nshort = "C-SSRS"\nscoring = "sum"\n'
        'positive_screen_at = 1\ncontext = "outcome"\nterms = "licensed by the clinic"\n'
        'bands = [{ min = 0, max = 0, label = "negative" }, '
        '{ min = 1, max = 2, label = "positive" }]\n'
        'items = [{ key = "wish_dead", label = "Item 1", choices = [{ score = 0, label = "no" }, '
        '{ score = 1, label = "yes" }] }, { key = "thoughts", label = "Item 2", choices = [{ '
        'score = 0, label = "no" }, { score = 1, label = "yes" }] }]\n'
    )
    assert load_outcome_file(measure) == ["cssrs"]
    try:
        with SessionStore.open(tmp_path / "s.db", clock) as store:
            rt = SessionRuntime(
                store, clock, patient=Patient(pseudonym="P"), treatment="esketamine-56"
            )
            rt.record_questionnaire("cssrs", answers=[0, 0])
            event = rt.record_questionnaire("cssrs", answers=[1, 0])
            assert event.payload["alerts"] == [
                "C-SSRS positive screen (total 1): tell the prescriber"
            ]
            store.flush()
            assert "suicide_risk_screen" in {a.condition for a in store.alarms(rt.session_id)}
            with pytest.raises(UserError, match="C-SSRS"):
                rt.record_questionnaire("cssrs", answers=[2, 0])
    finally:
        MEASURES.pop("cssrs", None)
        SCALES.pop("cssrs", None)


def test_bad_outcome_file_says_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[madrs]\ntitle = "MADRS"\nscoring = "sum"\nitems = []\nbands = []\n')
    with pytest.raises(UserError, match="madrs"):
        load_outcome_file(bad)
    bad.write_text("not toml [")
    with pytest.raises(UserError, match="not valid TOML"):
        load_outcome_file(bad)


def test_questionnaire_step_needs_a_scale():
    base = {"name": "x", "treatment": "esketamine-56", "duration": "00:10:00"}
    with pytest.raises(ValueError, match="questionnaire step needs scale"):
        Scenario.model_validate({**base, "step": [{"at": "00:01:00", "action": "questionnaire"}]})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_scores_and_keeps_item_9_visible(answers):
    import uuid
    from datetime import UTC, datetime

    r = score_outcome("phq9", course_id=uuid.uuid4(), at=datetime(2026, 3, 2, tzinfo=UTC),
                      items=answers)  # fmt: skip
    assert r.total == sum(answers) and r.items[9] == answers[8]
    assert bool(r.alerts) == (answers[8] > 0)


def test_a_follow_up_questionnaire_joins_the_course_outcomes(course_db, tmp_path, capsys):
    db = tmp_path / "copy.db"
    shutil.copy(course_db, db)
    argv = ["--db", str(db), "course", "--patient", "COURSE-01", "--record", "phq9"]
    assert main([*argv, "--items", "0,0,1,0,0,1,0,0,0"]) == 0
    assert "recorded phq9 2 (minimal)" in capsys.readouterr().out
    assert main([*argv, "--items", "0,0,x"]) != 0
    capsys.readouterr()
    data = _course_json(capsys, db)
    assert data["measures"]["phq9"]["latest"] == 2 and len(data["measures"]["phq9"]["points"]) == 9
    assert main([*argv, "--items", "0,0,1,0,0,1,0,0,7"]) != 0
    assert "item" in capsys.readouterr().err
