"""Course indication, edit and close, schedule matching and de-identified course exports
(issue 15 leftovers), through ``sessionmon course`` and ``simulate`` as typed."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.course.model import Course, CourseStatus, PatientRecord, ScheduleBlock
from sessionmon.course.plan import (
    format_schedule,
    parse_close_reason,
    parse_indication,
    parse_schedule,
)
from sessionmon.course.summary import schedule_status
from sessionmon.errors import UserError
from sessionmon.model import Patient, Session, SessionPhase, Treatment, TreatmentId
from sessionmon.store import SessionStore


def _scenario(folder: Path, pseudonym: str, n: int, course: str = "") -> Path:
    path = folder / f"{pseudonym}-{n}.toml"
    path.write_text(
        f"""name = "Plan {n}"
treatment = "esketamine-84"
duration = "00:01:00"
seed = {n}

[patient]
pseudonym = "{pseudonym}"

{course}

[[step]]
at = "00:00:10"
action = "questionnaire"
scale = "pcl5"
score = {60 - 10 * n}

[[step]]
at = "00:00:15"
action = "questionnaire"
scale = "phq9"
score = {18 - 3 * n}

[[step]]
at = "00:00:30"
action = "dose"
"""
    )
    return path


def _simulate(db: Path, scenario: Path, start: str) -> None:
    argv = ["--db", str(db), "simulate", "--scenario", str(scenario), "--headless"]
    assert main([*argv, "--start", start]) == 0


def _json(capsys, db: Path, pseudonym: str, *extra: str) -> dict:
    capsys.readouterr()
    assert main(["--db", str(db), "course", "--patient", pseudonym, "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _run(capsys, db: Path, *argv: str) -> str:
    capsys.readouterr()
    assert main(["--db", str(db), *argv]) == 0
    return capsys.readouterr().out


def _refused(capsys, db: Path, message: str, *argv: str) -> None:
    capsys.readouterr()
    assert main(["--db", str(db), *argv]) != 0
    err = capsys.readouterr().err
    assert message in err, err


def test_a_scenario_course_table_sets_indication_and_the_primary_measure(tmp_path, capsys):
    db = tmp_path / "c.db"
    table = '[course]\nindication = "ptsd"\nschedule = "6x3.5"'
    _simulate(db, _scenario(tmp_path, "PT-A", 1, table), "2026-03-02T09:00+00:00")
    _simulate(db, _scenario(tmp_path, "PT-A", 2), "2026-03-05T09:00+00:00")
    data = _json(capsys, db, "PT-A", "--today", "2026-03-06")
    assert data["course"]["indication"] == "ptsd"
    assert data["course"]["primary_measure"] == "pcl5"
    assert data["course"]["schedule"] == "6x3.5"
    assert list(data["measures"]) == ["pcl5", "phq9"]  # the indication's measure first
    assert len(data["sessions"]) == 2  # the second run joined the same course


def test_a_bad_course_table_is_refused_with_the_field(tmp_path, capsys):
    table = '[course]\nindication = "other"'
    path = _scenario(tmp_path, "PT-B", 1, table)
    assert main(["scenarios", "validate", str(path)]) != 0
    assert "other" in capsys.readouterr().err


def test_open_edit_close_and_open_again_from_the_cli(tmp_path, capsys):
    db = tmp_path / "c.db"
    out = _run(
        capsys, db, "course", "--patient", "P-1", "--open", "--indication", "gad",
        "--treatment", "ketamine-iv", "--schedule", "6x2.5",
    )  # fmt: skip
    assert "gad" in out and "ketamine-iv" in out and "6x2.5" in out
    data = _json(capsys, db, "P-1")
    assert data["course"]["primary_measure"] == "gad7" and data["schedule"]["planned"] == 6
    _refused(capsys, db, "already has an open course", "course", "--patient", "P-1", "--open")
    _refused(
        capsys, db, "needs the free text",
        "course", "--patient", "P-1", "--edit", "--indication", "other",
    )  # fmt: skip
    out = _run(
        capsys, db, "course", "--patient", "P-1", "--edit", "--indication", "other",
        "--other", "OCD", "--schedule", "8x3.5", "--by", "RN Kim", "--reason", "new plan",
    )  # fmt: skip
    assert "indication: gad -> other" in out and "schedule: 6x2.5 -> 8x3.5" in out
    _refused(capsys, db, "needs a note", "course", "--patient", "P-1", "--close", "other")
    _refused(capsys, db, "not one of", "course", "--patient", "P-1", "--close", "bored")
    out = _run(capsys, db, "course", "--patient", "P-1", "--close", "side_effects", "--by", "Dr L")
    assert "closed (side_effects)" in out
    history = _run(capsys, db, "course", "--patient", "P-1", "--history")
    assert "edit by RN Kim: indication: gad -> other" in history and "(new plan)" in history
    assert "close by Dr L" in history
    with SessionStore.open(db, ManualClock(datetime(2026, 3, 1, tzinfo=UTC))) as store:
        assert store.open_course("P-1") is None  # a closed course is not offered
        (closed,) = store.courses_for("P-1")
        assert closed.indication_other == "OCD" and closed.closed_reason.value == "side_effects"
        report = store.verify_audit()
        assert report.ok, report
        actions = [row[0] for row in store._read("a", "SELECT action FROM audit")]
        assert {"course.save", "course.edit", "course.close"} <= set(actions)
    out = _run(capsys, db, "course", "--patient", "P-1", "--open", "--indication", "ptsd")
    assert "ptsd" in out and "ketamine-iv" in out  # the treatment carries over
    with SessionStore.open(db, ManualClock(datetime(2026, 3, 1, tzinfo=UTC))) as store:
        assert len(store.courses_for("P-1")) == 2 and store.open_course("P-1") is not None


def _course(schedule: tuple[ScheduleBlock, ...], start: date) -> Course:
    return Course(
        pseudonym="S",
        treatment=TreatmentId.ESKETAMINE_84,
        started_on=start,
        schedule=schedule,
        created_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )


def _held(days: list[int], start: date) -> list[Session]:
    return [
        Session(
            patient=Patient(pseudonym="S"),
            treatment=Treatment.for_protocol(TreatmentId.ESKETAMINE_84),
            created_at=datetime.combine(start + timedelta(days=d), datetime.min.time(), UTC),
            phase=SessionPhase.CLOSED,
        )
        for d in days
    ]


def test_one_late_session_does_not_mark_every_later_one_missed():
    start = date(2026, 3, 2)
    course = _course((ScheduleBlock(count=6, every_days=7),), start)  # weekly
    # The second session two days late; the rest on time.
    status = schedule_status(course, _held([0, 9, 14, 21], start), start + timedelta(days=22))
    assert status.missed == ()
    assert status.next_due == start + timedelta(days=28)
    # The in-order rule would have called days 28 and 35 "next" after a skipped week; here a
    # skipped week is missed and the later sessions still count for their own dates.
    status = schedule_status(course, _held([0, 14, 21], start), start + timedelta(days=22))
    assert status.missed == (start + timedelta(days=7),)
    assert status.held == 3 and status.unplanned == 0
    due = schedule_status(course, _held([0, 7], start), start + timedelta(days=13))
    assert due.due == (start + timedelta(days=14),) and due.missed == ()


def test_the_tolerance_is_a_validated_setting(tmp_path, capsys):
    db = tmp_path / "c.db"
    _simulate(db, _scenario(tmp_path, "PT-T", 1), "2026-03-02T09:00+00:00")
    _refused(capsys, db, "0 to 14 whole days", "course", "--patient", "PT-T", "--tolerance", "30")
    data = _json(capsys, db, "PT-T", "--today", "2026-03-10", "--tolerance", "1")
    sched = data["schedule"]
    assert sched["tolerance_days"] == 1 and sched["held"] == 1
    assert sched["missed"] == ["2026-03-06"] and sched["due"] == ["2026-03-09"]
    assert sched["slots"][0] == {"planned": "2026-03-02", "held": "2026-03-02"}
    text = _run(capsys, db, "course", "--patient", "PT-T", "--today", "2026-03-10")
    assert "due now 2026-03-09" in text and "missed 2026-03-06" in text


@given(st.lists(st.tuples(st.integers(1, 200), st.sampled_from([1, 2.5, 3.5, 7, 14])), max_size=4))
def test_schedule_text_round_trips(blocks):
    schedule = tuple(ScheduleBlock(count=c, every_days=d) for c, d in blocks)
    assert parse_schedule(format_schedule(schedule)) == schedule


@given(st.text(max_size=30))
def test_schedule_parser_says_what_is_wrong_or_parses(text):
    try:
        parse_schedule(text)
    except UserError as exc:
        assert "COUNTxDAYS" in str(exc) or "sessions" in str(exc)


def test_deidentified_course_exports_drop_identity_and_shift_dates_consistently(tmp_path, capsys):
    db = tmp_path / "c.db"
    with SessionStore.open(db, ManualClock(datetime(2026, 3, 1, tzinfo=UTC))) as store:
        patient = Patient(pseudonym="PT-D", name="Jane Roe", date_of_birth=date(1980, 2, 29))
        at = datetime(2026, 3, 1, tzinfo=UTC)
        store.save_patient(PatientRecord(patient=patient, mrn="MRN-778899", created_at=at))
    for n, start in enumerate(("2026-03-02T09:00+00:00", "2026-03-05T09:00+00:00"), start=1):
        _simulate(db, _scenario(tmp_path, "PT-D", n), start)
    real = _json(capsys, db, "PT-D")
    with SessionStore.open(db, ManualClock(datetime(2026, 3, 1, tzinfo=UTC))) as store:
        assert store.course_sessions(store.open_course("PT-D"))[0].patient.name == "Jane Roe"
    out = tmp_path / "out"
    out.mkdir()
    argv = ["--db", str(db), "course", "--patient", "PT-D", "--deidentify"]
    files = ["--csv", str(out / "c.csv"), "--fhir", str(out / "c.fhir.json")]
    assert main([*argv, *files, "--export", str(out / "c.json")]) == 0
    data = _json(capsys, db, "PT-D", "--deidentify")
    assert data["deidentified"] is True
    for path in out.iterdir():
        text = path.read_text()
        assert "Jane" not in text and "Roe" not in text and "MRN-778899" not in text, path
        assert "1980" not in text, path
        assert "2026-03" not in text, path  # no real date left
    rows = list(csv.DictReader((out / "c.csv").open()))
    real_starts = {datetime.fromisoformat(s["start"]) for s in real["sessions"]}
    shifted = {datetime.fromisoformat(r["session_start"]) for r in rows if r["session_start"]}
    shifts = {(s - r) for s, r in zip(sorted(shifted), sorted(real_starts), strict=True)}
    (shift,) = shifts  # one shift for every session
    assert shift.seconds == 0 and shift.days <= -365  # whole days, at least a year back
    document = json.loads((out / "c.json").read_text())
    started = date.fromisoformat(document["course"]["started_on"])
    assert started == date(2026, 3, 2) + timedelta(days=shift.days)  # course dates move too
    assert document["patient"]["patient"]["name"] is None and document["patient"]["mrn"] is None
    first = document["sessions"][0]["record"]["session"]
    assert datetime.fromisoformat(first["created_at"]) == min(real_starts) + shift
    assert document["sessions"][0]["provenance"]["deidentified"] is True


def test_a_closed_course_has_nothing_due_and_misses_nothing_after_the_close():
    start = date(2026, 3, 2)
    course = _course((ScheduleBlock(count=6, every_days=7),), start)
    closed = course.model_copy(
        update={"status": CourseStatus.CLOSED, "closed_on": start + timedelta(days=16)}
    )
    status = schedule_status(closed, _held([0], start), start + timedelta(days=60))
    assert status.missed == (start + timedelta(days=7),)  # before the close
    assert status.due == () and status.next_due is None


def test_an_imported_course_is_audited_as_an_import(tmp_path, capsys):
    db, other = tmp_path / "c.db", tmp_path / "other.db"
    _simulate(
        db, _scenario(tmp_path, "PT-I", 1, '[course]\nindication = "gad"'), "2026-03-02T09:00"
    )
    exported = tmp_path / "course.json"
    _run(capsys, db, "course", "--patient", "PT-I", "--close", "completed")
    _run(capsys, db, "course", "--patient", "PT-I", "--export", str(exported))
    assert "imported course" in _run(capsys, other, "course", "--import", str(exported))
    with SessionStore.open(other, ManualClock(datetime(2026, 3, 1, tzinfo=UTC))) as store:
        (course,) = store.courses_for("PT-I")
        assert course.closed_reason.value == "completed" and course.indication.value == "gad"
        actions = {row[0] for row in store._read("a", "SELECT action FROM audit")}
        assert "course.import" in actions and "course.close" not in actions


@given(st.text(max_size=20))
def test_indication_and_close_reason_parsers_name_the_choices_or_parse(text):
    for parse in (parse_indication, parse_close_reason):
        try:
            parse(text)
        except UserError as exc:
            assert "not one of" in str(exc)
