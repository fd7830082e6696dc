"""What the parts of the session store need from each other, as a type (no store import).

:class:`~sessionmon.store.SessionStore` is put together from mixins (session records, imports,
buffered writes, sample reads, event records, audit checks, ...) that use its wiring: the two
connections, the writer thread, the lock, the clock and a few transaction helpers.
:class:`StoreWiring` names exactly that, so the mixins can be type-checked against it without
importing ``session_store`` (which imports them): the store modules form no import circle.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.clock import Clock
    from sessionmon.model import Event, Session, SessionPhase
    from sessionmon.store.anchor import HeadAnchor
    from sessionmon.store.ownership import SessionLocks
    from sessionmon.store.writer import StoreWriter

T = TypeVar("T")


class StoreWiring(Protocol):
    """The store's parts and helpers its mixins use (see ``session_store``)."""

    path: Path
    _conn: sqlite3.Connection
    _rconn: sqlite3.Connection
    _clock: Clock
    _lock: threading.RLock
    _locks: SessionLocks
    _writer: StoreWriter
    _anchor: HeadAnchor
    _busy_timeout_s: float
    _commit_interval_s: float

    def _check_open(self) -> None:
        """Refuse any use of a closed store."""
        ...

    def _read(self, doing: str, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        """Run one query on the read connection."""
        ...

    def _insert_audited(
        self, conn: sqlite3.Connection, table: str, columns: str, rows: list[tuple], action: str
    ) -> None:
        """Insert rows and the audit entry that covers them."""
        ...

    def _write(self, doing: str, work: Callable[[sqlite3.Connection], T], wait: bool = True) -> T:
        """Run ``work(conn)`` in one write transaction on the writer thread."""
        ...

    def _settle(self) -> None:
        """Let queued record writes reach the disk before a read."""
        ...

    def _flush_pending(self) -> None:
        """Commit what is buffered before a read (never raises)."""
        ...

    def _latest_version(
        self, session_id: uuid.UUID, conn: sqlite3.Connection | None = None
    ) -> tuple[Session, SessionPhase | None] | None:
        """The latest version of a session and the phase before an interruption, or None."""
        ...

    def _require_session(
        self, session_id: uuid.UUID, conn: sqlite3.Connection | None = None
    ) -> tuple[Session, SessionPhase | None]:
        """Like ``_latest_version``, raising for an unknown session."""
        ...

    def _write_version(
        self,
        session: Session,
        action: str,
        phase_before: SessionPhase | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        """Write a new version of a session."""
        ...

    def _insert_event(self, conn: sqlite3.Connection, event: Event) -> None:
        """Insert one event (inside a write)."""
        ...

    def _check_event(self, conn: sqlite3.Connection, event: Event) -> None:
        """Refuse an event that cannot be recorded (inside a write)."""
        ...

    def _is_abandoned(self, session_id: uuid.UUID, phase: SessionPhase) -> bool:
        """Whether an open session's writer is gone."""
        ...
