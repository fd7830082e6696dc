"""Value filters: numerics repeated in every frame of a fast stream are thinned out.

:class:`ValueGate` judges one value at a time, :class:`RowGate` the row of values a frame
repeats (HR, SpO2, PI); the rule is the same. Both live here, apart from the parsers' buffering
(:mod:`.base`, which re-exports them), so the vectorised runs (:mod:`.fast_runs`) can use them.
"""

from __future__ import annotations

from sessionmon.model import Kind


class ValueGate:
    """Thins out numerics repeated in every frame of a fast stream.

    A value is let through when it differs from the last one of its kind or when ``every``
    updates have passed since the last one let through; so a 60 frames/s stream gives about one
    HR and SpO2 a second plus every change, and output never depends on how bytes were split.

    Parameters
    ----------
    every : int
        Let an unchanged value through once every ``every`` updates (1 = always).
    """

    def __init__(self, every: int) -> None:
        self.every = max(1, every)
        self._last: dict[Kind, tuple[object, int]] = {}

    def reset(self) -> None:
        """Forget every last value: the next update of each kind passes."""
        self._last.clear()

    def passes(self, kind: Kind, value: object) -> bool:
        """Return whether this update of ``kind`` (``value`` may be ``None``) is emitted."""
        last = self._last.get(kind)
        if last is None or last[0] != value or last[1] + 1 >= self.every:
            self._last[kind] = (value, 0)
            return True
        self._last[kind] = (value, last[1] + 1)
        return False


class RowGate:
    """A :class:`ValueGate` for kinds that every frame updates together (HR, SpO2, PI...).

    The rule is the same, kind by kind: a value passes when it differs from the last one of its
    kind or when ``every`` updates have passed since its last one passed. Seeing the row at once
    lets a frame that repeats the previous one with nothing due cost one comparison.

    Parameters
    ----------
    every : int
        Let an unchanged value through once every ``every`` updates (1 = always).
    width : int
        How many values a row has.

    Attributes
    ----------
    frames_seen : int
        Rows seen since the last reset.
    due_at : int
        The row number at which an unchanged value is next due (:func:`.fast_runs.gate_events`
        skips the equal rows before it).
    """

    def __init__(self, every: int, width: int) -> None:
        self.every = max(1, every)
        self._width = width
        self._all = tuple(range(width))
        self.reset()

    def reset(self) -> None:
        """Forget every last value: the next row passes whole."""
        self.frames_seen = 0
        self._last: tuple[object, ...] | None = None
        self._passed: list[int | None] = [None] * self._width
        self.due_at = 0

    def passing(self, row: tuple[object, ...]) -> tuple[int, ...]:
        """Return the positions in ``row`` whose values pass this update (often none)."""
        if self.every == 1:
            return self._all
        n = self.frames_seen
        self.frames_seen = n + 1
        last = self._last
        if n < self.due_at and row == last:
            return ()
        passed = self._passed
        every = self.every
        out = []
        for i, value in enumerate(row):
            at = passed[i]
            if at is None or last is None or last[i] != value or n - at >= every:
                passed[i] = n
                out.append(i)
        self._last = row
        self.due_at = min(passed) + every  # type: ignore[type-var]
        return tuple(out)
