"""Paged reads of a session's numerics and waveform rows for the exporters.

An export of a long session must not hold it all in memory, nor pay for a record object per
row when the writer only wants columns. These readers return the stored rows as they are (times
in integer microseconds, samples as their float32 bytes), one page at a time, in the order
:meth:`SessionStore.measurements` and :meth:`SessionStore.waveform_page` give them. Each page is
its own short query (keyset paging), so the store's lock is never held between pages and the
console keeps recording while an export runs.
"""

from __future__ import annotations

import gc
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sessionmon.model import Kind, Measurement
from sessionmon.store import codec

#: Numerics rows per page (about two hours of HR, SpO2 and PI at 1 Hz).
MEASUREMENT_PAGE = 20_000
#: Waveform chunks per page (2-second chunks: ten minutes of pleth).
CHUNK_PAGE = 300

#: The columns of a numerics row, in order; ``id`` last (the paging key).
MEASUREMENT_ROW = "kind, value, unit, received_us, device_us, source, flags, id"
#: The columns of a waveform row, in order; ``id`` last (the paging key).
CHUNK_ROW = "start_us, sample_rate_hz, samples, id"


def last_measurement_id(store: Any) -> int:
    """The id of the newest numerics row of any session (0 for none): a reader bounded by it
    sees the numerics as they were when it was taken, however long it takes to read them."""
    rows = store.read_rows("reading measurements", "SELECT MAX(id) FROM measurements")
    return int(rows[0][0] or 0)


def measurement_pages(
    store: Any,
    session_id: uuid.UUID,
    upto_id: int | None = None,
    page_size: int = MEASUREMENT_PAGE,
    kind: Kind | None = None,
) -> Iterator[list[tuple]]:
    """Yield a session's numerics rows (of one ``kind``, else all) in receive-time order,
    ``page_size`` at a time.

    Each row is ``(kind, value, unit, received_us, device_us, source, flags, id)`` with
    ``flags`` the stored JSON list (or None). ``upto_id`` leaves out rows written after
    :func:`last_measurement_id` gave it.
    """
    base = f"SELECT {MEASUREMENT_ROW} FROM measurements WHERE session_id = ?"
    if upto_id is not None:
        base += f" AND id <= {int(upto_id)}"
    if kind is not None:
        base += " AND kind = ?"
    after: tuple[int, int] | None = None
    while True:
        sql, params = base, [str(session_id)]
        if kind is not None:
            params.append(Kind(kind).value)
        if after is not None:
            sql += " AND (received_us, id) > (?, ?)"  # a row value: the index seeks to it
            params.extend(after)
        rows = store.read_rows(
            "reading measurements", sql + " ORDER BY received_us, id LIMIT ?", [*params, page_size]
        )
        if len(rows) < page_size:
            if rows:
                yield rows
            return
        after = (rows[-1][3], rows[-1][7])
        yield rows
        del rows  # a page is not kept while the next one is read


def received_range(
    store: Any, session_id: uuid.UUID, upto_id: int | None = None
) -> tuple[int, int] | None:
    """The first and last receive time (microseconds) of a session's numerics, or None."""
    sql = "SELECT MIN(received_us), MAX(received_us) FROM measurements WHERE session_id = ?"
    if upto_id is not None:
        sql += f" AND id <= {int(upto_id)}"
    rows = store.read_rows("reading measurements", sql, [str(session_id)])
    return None if rows[0][0] is None else (rows[0][0], rows[0][1])


def measurement_text_values(
    store: Any, session_id: uuid.UUID, upto_id: int | None = None
) -> list[tuple]:
    """The distinct ``(kind, unit, source, flags)`` of a session's numerics (a few rows: what a
    CSV writer must know before the first row, e.g. whether any value needs quotes)."""
    sql = "SELECT DISTINCT kind, unit, source, flags FROM measurements WHERE session_id = ?"
    if upto_id is not None:
        sql += f" AND id <= {int(upto_id)}"
    return store.read_rows("reading measurements", sql, [str(session_id)])


def measurements_of(rows: list[tuple], session_id: uuid.UUID) -> list[Measurement]:
    """The measurements of rows from :func:`measurement_pages` (all of ``session_id``), equal to
    those :meth:`SessionStore.measurements` builds (trusted rows, not validated again).

    The loop is :meth:`codec.RowDecoder.measurement` written out, and the cyclic garbage
    collector waits while it runs: an export builds tens of thousands of records, none of them
    garbage, and the collector's passes over them cost a third of the time.
    """
    kinds = codec.KINDS
    epoch = codec.EPOCH
    fields_set = set(Measurement.model_fields)  # shared, never mutated (frozen models)
    new = Measurement.__new__
    setattr_ = object.__setattr__
    result = []
    append = result.append
    collecting = gc.isenabled()
    gc.disable()
    try:
        for kind, value, unit, received, device, source, flags, _ in rows:
            instance = new(Measurement)
            setattr_(
                instance,
                "__dict__",
                {
                    "session_id": session_id,
                    "kind": kinds[kind],
                    "value": value,
                    "unit": unit,
                    "received_at": epoch + timedelta(microseconds=received),
                    "device_time": None
                    if device is None
                    else epoch + timedelta(microseconds=device),
                    "source": source,
                    "flags": tuple(json.loads(flags)) if flags else (),
                },
            )
            setattr_(instance, "__pydantic_fields_set__", fields_set)
            setattr_(instance, "__pydantic_extra__", None)
            setattr_(instance, "__pydantic_private__", None)
            append(instance)
    finally:
        if collecting:
            gc.enable()
    return result


def chunk_pages(
    store: Any, session_id: uuid.UUID, kind: Kind = Kind.PLETH, page_size: int = CHUNK_PAGE
) -> Iterator[list[tuple]]:
    """Yield a session's waveform rows of one kind in start order, ``page_size`` at a time.

    Each row is ``(start_us, sample_rate_hz, samples, id)``, ``samples`` the stored
    little-endian float32 bytes.
    """
    base = f"SELECT {CHUNK_ROW} FROM waveform_chunks WHERE session_id = ? AND kind = ?"
    after: tuple[int, int] | None = None
    while True:
        sql, params = base, [str(session_id), Kind(kind).value]
        if after is not None:
            sql += " AND (start_us, id) > (?, ?)"
            params.extend(after)
        rows = store.read_rows(
            "reading the waveform", sql + " ORDER BY start_us, id LIMIT ?", [*params, page_size]
        )
        if rows:
            yield rows
        if len(rows) < page_size:
            return
        after = (rows[-1][0], rows[-1][3])
