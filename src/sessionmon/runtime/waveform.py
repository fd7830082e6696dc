"""Waveform samples in (pleth, CO2): the live waveform ring and the stored chunks out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sessionmon.devices.source import WaveformBlock
from sessionmon.model import Kind, WaveformChunk
from sessionmon.runtime.pleth import PlethRing
from sessionmon.store import StoreError

#: A chunk is handed to the store once it holds this many seconds of samples (or its first sample
#: is this old). The store commits a chunk once its first sample is a second old (0.5 s with the
#: console's background flush), so a crash loses at most about a second of pleth (issue 10).
CHUNK_SECONDS = 0.5

#: A block arriving further than this from where the chunk expects it starts a new chunk.
GAP_TOLERANCE_S = 1.0


@dataclass
class _ChunkBuilder:
    """Pleth samples waiting to become one stored :class:`WaveformChunk`."""

    start: datetime
    rate: float
    source: str
    samples: list[float]

    def expected_next(self) -> datetime:
        return self.start + timedelta(seconds=len(self.samples) / self.rate)


class WaveformRecorder:
    """Keeps the recent pleth for display and hands half-second chunks to the store.

    Parameters
    ----------
    store : SessionStore
        Receives the chunks (``append_waveform``).
    session_id : uuid.UUID
        Written into every chunk.
    capacity : int
        Samples kept for the live waveform.
    kind : Kind
        The waveform recorded: pleth (default) or CO2 (the capnogram).
    """

    def __init__(self, store: Any, session_id: Any, capacity: int, kind: Kind = Kind.PLETH) -> None:
        self._store = store
        self._sid = session_id
        self._kind = kind
        self.ring = PlethRing(capacity)
        self._chunk: _ChunkBuilder | None = None
        #: The last error the store reported while taking a chunk (the store keeps the chunk
        #: buffered and retries); the owner reads and resets it.
        self.store_error: StoreError | None = None

    def add(self, block: WaveformBlock, at: datetime, device_id: str) -> None:
        """Take one block of samples received at ``at`` from ``device_id``."""
        self.ring.extend(block.samples, block.sample_rate_hz, at)
        chunk = self._chunk
        if chunk is not None and (
            chunk.rate != block.sample_rate_hz
            or chunk.source != device_id
            or abs((at - chunk.expected_next()).total_seconds()) > GAP_TOLERANCE_S
        ):
            self.flush()
            chunk = None
        if chunk is None:
            self._chunk = _ChunkBuilder(at, block.sample_rate_hz, device_id, list(block.samples))
        else:
            chunk.samples.extend(block.samples)
            if len(chunk.samples) >= chunk.rate * CHUNK_SECONDS:
                self.flush()

    def flush(self) -> None:
        """Hand the samples gathered so far to the store as one chunk.

        A failed commit does not raise: it is kept in :attr:`store_error`, so the samples that
        follow in the same poll are still taken.
        """
        chunk, self._chunk = self._chunk, None
        if chunk is None or not chunk.samples:
            return
        stored = WaveformChunk.model_construct(
            session_id=self._sid,
            kind=self._kind,
            start=chunk.start,
            sample_rate_hz=chunk.rate,
            samples=tuple(chunk.samples),
            source=chunk.source,
        )
        try:
            self._store.append_waveform(stored)
        except StoreError as exc:
            self.store_error = exc

    def flush_if_old(self, now: datetime) -> None:
        """Flush a chunk that started more than :data:`CHUNK_SECONDS` before ``now``."""
        if self._chunk is not None and (now - self._chunk.start).total_seconds() > CHUNK_SECONDS:
            self.flush()
