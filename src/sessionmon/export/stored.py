"""The parts of a session's record that are read from the store as they are used.

:class:`StoredMeasurements` (the numerics) and :class:`StoredWaveform` (the pleth or CO2 wave)
stand in a :class:`~sessionmon.export.record.SessionRecord` for the lists they would otherwise
be. An exporter that wants every row as a record object gets them as from a list; one that
wants columns (CSV, Parquet) or a page at a time (JSON, the waveform) reads the stored rows page
by page (:mod:`sessionmon.store.export_reads`), so a long session is never all in memory.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sessionmon.model import Kind, Measurement, WaveformChunk

#: Measurements :meth:`StoredMeasurements.stream` builds at once from a page of stored rows.
STREAM_SLICE = 1000


class StoredWaveform:
    """A session's pleth (or CO2) chunks, read from the store a page at a time as they are
    iterated.

    Exporters iterate it like a list; only one page (about ten minutes of pleth) is in memory
    at a time. ``shifted`` gives the same chunks with every start moved (de-identification).

    Parameters
    ----------
    store : SessionStore
        The open store (it must stay open while the waveform is iterated).
    session_id : UUID
        The session.
    offset : timedelta
        Added to every chunk's start.
    page_size : int
        Chunks read per page.
    kind : Kind
        Which wave (default the pleth; ``Kind.CO2`` the capnogram).
    """

    def __init__(
        self,
        store: Any,
        session_id: uuid.UUID,
        offset: timedelta = timedelta(0),
        page_size: int = 300,
        kind: Kind = Kind.PLETH,
    ) -> None:
        self.kind = kind
        self._store = store
        self._session_id = session_id
        self._offset = offset
        self._page_size = page_size
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._store.waveform_count(self._session_id, self.kind)
        return self._count

    def __iter__(self) -> Iterator[WaveformChunk]:
        key = None
        while True:
            chunks, key = self._store.waveform_page(
                self._session_id, key, self._page_size, kind=self.kind
            )
            for chunk in chunks:
                if self._offset:
                    chunk = WaveformChunk.model_construct(
                        **{**chunk.__dict__, "start": chunk.start + self._offset}
                    )
                yield chunk
            if key is None:
                return

    def shifted(self, offset: timedelta) -> StoredWaveform:
        """The same waveform with every start moved by ``offset`` more."""
        return StoredWaveform(
            self._store, self._session_id, self._offset + offset, self._page_size, self.kind
        )

    def row_pages(self) -> Iterator[list[tuple[int, float, bytes]]]:
        """The chunks as stored rows, a page at a time: ``(start_us, sample_rate_hz, samples)``
        with the start moved by the offset and ``samples`` the little-endian float32 bytes (for
        writers that want arrays, not a Python float per sample)."""
        from sessionmon.store.export_reads import chunk_pages

        shift = self._offset // timedelta(microseconds=1)
        for rows in chunk_pages(self._store, self._session_id, self.kind, self._page_size):
            yield [(start + shift, rate, blob) for start, rate, blob, _ in rows]


def list_range(measurements: Sequence[Measurement]) -> tuple[datetime, datetime] | None:
    if not measurements:
        return None
    return measurements[0].received_at, measurements[-1].received_at


class StoredMeasurements(Sequence):
    """A session's numerics, read from the store when first used.

    It behaves as the list :meth:`SessionStore.measurements` returns (read once, on the first
    ``len``, index or iteration, then kept). A columnar writer (CSV, Parquet) instead reads the
    stored rows page by page with :meth:`row_pages` and never builds a measurement per row, so
    a long session's numerics are never all in memory.

    Parameters
    ----------
    store : SessionStore
        The open store (it must stay open while the record is used).
    session_id : UUID
        The session.
    upto_id : int, optional
        Leave out rows written after this one (the record is read as it was when loaded, even
        while the console goes on recording); see
        :func:`sessionmon.store.export_reads.last_measurement_id`.
    """

    def __init__(self, store: Any, session_id: uuid.UUID, upto_id: int | None = None) -> None:
        self._store = store
        self._session_id = session_id
        self._upto_id = upto_id
        self._loaded: list[Measurement] | None = None
        self._kinds: dict[Kind, list[Measurement]] = {}

    @property
    def _items(self) -> list[Measurement]:
        if self._loaded is None:
            from sessionmon.store.export_reads import measurements_of

            loaded: list[Measurement] = []
            for rows in self.row_pages():
                loaded += measurements_of(rows, self._session_id)
            self._loaded = loaded
        return self._loaded

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[Measurement]:
        return iter(self._items)

    def row_pages(self, kind: Kind | None = None) -> Iterator[list[tuple]]:
        """The stored rows (of one ``kind``, else all), a page at a time, in receive-time order:
        ``(kind, value, unit, received_us, device_us, source, flags, id)`` (see
        :func:`sessionmon.store.export_reads.measurement_pages`)."""
        from sessionmon.store.export_reads import MEASUREMENT_PAGE, measurement_pages

        return measurement_pages(
            self._store, self._session_id, self._upto_id, MEASUREMENT_PAGE, kind
        )

    def pages(self) -> Iterator[list[Measurement]]:
        """The measurements a page at a time, in order (a page is not kept once passed on).

        The kinds :meth:`of_kind` already read are taken from its lists, not built again: the
        n-th row of a kind in the whole order is the n-th of that kind's list.
        """
        from sessionmon.store.codec import KINDS
        from sessionmon.store.export_reads import measurements_of

        if self._loaded is not None:
            yield self._loaded
            return
        read = {kind: iter(found) for kind, found in self._kinds.items()}
        for rows in self.row_pages():
            fresh = iter(
                measurements_of([r for r in rows if KINDS[r[0]] not in read], self._session_id)
            )
            yield [next(read.get(KINDS[row[0]], fresh)) for row in rows]
            del rows, fresh  # not kept while the next page is read

    def of_kind(self, kind: Kind) -> list[Measurement]:
        """The measurements of one kind, in time order: read alone (the other kinds are not
        built) unless the whole list is already in memory; kept for the next call."""
        kind = Kind(kind)
        if self._loaded is not None:
            return [m for m in self._loaded if m.kind is kind]
        found = self._kinds.get(kind)
        if found is None:
            from sessionmon.store.export_reads import measurements_of

            found = []
            for rows in self.row_pages(kind):
                found += measurements_of(rows, self._session_id)
            self._kinds[kind] = found
        return found

    def stream(self, kind: Kind) -> Iterator[Measurement]:
        """The measurements of one kind, in time order, built a page at a time and not kept
        (memory bounded by a page, however long the session); from memory when already read."""
        kind = Kind(kind)
        if self._loaded is not None or kind in self._kinds:
            yield from self.of_kind(kind)
            return
        from sessionmon.store.export_reads import measurements_of

        for rows in self.row_pages(kind):
            for start in range(0, len(rows), STREAM_SLICE):  # not a page of measurements at once
                yield from measurements_of(rows[start : start + STREAM_SLICE], self._session_id)
            del rows  # not kept while the next page is read

    def readings(self, kind: Kind) -> Iterator[tuple[datetime, float, tuple[str, ...]]]:
        """``(received_at, value, flags)`` of one kind's measurements, in time order, straight
        from the stored rows a page at a time (no measurement built, nothing kept); the same
        values the measurements hold."""
        kind = Kind(kind)
        if self._loaded is not None or kind in self._kinds:
            for m in self.of_kind(kind):
                yield m.received_at, m.value, m.flags
            return
        import json

        from sessionmon.store.codec import EPOCH

        for rows in self.row_pages(kind):
            for _, value, _, received, _, _, flags, _ in rows:
                yield (
                    EPOCH + timedelta(microseconds=received),
                    value,
                    tuple(json.loads(flags)) if flags else (),
                )
            del rows  # not kept while the next page is read

    def sources(self, kind: Kind) -> list[str]:
        """The sources of one kind's measurements, in the order they first appear in time
        (read from the stored rows; no measurement built)."""
        kind = Kind(kind)
        if self._loaded is not None or kind in self._kinds:
            return list(dict.fromkeys(m.source for m in self.of_kind(kind)))
        seen: dict[str, None] = {}
        for rows in self.row_pages(kind):
            seen.update(dict.fromkeys(row[5] for row in rows))
            del rows  # not kept while the next page is read
        return list(seen)

    def received_range(self) -> tuple[datetime, datetime] | None:
        """The first and last receive time, or None when there are no measurements."""
        if self._loaded is not None:
            return list_range(self._loaded)
        from sessionmon.store.codec import from_us
        from sessionmon.store.export_reads import received_range

        found = received_range(self._store, self._session_id, self._upto_id)
        return None if found is None else (from_us(found[0]), from_us(found[1]))

    def text_values(self) -> list[tuple]:
        """The distinct ``(kind, unit, source, flags)`` of the stored rows."""
        from sessionmon.store.export_reads import measurement_text_values

        return measurement_text_values(self._store, self._session_id, self._upto_id)
