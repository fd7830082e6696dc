"""Sessions in the store: create, change (as new versions), read, list and resume.

:class:`SessionRecords` is the part of :class:`~sessionmon.store.SessionStore` that keeps each
session as append-only versions (the latest wins), enforces the lifecycle on every change, and
owns a session while it is recorded (:mod:`sessionmon.store.ownership`): an open session whose
writer is gone reads as ``interrupted`` until it is resumed. It relies on the store's wiring
(:class:`~sessionmon.store.store_wiring.StoreWiring`).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sessionmon import lifecycle
from sessionmon.model import Event, EventKind, Session, SessionPhase
from sessionmon.store import codec
from sessionmon.store.errors import StoreError
from sessionmon.store.summary import SessionSummary

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.store.store_wiring import StoreWiring

    _Base = StoreWiring
else:
    _Base = object

_LATEST_SESSIONS = (
    "SELECT v.session_id, v.phase, v.phase_before, v.body FROM session_versions v "
    "JOIN (SELECT session_id, MAX(version_id) AS latest, MIN(version_id) AS first "
    "FROM session_versions GROUP BY session_id) l ON v.version_id = l.latest "
)


def short_id(session_id: uuid.UUID) -> str:
    """The first eight characters of a session id, as messages name a session."""
    return str(session_id)[:8]


class SessionRecords(_Base):
    """Session versions, ownership and the lifecycle rules of a session store."""

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
            self._write(f"saving session {short_id(session.id)}", work)
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
                self._write(f"saving session {short_id(session.id)}", work)
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

            doing = f"saving session {short_id(session.id)}"
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
        short = short_id(session.id)
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

    def latest_started_session_id(self) -> uuid.UUID | None:
        """The session that started last (latest ``created_at``), a real one before any
        simulated one: a training session only when there is no other; ``None`` if empty.

        What ``--session latest`` means, asked of SQL instead of parsing every session (a
        clinic database holds thousands); ties go to the session recorded first, as the
        :meth:`list_sessions` order gives them.
        """
        with self._lock:
            self._settle()
            rows = self._read(
                "finding the latest session",
                "SELECT v.session_id FROM session_versions v "
                "JOIN (SELECT session_id, MAX(version_id) AS latest, MIN(version_id) AS first "
                "FROM session_versions GROUP BY session_id) l ON v.version_id = l.latest "
                "ORDER BY COALESCE(json_extract(v.body, '$.simulated'), 0), "
                "v.created_us DESC, l.first LIMIT 1",
            )
            return uuid.UUID(rows[0][0]) if rows else None

    def session_ids(self) -> list[uuid.UUID]:
        """The id of every session, in the order they were first recorded (no body parsed)."""
        with self._lock:
            self._settle()
            rows = self._read(
                "listing sessions",
                "SELECT session_id FROM session_versions GROUP BY session_id "
                "ORDER BY MIN(version_id)",
            )
            return [uuid.UUID(row[0]) for row in rows]

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
            short = short_id(session_id)
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
