"""The session store: one SQLite file holding every session, crash-safe and append-only.

Durability rules
----------------
* Every write goes through one writer thread (:mod:`sessionmon.store.writer`), so no caller waits
  on the disk longer than it chooses to.
* Sessions and events written by a caller (the nurse's intents) are committed before the call
  returns, or not written at all: a write not committed within ``busy_timeout_s`` is withdrawn
  and raises. Automatic phase changes (``wait=False``), alarms and alarm-log entries are queued,
  kept in memory while the database cannot take them, and retried until they are committed.
* Measurements and waveform chunks are buffered and committed together as soon as the oldest
  buffered item is one second old (by the injected clock), on :meth:`flush`, on any read of them,
  on close, and once the oldest is ``interval_s`` real seconds old after :meth:`start_autoflush`.
  A crash therefore loses at most about the last second of samples.
* :attr:`SessionStore.write_problem` says in one line why writes are not reaching the disk (a
  lock held for more than 2 s, a full disk, a deleted database file), or is None.
* Nothing is updated in place: a changed session or alarm is a new version row (the latest wins);
  a corrected event is a new event that supersedes the old one (both kept).
* Every write adds an entry to a SHA-256 hash-chained audit trail (one entry per committed
  batch of measurements or waveform chunks); :meth:`verify_audit` checks the chain.

The store is one class put together from parts with one job each (mixins, all typed against
:class:`~sessionmon.store.store_wiring.StoreWiring`): opening, closing and the transaction
primitives live here; :mod:`~sessionmon.store.session_records` (session versions, ownership,
lifecycle), :mod:`~sessionmon.store.session_import` (a whole exported session),
:mod:`~sessionmon.store.buffered_writes` (what goes to the writer thread),
:mod:`~sessionmon.store.sample_reads` (measurements and waveform),
:mod:`~sessionmon.store.event_records` (events, alarms, alarm log),
:mod:`~sessionmon.store.audit_checks` (audit entries and the check),
:mod:`~sessionmon.store.course_records` (patients, courses, questionnaires) and
:mod:`~sessionmon.store.accounts` (staff accounts).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from sessionmon.clock import Clock
from sessionmon.store import audit, codec, encryption, file_checks, schema
from sessionmon.store.accounts import AccountRecords
from sessionmon.store.anchor import Anchor, HeadAnchor, chain_head, read_anchor, write_anchor
from sessionmon.store.audit_checks import AuditChecks
from sessionmon.store.buffered_writes import BufferedWrites
from sessionmon.store.course_records import CourseRecords
from sessionmon.store.driver import ERRORS
from sessionmon.store.errors import StoreError, translate
from sessionmon.store.event_records import EventRecords
from sessionmon.store.ownership import SessionLocks
from sessionmon.store.sample_reads import SampleReads
from sessionmon.store.session_import import SessionImport
from sessionmon.store.session_records import SessionRecords
from sessionmon.store.writer import StoreWriter

__all__ = ["SessionStore"]


def _check_path(path: Path) -> bool:
    """Refuse paths that cannot be a database; create a new file with mode 0600.

    Returns whether the file was created now.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a session database file")
    parent = path.parent
    if not parent.exists():
        raise StoreError(f"cannot create the session database {path}: folder {parent} is missing")
    if not parent.is_dir():
        raise StoreError(f"cannot create the session database {path}: {parent} is not a folder")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreError(f"cannot open the session database {path}: permission denied")
        file_checks.refuse_empty(path)
        return False
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StoreError(f"cannot create the session database {path}: {reason}") from None
    os.close(fd)
    return True


class SessionStore(
    SessionRecords,
    SessionImport,
    SampleReads,
    EventRecords,
    AuditChecks,
    CourseRecords,
    AccountRecords,
    BufferedWrites,
):
    """Every session's record in one SQLite database.

    Use :meth:`open` to get one; close it with :meth:`close` or a ``with`` block. All methods
    are thread-safe. ``conn`` becomes the writer thread's connection; reads use a second one.

    Parameters
    ----------
    conn : sqlite3.Connection
        An open, migrated connection in autocommit mode.
    path : Path
        The database file.
    clock : Clock
        The time source for audit entries and the one-second commit rule.
    commit_interval_s : float
        The age of the oldest buffered measurement that triggers a commit.
    busy_timeout_s : float
        How long a caller's write waits before it is withdrawn and refused.
    cipher : Cipher, optional
        How the database is opened (plain by default; see :mod:`sessionmon.store.encryption`).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        clock: Clock,
        commit_interval_s: float = 1.0,
        busy_timeout_s: float = 5.0,
        cipher: encryption.Cipher = encryption.PLAIN,
    ) -> None:
        self._conn = conn
        self.path = path
        self._clock = clock
        self._commit_interval_s = commit_interval_s
        self._busy_timeout_s = busy_timeout_s
        self._lock = threading.RLock()
        self._locks = SessionLocks(path)
        self._closed = False
        #: How the database is opened (``cipher.encrypted``: SQLCipher with a key).
        self.cipher = cipher
        self._rconn = cipher.connect(path, busy_timeout_s)
        #: Lines about files made private at open (also logged as warnings).
        self.open_warnings: list[str] = []
        self._anchor = HeadAnchor(path, cipher.mac_key)
        #: One line when this open created the head anchor of an existing database, else None.
        self.anchor_notice: str | None = None
        self._writer = StoreWriter(
            conn, path, clock, commit_interval_s, self._write_batch, self._anchor
        )

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        clock: Clock,
        *,
        busy_timeout_s: float = 5.0,
        commit_interval_s: float = 1.0,
        key: object = encryption.AUTO,
        prompt: object = encryption.AUTO,
        encrypt_new: bool | None = None,
    ) -> SessionStore:
        """Open (or create) a session database and bring its schema up to date.

        An encrypted database is opened with its key; a new one is encrypted when a key is
        configured (not the training database); see :mod:`sessionmon.store.encryption`.

        Parameters
        ----------
        path : path-like
            The database file. A new file is created with mode 0600.
        clock : Clock
            Injected time source.
        busy_timeout_s : float
            How long to wait for another program's lock before giving up.
        commit_interval_s : float
            Commit buffered measurements once the oldest is this old (seconds, by ``clock``).
        key : DbKey, None or AUTO
            The database key (:class:`keys.DbKey`); AUTO looks it up (``SESSIONMON_DB_KEY``,
            the OS keyring, ``prompt``); None opens plain.
        prompt : callable, None or AUTO
            Asks for a passphrase; AUTO asks at the terminal, only when there is one.
        encrypt_new : bool, optional
            Whether a new database is encrypted (None: when a key is configured).

        Raises
        ------
        StoreError
            If the path is a folder or cannot be created, the file is not a sessionmon
            database, was written by a newer sessionmon, is locked by another program, or is
            encrypted and no key (or a wrong one) was given.
        """
        path = Path(path)
        created = _check_path(path)
        try:
            cipher, warnings = encryption.choose(path, created, key, prompt, encrypt_new)
        except StoreError:
            if created:
                path.unlink(missing_ok=True)
            raise
        try:
            conn = cipher.connect(path, busy_timeout_s)
        except ERRORS as exc:
            raise translate(exc, path, "opening") from None
        try:
            migrated = cls._prepare(conn, path)
        except StoreError:
            conn.close()
            raise
        except ERRORS as exc:
            conn.close()
            raise translate(exc, path, "opening") from None
        store = cls(conn, path, clock, commit_interval_s, busy_timeout_s, cipher)
        store.open_warnings = warnings + file_checks.tighten_mode(path)
        store._ensure_anchor(migrated)
        return store

    def _ensure_anchor(self, migrated: bool) -> None:
        """Create the head anchor of a database that has none (new, or older than anchors).

        Rows written before every row was audited (migration 3's patients and courses) get
        ``anchor.adopt`` audit entries first, so that every row is covered from now on.
        """
        try:
            anchored = read_anchor(self._anchor.path) is not None
        except ValueError:
            return  # a damaged anchor is reported by verify, never overwritten
        if anchored and not migrated:
            return
        from sessionmon.store.verify import adopt_unaudited

        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            adopted = adopt_unaudited(conn, codec.to_us(self._clock.now()))
            head = chain_head(conn)
            if not adopted and not anchored:  # no audit entries to commit: anchor the head here
                write_anchor(self._anchor.path, Anchor(head), mac_key=self._anchor.mac_key)
            return head.seq, adopted

        try:
            seq, adopted = self._writer.call(
                "anchoring the audit trail", work, self._busy_timeout_s
            )
        except StoreError as exc:  # the database stays usable; verify reports the missing anchor
            self.anchor_notice = f"cannot create the audit head anchor {self._anchor.path}: {exc}"
            return
        if seq > adopted and not anchored:
            self.anchor_notice = (
                f"this database had no audit head anchor; created {self._anchor.path.name} at "
                f"entry #{seq}"
                + (f" ({adopted} earlier unaudited rows adopted)" if adopted else "")
                + ": deleted newest entries are detected from now on, not before"
            )

    @staticmethod
    def _prepare(conn: sqlite3.Connection, path: Path) -> bool:
        """Check, configure and migrate the database; return whether a migration ran."""
        app_id = schema.application_id(conn)
        version = schema.schema_version(conn)
        if app_id != schema.APPLICATION_ID and (version != 0 or schema.has_tables(conn)):
            raise StoreError(f"{path} is an SQLite file of another program, not a session database")
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"{path} was written by a newer sessionmon (schema {version}, this version "
                f"reads up to {schema.SCHEMA_VERSION}); please update sessionmon"
            )
        file_checks.quick_check(conn, path)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot switch {path} to write-ahead logging (mode {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        return bool(schema.migrate(conn)) and version > 0

    def close(self) -> None:
        """Commit what is buffered, stop the background flusher and give up owned sessions.

        Raises
        ------
        StoreError
            If the buffered measurements cannot be committed (e.g. disk full). The store then
            stays open, with the buffer intact, so the caller can free space and close again.
        """
        with self._lock:
            if self._closed:
                return
            self._writer.flush(self._busy_timeout_s)
            self._closed = True
            self._writer.stop()
            self._locks.release_all()
            self._conn.close()
            self._rconn.close()

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        with self._lock:
            return schema.schema_version(self._rconn)

    # ------------------------------------------------------------------ transactions

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the session database {self.path} is closed")

    def _read(self, doing: str, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        self._check_open()
        try:
            return self._rconn.execute(sql, tuple(params)).fetchall()
        except ERRORS as exc:
            raise translate(exc, self.path, doing) from None

    def read_rows(self, doing: str, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        """Rows of one read-only query, buffered samples committed first (for the paged readers
        of :mod:`sessionmon.store.export_reads`; ``doing`` names the read in errors)."""
        with self._lock:
            self._flush_pending()
            return self._read(doing, sql, params)

    def _insert_audited(
        self,
        conn: sqlite3.Connection,
        table: str,
        columns: str,
        rows: list[tuple],
        action: str,
    ) -> None:
        """Insert rows into ``table`` and add one audit entry covering them."""
        marks = ", ".join("?" * (columns.count(",") + 1))
        key = audit.AUDITED_COLUMNS[table][0]
        before = conn.execute(f"SELECT COALESCE(MAX({key}), 0) FROM {table}").fetchone()[0]
        conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
        audit.append_entry(
            conn,
            at_us=codec.to_us(self._clock.now()),
            action=action,
            target=table,
            first_row=before + 1,
            last_row=before + len(rows),
            rows=rows,
        )
