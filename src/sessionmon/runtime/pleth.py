"""A fixed-size ring buffer of the most recent pleth samples, for the live waveform."""

from __future__ import annotations

from datetime import datetime

import numpy as np


class PlethRing:
    """The last ``capacity`` waveform samples, oldest first on read.

    Parameters
    ----------
    capacity : int
        How many samples are kept (e.g. 8 s at 75 Hz = 600).
    """

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 1:
            raise ValueError("a pleth ring needs room for at least one sample")
        self._buffer = np.zeros(capacity, dtype=np.float32)
        self._write = 0
        self._count = 0
        #: Samples appended since the ring was made (never reset): tells a reader which are new.
        self.received = 0
        self.sample_rate_hz = 0.0
        self.last_at: datetime | None = None

    @property
    def capacity(self) -> int:
        """How many samples fit."""
        return int(self._buffer.size)

    def __len__(self) -> int:
        return self._count

    def extend(self, samples: tuple[float, ...] | np.ndarray, rate_hz: float, at: datetime) -> None:
        """Append samples received at ``at`` with the given sample rate."""
        data = np.asarray(samples, dtype=np.float32)
        if data.size == 0:
            return
        if rate_hz != self.sample_rate_hz:
            # A different rate makes the old samples meaningless on the same time axis.
            self.clear()
            self.sample_rate_hz = float(rate_hz)
        self.received += int(data.size)
        cap = self._buffer.size
        if data.size >= cap:
            self._buffer[:] = data[-cap:]
            self._write = 0
            self._count = cap
        else:
            end = self._write + data.size
            if end <= cap:
                self._buffer[self._write : end] = data
            else:
                first = cap - self._write
                self._buffer[self._write :] = data[:first]
                self._buffer[: data.size - first] = data[first:]
            self._write = end % cap
            self._count = min(cap, self._count + data.size)
        self.last_at = at

    def clear(self) -> None:
        """Forget every sample."""
        self._write = 0
        self._count = 0
        self.last_at = None

    def samples(self) -> np.ndarray:
        """Return a copy of the kept samples, oldest first."""
        if self._count < self._buffer.size:
            return self._buffer[self._write - self._count : self._write].copy()
        return np.concatenate((self._buffer[self._write :], self._buffer[: self._write]))
