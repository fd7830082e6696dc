"""Reading a session's measurements and waveform back from the store.

:class:`SampleReads` is the part of :class:`~sessionmon.store.SessionStore` that reads numerics
and waveform chunks (whole, or page by page for long sessions). Every read commits what is
buffered first, so it sees every sample appended before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sessionmon.model import Kind, Measurement, WaveformChunk
from sessionmon.store import codec
from sessionmon.store.buffered_writes import MEASUREMENT_COLUMNS

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.store.store_wiring import StoreWiring

    _Base = StoreWiring
else:
    _Base = object


class SampleReads(_Base):
    """Measurements and waveform chunks of a session, as recorded."""

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
            sql = f"SELECT {MEASUREMENT_COLUMNS} FROM measurements WHERE session_id = ?"
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
