"""Round trips, append-only versions, commit batching, persistence and migrations of the store."""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from datetime import timedelta

import pytest

from sessionmon.model import (
    AlarmCategory,
    AlarmLogAction,
    AlarmLogEntry,
    AlarmPriority,
    AlarmRecord,
    Event,
    EventKind,
    Kind,
    Patient,
    SessionPhase,
)
from sessionmon.store import SessionStore, StoreError, schema
from store_fixtures import make_chunk, make_measurement, make_session, wait_until


@pytest.fixture
def db(tmp_path):
    return tmp_path / "sessions.db"


@pytest.fixture
def store(db, clock):
    with SessionStore.open(db, clock) as opened:
        yield opened


def committed_count(db, table: str) -> int:
    """Rows another connection can see: i.e. rows that are committed."""
    with sqlite3.connect(db) as reader:
        return reader.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_new_database_is_private_wal_and_current(db, clock, store):
    if os.name == "posix":
        assert os.stat(db).st_mode & 0o777 == 0o600
        assert os.stat(f"{db}-wal").st_mode & 0o777 == 0o600
    with sqlite3.connect(db) as reader:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version == schema.SCHEMA_VERSION
    assert store.list_sessions() == []
    assert store.latest_session_id() is None


def test_session_round_trip_and_summary(store, clock):
    session = make_session(
        clock,
        patient=Patient(pseudonym="PT-7", name="A. Person"),
        concomitant_medicines=("sertraline 100 mg",),
        simulated=True,
        scenario="hypertension",
        notes="first session",
    )
    store.create_session(session)
    assert store.get_session(session.id) == session
    [summary] = store.list_sessions()
    assert (summary.id, summary.pseudonym, summary.phase) == (
        session.id,
        "PT-7",
        SessionPhase.PLANNED,
    )
    assert summary.simulated and summary.scenario == "hypertension"
    assert summary.as_json()["id"] == str(session.id)
    assert summary.as_json()["created_at"] == "2026-01-05T09:00:00+00:00"
    assert store.latest_session_id() == session.id


def test_duplicate_session_is_refused(store, clock):
    session = make_session(clock)
    store.create_session(session)
    with pytest.raises(StoreError, match="already exists"):
        store.create_session(session)


def test_session_versions_are_appended_and_latest_wins(store, clock, db):
    session = make_session(clock)
    store.create_session(session)
    for phase in (SessionPhase.BASELINE, SessionPhase.DOSING, SessionPhase.OBSERVATION):
        clock.advance(60)
        session = session.model_copy(update={"phase": phase})
        store.update_session(session)
    dosed = session.model_copy(update={"dose_at": clock.now()})
    store.update_session(dosed)
    assert store.get_session(session.id) == dosed
    assert store.list_sessions()[0].phase is SessionPhase.OBSERVATION
    assert committed_count(db, "session_versions") == 5
    with sqlite3.connect(db) as reader:
        phases = [
            row[0]
            for row in reader.execute("SELECT phase FROM session_versions ORDER BY version_id")
        ]
    assert phases == ["planned", "baseline", "dosing", "observation", "observation"]


def test_illegal_phase_change_is_refused_naming_both_phases(store, clock):
    session = make_session(clock)
    store.create_session(session)
    with pytest.raises(StoreError, match="from planned to observation"):
        store.update_session(session.model_copy(update={"phase": SessionPhase.OBSERVATION}))
    assert store.get_session(session.id).phase is SessionPhase.PLANNED


def test_closed_session_is_locked(store, clock):
    session = make_session(clock)
    store.create_session(session)
    closed = session.model_copy(update={"phase": SessionPhase.CLOSED, "ended_at": clock.now()})
    store.update_session(closed)
    with pytest.raises(StoreError, match="closed"):
        store.update_session(closed.model_copy(update={"notes": "late edit"}))
    assert store.list_sessions()[0].phase is SessionPhase.CLOSED  # not interrupted


def test_unknown_session_is_a_clear_error(store):
    with pytest.raises(StoreError, match="no session"):
        store.get_session(uuid.uuid4())


def test_measurements_round_trip_with_filters(store, clock):
    session = make_session(clock)
    store.create_session(session)
    written = []
    for second in range(10):
        at = clock.now()
        written.append(make_measurement(session.id, at, Kind.HR, 70.0 + second))
        written.append(make_measurement(session.id, at, Kind.SPO2, 98.5 if second else 0.0))
        clock.advance(1)
    store.append_measurements(written)
    assert store.measurements(session.id) == written
    start = written[0].received_at
    hr_window = store.measurements(
        session.id,
        kinds=[Kind.HR],
        since=start + timedelta(seconds=2),
        until=start + timedelta(seconds=4),
    )
    assert [m.value for m in hr_window] == [72.0, 73.0, 74.0]
    assert store.measurements(session.id, kinds=["spo2"])[0].flags == ("searching",)
    assert store.measurements(uuid.uuid4()) == []


def test_waveform_round_trip_and_time_window(store, clock):
    session = make_session(clock)
    store.create_session(session)
    chunks = []
    for second in range(5):
        chunks.append(make_chunk(session.id, clock.now(), base=second))
        clock.advance(1)
    for chunk in chunks:
        store.append_waveform(chunk)
    assert store.waveform(session.id) == chunks
    start = chunks[0].start
    window = store.waveform(
        session.id, since=start + timedelta(seconds=1.5), until=start + timedelta(seconds=2.5)
    )
    assert window == chunks[1:3]
    assert store.waveform(session.id, kind=Kind.CUFF_PRESSURE) == []


def test_waveform_samples_are_stored_as_float32(store, clock):
    session = make_session(clock)
    store.create_session(session)
    chunk = make_chunk(session.id, clock.now()).model_copy(update={"samples": (0.1, 1.5, -2.0)})
    store.append_waveform(chunk)
    [back] = store.waveform(session.id)
    assert back.samples[1:] == (1.5, -2.0)
    assert back.samples[0] == pytest.approx(0.1, abs=1e-7) and back.samples[0] != 0.1


def test_events_round_trip_and_corrections_keep_both(store, clock, db):
    session = make_session(clock)
    store.create_session(session)
    answer = Event(
        session_id=session.id,
        kind=EventKind.CHECKLIST,
        at=clock.now(),
        by="RN Kim",
        payload={"scale": "moaas", "answers": [5], "total": 5},
    )
    store.add_event(answer)
    assert committed_count(db, "events") == 1  # committed before return
    clock.advance(30)
    correction = Event(
        session_id=session.id,
        kind=EventKind.CHECKLIST,
        at=clock.now(),
        by="RN Kim",
        payload={"scale": "moaas", "answers": [4], "total": 4},
        supersedes=answer.id,
    )
    store.add_event(correction)
    note = Event(session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), text="calm")
    store.add_event(note)
    # Another session's events stay out.
    other = make_session(clock, "PT-2")
    store.create_session(other)
    store.add_event(Event(session_id=other.id, kind=EventKind.CHECKLIST, at=clock.now()))
    assert store.events(session.id) == [correction, note]
    assert store.events(session.id, include_superseded=True) == [answer, correction, note]
    assert store.events(session.id, kinds=[EventKind.CHECKLIST]) == [correction]
    assert store.events(session.id, True, kinds=["checklist"]) == [answer, correction]
    assert store.events(session.id, kinds=[EventKind.ANNOTATION]) == [note]
    assert store.events(session.id, kinds=[]) == []


def test_event_corrections_must_name_a_recorded_event(store, clock):
    session = make_session(clock)
    store.create_session(session)
    orphan = Event(
        session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), supersedes=uuid.uuid4()
    )
    with pytest.raises(StoreError, match="not recorded"):
        store.add_event(orphan)
    note = Event(session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), text="calm")
    store.add_event(note)
    with pytest.raises(StoreError, match="already recorded"):
        store.add_event(note)
    with pytest.raises(StoreError, match="no session"):
        store.add_event(note.model_copy(update={"id": uuid.uuid4(), "session_id": uuid.uuid4()}))


def test_alarm_versions_latest_wins_and_log_round_trip(store, clock, db):
    session = make_session(clock)
    store.create_session(session)
    alarm = AlarmRecord(
        session_id=session.id,
        condition="spo2_low",
        priority=AlarmPriority.MEDIUM,
        category=AlarmCategory.PHYSIOLOGICAL,
        start=clock.now(),
        limits={"spo2_low": 90},
    )
    store.save_alarm(alarm)
    store.save_alarm(alarm)  # no change, no new row
    store.flush()
    assert committed_count(db, "alarm_versions") == 1
    clock.advance(20)
    escalated = alarm.model_copy(update={"priority": AlarmPriority.HIGH})
    store.save_alarm(escalated)
    ended = escalated.model_copy(
        update={"end": clock.now(), "acknowledged_by": "RN Kim", "acknowledged_at": clock.now()}
    )
    store.save_alarm(ended)
    assert store.alarms(session.id) == [ended]
    assert committed_count(db, "alarm_versions") == 3
    entries = [
        AlarmLogEntry(
            session_id=session.id,
            alarm_id=alarm.id,
            condition="spo2_low",
            action=action,
            at=clock.now(),
            priority=AlarmPriority.HIGH,
            category=AlarmCategory.PHYSIOLOGICAL,
            value=87.0,
            limits={"spo2_low": 90},
        )
        for action in (AlarmLogAction.RAISED, AlarmLogAction.ESCALATED, AlarmLogAction.ENDED)
    ]
    for entry in entries:
        store.add_alarm_log(entry)
    store.flush()
    assert committed_count(db, "alarm_log") == 3
    assert store.alarm_log(session.id) == entries


def test_measurements_are_committed_once_the_oldest_is_a_second_old(store, clock, db):
    session = make_session(clock)
    store.create_session(session)
    store.append_measurement(make_measurement(session.id, clock.now()))
    clock.advance(0.6)
    store.append_waveform(make_chunk(session.id, clock.now()))
    assert committed_count(db, "measurements") == 0
    assert store.pending_count == 2
    clock.advance(0.4)  # the first item is now 1.0 s old: the writer thread commits them
    store.append_measurement(make_measurement(session.id, clock.now()))
    wait_until(lambda: store.pending_count == 0)
    assert committed_count(db, "waveform_chunks") == 1
    assert store.pending_count == 0
    store.append_measurement(make_measurement(session.id, clock.now()))
    store.flush()
    assert committed_count(db, "measurements") == 3


def test_background_flusher_commits_without_further_appends(store, clock, db):
    session = make_session(clock)
    store.create_session(session)
    store.start_autoflush(interval_s=0.02)
    store.append_measurement(make_measurement(session.id, clock.now()))
    deadline = time.monotonic() + 5
    while committed_count(db, "measurements") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert committed_count(db, "measurements") == 1
    store.stop_autoflush()


def test_everything_survives_reopening(db, clock):
    with SessionStore.open(db, clock) as store:
        session = make_session(clock)
        store.create_session(session)
        store.append_measurement(make_measurement(session.id, clock.now()))
        store.append_waveform(make_chunk(session.id, clock.now()))
        note = Event(session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), text="ok")
        store.add_event(note)
        closed = session.model_copy(update={"phase": SessionPhase.CLOSED, "signed_by": "Dr B"})
        store.update_session(closed)
    with SessionStore.open(db, clock) as store:
        assert store.get_session(session.id) == closed
        assert len(store.measurements(session.id)) == 1
        assert len(store.waveform(session.id)) == 1
        assert store.events(session.id) == [note]
        report = store.verify_audit()
        assert report.ok and report.entries_checked == 5


def test_audit_chain_names_the_first_broken_entry(db, clock):
    with SessionStore.open(db, clock) as store:
        session = make_session(clock)
        store.create_session(session)
        for _ in range(3):
            store.append_measurement(make_measurement(session.id, clock.now()))
            store.flush()  # one batch each
            clock.advance(1)
        store.add_event(Event(session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now()))
        assert store.verify_audit().ok
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE measurements SET value = 180 WHERE id = 1")
    with SessionStore.open(db, clock) as store:
        report = store.verify_audit()
    assert not report.ok
    assert report.first_broken_index == 1  # 0: session.create, 1: the first measurement batch
    assert "measurements" in report.message and "changed" in report.message


def test_audit_chain_detects_a_removed_entry(db, clock):
    with SessionStore.open(db, clock) as store:
        session = make_session(clock)
        store.create_session(session)
        for text in ("a", "b", "c"):
            store.add_event(
                Event(session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), text=text)
            )
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM audit WHERE seq = 3")
    with SessionStore.open(db, clock) as store:
        report = store.verify_audit()
    assert (report.ok, report.first_broken_index) == (False, 2)
    assert "hash of the entry before it" in report.message


def test_audit_entries_are_the_sessions_writes_in_chain_order(db, clock):
    with SessionStore.open(db, clock) as store:
        one, two = make_session(clock, "PT-1"), make_session(clock, "PT-2")
        store.create_session(one)
        store.create_session(two)
        clock.advance(1)
        # One batch holding both sessions' samples is one entry, listed for each session.
        store.append_measurements(
            [make_measurement(one.id, clock.now()), make_measurement(two.id, clock.now())]
        )
        store.flush()
        store.add_event(Event(session_id=two.id, kind=EventKind.ANNOTATION, at=clock.now()))
        store.append_waveform(make_chunk(one.id, clock.now()))
        store.add_event(Event(session_id=one.id, kind=EventKind.ANNOTATION, at=clock.now()))
        store.append_measurement(make_measurement(one.id, clock.now()))  # still buffered

        entries = store.audit_entries(one.id)

        assert [(e.action, e.target) for e in entries] == [
            ("session.create", "session_versions"),
            ("measurements.batch", "measurements"),
            ("event.add", "events"),
            # what was still buffered is committed first, so it is covered too
            ("measurements.batch", "measurements"),
            ("waveform.batch", "waveform_chunks"),
        ]
        assert [e.seq for e in entries] == sorted(e.seq for e in entries)
        assert entries[0].at == one.created_at
        assert entries[1].at == one.created_at + timedelta(seconds=1)
        assert all(len(e.entry_sha256) == 64 and len(e.payload_sha256) == 64 for e in entries)
        others = store.audit_entries(two.id)
        assert [e.action for e in others] == ["session.create", "measurements.batch", "event.add"]
        assert others[1] == entries[1]
        assert {e.seq for e in entries} | {e.seq for e in others} == set(range(1, 8))
        # The last entry is the tail of the whole chain, so it vouches for everything before.
        with sqlite3.connect(db) as reader:
            tail = reader.execute("SELECT max(seq), entry_sha256 FROM audit").fetchone()
        assert (entries[-1].seq, entries[-1].entry_sha256) == tail
        assert entries[2].prev_sha256 != entries[1].entry_sha256  # two's event came between
        assert store.audit_entries(uuid.uuid4()) == []
    with pytest.raises(StoreError, match="closed"):
        store.audit_entries(one.id)


def test_a_second_store_sees_a_live_session_as_live_and_cannot_change_it(db, clock):
    writer = SessionStore.open(db, clock)
    session = make_session(clock)
    writer.create_session(session)
    with SessionStore.open(db, clock) as reader:
        assert reader.list_sessions()[0].phase is SessionPhase.PLANNED
        with pytest.raises(StoreError, match="another sessionmon"):
            reader.update_session(session.model_copy(update={"phase": SessionPhase.BASELINE}))
        with pytest.raises(StoreError, match="another sessionmon"):
            reader.resume_session(session.id)
        writer.close()
        [summary] = reader.list_sessions()
        assert (summary.phase, summary.phase_before) == (
            SessionPhase.INTERRUPTED,
            SessionPhase.PLANNED,
        )
        with pytest.raises(StoreError, match="resume it"):
            reader.update_session(session.model_copy(update={"phase": SessionPhase.BASELINE}))
        assert reader.resume_session(session.id).phase is SessionPhase.PLANNED
        reader.update_session(session.model_copy(update={"phase": SessionPhase.BASELINE}))
        assert reader.list_sessions()[0].phase is SessionPhase.BASELINE
        kinds = [event.payload for event in reader.events(session.id)]
        assert kinds == [{"from": "interrupted", "to": "planned"}]


def downgrade_to_v1(db) -> None:
    with sqlite3.connect(db) as raw:
        for table in ("account_versions", "sign_ins", "clinic_changes"):  # migration 4
            raw.execute(f"DROP TABLE {table}")
        for table in ("patient_versions", "course_versions", "course_responses"):  # migration 3
            raw.execute(f"DROP TABLE {table}")
        raw.execute("DROP INDEX measurements_by_kind")
        raw.execute("DROP TABLE store_meta")
        raw.execute("PRAGMA user_version = 1")


def test_an_older_schema_is_migrated_forward_keeping_its_data(db, clock):
    with SessionStore.open(db, clock) as store:
        session = make_session(clock)
        store.create_session(session)
    downgrade_to_v1(db)
    with SessionStore.open(db, clock) as store:
        assert store.schema_version == schema.SCHEMA_VERSION == 4
        assert store.list_sessions()[0].id == session.id
        (course,) = store.courses_for(session.patient.pseudonym)  # a course of one session
        assert course.id == session.id and course.migrated
        assert store.verify_audit().ok
    with sqlite3.connect(db) as raw:
        names = {row[0] for row in raw.execute("SELECT name FROM sqlite_schema")}
    assert {"measurements_by_kind", "store_meta"} <= names


def test_migrations_build_the_same_schema_step_by_step(tmp_path):
    stepwise = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    assert schema.migrate(stepwise, upto=1) == [1]
    assert schema.migrate(stepwise) == [2, 3, 4]
    direct = sqlite3.connect(tmp_path / "b.db", isolation_level=None)
    assert schema.migrate(direct) == [1, 2, 3, 4]

    def layout(conn):
        return sorted(conn.execute("SELECT type, name, sql FROM sqlite_schema").fetchall())

    assert layout(stepwise) == layout(direct)
    stepwise.close()
    direct.close()


def test_a_newer_schema_is_refused(db, clock):
    SessionStore.open(db, clock).close()
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer sessionmon"):
        SessionStore.open(db, clock)


def test_lock_folder_is_private(db, clock, store):
    store.create_session(make_session(clock))
    assert (db.parent / "sessions.db-locks").is_dir()
    if os.name == "posix":
        assert os.stat(f"{db}-locks").st_mode & 0o777 == 0o700
