"""Vectorised decoding of a stream in step: the fast path of the fixed-length frame parsers.

When the next frame is expected where a parser stands and the framing is trusted, the frames
ahead are at every ``length`` bytes. Checking them all at once with numpy, and decoding the run
of good ones together, gives what the frame-by-frame search would give there; the first frame
that is not good ends the run and goes through the parser's careful search as before, so
resync, checksum counting and the resync guard are unchanged. Runs are bounded
(:data:`RUN_MAX` frames) so the work stays linear when good and bad frames alternate.

Each parser that uses these helpers has a reference test (``tests/test_protocol_fast_paths.py``)
that runs the plain frame-by-frame decoding beside it on arbitrary bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sessionmon.devices.protocols.value_gates import RowGate

#: Frames looked at in one vectorised pass.
RUN_MAX = 1024


def good_run(
    buf: bytearray, pos: int, length: int, good: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray | None:
    """The run of good frames of ``length`` bytes from ``pos`` on, as a (count, length) view.

    The frames are looked at in windows that grow fourfold while every frame is good (64,
    256, up to :data:`RUN_MAX` frames), so a short run costs a short check.

    Parameters
    ----------
    buf : bytearray
        The parser's buffer.
    pos : int
        Where the run starts (where the next frame is expected).
    length : int
        Frame length in bytes.
    good : callable
        ``good(frames)`` says, for a (k, length) uint8 array of frames, which are good
        (a boolean array of k).

    Returns
    -------
    numpy.ndarray or None
        The good frames (a view of ``buf``: use it before the buffer changes), or ``None``
        when fewer than two frames are good (the plain path is as quick).
    """
    total = min((len(buf) - pos) // length, RUN_MAX)
    if total < 2:
        return None
    frames = np.frombuffer(buf, np.uint8, total * length, pos).reshape(total, length)
    count, window = 0, 64
    while count < total:
        checked = good(frames[count : count + window])
        run = leading(checked)
        count += run
        if run < len(checked):
            break
        window *= 4
    return frames[:count] if count >= 2 else None


def leading(good: np.ndarray) -> int:
    """How many leading entries of the boolean array ``good`` are true."""
    return len(good) if good.all() else int(good.argmin())


class LazyTable:
    """A lookup table by small integer key whose entries are made on first use.

    Parameters
    ----------
    size : int
        Number of keys (``0..size-1``).
    make : callable
        ``make(key)`` returns the entry of ``key``.
    """

    def __init__(self, size: int, make: Callable[[int], Any]) -> None:
        self._values = np.empty(size, dtype=object)
        self._made = np.zeros(size, dtype=bool)
        self._make = make

    def take(self, keys: np.ndarray) -> list[Any]:
        """Return the entries of ``keys`` (an integer array), in order."""
        made = self._made
        if not made[keys].all():
            for key in np.unique(keys[~made[keys]]).tolist():
                self._values[key] = self._make(key)
                made[key] = True
        return self._values[keys].tolist()


def gate_events(
    gate: RowGate, codes: np.ndarray, row_of: Callable[[int], tuple[object, ...]]
) -> list[tuple[int, tuple[int, ...]]]:
    """Run ``gate`` over a run of rows; return ``(index, passing positions)`` where any pass.

    The same as calling ``gate.passing(row_of(i))`` for every index in turn, but a stretch of
    equal rows costs one call where the gate is due, not one per row.

    Parameters
    ----------
    gate : RowGate
        The parser's gate; its state moves on as if every row had been passed to it.
    codes : numpy.ndarray
        One integer per row, equal exactly when the rows are equal.
    row_of : callable
        ``row_of(i)`` returns row ``i`` as the gate compares it.

    Returns
    -------
    list of (int, tuple of int)
        The rows where any value passes, with the positions that pass, in order.
    """
    count = len(codes)
    if count == 0:
        return []
    if gate.every == 1:
        every = gate.passing(())  # the whole row, without state
        return [(i, every) for i in range(count)]
    starts = [0, *(np.flatnonzero(codes[1:] != codes[:-1]) + 1).tolist(), count]
    events: list[tuple[int, tuple[int, ...]]] = []
    n0 = gate.frames_seen
    passing = gate.passing
    for j in range(len(starts) - 1):
        i, end = starts[j], starts[j + 1]
        row = row_of(i)
        while True:
            gate.frames_seen = n0 + i
            due = passing(row)
            if due:
                events.append((i, due))
            i = max(i + 1, gate.due_at - n0)  # rows until then repeat it with nothing due
            if i >= end:
                break
    gate.frames_seen = n0 + count
    return events
