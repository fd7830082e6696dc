"""Frames arriving faster than the device can send them are not data: count them, drop them.

A device sends its frames at a fixed rate (60 a second for a CMS50, one a second for a Nonin #8
or an ASCII line). A stream far faster than that (a capture replayed at full speed, another
device on the port, a driver loop) must not become 100 rows a second or a waveform whose time
is stretched 100 times. Buffering (a USB adapter, a reader thread held up for a moment) can only
make frames arrive late and then in a burst, never early on average, so a token bucket with a
burst allowance tells the two apart:

- tokens refill at ``factor`` x the nominal rate, up to ``burst_s`` seconds of frames;
- a frame that finds no token means the stream runs too fast: from then on every frame is
  dropped until no frame has found the bucket empty for ``clear_after_s`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Allowed rate as a multiple of the nominal one (clock drift and jitter are far smaller).
RATE_FACTOR = 2.0
#: Seconds of frames a burst may carry (a reader held up this long loses nothing).
BURST_S = 3.0
#: Fewest frames a burst may carry (once-a-second devices).
MIN_BURST_FRAMES = 4.0
#: Seconds within the allowed rate before a too-fast stream counts as normal again.
CLEAR_AFTER_S = 2.0


@dataclass
class FrameRateGuard:
    """Admits frames at up to ``factor`` x ``nominal_hz`` (see the module docstring).

    Parameters
    ----------
    nominal_hz : float
        Frames a second the device sends.
    factor, burst_s, clear_after_s : float
        See :data:`RATE_FACTOR`, :data:`BURST_S`, :data:`CLEAR_AFTER_S`.
    """

    nominal_hz: float
    factor: float = RATE_FACTOR
    burst_s: float = BURST_S
    clear_after_s: float = CLEAR_AFTER_S

    def __post_init__(self) -> None:
        self.capacity = max(MIN_BURST_FRAMES, self.nominal_hz * self.burst_s)
        self.rate = self.nominal_hz * self.factor
        self._tokens = self.capacity
        self._last: float | None = None
        self._over_at: float | None = None
        self.too_fast = False
        self.dropped = 0

    def reset(self) -> None:
        """A new connection: a full bucket, nothing too fast."""
        self.__post_init__()

    def admit(self, now: float) -> bool:
        """Take one frame that arrived at ``now`` (monotonic s); whether it may be used."""
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
        else:
            self._over_at = now
            self.too_fast = True
        if self.too_fast:
            self.dropped += 1
            return False
        return True

    def check(self, now: float) -> bool:
        """Update the too-fast state at ``now``; return it."""
        if (
            self.too_fast
            and self._over_at is not None
            and now - self._over_at >= self.clear_after_s
        ):
            self.too_fast = False
        return self.too_fast

    def clear_due(self) -> float | None:
        """When :meth:`check` will end the too-fast state if no frame is dropped before
        (monotonic s), or ``None`` while the stream is not too fast."""
        if self.too_fast and self._over_at is not None:
            return self._over_at + self.clear_after_s
        return None

    def describe(self, protocol: str) -> str:
        """One line for the alarm detail (true whenever the guard has tripped)."""
        return (
            f"frames arrive faster than a {protocol} sends them (over {self.factor:g}x its "
            f"{self.nominal_hz:g}/s, {self.dropped} dropped, none recorded): "
            "check the driver and baud"
        )

    def _refill(self, now: float) -> None:
        if self._last is not None and now > self._last:
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now if self._last is None else max(self._last, now)
