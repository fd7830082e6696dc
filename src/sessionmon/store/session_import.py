"""Importing a whole exported session into the store in one transaction.

:class:`SessionImport` is the part of :class:`~sessionmon.store.SessionStore` that writes a
session read back from an export (its versions, samples, events, alarms and alarm log) all at
once, or nothing, refusing ids the database already holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sessionmon.model import (
    AlarmLogEntry,
    AlarmRecord,
    Event,
    Measurement,
    Session,
    WaveformChunk,
)
from sessionmon.store import codec
from sessionmon.store.buffered_writes import CHUNK_COLUMNS, MEASUREMENT_COLUMNS
from sessionmon.store.errors import StoreError
from sessionmon.store.session_records import short_id

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.store.store_wiring import StoreWiring

    _Base = StoreWiring
else:
    _Base = object


class SessionImport(_Base):
    """Write an exported session into the store: all of it, or nothing."""

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
        short = short_id(session.id)

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
                    conn, "measurements", MEASUREMENT_COLUMNS, m_rows, "measurements.batch"
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
