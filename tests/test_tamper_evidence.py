"""``sessionmon sessions verify`` as typed: every tampering case is named, honest records pass."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sessionmon.clock import ManualClock
from sessionmon.model import Event, EventKind, SessionPhase
from sessionmon.store import SessionStore
from sessionmon.store.anchor import head_path, read_anchor
from store_fixtures import make_measurement, make_session

SRC = str(Path(__file__).resolve().parents[1] / "src")


def verify(db: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "sessionmon", "--db", str(db), "sessions", "verify"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def build(db: Path) -> None:
    """A signed session: created, 60 measurements in 3 batches, notes, sign-off, closed."""
    clock = ManualClock()
    with SessionStore.open(db, clock) as store:
        session = make_session(clock)
        store.create_session(session)
        for _batch in range(3):
            for _ in range(20):
                clock.advance(0.05)
                store.append_measurement(make_measurement(session.id, clock.now()))
            store.flush()
        for n in range(60):
            store.add_event(
                Event(session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), text=f"{n}")
            )
        clock.advance(1)
        store.add_event(
            Event(session_id=session.id, kind=EventKind.SIGN_OFF, at=clock.now(), by="RN Kim")
        )
        closed = session.model_copy(update={"phase": SessionPhase.CLOSED, "signed_by": "RN Kim"})
        store.update_session(closed)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "sessions.db"
    build(path)
    return path


def tamper(db: Path, *statements: str) -> None:
    raw = sqlite3.connect(db)
    with raw:
        for statement in statements:
            raw.execute(statement)
    raw.close()


def test_an_honest_database_verifies_intact(db):
    result = verify(db)
    assert result.returncode == 0, result.stdout
    assert "audit trail intact" in result.stdout and "every row covered" in result.stdout
    anchor = read_anchor(head_path(db))
    assert anchor is not None and anchor.previous is None  # confirmed after the last commit


@pytest.mark.parametrize("newest", [1, 50])
def test_deleting_the_newest_audit_entries_is_a_truncated_chain(db, newest):
    tamper(db, f"DELETE FROM audit WHERE seq > (SELECT MAX(seq) - {newest} FROM audit)")
    result = verify(db)
    assert result.returncode == 1
    assert f"truncated chain: the newest {newest} audit entr" in result.stdout


def test_un_signing_a_session_is_detected(db):
    """Delete the sign-off event, the closing version and both audit entries."""
    tamper(
        db,
        "DELETE FROM audit WHERE (target = 'events' AND first_row = (SELECT row_id FROM events "
        "WHERE kind = 'sign_off')) OR (target = 'session_versions' AND first_row = "
        "(SELECT MAX(version_id) FROM session_versions))",
        "DELETE FROM events WHERE kind = 'sign_off'",
        "DELETE FROM session_versions WHERE phase = 'closed'",
    )
    result = verify(db)
    assert result.returncode == 1
    assert "truncated chain" in result.stdout


def test_un_signing_by_deleting_only_the_rows_names_missing_session_rows(db):
    tamper(db, "DELETE FROM events WHERE kind = 'sign_off'")
    result = verify(db)
    assert result.returncode == 1
    assert "missing session rows: 1 row(s) of audit entry" in result.stdout


def test_a_forged_row_is_named(db):
    tamper(
        db,
        "INSERT INTO events (event_id, session_id, kind, at_us, supersedes, body) "
        "SELECT 'forged', session_id, kind, at_us, NULL, body FROM events WHERE kind = 'sign_off'",
    )
    result = verify(db)
    assert result.returncode == 1
    assert "forged row: 1 row(s) of events are covered by no audit entry" in result.stdout


def test_a_forged_row_with_a_recomputed_audit_entry_is_unchained(db):
    """The attacker appends a well-formed audit entry for the forged row: past the anchor."""
    tamper(
        db,
        "INSERT INTO measurements (session_id, kind, value, unit, received_us, source) "
        "SELECT session_id, kind, 99, unit, received_us + 1, source FROM measurements LIMIT 1",
    )
    raw = sqlite3.connect(db)
    with raw:
        from sessionmon.store import audit

        row_id = raw.execute("SELECT MAX(id) FROM measurements").fetchone()[0]
        rows = raw.execute(
            f"SELECT {audit.AUDITED_COLUMNS['measurements'][1]} FROM measurements WHERE id = ?",
            (row_id,),
        ).fetchall()
        audit.append_entry(
            raw,
            at_us=0,
            action="measurements.batch",
            target="measurements",
            first_row=row_id,
            last_row=row_id,
            rows=rows,
        )
    raw.close()
    result = verify(db)
    assert result.returncode == 1
    assert "unchained entries: 1 audit entry" in result.stdout


def test_a_rewritten_chain_is_a_head_mismatch(db):
    """Edit a row, then recompute every audit entry from there: only the anchor disagrees."""
    from sessionmon.store import audit

    tamper(db, "UPDATE events SET body = replace(body, 'RN Kim', 'RN Else')")
    raw = sqlite3.connect(db)
    with raw:
        entries = raw.execute(
            "SELECT seq, at_us, action, target, first_row, last_row FROM audit ORDER BY seq"
        ).fetchall()
        raw.execute("DELETE FROM audit")
        for seq, at_us, action, target, first, last in entries:
            key, columns = audit.AUDITED_COLUMNS[target]
            rows = raw.execute(
                f"SELECT {columns} FROM {target} WHERE {key} BETWEEN ? AND ? ORDER BY {key}",
                (first, last),
            ).fetchall()
            audit.append_entry(
                raw,
                at_us=at_us,
                action=action,
                target=target,
                first_row=first,
                last_row=last,
                rows=rows,
            )
            assert raw.execute("SELECT MAX(seq) FROM audit").fetchone()[0] == seq
    raw.close()
    result = verify(db)
    assert result.returncode == 1
    assert "head mismatch: audit entry #" in result.stdout


def test_emptying_every_table_is_named(db):
    tamper(
        db,
        *(
            f"DELETE FROM {table}"
            for table in (
                "session_versions",
                "measurements",
                "waveform_chunks",
                "events",
                "alarm_versions",
                "alarm_log",
                "patient_versions",
                "course_versions",
                "course_responses",
                "audit",
            )
        ),
    )
    result = verify(db)
    assert result.returncode == 1
    assert "emptied database: no audit entry and no row is left" in result.stdout


def test_a_deleted_anchor_is_recreated_with_a_clear_message_and_an_edited_one_is_named(db):
    head_path(db).unlink()
    result = verify(db)
    assert result.returncode == 0
    assert "had no audit head anchor; created sessions.db.audit-head at entry #" in result.stdout
    assert "intact" in result.stdout
    head_path(db).write_text("not json")
    result = verify(db)
    assert result.returncode == 1
    assert "anchor unreadable:" in result.stdout


def test_a_database_from_before_anchors_gets_one_on_first_verify(tmp_path):
    """The shipped pre-courses database (schema 2, no sidecar): migrated, adopted, anchored."""
    import shutil

    db = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "main-before-courses.db", db)
    assert not head_path(db).exists()
    result = verify(db)
    assert result.returncode == 0, result.stdout
    assert "had no audit head anchor" in result.stdout and "unaudited rows adopted" in result.stdout
    assert "audit trail intact" in result.stdout
    again = verify(db)
    assert again.returncode == 0 and "had no audit head anchor" not in again.stdout


WRITER = textwrap.dedent(
    """
    import sys
    from sessionmon.clock import ManualClock
    from sessionmon.store import SessionStore
    from store_fixtures import make_measurement, make_session
    clock = ManualClock()
    store = SessionStore.open(sys.argv[1], clock)
    session = make_session(clock)
    store.create_session(session)
    print("ready", flush=True)
    while True:
        for _ in range(5):
            clock.advance(0.01)
            store.append_measurement(make_measurement(session.id, clock.now()))
        store.flush()
    """
)


def test_an_honest_database_killed_mid_write_verifies_intact(tmp_path):
    db = tmp_path / "killed.db"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, str(Path(__file__).parent)]))
    for _ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True, env=env
        )
        assert child.stdout.readline().strip() == "ready"
        raw = sqlite3.connect(db)
        start = raw.execute("SELECT MAX(seq) FROM audit").fetchone()[0]
        while raw.execute("SELECT MAX(seq) FROM audit").fetchone()[0] < start + 20:
            pass  # commits land every few milliseconds; kill in the middle of them
        raw.close()
        child.send_signal(signal.SIGKILL)
        child.wait()
        result = verify(db)
        assert result.returncode == 0, result.stdout
        assert "audit trail intact" in result.stdout
    assert json.loads(head_path(db).read_text())["head"]["seq"] > 60
