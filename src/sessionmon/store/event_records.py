"""Events, alarms and the alarm log of a session in the store.

:class:`EventRecords` is the part of :class:`~sessionmon.store.SessionStore` that records events
(checked in their write: a known session, a new id, a correction of an event of the same session)
and reads back events, the latest version of each alarm and the alarm log. Alarm versions and
alarm-log entries are written by :class:`~sessionmon.store.buffered_writes.BufferedWrites`.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sessionmon.model import AlarmLogEntry, AlarmRecord, Event, EventKind
from sessionmon.store import codec
from sessionmon.store.errors import StoreError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.store.store_wiring import StoreWiring

    _Base = StoreWiring
else:
    _Base = object

_EVENT_BY_ID = "SELECT session_id FROM events WHERE event_id = ?"


class EventRecords(_Base):
    """Events (append-only, corrections supersede), alarms and the alarm log of sessions."""

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
