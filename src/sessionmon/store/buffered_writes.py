"""The store's write path: what goes to the writer thread without waiting, and what waits.

:class:`BufferedWrites` is the part of :class:`~sessionmon.store.SessionStore` that hands writes
to its :class:`~sessionmon.store.writer.StoreWriter`: measurements and waveform chunks (buffered,
committed once a second old), alarm versions and alarm-log entries (queued, retried like them),
the transactions a caller waits for (``_write``), and the state of all that (``pending_count``,
``write_problem``). It relies on the store's ``_writer``, ``_clock``, ``_check_open``,
``_insert_audited``, ``_busy_timeout_s`` and ``_commit_interval_s``
(:class:`~sessionmon.store.store_wiring.StoreWiring`).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from sessionmon.model import AlarmLogEntry, AlarmRecord, Measurement, WaveformChunk
from sessionmon.store import codec
from sessionmon.store.errors import StoreError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.store.store_wiring import StoreWiring

    _Base = StoreWiring
else:
    _Base = object

T = TypeVar("T")

MEASUREMENT_COLUMNS = "session_id, kind, value, unit, received_us, device_us, source, flags"
CHUNK_COLUMNS = "session_id, kind, start_us, end_us, sample_rate_hz, sample_count, samples, source"


class BufferedWrites(_Base):
    """Writes of a session store that go through its writer thread."""

    def _write(self, doing: str, work: Callable[[sqlite3.Connection], T], wait: bool = True) -> T:
        """Run ``work(conn)`` in one write transaction on the writer thread.

        With ``wait`` the result is returned once committed (or the write is withdrawn after
        ``busy_timeout_s`` and raises); without, the write is queued and retried until it is
        committed (the result is None).
        """
        self._check_open()
        if not wait:
            self._writer.post(doing, work)
            return None  # type: ignore[return-value]
        return self._writer.call(doing, work, self._busy_timeout_s)

    def _settle(self) -> None:
        """Let queued record writes reach the disk before a read (waits at most a second)."""
        self._check_open()
        self._writer.settle(min(1.0, self._busy_timeout_s))

    @property
    def write_problem(self) -> str | None:
        """Why writes are not reaching the disk now (one line), or None when they are."""
        return self._writer.problem

    def append_measurement(self, measurement: Measurement) -> None:
        """Buffer one measurement; see the module docstring for when it is committed."""
        self.append_measurements((measurement,))

    def append_measurements(self, measurements: Iterable[Measurement]) -> None:
        """Buffer measurements for the writer thread (never waits on the disk).

        They are committed once the oldest buffered item is a second old. Nothing is lost when
        the database cannot take them (locked, disk full): they stay buffered (bounded) and are
        retried; :attr:`write_problem` says why.
        """
        rows = [codec.measurement_row(m) for m in measurements]
        self._check_open()
        self._writer.append(measurements=rows)

    def append_waveform(self, chunk: WaveformChunk) -> None:
        """Buffer a waveform chunk (one row when committed); same rules as measurements.

        The chunk counts as old as its first sample, so no sample waits longer than the
        commit interval because it was gathered into a chunk first.
        """
        row = codec.chunk_row(chunk)
        self._check_open()
        age = (self._clock.now() - chunk.start).total_seconds()
        self._writer.append(chunks=[row], age_s=min(max(age, 0.0), self._commit_interval_s))

    @property
    def pending_count(self) -> int:
        """Measurements plus waveform chunks buffered and not yet committed."""
        return self._writer.pending_count

    @property
    def queued_records(self) -> int:
        """Alarm versions, alarm-log entries and automatic changes queued, not yet committed."""
        return self._writer.queued_records

    @property
    def last_flush_error(self) -> StoreError | None:
        """The last error a write hit (None once writes succeed again)."""
        return self._writer.last_error

    def flush(self) -> None:
        """Commit every buffered measurement, waveform chunk and queued record now.

        Raises
        ------
        StoreError
            If the commit fails (e.g. disk full) or does not happen within ``busy_timeout_s``;
            the buffer is kept for the next try.
        """
        self._check_open()
        self._writer.flush(self._busy_timeout_s)

    def _flush_pending(self) -> None:
        """Before a read: commit what is buffered if the database takes it (never raises)."""
        self._check_open()
        # On failure the read shows what is on disk; write_problem says why the rest is not.
        with contextlib.suppress(StoreError):
            self._writer.flush(min(1.0, self._busy_timeout_s))

    def _write_batch(
        self,
        conn: sqlite3.Connection,
        measurements: list[codec.MeasurementRow],
        chunks: list[codec.ChunkRow],
    ) -> None:
        """Insert one batch of buffered rows (the writer thread calls it in its transaction)."""
        if measurements:
            self._insert_audited(
                conn, "measurements", MEASUREMENT_COLUMNS, measurements, "measurements.batch"
            )
        if chunks:
            self._insert_audited(conn, "waveform_chunks", CHUNK_COLUMNS, chunks, "waveform.batch")

    def commit_soon(self) -> None:
        """Hand the buffered samples to the writer now, without waiting for the commit.

        For runs whose clock moves faster than real time (a headless scenario), where the
        one-second rule of the store's own clock may never come.
        """
        self._check_open()
        self._writer.commit_soon()

    def start_autoflush(self, interval_s: float = 0.5) -> None:
        """Also commit buffered samples once the oldest is ``interval_s`` real seconds old.

        For the application, so samples reach the disk on time whatever the injected clock
        does. Stopped by :meth:`close`.
        """
        self._check_open()
        self._writer.start_autoflush(interval_s)

    def stop_autoflush(self) -> None:
        """Stop committing by real time (the clock's one-second rule stays)."""
        self._writer.stop_autoflush()

    def save_alarm(self, record: AlarmRecord) -> None:
        """Queue an alarm or its change as a new version (never waits on the disk).

        It is committed within milliseconds while the database works; otherwise it is kept in
        memory and retried, like measurements. A record identical to the latest version is not
        written again.
        """
        self._check_open()
        body = record.model_dump_json()
        row = (str(record.id), str(record.session_id), codec.to_us(record.start), body)

        def work(conn: sqlite3.Connection) -> None:
            latest = conn.execute(
                "SELECT body FROM alarm_versions WHERE session_id = ? AND alarm_id = ? "
                "ORDER BY version_id DESC LIMIT 1",
                (str(record.session_id), str(record.id)),
            ).fetchall()
            if latest and latest[0][0] == body:
                return
            self._insert_audited(
                conn, "alarm_versions", "alarm_id, session_id, start_us, body", [row], "alarm.save"
            )

        self._write("saving an alarm", work, wait=False)

    def add_alarm_log(self, entry: AlarmLogEntry) -> None:
        """Queue one alarm-log entry (never waits on the disk; retried like alarms)."""
        self._check_open()
        row = (str(entry.session_id), codec.to_us(entry.at), entry.model_dump_json())
        self._write(
            "saving the alarm log",
            lambda conn: self._insert_audited(
                conn, "alarm_log", "session_id, at_us, body", [row], "alarm_log.add"
            ),
            wait=False,
        )
