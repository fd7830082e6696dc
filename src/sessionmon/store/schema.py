"""The database schema as a list of forward migrations, tracked by ``PRAGMA user_version``.

Each entry of :data:`MIGRATIONS` takes the schema from version ``n - 1`` to ``n``. A database
written by an older sessionmon is brought up to date on open; one written by a newer sessionmon
is refused (it may hold data this version does not understand).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

#: ``PRAGMA application_id`` of a sessionmon database ("SESS").
APPLICATION_ID = 0x53455353


@dataclass(frozen=True)
class Migration:
    """One step of the schema: the version it produces and the statements that produce it."""

    version: int
    description: str
    statements: tuple[str, ...]


_LATEST_BODIES = (
    "SELECT v.session_id, v.created_us, v.body FROM session_versions v JOIN "
    "(SELECT session_id, MAX(version_id) AS latest FROM session_versions GROUP BY session_id) l "
    "ON v.version_id = l.latest"
)

#: Migration 3 (see :mod:`sessionmon.course.model` for the record shapes). Sessions are not
#: rewritten: a session without ``course_id`` belongs to the migrated course with its own id.
_COURSE_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE patient_versions (
        version_id INTEGER PRIMARY KEY,
        pseudonym TEXT NOT NULL,
        written_us INTEGER NOT NULL,
        body TEXT NOT NULL)""",
    "CREATE INDEX patient_versions_by_pseudonym ON patient_versions(pseudonym, version_id)",
    """CREATE TABLE course_versions (
        version_id INTEGER PRIMARY KEY,
        course_id TEXT NOT NULL,
        pseudonym TEXT NOT NULL,
        written_us INTEGER NOT NULL,
        body TEXT NOT NULL)""",
    "CREATE INDEX course_versions_by_id ON course_versions(course_id, version_id)",
    "CREATE INDEX course_versions_by_patient ON course_versions(pseudonym, version_id)",
    """CREATE TABLE course_responses (
        row_id INTEGER PRIMARY KEY,
        response_id TEXT NOT NULL UNIQUE,
        course_id TEXT NOT NULL,
        at_us INTEGER NOT NULL,
        body TEXT NOT NULL)""",
    "CREATE INDEX course_responses_by_course ON course_responses(course_id, at_us)",
    # One patient per pseudonym, with the details of their most recent session.
    "INSERT INTO patient_versions (pseudonym, written_us, body) "
    "SELECT json_extract(body, '$.patient.pseudonym'), MAX(created_us), "
    "json_object('patient', json_extract(body, '$.patient'), 'mrn', NULL, "
    "'created_at', json_extract(body, '$.created_at')) "
    f"FROM ({_LATEST_BODIES}) GROUP BY json_extract(body, '$.patient.pseudonym') "
    "ORDER BY MIN(created_us)",
    # Each session a closed course of one session, id = the session's id.
    "INSERT INTO course_versions (course_id, pseudonym, written_us, body) "
    "SELECT session_id, json_extract(body, '$.patient.pseudonym'), created_us, "
    "json_object('id', session_id, 'pseudonym', json_extract(body, '$.patient.pseudonym'), "
    "'indication', 'other', 'treatment', json_extract(body, '$.treatment.protocol'), "
    "'started_on', substr(json_extract(body, '$.created_at'), 1, 10), 'schedule', json('[]'), "
    "'status', 'closed', 'created_at', json_extract(body, '$.created_at'), "
    "'migrated', json('true'), 'notes', NULL) "
    f"FROM ({_LATEST_BODIES}) ORDER BY created_us",
)

#: Migration 4 (see :mod:`sessionmon.accounts`): staff accounts as append-only versions (the
#: latest wins; a password is only ever stored as its argon2id hash) and the sign-in log that
#: the lock-out counts on. Both tables are audited like every other.
_ACCOUNT_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE account_versions (
        version_id INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        written_us INTEGER NOT NULL,
        body TEXT NOT NULL)""",
    "CREATE INDEX account_versions_by_name ON account_versions(username, version_id)",
    """CREATE TABLE sign_ins (
        row_id INTEGER PRIMARY KEY,
        username TEXT NOT NULL,
        at_us INTEGER NOT NULL,
        ok INTEGER NOT NULL,
        body TEXT NOT NULL)""",
    "CREATE INDEX sign_ins_by_name ON sign_ins(username, row_id)",
    # Changes of clinic-wide settings (the alarm defaults), who made them, before and after.
    """CREATE TABLE clinic_changes (
        row_id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        at_us INTEGER NOT NULL,
        body TEXT NOT NULL)""",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "sessions, measurements, waveform chunks, events, alarms, alarm log, audit trail",
        (
            f"PRAGMA application_id = {APPLICATION_ID}",
            """CREATE TABLE session_versions (
                version_id INTEGER PRIMARY KEY,
                session_id TEXT NOT NULL,
                phase TEXT NOT NULL,
                phase_before TEXT,
                created_us INTEGER NOT NULL,
                written_us INTEGER NOT NULL,
                body TEXT NOT NULL)""",
            "CREATE INDEX session_versions_by_id ON session_versions(session_id, version_id)",
            """CREATE TABLE measurements (
                id INTEGER PRIMARY KEY,
                session_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                value REAL NOT NULL,
                unit TEXT NOT NULL,
                received_us INTEGER NOT NULL,
                device_us INTEGER,
                source TEXT NOT NULL,
                flags TEXT)""",
            "CREATE INDEX measurements_by_time ON measurements(session_id, received_us)",
            """CREATE TABLE waveform_chunks (
                id INTEGER PRIMARY KEY,
                session_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                start_us INTEGER NOT NULL,
                end_us INTEGER NOT NULL,
                sample_rate_hz REAL NOT NULL,
                sample_count INTEGER NOT NULL,
                samples BLOB NOT NULL,
                source TEXT NOT NULL)""",
            "CREATE INDEX waveform_by_time ON waveform_chunks(session_id, kind, start_us)",
            """CREATE TABLE events (
                row_id INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                session_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                at_us INTEGER NOT NULL,
                supersedes TEXT,
                body TEXT NOT NULL)""",
            "CREATE INDEX events_by_session ON events(session_id, at_us)",
            """CREATE TABLE alarm_versions (
                version_id INTEGER PRIMARY KEY,
                alarm_id TEXT NOT NULL,
                session_id TEXT NOT NULL,
                start_us INTEGER NOT NULL,
                body TEXT NOT NULL)""",
            "CREATE INDEX alarm_versions_by_session ON alarm_versions(session_id, alarm_id)",
            """CREATE TABLE alarm_log (
                row_id INTEGER PRIMARY KEY,
                session_id TEXT NOT NULL,
                at_us INTEGER NOT NULL,
                body TEXT NOT NULL)""",
            "CREATE INDEX alarm_log_by_session ON alarm_log(session_id, row_id)",
            """CREATE TABLE audit (
                seq INTEGER PRIMARY KEY,
                at_us INTEGER NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                first_row INTEGER NOT NULL,
                last_row INTEGER NOT NULL,
                payload_sha256 TEXT NOT NULL,
                prev_sha256 TEXT NOT NULL,
                entry_sha256 TEXT NOT NULL)""",
        ),
    ),
    Migration(
        2,
        "per-kind measurement index; store_meta table",
        (
            "CREATE INDEX measurements_by_kind ON measurements(session_id, kind, received_us)",
            "CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ),
    ),
    Migration(
        3,
        "patients, treatment courses, follow-up questionnaires; each existing session becomes a "
        "course of one session",
        _COURSE_STATEMENTS,
    ),
    Migration(4, "staff accounts, the sign-in log, clinic settings changes", _ACCOUNT_STATEMENTS),
)

#: The schema version this sessionmon writes.
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the database's ``PRAGMA user_version``."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def application_id(conn: sqlite3.Connection) -> int:
    """Return the database's ``PRAGMA application_id``."""
    return int(conn.execute("PRAGMA application_id").fetchone()[0])


def has_tables(conn: sqlite3.Connection) -> bool:
    """Return whether the database holds any table at all."""
    row = conn.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").fetchone()
    return int(row[0]) > 0


def migrate(conn: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> list[int]:
    """Apply every migration newer than the database, each in its own transaction.

    Parameters
    ----------
    conn : sqlite3.Connection
        A connection in autocommit mode (``isolation_level=None``).
    upto : int
        The version to stop at (tests use it to build an old database).

    Returns
    -------
    list of int
        The versions applied, oldest first.
    """
    applied = []
    for migration in MIGRATIONS:
        if migration.version > upto:
            break
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            if schema_version(conn) >= migration.version:
                conn.execute("ROLLBACK")
                continue
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {migration.version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied
