"""Clear errors from the store: bad paths, foreign files, locks and a full disk."""

from __future__ import annotations

import sqlite3

import pytest

from sessionmon.errors import UserError
from sessionmon.store import SessionStore, StoreError
from store_fixtures import make_chunk, make_measurement, make_session


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    assert isinstance(exc.value, UserError)
    return message


def test_a_folder_is_not_a_database(tmp_path, clock):
    with pytest.raises(StoreError) as exc:
        SessionStore.open(tmp_path, clock)
    assert "is a folder" in one_line(exc)


def test_a_missing_folder_is_named(tmp_path, clock):
    with pytest.raises(StoreError) as exc:
        SessionStore.open(tmp_path / "nowhere" / "sessions.db", clock)
    assert "nowhere is missing" in one_line(exc)


def test_an_unwritable_location_is_refused(tmp_path, clock):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as exc:
        SessionStore.open(blocker / "sessions.db", clock)
    assert "is not a folder" in one_line(exc)


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path, clock):
    path = tmp_path / "notes.db"
    content = b"shopping list: milk, eggs\n" * 200
    path.write_bytes(content)
    with pytest.raises(StoreError) as exc:
        SessionStore.open(path, clock)
    assert "not a readable sessionmon database" in one_line(exc)
    assert path.read_bytes() == content


def test_another_programs_sqlite_file_is_refused(tmp_path, clock):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE contacts (name TEXT)")
    with pytest.raises(StoreError) as exc:
        SessionStore.open(path, clock)
    assert "another program" in one_line(exc)


def test_a_database_locked_by_another_program_while_opening(tmp_path, clock):
    path = tmp_path / "sessions.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError) as exc:
            SessionStore.open(path, clock, busy_timeout_s=0.05)
        assert "locked by another program" in one_line(exc)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_write_lock_held_by_another_program_gives_a_clear_error(tmp_path, clock):
    path = tmp_path / "sessions.db"
    SessionStore.open(path, clock).close()
    with SessionStore.open(path, clock, busy_timeout_s=0.05) as store:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        session = make_session(clock)
        try:
            with pytest.raises(StoreError) as exc:
                store.create_session(session)
            assert "locked by another program" in one_line(exc)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        store.create_session(session)  # works once the other program lets go
        assert store.get_session(session.id) == session


def test_a_full_disk_keeps_buffered_measurements_for_retry(tmp_path, clock):
    path = tmp_path / "sessions.db"
    with SessionStore.open(path, clock) as store:
        session = make_session(clock)
        store.create_session(session)
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now "full"
        store.append_measurements(make_measurement(session.id, clock.now()) for _ in range(500))
        for _ in range(300):
            store.append_waveform(make_chunk(session.id, clock.now()))
        with pytest.raises(StoreError) as exc:
            store.flush()
        assert "full" in one_line(exc) and "kept in memory" in str(exc.value)
        assert store.pending_count == 800
        assert "full" in str(store.write_problem)

        clock.advance(1.0)  # appending never waits nor raises: the writer keeps retrying
        store.append_measurement(make_measurement(session.id, clock.now()))
        store.append_measurement(make_measurement(session.id, clock.now()))
        assert store.pending_count == 802
        assert "full" in str(store.last_flush_error)

        store._conn.execute("PRAGMA max_page_count = 1000000")  # space freed
        store.flush()
        assert store.pending_count == 0
        assert store.write_problem is None
        assert len(store.measurements(session.id)) == 502
        assert len(store.waveform(session.id)) == 300
        assert store.verify_audit().ok


def test_a_closed_store_says_so(tmp_path, clock):
    store = SessionStore.open(tmp_path / "sessions.db", clock)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.list_sessions()
