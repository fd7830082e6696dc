"""The audit trail: a hash chain over every write.

Each entry records what was written (action, table and row range), when (by the injected
clock), the SHA-256 of the rows written and the SHA-256 of the previous entry. Changing,
inserting or removing an entry or an audited row breaks the chain at that point, and
:func:`verify_chain` names the first broken entry.
"""

from __future__ import annotations

import bisect
import hashlib
import sqlite3
import uuid
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sessionmon.store import codec

#: The ``prev_sha256`` of the first entry.
GENESIS = "0" * 64

#: Columns of each audited table that the payload digest covers, in order. Rows are hashed
#: exactly as SQLite returns them, so a later migration that adds columns keeps old digests valid.
AUDITED_COLUMNS: dict[str, tuple[str, str]] = {
    "session_versions": (
        "version_id",
        "session_id, phase, phase_before, created_us, written_us, body",
    ),
    "measurements": (
        "id",
        "session_id, kind, value, unit, received_us, device_us, source, flags",
    ),
    "waveform_chunks": (
        "id",
        "session_id, kind, start_us, end_us, sample_rate_hz, sample_count, samples, source",
    ),
    "events": ("row_id", "event_id, session_id, kind, at_us, supersedes, body"),
    "alarm_versions": ("version_id", "alarm_id, session_id, start_us, body"),
    "alarm_log": ("row_id", "session_id, at_us, body"),
    "patient_versions": ("version_id", "pseudonym, written_us, body"),
    "course_versions": ("version_id", "course_id, pseudonym, written_us, body"),
    "course_responses": ("row_id", "response_id, course_id, at_us, body"),
    "account_versions": ("version_id", "username, written_us, body"),
    "sign_ins": ("row_id", "username, at_us, ok, body"),
    "clinic_changes": ("row_id", "kind, at_us, body"),
}

#: Audited tables whose rows belong to no one session (patients and courses).
NOT_PER_SESSION = frozenset(
    {
        "patient_versions",
        "course_versions",
        "course_responses",
        "account_versions",
        "sign_ins",
        "clinic_changes",
    }
)


@dataclass(frozen=True)
class AuditReport:
    """Result of checking the audit chain.

    Attributes
    ----------
    ok : bool
        Whether every entry links to the previous one and matches the rows it records.
    entries_checked : int
        How many entries were read.
    first_broken_index : int or None
        0-based position in the chain of the first bad entry, ``None`` when ``ok``.
    message : str
        One line for a person.
    """

    ok: bool
    entries_checked: int
    first_broken_index: int | None
    message: str


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit trail.

    Attributes
    ----------
    seq : int
        Position in the chain, from 1.
    at : datetime
        When the write happened (UTC, by the store's clock).
    action : str
        What happened, e.g. ``"event.add"`` or ``"measurements.batch"``.
    target : str
        The audited table written.
    first_row, last_row : int
        The inclusive row-id range written.
    payload_sha256 : str
        SHA-256 of the rows written.
    prev_sha256 : str
        The previous entry's hash (:data:`GENESIS` for the first).
    entry_sha256 : str
        This entry's hash.
    """

    seq: int
    at: datetime
    action: str
    target: str
    first_row: int
    last_row: int
    payload_sha256: str
    prev_sha256: str
    entry_sha256: str


def rows_digest(rows: Iterable[tuple]) -> str:
    """Return the SHA-256 of rows of plain SQLite values (int, float, str, bytes, None)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(tuple(row)).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def entry_digest(
    prev: str, seq: int, at_us: int, action: str, target: str, first: int, last: int, payload: str
) -> str:
    """Return the SHA-256 that identifies one audit entry (it covers the previous entry's hash)."""
    text = f"{prev}|{seq}|{at_us}|{action}|{target}|{first}|{last}|{payload}"
    return hashlib.sha256(text.encode()).hexdigest()


def append_entry(
    conn: sqlite3.Connection,
    *,
    at_us: int,
    action: str,
    target: str,
    first_row: int,
    last_row: int,
    rows: Iterable[tuple],
) -> None:
    """Add an entry for rows just written, inside the caller's write transaction.

    Parameters
    ----------
    conn : sqlite3.Connection
        A connection inside ``BEGIN IMMEDIATE`` (so the chain tail cannot move under us).
    at_us : int
        Time of the write, microseconds since the Unix epoch (UTC).
    action : str
        What happened, e.g. ``"session.create"`` or ``"measurements.batch"``.
    target : str
        The audited table (a key of :data:`AUDITED_COLUMNS`).
    first_row, last_row : int
        The inclusive row-id range written.
    rows : iterable of tuple
        The values written, in the column order of :data:`AUDITED_COLUMNS`.
    """
    tail = conn.execute("SELECT seq, entry_sha256 FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (tail[0] + 1, tail[1]) if tail else (1, GENESIS)
    payload = rows_digest(rows)
    digest = entry_digest(prev, seq, at_us, action, target, first_row, last_row, payload)
    conn.execute(
        "INSERT INTO audit (seq, at_us, action, target, first_row, last_row, payload_sha256, "
        "prev_sha256, entry_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, at_us, action, target, first_row, last_row, payload, prev, digest),
    )


def _current_rows(conn: sqlite3.Connection, target: str, first: int, last: int) -> list[tuple]:
    key, columns = AUDITED_COLUMNS[target]
    return conn.execute(
        f"SELECT {columns} FROM {target} WHERE {key} BETWEEN ? AND ? ORDER BY {key}",
        (first, last),
    ).fetchall()


def verify_chain(conn: sqlite3.Connection) -> AuditReport:
    """Check every audit entry in order and report the first broken link.

    An entry is broken when it does not carry the previous entry's hash, when its own hash does
    not match its contents, or when the rows it records are no longer what was written.
    """
    prev = GENESIS
    checked = 0
    cursor = conn.execute(
        "SELECT seq, at_us, action, target, first_row, last_row, payload_sha256, prev_sha256, "
        "entry_sha256 FROM audit ORDER BY seq"
    )
    for index, row in enumerate(cursor):
        seq, at_us, action, target, first, last, payload, stored_prev, stored = row
        checked += 1
        where = f"audit entry {index} (#{seq}, {action} {target} rows {first}-{last})"
        if stored_prev != prev:
            return AuditReport(
                False,
                checked,
                index,
                f"broken chain: {where} does not carry the hash of the entry before it",
            )
        if entry_digest(prev, seq, at_us, action, target, first, last, payload) != stored:
            return AuditReport(False, checked, index, f"altered entry: {where} was changed")
        if target not in AUDITED_COLUMNS:
            return AuditReport(
                False, checked, index, f"forged entry: {where} names an unknown table"
            )
        current = _current_rows(conn, target, first, last)
        if rows_digest(current) != payload:
            if len(current) < last - first + 1:
                what = f"missing session rows: {last - first + 1 - len(current)} row(s) of"
                return AuditReport(False, checked, index, f"{what} {where} were deleted")
            return AuditReport(
                False, checked, index, f"changed rows: the rows of {where} were altered"
            )
        prev = stored
    return AuditReport(True, checked, None, f"audit trail intact: {checked} entries checked")


def entries_for_session(conn: sqlite3.Connection, session_id: uuid.UUID) -> list[AuditEntry]:
    """Return the audit entries that wrote at least one row of ``session_id``, in chain order.

    A batch entry may cover rows of several sessions (measurements of two sessions committed
    together); it is returned for each of them.
    """
    # The row ids as 64-bit integers (8 bytes each, not a Python int's 36): a 24-hour session
    # has hundreds of thousands of numerics and waveform rows.
    owned: dict[str, array[int]] = {}
    for table, (key, _) in AUDITED_COLUMNS.items():
        if table in NOT_PER_SESSION:
            continue
        keys = array(
            "q",
            (
                row[0]
                for row in conn.execute(
                    f"SELECT {key} FROM {table} WHERE session_id = ? ORDER BY {key}",
                    (str(session_id),),
                )
            ),
        )
        if keys:
            owned[table] = keys
    if not owned:
        return []
    # One pass over the audit table, keeping only entries whose range can overlap the session's.
    spans = " OR ".join("(target = ? AND last_row >= ? AND first_row <= ?)" for _ in owned)
    params = [value for table, keys in owned.items() for value in (table, keys[0], keys[-1])]
    rows = conn.execute(
        "SELECT seq, at_us, action, target, first_row, last_row, payload_sha256, prev_sha256, "
        f"entry_sha256 FROM audit WHERE {spans} ORDER BY seq",
        params,
    ).fetchall()
    entries = []
    for seq, at_us, action, target, first, last, payload, prev, digest in rows:
        keys = owned[target]
        index = bisect.bisect_left(keys, first)
        if index < len(keys) and keys[index] <= last:
            entries.append(
                AuditEntry(
                    seq, codec.from_us(at_us), action, target, first, last, payload, prev, digest
                )
            )
    return entries
