"""A live waveform drawn as bedside monitors draw it: in sweep mode, with an erase gap.

The trace stays where it was drawn; the write point moves left to right, a gap just ahead of
it erases the oldest trace, and at the right edge it wraps back to the left. Each frame only
the narrow strip between the old and the new write point (and the gap ahead of it) is
invalidated, so Qt repaints a few pixels' width instead of the whole waveform.

Samples are placed by their index in the stream (how many the source had received), so the
widget knows which samples are new: sample ``i`` sits in slot ``i mod slots``, one slot per
sample across the width.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

#: The erase gap ahead of the write point, as a share of the sweep (a few tenths of a second).
GAP_SHARE = 0.04
#: The gap is never narrower than this (device-independent pixels), so it is seen on a small tile.
MIN_GAP_PX = 8


class SweepWaveform(QWidget):
    """A waveform of ``seconds`` across the width, written in sweep mode.

    Parameters
    ----------
    colour : str
        The trace colour.
    background : str
        The colour behind the trace (the widget is opaque: Qt paints nothing beneath it).
    seconds : float
        Seconds of signal across the width (the sweep's length).
    line_width : float
        The trace width in device-independent pixels.
    parent : QWidget or None
        The Qt parent.
    """

    def __init__(
        self,
        colour: str,
        background: str,
        seconds: float,
        line_width: float = 2.0,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.seconds = float(seconds)
        self._pen = QPen(QColor(colour), line_width)
        self._pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        self._pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        self._background = QColor(background)
        # Every pixel is painted here: Qt need not repaint the tile beneath a strip first.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        #: Pixels added either side of a strip: the pen reaches past its points.
        self._pad = math.ceil(line_width) + 1
        self._range = (0.0, 1.0)
        self._rate = 0.0
        #: One value per slot (NaN: nothing drawn there); its length is the sweep in samples.
        self.trace = np.full(0, np.nan)
        #: How many samples of the stream were received when the trace was last written.
        self._received: int | None = None
        #: The samples last shown when the source gives no count (hand-made views).
        self._uncounted: np.ndarray | None = None
        #: The stream's count while the signal was last lost: samples up to it are never drawn
        #: (the window after a loss still holds the trace from before it).
        self._lost_at: int | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        """The size hint of the pyqtgraph view this widget replaced (Qt's graphics view
        default), so the console's layout is the same as before; the layout stretches it."""
        return QSize(600, 480)

    # -- what is on screen ----------------------------------------------------------------

    @property
    def slots(self) -> int:
        """Samples across the width (0 before the first sample)."""
        return int(self.trace.size)

    @property
    def gap_slots(self) -> int:
        """Slots erased ahead of the write point (at least :data:`MIN_GAP_PX` wide)."""
        if not self.slots:
            return 0
        narrowest = math.ceil(MIN_GAP_PX * self.slots / max(1, self.width()))
        return min(self.slots // 4, max(1, round(GAP_SHARE * self.slots), narrowest))

    @property
    def write_slot(self) -> int | None:
        """The slot of the newest sample drawn (None: nothing drawn)."""
        if self._received is None or not self.slots:
            return None
        return (self._received - 1) % self.slots

    @property
    def has_trace(self) -> bool:
        """Whether any trace is drawn."""
        return bool(self.slots) and bool(np.isfinite(self.trace).any())

    @property
    def value_range(self) -> tuple[float, float]:
        """The values at the bottom and at the top edge."""
        return self._range

    def x_of_slot(self, slot: float) -> float:
        """The x coordinate (device-independent pixels) of ``slot``."""
        return slot * self.width() / self.slots if self.slots else 0.0

    # -- input ----------------------------------------------------------------------------

    def set_range(self, bottom: float, top: float) -> None:
        """Show values from ``bottom`` to ``top``; a new range redraws the whole trace."""
        if top <= bottom:
            top = bottom + 1e-6
        if (bottom, top) != self._range:
            self._range = (bottom, top)
            self.update()

    def clear(self) -> None:
        """Erase the whole trace (the signal is lost: never a frozen waveform)."""
        had = self.has_trace
        self.trace[:] = np.nan
        self._received = None
        self._uncounted = None
        if had:
            self.update()

    def show_samples(self, samples: np.ndarray, received: int, rate_hz: float) -> None:
        """Draw what is new in ``samples``.

        Parameters
        ----------
        samples : numpy.ndarray
            The newest samples of the stream, oldest first (a window of the recent seconds).
        received : int
            How many samples the stream has delivered so far, the last of ``samples``
            included; 0 when the source does not count (then a changed window is drawn whole).
            After the signal was lost (no samples), only what arrived since is drawn.
        rate_hz : float
            The sample rate; a new rate starts a new sweep.
        """
        count = len(samples)
        if not count or rate_hz <= 0:
            self.clear()
            if received > 0:
                self._lost_at = received
            return
        if rate_hz != self._rate:
            self._start_sweep(rate_hz)
        if received <= 0:
            # No count: a window that changed is drawn whole from the left.
            if self._uncounted is not None and np.array_equal(samples, self._uncounted):
                return
            self._uncounted = samples.copy()
            self.trace[:] = np.nan
            self._received = None
            received = count
        previous = self._received
        if previous is not None and received == previous:
            return  # nothing new
        if previous is None or received < previous or received - previous >= self.slots:
            # A new sweep (first samples, another stream, or more than a sweep since the
            # last frame): nothing of the old trace is still in the window.
            self.trace[:] = np.nan
            new = min(count, self.slots)
            lost_at, self._lost_at = self._lost_at, None
            if lost_at is not None and previous is None and received >= lost_at:
                new = min(new, received - lost_at)  # nothing from before the loss
                if new == 0:
                    self._lost_at = lost_at  # still nothing new since the loss
                    return
            self.update()
            previous = None
        else:
            new = min(received - previous, count)
            # samples the window no longer holds (a long stall): their slots are erased
            self.trace[np.arange(previous, received - new) % self.slots] = np.nan
        first = received - new
        self.trace[np.arange(first, received) % self.slots] = samples[count - new :]
        gap = self.gap_slots
        self.trace[np.arange(received, received + gap) % self.slots] = np.nan
        if previous is not None:
            self._invalidate(previous - 1, received + gap)
        self._received = received

    def _start_sweep(self, rate_hz: float) -> None:
        """A new sample rate: a new, empty sweep of :attr:`seconds` at that rate."""
        self._rate = float(rate_hz)
        self.trace = np.full(max(2, round(self.seconds * rate_hz)), np.nan)
        self._received = None
        self.update()

    def _invalidate(self, first: int, last: int) -> None:
        """Ask Qt to repaint the strip from slot index ``first`` to ``last`` (stream indices,
        wrapping at the right edge)."""
        slots = self.slots
        if last - first + 1 >= slots:
            self.update()
            return
        start, end = first % slots, last % slots
        spans = [(start, end)] if start <= end else [(start, slots), (0, end)]
        for low, high in spans:
            left = math.floor(self.x_of_slot(low)) - self._pad
            right = math.ceil(self.x_of_slot(high)) + self._pad
            rect = QRect(left, 0, right - left + 1, self.height()).intersected(self.rect())
            if not rect.isEmpty():
                self.update(rect)

    # -- painting -------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        """Draw the part of the trace in each invalidated rectangle, nothing else."""
        painter = QPainter(self)
        for rect in event.region():
            painter.fillRect(rect, self._background)
        if not self.slots or self.width() <= 0:
            painter.end()
            return
        painter.setPen(self._pen)
        step = self.width() / self.slots
        bottom, top = self._range
        scale = self.height() / (top - bottom)
        for rect in event.region():
            low = max(0, math.floor((rect.left() - self._pad) / step) - 1)
            high = min(self.slots - 1, math.ceil((rect.right() + self._pad) / step) + 1)
            if high <= low:
                continue
            values = self.trace[low : high + 1]
            drawn = np.isfinite(values)
            if not drawn.any():
                continue
            painter.setClipRect(rect)
            ys = (top - values) * scale
            for first, last in _runs(drawn):
                if last > first:  # a lone sample between gaps has no line to draw
                    xs = np.arange(low + first, low + last + 1, dtype=float) * step
                    painter.drawPolyline(_polygon(xs, ys[first : last + 1]))
        painter.end()


def _runs(drawn: np.ndarray) -> list[tuple[int, int]]:
    """The ``(first, last)`` indices of each run of True in ``drawn``."""
    if drawn.all():
        return [(0, len(drawn) - 1)]
    edges = np.flatnonzero(np.diff(np.concatenate(([False], drawn, [False])).astype(np.int8)))
    return list(zip(edges[::2].tolist(), (edges[1::2] - 1).tolist(), strict=True))


def _polygon(xs: np.ndarray, ys: np.ndarray) -> QPolygonF:
    """A polygon of the points ``(xs, ys)``, filled through numpy (no Python loop)."""
    polygon = pg.functions.create_qpolygonf(len(xs))
    points = pg.functions.ndarray_from_qpolygonf(polygon)
    points[:, 0] = xs
    points[:, 1] = ys
    return polygon
