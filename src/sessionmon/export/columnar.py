"""A session's numerics and waveform as Arrow tables, for the CSV and Parquet writers.

Formatting a 4-hour session's million pleth samples one by one in Python took seconds; Arrow
does the same work in compiled code, column by column. Both tidy layouts are built here once:

- numerics: ``utc_time`` (timestamp, UTC, µs), ``seconds_since_dose`` (µs since the first dose,
  null when no dose was given), ``kind``, ``value``, ``unit``, ``source_device``, ``flags``;
- waveform: ``utc_time``, ``seconds_since_dose``, ``sample`` (float32, as stored), produced in
  batches of chunks so that a long session never has to be held as one table.

``seconds_since_dose`` is kept as integer microseconds (exact, the same on every row of a chunk)
and turned into seconds by each writer: text with six decimals for CSV, float seconds for Parquet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sessionmon.export.record import SessionRecord
from sessionmon.export.stored import StoredMeasurements, StoredWaveform
from sessionmon.store.codec import to_us

#: Microseconds in a second.
_US = 1_000_000
#: Waveform chunks turned into one Arrow batch (2-second chunks: about 10 minutes of pleth).
CHUNKS_PER_BATCH = 300

UTC_US = pa.timestamp("us", tz="UTC")
#: The columns of the tidy numerics table, in order.
NUMERIC_NAMES = [
    "utc_time",
    "seconds_since_dose",
    "kind",
    "value",
    "unit",
    "source_device",
    "flags",
]


def _since_dose_us(times_us: np.ndarray, dose: datetime | None) -> pa.Array:
    """Microseconds from the dose for each time, or nulls when there was no dose."""
    if dose is None:
        return pa.nulls(len(times_us), pa.int64())
    return pa.array(times_us - to_us(dose), pa.int64())


def numerics_table(record: SessionRecord) -> pa.Table:
    """Return every numeric value of ``record`` as one tidy table, in receive-time order."""
    batches = list(numerics_batches(record))
    if not batches:
        return _measurements_table([], record.dose_at)
    return pa.Table.from_batches(batches).combine_chunks()


def numerics_batches(record: SessionRecord) -> Iterator[pa.RecordBatch]:
    """Yield the tidy numerics table of ``record`` a page at a time (nothing when it has none).

    A record read from the store gives its stored rows page by page (no measurement objects
    are built); a record held in memory (e.g. de-identified) gives its measurements in one batch.
    """
    dose = record.dose_at
    measurements = record.measurements
    if isinstance(measurements, StoredMeasurements):
        for rows in measurements.row_pages():
            yield _rows_batch(rows, dose)
            del rows  # not kept while the next page is read
    elif measurements:
        yield _measurements_table(measurements, dose).to_batches()[0]


def _measurements_table(measurements: Any, dose: datetime | None) -> pa.Table:
    received = np.fromiter(
        (to_us(m.received_at) for m in measurements), dtype=np.int64, count=len(measurements)
    )
    return pa.table(
        {
            "utc_time": pa.array(received, pa.int64()).cast(UTC_US),
            "seconds_since_dose": _since_dose_us(received, dose),
            "kind": pa.array([m.kind.value for m in measurements], pa.string()),
            "value": pa.array([float(m.value) for m in measurements], pa.float64()),
            "unit": pa.array([m.unit for m in measurements], pa.string()),
            "source_device": pa.array([m.source for m in measurements], pa.string()),
            "flags": pa.array([";".join(m.flags) for m in measurements], pa.string()),
        }
    )


def flags_text(stored: str | None) -> str:
    """The ``;``-separated flags of a stored numerics row (its flags are a JSON list or null)."""
    return ";".join(json.loads(stored)) if stored else ""


def _rows_batch(rows: list[tuple], dose: datetime | None) -> pa.RecordBatch:
    """One batch of the tidy numerics table from stored rows (see
    :func:`sessionmon.store.export_reads.measurement_pages`)."""
    kinds, values, units, received, _, sources, flags, _ = zip(*rows, strict=True)
    received_us = np.fromiter(received, dtype=np.int64, count=len(rows))
    return pa.RecordBatch.from_arrays(
        [
            pa.array(received_us, pa.int64()).cast(UTC_US),
            _since_dose_us(received_us, dose),
            pa.array(kinds, pa.string()),
            pa.array(values, pa.float64()),
            pa.array(units, pa.string()),
            pa.array(sources, pa.string()),
            pa.array(
                [flags_text(f) for f in flags] if any(flags) else [""] * len(rows), pa.string()
            ),
        ],
        names=NUMERIC_NAMES,
    )


def waveform_batches(
    record: SessionRecord, chunks_per_batch: int = CHUNKS_PER_BATCH, chunks: Any = None
) -> Iterator[pa.RecordBatch]:
    """Yield the pleth samples of ``record`` (or ``chunks``, e.g. its CO2 wave) as batches of
    ``chunks_per_batch`` non-empty chunks, each sample with its own time.

    Raises
    ------
    ValueError
        If the record was loaded without its waveform.
    """
    chunks = record.waveform if chunks is None else chunks
    if chunks is None:
        raise ValueError("the record was loaded without its waveform")
    dose = record.dose_at
    if isinstance(chunks, StoredWaveform):  # the stored rows: no Python float per sample
        rows = (row for page in chunks.row_pages() for row in page)
    else:
        rows = (
            (to_us(c.start), c.sample_rate_hz, np.asarray(c.samples, dtype="<f4").tobytes())
            for c in chunks
        )
    group: list = []
    for row in rows:
        if row[2]:
            group.append(row)
        if len(group) == chunks_per_batch:
            yield _batch(group, dose)
            group = []
    if group:
        yield _batch(group, dose)


def _batch(group: list[tuple[int, float, bytes]], dose: datetime | None) -> pa.RecordBatch:
    """One Arrow batch of the samples of consecutive chunks ``(start_us, rate, float32
    bytes)``, each sample with its own time: the chunk's start plus its index times the
    sample interval, rounded to the microsecond."""
    samples = np.frombuffer(b"".join(row[2] for row in group), dtype="<f4")
    counts = np.fromiter((len(row[2]) // 4 for row in group), dtype=np.int64, count=len(group))
    starts = np.fromiter((row[0] for row in group), dtype=np.int64, count=len(group))
    steps = np.fromiter((_US / row[1] for row in group), dtype=np.float64, count=len(group))
    first = np.repeat(np.cumsum(counts) - counts, counts)
    index = np.arange(len(samples), dtype=np.int64) - first
    times = np.repeat(starts, counts) + np.round(index * np.repeat(steps, counts)).astype(np.int64)
    return pa.RecordBatch.from_arrays(
        [
            pa.array(times, pa.int64()).cast(UTC_US),
            _since_dose_us(times, dose),
            pa.array(samples, pa.float32()),
        ],
        names=["utc_time", "seconds_since_dose", "sample"],
    )


def seconds_text(micros: pa.Array) -> pa.Array:
    """Format microseconds as seconds with exactly six decimals (``-233.000000``); nulls stay.

    Without nulls the microseconds are read as a decimal with six places (the same 128-bit
    integer) and Arrow prints that: the same text as the general path, in a third of the time.
    """
    if micros.null_count == 0:
        whole = micros.combine_chunks() if isinstance(micros, pa.ChunkedArray) else micros
        values = whole.to_numpy(zero_copy_only=False)
        words = np.empty((len(values), 2), dtype="<i8")
        words[:, 0] = values
        words[:, 1] = values >> 63  # the sign, extended to the high word
        decimals = pa.Array.from_buffers(
            pa.decimal128(38, 6), len(values), [None, pa.py_buffer(words)]
        )
        return pc.cast(decimals, pa.string())
    magnitude = pc.abs(micros)
    whole = pc.divide(magnitude, _US)
    fraction = pc.subtract(magnitude, pc.multiply(whole, _US))
    text = pc.binary_join_element_wise(
        pc.cast(whole, pa.string()), pc.utf8_lpad(pc.cast(fraction, pa.string()), 6, "0"), "."
    )
    signed = pc.binary_join_element_wise("-", text, "")
    return pc.if_else(pc.less(micros, 0), signed, text)


def seconds_float(micros: pa.Array) -> pa.Array:
    """Microseconds as float seconds (nulls stay)."""
    return pc.divide(pc.cast(micros, pa.float64()), float(_US))


def iso_text(times: pa.Array) -> pa.Array:
    """Format UTC timestamps as ISO 8601 with microseconds and ``Z``.

    Arrow's cast of a zone-less timestamp to text (``2026-01-05 09:05:00.000000``) is several
    times faster than ``strftime``; the space becomes ``T`` and ``Z`` is appended.
    """
    text = pc.cast(pc.cast(times, pa.timestamp("us")), pa.string())
    return pc.binary_join_element_wise(pc.utf8_replace_slice(text, 10, 11, "T"), "Z", "")
