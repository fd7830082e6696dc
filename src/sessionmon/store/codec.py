"""Conversions between the record models and database rows.

Times are stored as integer microseconds since the Unix epoch (UTC); waveform samples as
little-endian float32 arrays. Rows read back are trusted (the store wrote them), so measurements
and waveform chunks are rebuilt without validation to load long sessions quickly.
"""

from __future__ import annotations

import json
import sys
import uuid
from array import array
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sessionmon.model import Kind, Measurement, WaveformChunk

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
#: numpy's name of the stored sample type (little-endian float32); numpy is imported only where a
#: chunk is written, so that reading a record (an export from the command line) does not load it.
_SAMPLE_DTYPE = "<f4"
_BIG_ENDIAN = sys.byteorder == "big"

T = TypeVar("T")
#: Each kind by its stored value.
KINDS = {kind.value: kind for kind in Kind}
_KINDS = KINDS

MeasurementRow = tuple[str, str, float, str, int, int | None, str, str | None]
ChunkRow = tuple[str, str, int, int, float, int, bytes, str]


def to_us(moment: datetime) -> int:
    """Return microseconds since the epoch for an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return (moment - EPOCH) // _ONE_US


def from_us(micros: int) -> datetime:
    """Return the aware UTC datetime for microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=micros)


def opt_us(moment: datetime | None) -> int | None:
    """Like :func:`to_us`, passing ``None`` through."""
    return None if moment is None else to_us(moment)


def measurement_row(m: Measurement) -> MeasurementRow:
    """Return the ``measurements`` row (without id) for a measurement."""
    return (
        str(m.session_id),
        Kind(m.kind).value,
        float(m.value),
        m.unit,
        to_us(m.received_at),
        opt_us(m.device_time),
        m.source,
        json.dumps(list(m.flags)) if m.flags else None,
    )


def chunk_row(chunk: WaveformChunk) -> ChunkRow:
    """Return the ``waveform_chunks`` row (without id) for a chunk of samples."""
    import numpy as np

    samples = np.asarray(chunk.samples, dtype=_SAMPLE_DTYPE)
    start_us = to_us(chunk.start)
    end_us = start_us + round(len(samples) / chunk.sample_rate_hz * 1e6)
    return (
        str(chunk.session_id),
        Kind(chunk.kind).value,
        start_us,
        end_us,
        float(chunk.sample_rate_hz),
        len(samples),
        samples.tobytes(),
        chunk.source,
    )


def samples_of(blob: bytes) -> tuple[float, ...]:
    """The samples of a stored chunk (little-endian float32) as Python floats."""
    values = array("f")
    values.frombytes(blob)
    if _BIG_ENDIAN:
        values.byteswap()
    return tuple(values.tolist())


_FIELDS_SET: dict[type, set[str]] = {}


def _trusted(cls: type[T], fields: dict[str, Any]) -> T:
    """Build a model from values the store itself wrote, skipping validation.

    Equivalent to ``cls.model_construct(**fields)`` with every field given, but several times
    faster, which matters when loading hours of samples. The models are frozen, so instances of
    one class can share their (never mutated) set of field names.
    """
    fields_set = _FIELDS_SET.get(cls)
    if fields_set is None:
        fields_set = _FIELDS_SET[cls] = set(cls.model_fields)
    instance = cls.__new__(cls)
    setattr_ = object.__setattr__
    setattr_(instance, "__dict__", fields)
    setattr_(instance, "__pydantic_fields_set__", fields_set)
    setattr_(instance, "__pydantic_extra__", None)
    setattr_(instance, "__pydantic_private__", None)
    return instance


class RowDecoder:
    """Rebuilds measurements and waveform chunks from rows, caching repeated ids and kinds."""

    def __init__(self) -> None:
        self._ids: dict[str, uuid.UUID] = {}

    def _id(self, text: str) -> uuid.UUID:
        found = self._ids.get(text)
        if found is None:
            found = self._ids[text] = uuid.UUID(text)
        return found

    def measurement(self, row: tuple) -> Measurement:
        """Rebuild a measurement from ``session_id, kind, value, unit, received_us, device_us,
        source, flags``."""
        session_id, kind, value, unit, received_us, device_us, source, flags = row
        return _trusted(
            Measurement,
            {
                "session_id": self._id(session_id),
                "kind": _KINDS[kind],
                "value": value,
                "unit": unit,
                "received_at": from_us(received_us),
                "device_time": None if device_us is None else from_us(device_us),
                "source": source,
                "flags": tuple(json.loads(flags)) if flags else (),
            },
        )

    def chunk(self, row: tuple) -> WaveformChunk:
        """Rebuild a chunk from ``session_id, kind, start_us, sample_rate_hz, samples, source``."""
        session_id, kind, start_us, rate, blob, source = row
        return _trusted(
            WaveformChunk,
            {
                "session_id": self._id(session_id),
                "kind": _KINDS[kind],
                "start": from_us(start_us),
                "sample_rate_hz": rate,
                "samples": samples_of(blob),
                "source": source,
            },
        )
