"""Injected time sources.

Nothing in the core reads the wall clock directly: every component that needs time takes a
:class:`Clock`. The application passes :class:`SystemClock`; tests and the simulator pass a
:class:`ManualClock` (or a :class:`ScaledClock` for training at 1x-60x) so a two-hour session runs
in well under a second and a scenario always gives the same record.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """A source of time for the core."""

    def now(self) -> datetime:
        """Return the current time as a timezone-aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Return seconds from an arbitrary origin that never go backwards."""
        ...


class SystemClock:
    """The real wall clock (UTC) and the process's monotonic clock."""

    def now(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Return :func:`time.monotonic`."""
        return time.monotonic()


class ManualClock:
    """A clock that moves only when told to.

    Parameters
    ----------
    start : datetime, optional
        The initial UTC time. Defaults to 2026-01-05 09:00 UTC, so records made in tests are
        reproducible.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._start = start.astimezone(UTC)
        self._elapsed = 0.0

    def now(self) -> datetime:
        """Return the start time plus the elapsed simulated seconds."""
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        """Return the elapsed simulated seconds."""
        return self._elapsed

    def advance(self, seconds: float) -> None:
        """Move the clock forward.

        Parameters
        ----------
        seconds : float
            How far to move; must not be negative.
        """
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (asked to advance {seconds} s)")
        self._elapsed += seconds


class ScaledClock:
    """A clock that runs at a multiple of real time, for training at 1x-60x, and can pause.

    Parameters
    ----------
    base : Clock
        The underlying real clock.
    speed : float
        Simulated seconds per real second.
    start : datetime, optional
        The simulated time at creation; defaults to ``base.now()``.
    """

    def __init__(self, base: Clock, speed: float = 1.0, start: datetime | None = None) -> None:
        self._base = base
        self._speed = float(speed)
        self._paused = False
        self._anchor_real = base.monotonic()
        self._anchor_sim = 0.0
        self._start = (start or base.now()).astimezone(UTC)

    def _sim_elapsed(self) -> float:
        if self._paused:
            return self._anchor_sim
        return self._anchor_sim + (self._base.monotonic() - self._anchor_real) * self._speed

    def now(self) -> datetime:
        """Return the simulated UTC time."""
        return self._start + timedelta(seconds=self._sim_elapsed())

    def monotonic(self) -> float:
        """Return the simulated elapsed seconds."""
        return self._sim_elapsed()

    @property
    def speed(self) -> float:
        """Simulated seconds per real second."""
        return self._speed

    @property
    def paused(self) -> bool:
        """Whether simulated time is stopped."""
        return self._paused

    def set_speed(self, speed: float) -> None:
        """Change the speed from now on, without a jump in simulated time."""
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        self._anchor_sim = self._sim_elapsed()
        self._anchor_real = self._base.monotonic()
        self._speed = float(speed)

    def pause(self) -> None:
        """Stop simulated time."""
        self._anchor_sim = self._sim_elapsed()
        self._paused = True

    def resume(self) -> None:
        """Restart simulated time from where it stopped."""
        self._anchor_real = self._base.monotonic()
        self._paused = False
