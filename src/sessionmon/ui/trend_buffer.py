"""Fixed-size ring buffers for the session trends (no growth, however long the session)."""

from __future__ import annotations

import numpy as np


class TrendRing:
    """A fixed-capacity ring of ``(t_s, value)`` points, oldest dropped first.

    Parameters
    ----------
    capacity : int
        Points kept. One point per second for 10 hours is 36 000.
    """

    def __init__(self, capacity: int = 36_000) -> None:
        self._t = np.full(capacity, np.nan)
        self._v = np.full(capacity, np.nan)
        self._capacity = capacity
        self._next = 0
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @property
    def last_t(self) -> float | None:
        """Time of the newest point, or ``None`` when empty."""
        if self._count == 0:
            return None
        return float(self._t[(self._next - 1) % self._capacity])

    def append(self, t_s: float, value: float) -> None:
        """Add a point."""
        self._t[self._next] = t_s
        self._v[self._next] = value
        self._next = (self._next + 1) % self._capacity
        self._count = min(self._count + 1, self._capacity)

    def clear(self) -> None:
        """Forget every point."""
        self._next = 0
        self._count = 0

    def arrays(self, since_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(t, values)`` in time order, optionally only points at or after ``since_s``."""
        if self._count < self._capacity:
            t, v = self._t[: self._count], self._v[: self._count]
        else:
            t = np.concatenate((self._t[self._next :], self._t[: self._next]))
            v = np.concatenate((self._v[self._next :], self._v[: self._next]))
        if since_s is not None and len(t):
            start = int(np.searchsorted(t, since_s, side="left"))
            t, v = t[start:], v[start:]
        return t, v


class SessionTrends:
    """The trend series the console plots: HR, SpO2, NIBP systolic/diastolic/mean, RR, etCO2."""

    SERIES = ("hr", "spo2", "nibp_sys", "nibp_dia", "nibp_map", "resp_rate", "etco2")
    #: Series that arrive about once a second (the rest are episodic NIBP values).
    CONTINUOUS = ("hr", "spo2", "resp_rate", "etco2")

    def __init__(self, capacity: int = 36_000) -> None:
        self.series = {
            name: TrendRing(capacity if name in self.CONTINUOUS else 4_000) for name in self.SERIES
        }

    def add(self, name: str, t_s: float, value: float) -> None:
        """Append a point if it is newer than the last one of that series."""
        ring = self.series[name]
        last = ring.last_t
        if last is None or t_s > last:
            ring.append(t_s, value)

    def clear(self) -> None:
        """Forget every series (a new session)."""
        for ring in self.series.values():
            ring.clear()
