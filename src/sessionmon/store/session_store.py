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
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sessionmon import lifecycle
from sessionmon.clock import Clock
from sessionmon.model import (
    AlarmLogEntry,
    AlarmRecord,
    Event,
    EventKind,
    Kind,
    Measurement,
    Session,
    SessionPhase,
    WaveformChunk,
)
from sessionmon.store import audit, codec, encryption, file_checks, schema
from sessionmon.store.accounts import AccountRecords
from sessionmon.store.anchor import Anchor, HeadAnchor, chain_head, read_anchor, write_anchor
from sessionmon.store.buffered_writes import CHUNK_COLUMNS, MEASUREMENT_COLUMNS, BufferedWrites
from sessionmon.store.course_records import CourseRecords
from sessionmon.store.driver import ERRORS
from sessionmon.store.errors import StoreError, translate
from sessionmon.store.ownership import SessionLocks
from sessionmon.store.summary import SessionSummary
from sessionmon.store.writer import StoreWriter

_MEASUREMENT_COLUMNS = MEASUREMENT_COLUMNS
_LATEST_SESSIONS = (
    "SELECT v.session_id, v.phase, v.phase_before, v.body FROM session_versions v "
    "JOIN (SELECT session_id, MAX(version_id) AS latest, MIN(version_id) AS first "
    "FROM session_versions GROUP BY session_id) l ON v.version_id = l.latest "
)


def _short(session_id: uuid.UUID) -> str:
    return str(session_id)[:8]


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


class SessionStore(CourseRecords, AccountRecords, BufferedWrites):
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

    # ------------------------------------------------------------------ sessions

    def _latest_version(
        self, session_id: uuid.UUID, conn: sqlite3.Connection | None = None
    ) -> tuple[Session, SessionPhase | None] | None:
        sql = (
            "SELECT body, phase_before FROM session_versions WHERE session_id = ? "
            "ORDER BY version_id DESC LIMIT 1"
        )
        if conn is None:
            rows = self._read("reading a session", sql, (str(session_id),))
        else:  # inside a write, on the writer's connection
            rows = conn.execute(sql, (str(session_id),)).fetchall()
        if not rows:
            return None
        body, before = rows[0]
        return Session.model_validate_json(body), None if before is None else SessionPhase(before)

    def _require_session(
        self, session_id: uuid.UUID, conn: sqlite3.Connection | None = None
    ) -> tuple[Session, SessionPhase | None]:
        found = self._latest_version(session_id, conn)
        if found is None:
            raise StoreError(f"no session {session_id} in {self.path}")
        return found

    def _write_version(
        self,
        session: Session,
        action: str,
        phase_before: SessionPhase | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        row = (
            str(session.id),
            session.phase.value,
            None if phase_before is None else phase_before.value,
            codec.to_us(session.created_at),
            codec.to_us(self._clock.now()),
            session.model_dump_json(),
        )
        columns = "session_id, phase, phase_before, created_us, written_us, body"

        def work(c: sqlite3.Connection) -> None:
            self._insert_audited(c, "session_versions", columns, [row], action)

        if conn is None:
            self._write(f"saving session {_short(session.id)}", work)
        else:
            work(conn)

    def _is_abandoned(self, session_id: uuid.UUID, phase: SessionPhase) -> bool:
        return phase in lifecycle.OPEN_PHASES and not self._locks.writer_alive(session_id)

    def create_session(self, session: Session) -> None:
        """Record a new session and take ownership of it (committed before return).

        Raises
        ------
        StoreError
            If a session with this id exists, or its phase is ``interrupted``.
        """
        with self._lock:
            self._check_open()
            if session.phase is SessionPhase.INTERRUPTED:
                raise StoreError("a new session cannot start as interrupted")
            if self._latest_version(session.id) is not None:
                raise StoreError(f"session {session.id} already exists in {self.path}")
            if session.phase in lifecycle.OPEN_PHASES and not self._locks.acquire(session.id):
                raise StoreError(f"session {session.id} is being recorded by another sessionmon")

            def work(conn: sqlite3.Connection) -> None:
                if self._latest_version(session.id, conn) is not None:
                    raise StoreError(f"session {session.id} already exists in {self.path}")
                self._write_version(session, "session.create", conn=conn)

            try:
                self._write(f"saving session {_short(session.id)}", work)
            except StoreError:
                self._locks.release(session.id)
                raise

    def update_session(
        self, session: Session, *, wait: bool = True, events: Iterable[Event] = ()
    ) -> None:
        """Record a changed session as a new version (append-only; committed before return).

        ``events`` (e.g. the phase change and the dose that caused it) are recorded in the same
        transaction: all of it is committed, or none. With ``wait=False`` (automatic changes,
        e.g. dosing complete) the version is queued and retried until committed, like alarms;
        it is checked when it is written, after every write queued before it.

        Raises
        ------
        StoreError
            If the session is unknown, closed (signed sessions are locked), being recorded by
            another sessionmon, interrupted (resume it first), or the phase change is not a
            legal lifecycle move.
        """
        with self._lock:
            self._check_open()

            events = tuple(events)

            def work(conn: sqlite3.Connection) -> None:
                stored = self._check_update(session, conn)
                before = stored if session.phase is SessionPhase.INTERRUPTED else None
                self._write_version(session, "session.update", before, conn)
                for event in events:
                    self._check_event(conn, event)
                    self._insert_event(conn, event)

            doing = f"saving session {_short(session.id)}"
            if not wait:
                if session.phase not in lifecycle.OPEN_PHASES:
                    raise StoreError("only an open session's changes can be queued")
                self._write(doing, work, wait=False)
                return
            self._write(doing, work)
            if session.phase not in lifecycle.OPEN_PHASES:
                self._locks.release(session.id, remove=session.phase is SessionPhase.CLOSED)

    def _check_update(self, session: Session, conn: sqlite3.Connection) -> SessionPhase:
        """Refuse a changed session that cannot be recorded; return the stored phase."""
        stored, _ = self._require_session(session.id, conn)
        short = _short(session.id)
        if stored.phase is SessionPhase.CLOSED:
            raise StoreError(f"session {short} is closed; add an annotation event instead")
        if stored.phase in lifecycle.OPEN_PHASES and not self._locks.holds(session.id):
            if self._locks.writer_alive(session.id):
                raise StoreError(f"session {short} is being recorded by another sessionmon")
            raise StoreError(f"session {short} was interrupted; resume it before changing it")
        if stored.phase is SessionPhase.INTERRUPTED:
            raise StoreError(f"session {short} is interrupted; resume it before changing it")
        if session.phase != stored.phase:
            try:
                lifecycle.transition(stored.phase, session.phase)
            except lifecycle.IllegalTransition as exc:
                raise StoreError(f"session {short}: {exc}") from None
        return stored.phase

    def import_session(
        self,
        session: Session,
        measurements: Iterable[Measurement],
        waveform: Iterable[WaveformChunk],
        events: Iterable[Event],
        alarms: Iterable[AlarmRecord],
        alarm_log: Iterable[AlarmLogEntry],
    ) -> None:
        """Write a whole exported session in one transaction: all of it, or nothing.

        The caller has checked the rows (see :mod:`sessionmon.export.import_check`): all of this
        session, events in an order where each correction follows what it corrects. The store
        does not take ownership: an imported open session is listed as interrupted.

        Raises
        ------
        StoreError
            If the session, an event id or an alarm id is already in the database.
        """
        events, alarms = list(events), list(alarms)
        m_rows = [codec.measurement_row(m) for m in measurements]
        c_rows = [codec.chunk_row(c) for c in waveform]
        short = _short(session.id)

        def refuse_known(conn: sqlite3.Connection, table: str, column: str, ids: list) -> None:
            for start in range(0, len(ids), 500):
                part = [str(i) for i in ids[start : start + 500]]
                found = conn.execute(
                    f"SELECT {column}, session_id FROM {table} WHERE {column} IN "
                    f"({', '.join('?' * len(part))}) LIMIT 1",
                    part,
                ).fetchone()
                if found:
                    raise StoreError(
                        f"{column.replace('_', ' ')} {found[0]} is already recorded for session "
                        f"{found[1][:8]}; nothing was imported"
                    )

        def work(conn: sqlite3.Connection) -> None:
            known = conn.execute(
                "SELECT 1 FROM session_versions WHERE session_id = ? LIMIT 1", (str(session.id),)
            ).fetchone()
            if known:
                raise StoreError(
                    f"session {session.id} is already in {self.path}; nothing was imported"
                )
            refuse_known(conn, "events", "event_id", [e.id for e in events])
            refuse_known(conn, "alarm_versions", "alarm_id", [a.id for a in alarms])
            self._write_version(session, "session.import", None, conn)
            if m_rows:
                self._insert_audited(
                    conn, "measurements", _MEASUREMENT_COLUMNS, m_rows, "measurements.batch"
                )
            if c_rows:
                self._insert_audited(
                    conn, "waveform_chunks", CHUNK_COLUMNS, c_rows, "waveform.batch"
                )
            for event in events:
                self._insert_event(conn, event)
            for alarm in alarms:
                row = (str(alarm.id), str(alarm.session_id), codec.to_us(alarm.start))
                self._insert_audited(
                    conn,
                    "alarm_versions",
                    "alarm_id, session_id, start_us, body",
                    [(*row, alarm.model_dump_json())],
                    "alarm.save",
                )
            for entry in alarm_log:
                row = (str(entry.session_id), codec.to_us(entry.at), entry.model_dump_json())
                self._insert_audited(
                    conn, "alarm_log", "session_id, at_us, body", [row], "alarm_log.add"
                )

        with self._lock:
            self._check_open()
            self._write(f"importing session {short}", work)

    def get_session(self, session_id: uuid.UUID) -> Session:
        """Return the latest version of a session (phase ``interrupted`` if its writer is gone).

        Raises
        ------
        StoreError
            If there is no such session.
        """
        with self._lock:
            self._settle()
            session, _ = self._require_session(session_id)
            if self._is_abandoned(session.id, session.phase):
                return session.model_copy(update={"phase": SessionPhase.INTERRUPTED})
            return session

    def list_sessions(self) -> list[SessionSummary]:
        """Return every session, oldest first, with abandoned open sessions as ``interrupted``."""
        with self._lock:
            self._settle()
            rows = self._read("listing sessions", _LATEST_SESSIONS + "ORDER BY l.first")
            summaries = []
            for _, phase, before, body in rows:
                session = Session.model_validate_json(body)
                phase = SessionPhase(phase)
                phase_before = None if before is None else SessionPhase(before)
                if self._is_abandoned(session.id, phase):
                    phase, phase_before = SessionPhase.INTERRUPTED, phase
                summaries.append(
                    SessionSummary(
                        id=session.id,
                        pseudonym=session.patient.pseudonym,
                        protocol=session.treatment.protocol,
                        dose_mg=session.treatment.dose_mg,
                        phase=phase,
                        phase_before=phase_before,
                        created_at=session.created_at,
                        dose_at=session.dose_at,
                        ended_at=session.ended_at,
                        signed_by=session.signed_by,
                        simulated=session.simulated,
                        scenario=session.scenario,
                    )
                )
            return summaries

    def latest_session_id(self) -> uuid.UUID | None:
        """Return the id of the session created last, or ``None`` for an empty database."""
        with self._lock:
            rows = self._read(
                "listing sessions",
                "SELECT session_id FROM session_versions GROUP BY session_id "
                "ORDER BY MIN(version_id) DESC LIMIT 1",
            )
            return uuid.UUID(rows[0][0]) if rows else None

    def resume_session(self, session_id: uuid.UUID) -> Session:
        """Take over an interrupted session and return it in the phase it had before the crash.

        Two versions are written: one marking the session ``interrupted`` (recording the phase
        before) and one back in that phase, plus a ``phase_change`` event. Resuming a session
        this store already owns returns it unchanged.

        Raises
        ------
        StoreError
            If the session is unknown, closed, or being recorded by another live sessionmon.
        """
        with self._lock:
            self._check_open()
            session, before = self._require_session(session_id)
            short = _short(session_id)
            if self._locks.holds(session_id):
                return session
            if session.phase is SessionPhase.CLOSED:
                raise StoreError(f"session {short} is closed and cannot be resumed")
            if not self._locks.acquire(session_id):
                raise StoreError(f"session {short} is being recorded by another sessionmon")
            try:
                if session.phase is SessionPhase.INTERRUPTED:
                    phase_before = before or SessionPhase.PLANNED
                else:
                    phase_before = session.phase
                target = lifecycle.resume(SessionPhase.INTERRUPTED, phase_before)
            except lifecycle.IllegalTransition as exc:
                self._locks.release(session_id)
                raise StoreError(f"session {short}: {exc}") from None
            interrupted = session.model_copy(update={"phase": SessionPhase.INTERRUPTED})
            resumed = session.model_copy(update={"phase": target})
            event = Event(
                session_id=session_id,
                kind=EventKind.PHASE_CHANGE,
                at=self._clock.now(),
                text=f"resumed after an interruption, back in {target.value}",
                payload={"from": SessionPhase.INTERRUPTED.value, "to": target.value},
            )

            def work(conn: sqlite3.Connection) -> None:
                if session.phase is not SessionPhase.INTERRUPTED:
                    self._write_version(interrupted, "session.interrupted", phase_before, conn)
                self._write_version(resumed, "session.resume", None, conn)
                self._insert_event(conn, event)

            try:
                self._write(f"resuming session {short}", work)
            except BaseException:
                self._locks.release(session_id)
                raise
            return resumed

    # ------------------------------------------------------------------ measurements (reads)

    def measurements(
        self,
        session_id: uuid.UUID,
        kinds: Iterable[Kind | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Measurement]:
        """Return a session's measurements in receive-time order.

        Parameters
        ----------
        session_id : UUID
            The session.
        kinds : iterable of Kind, optional
            Only these kinds; all when omitted.
        since, until : datetime, optional
            Inclusive bounds on the receive time.
        """
        with self._lock:
            self._flush_pending()
            sql = f"SELECT {_MEASUREMENT_COLUMNS} FROM measurements WHERE session_id = ?"
            params: list[object] = [str(session_id)]
            if kinds is not None:
                values = [Kind(k).value for k in kinds]
                sql += f" AND kind IN ({', '.join('?' * len(values))})"
                params.extend(values)
            if since is not None:
                sql += " AND received_us >= ?"
                params.append(codec.to_us(since))
            if until is not None:
                sql += " AND received_us <= ?"
                params.append(codec.to_us(until))
            rows = self._read("reading measurements", sql + " ORDER BY received_us, id", params)
        decoder = codec.RowDecoder()
        return [decoder.measurement(row) for row in rows]

    def waveform(
        self,
        session_id: uuid.UUID,
        kind: Kind | str = Kind.PLETH,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[WaveformChunk]:
        """Return a session's waveform chunks of one kind that overlap ``[since, until]``."""
        with self._lock:
            self._flush_pending()
            sql = (
                "SELECT session_id, kind, start_us, sample_rate_hz, samples, source "
                "FROM waveform_chunks WHERE session_id = ? AND kind = ?"
            )
            params: list[object] = [str(session_id), Kind(kind).value]
            if since is not None:
                sql += " AND end_us > ?"
                params.append(codec.to_us(since))
            if until is not None:
                sql += " AND start_us <= ?"
                params.append(codec.to_us(until))
            rows = self._read("reading the waveform", sql + " ORDER BY start_us, id", params)
        decoder = codec.RowDecoder()
        return [decoder.chunk(row) for row in rows]

    def waveform_page(
        self,
        session_id: uuid.UUID,
        after: tuple[int, int] | None = None,
        limit: int = 300,
        kind: Kind | str = Kind.PLETH,
    ) -> tuple[list[WaveformChunk], tuple[int, int] | None]:
        """Return up to ``limit`` chunks in start order after the key ``after``, and the next key.

        Reading a long session's waveform page by page keeps memory bounded (an export of 24
        hours never holds six million samples at once). Pass the returned key to read on; it
        is ``None`` after the last page.
        """
        with self._lock:
            self._flush_pending()
            sql = (
                "SELECT session_id, kind, start_us, sample_rate_hz, samples, source, id "
                "FROM waveform_chunks WHERE session_id = ? AND kind = ?"
            )
            params: list[object] = [str(session_id), Kind(kind).value]
            if after is not None:
                sql += " AND (start_us > ? OR (start_us = ? AND id > ?))"
                params.extend((after[0], after[0], after[1]))
            sql += " ORDER BY start_us, id LIMIT ?"
            params.append(int(limit))
            rows = self._read("reading the waveform", sql, params)
        decoder = codec.RowDecoder()
        chunks = [decoder.chunk(row[:6]) for row in rows]
        following = (rows[-1][2], rows[-1][6]) if len(rows) == limit else None
        return chunks, following

    def waveform_count(self, session_id: uuid.UUID, kind: Kind | str = Kind.PLETH) -> int:
        """Return how many waveform chunks of one kind a session has."""
        with self._lock:
            self._flush_pending()
            rows = self._read(
                "counting the waveform",
                "SELECT COUNT(*) FROM waveform_chunks WHERE session_id = ? AND kind = ?",
                (str(session_id), Kind(kind).value),
            )
        return int(rows[0][0])

    # ------------------------------------------------------------------ events and alarms

    def _insert_event(self, conn: sqlite3.Connection, event: Event) -> None:
        row = (
            str(event.id),
            str(event.session_id),
            event.kind.value,
            codec.to_us(event.at),
            None if event.supersedes is None else str(event.supersedes),
            event.model_dump_json(),
        )
        columns = "event_id, session_id, kind, at_us, supersedes, body"
        self._insert_audited(conn, "events", columns, [row], "event.add")

    def add_event(self, event: Event, *, wait: bool = True) -> None:
        """Record an event (committed before return; checked in the same transaction).

        With ``wait=False`` (automatic events, e.g. "dosing complete") the event is queued and
        retried until committed, like alarms.

        Raises
        ------
        StoreError
            If the session is unknown, the event id is already recorded, ``supersedes`` names
            no earlier event of the same session, or the database did not take it in time
            (then nothing is recorded).
        """
        with self._lock:
            self._check_open()

            def work(conn: sqlite3.Connection) -> None:
                self._check_event(conn, event)
                self._insert_event(conn, event)

            self._write("saving an event", work, wait=wait)

    def _check_event(self, conn: sqlite3.Connection, event: Event) -> None:
        """Refuse an event that cannot be recorded (inside the write, on its connection)."""
        self._require_session(event.session_id, conn)
        if conn.execute(_EVENT_BY_ID, (str(event.id),)).fetchall():
            raise StoreError(f"event {event.id} is already recorded; corrections are new events")
        if event.supersedes is not None:
            found = conn.execute(_EVENT_BY_ID, (str(event.supersedes),)).fetchall()
            if not found or found[0][0] != str(event.session_id):
                raise StoreError(
                    f"event {event.id} corrects event {event.supersedes}, "
                    "which is not recorded for this session"
                )

    def events(
        self,
        session_id: uuid.UUID,
        include_superseded: bool = False,
        kinds: Iterable[EventKind | str] | None = None,
    ) -> list[Event]:
        """Return a session's events in time order; corrected events only if asked.

        Parameters
        ----------
        session_id : UUID
            The session.
        include_superseded : bool
            Also return events that a later correction replaced.
        kinds : iterable of EventKind, optional
            Only these kinds (only their rows are decoded); all when omitted.
        """
        with self._lock:
            self._settle()
            sql = "SELECT body FROM events WHERE session_id = ?"
            params: list[object] = [str(session_id)]
            if kinds is not None:
                values = [EventKind(k).value for k in kinds]
                sql += f" AND kind IN ({', '.join('?' * len(values))})"
                params.extend(values)
            if not include_superseded:
                # Corrections are always of the same session (add_event checks), so the set of
                # superseded ids is read once from the session's own rows, not per event.
                sql += (
                    " AND event_id NOT IN (SELECT supersedes FROM events"
                    " WHERE session_id = ? AND supersedes IS NOT NULL)"
                )
                params.append(str(session_id))
            rows = self._read("reading events", sql + " ORDER BY at_us, row_id", params)
        return [Event.model_validate_json(body) for (body,) in rows]

    def alarms(self, session_id: uuid.UUID) -> list[AlarmRecord]:
        """Return the latest version of each alarm of a session, by start time."""
        with self._lock:
            self._settle()
            rows = self._read(
                "reading alarms",
                "SELECT a.body FROM alarm_versions a JOIN (SELECT MAX(version_id) AS latest "
                "FROM alarm_versions WHERE session_id = ? GROUP BY alarm_id) l "
                "ON a.version_id = l.latest ORDER BY a.start_us, a.version_id",
                (str(session_id),),
            )
        return [AlarmRecord.model_validate_json(body) for (body,) in rows]

    def alarm_log(self, session_id: uuid.UUID) -> list[AlarmLogEntry]:
        """Return a session's alarm log in the order it was written."""
        with self._lock:
            self._settle()
            rows = self._read(
                "reading the alarm log",
                "SELECT body FROM alarm_log WHERE session_id = ? ORDER BY row_id",
                (str(session_id),),
            )
        return [AlarmLogEntry.model_validate_json(body) for (body,) in rows]

    # ------------------------------------------------------------------ audit

    def audit_entries(self, session_id: uuid.UUID) -> list[audit.AuditEntry]:
        """Return the audit entries that wrote this session's rows, in chain order.

        Buffered measurements are committed first, so the entries cover everything appended.
        The last entry's ``entry_sha256`` chains every write before it. An unknown session
        has no entries.
        """
        with self._lock:
            self._check_open()
            self._flush_pending()
            try:
                return audit.entries_for_session(self._rconn, session_id)
            except ERRORS as exc:
                raise translate(exc, self.path, "reading the audit trail") from None

    def verify_audit(self) -> audit.AuditReport:
        """Check the chain, that it covers every row, and its head against the anchor.

        Commits buffered measurements first. See :mod:`sessionmon.store.verify`.
        """
        from sessionmon.store.verify import verify_store

        with self._lock:
            self._flush_pending()
            try:
                for _attempt in range(3):  # another process may commit between DB and sidecar
                    self._rconn.execute("BEGIN")
                    try:
                        report = verify_store(self._rconn, self._anchor.path, self._anchor.mac_key)
                    finally:
                        self._rconn.execute("COMMIT")
                    if report.ok:
                        break
                return report
            except ERRORS as exc:
                raise translate(exc, self.path, "checking the audit trail") from None


_EVENT_BY_ID = "SELECT session_id FROM events WHERE event_id = ?"
