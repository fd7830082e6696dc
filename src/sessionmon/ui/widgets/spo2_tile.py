"""The SpO2 tile: saturation numeric, live pleth waveform and a signal-quality bar."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

from sessionmon.ui import theme
from sessionmon.ui.viewmodel import Spo2View
from sessionmon.ui.widgets.bounded_curve import BoundedCurve
from sessionmon.ui.widgets.numeric_tile import NumericTile

#: Seconds of pleth shown (like a bedside monitor: a few beats, not a wall of spikes).
PLETH_SECONDS = 6.0
#: The SpO2 numeric may take at most this share of the tile width; the pleth takes the rest.
VALUE_WIDTH_SHARE = 0.45
#: Room left above and below the pleth trace, as a share of the range it spans.
PLETH_MARGIN = 0.08
#: The pleth's vertical range is set again only when the trace leaves it or spans less than
#: this share of it (a weaker signal); between such changes it stays fixed, never auto-ranged.
PLETH_SHRINK_BELOW = 0.5


def pleth_range(
    low: float, high: float, shown: tuple[float, float] | None
) -> tuple[float, float] | None:
    """The pleth's new vertical range for a trace from ``low`` to ``high``; None: keep ``shown``.

    Parameters
    ----------
    low, high : float
        The smallest and largest sample drawn now.
    shown : tuple of float or None
        The range in force (None: none yet).

    Returns
    -------
    tuple of float or None
        ``(bottom, top)`` with a margin round the trace, or None while the trace still fits
        ``shown`` and fills at least :data:`PLETH_SHRINK_BELOW` of it.
    """
    span = max(high - low, 1e-6)
    if shown is not None:
        bottom, top = shown
        if bottom <= low and high <= top and span >= PLETH_SHRINK_BELOW * (top - bottom):
            return None
    margin = span * PLETH_MARGIN
    return (low - margin, high + margin)


class Spo2Tile(NumericTile):
    """Shows a :class:`Spo2View`; the pleth is redrawn from the frame timer only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            theme.SPO2_COLOUR,
            theme.NUMERIC_PX,
            parent,
            template="100",
            value_width=lambda: self.width() * VALUE_WIDTH_SHARE,
        )
        self.plot = pg.PlotWidget(background=None)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.plot.setMinimumHeight(70)
        self.plot.setMinimumWidth(120)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # A bare curve item: PlotDataItem's dataset bookkeeping cost ~1 ms a frame for nothing.
        self.curve = BoundedCurve(pen=pg.mkPen(theme.SPO2_COLOUR, width=2), skipFiniteCheck=True)
        self.plot.addItem(self.curve)
        # Fixed ranges: no auto-range (data bounds) on every paint, no axis label re-layout.
        self.plot.enableAutoRange(x=False, y=False)
        for name in ("left", "bottom"):
            self.plot.getAxis(name).enableAutoSIPrefix(False)
        self._x_span = 0.0
        self._y_range: tuple[float, float] | None = None
        self._has_trace = False
        self.quality = QProgressBar()
        self.quality.setRange(0, 100)
        self.quality.setTextVisible(False)
        self.quality.setFixedHeight(14)
        self.quality_label = QLabel("no signal")
        self.pi_label = QLabel("PI --")
        self.signal_label = QLabel("Signal")
        # Put numeric and waveform side by side.
        layout = self.layout()
        layout.removeWidget(self.value)
        #: Stands in for the pleth when there is no live signal (never a frozen waveform).
        self.no_signal = QLabel("no signal")
        self.no_signal.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_signal.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.no_signal.setMinimumWidth(110)
        self.no_signal.setVisible(False)
        row = QHBoxLayout()
        row.addWidget(self.plot, 1)  # the pleth fills what the numeric leaves
        row.addWidget(self.no_signal, 1)
        row.addWidget(self.value, 0)
        self.value.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        layout.insertLayout(1, row, 1)
        bottom = QHBoxLayout()
        bottom.setSpacing(8)  # the tile's layout has none: the bar would touch its words
        bottom.addWidget(self.signal_label)
        bottom.addWidget(self.quality, 1)
        bottom.addWidget(self.quality_label)
        bottom.addSpacing(16)
        bottom.addWidget(self.pi_label)
        self.extra.addLayout(bottom)
        self._x = np.zeros(0)
        #: What is on screen: the numeric and signal line's inputs, the pleth drawn and its rate.
        self._shown_key: tuple | None = None
        self._drawn: np.ndarray | None = None
        self._drawn_rate = 0.0
        self.apply_text_colour(theme.SPO2_COLOUR)

    def _value_size_changed(self, px: int) -> None:
        """The numeric asks for the width of "100" at its size; the pleth gets the rest."""
        from PySide6.QtGui import QFont, QFontMetrics

        font = QFont(self.value.font())
        font.setPixelSize(px)
        font.setBold(True)
        self.value.hint_width = QFontMetrics(font).horizontalAdvance("100") + 12
        self.value.updateGeometry()
        super()._value_size_changed(px)

    def resizeEvent(self, event) -> None:
        """A wider or narrower tile changes the room the numeric may take."""
        super().resizeEvent(event)
        self.value.refit()

    def apply_text_colour(self, text: str) -> None:
        """Signal and PI labels take the tile's text colour (readable on an alarm fill)."""
        for name in ("quality_label", "pi_label", "signal_label"):
            label = getattr(self, name, None)
            if label is not None:
                label.setStyleSheet(f"color: {text}; font-size: {theme.BODY_PX}px;")
        no_signal = getattr(self, "no_signal", None)
        if no_signal is not None:
            no_signal.setStyleSheet(
                f"color: {text}; font-size: {theme.LABEL_PX}px; font-weight: bold;"
                f" border: 2px dashed {text}; border-radius: 6px;"
            )

    def set_spo2(self, view: Spo2View, lit: bool = True) -> None:
        """Show ``view`` (numeric, pleth, quality).

        Only what changed is drawn again: the numeric and the signal line when their view or
        flash state changed, the pleth when new samples arrived (at 1x the console drains the
        oximeter about 13 times a second, the frame comes 25 times).
        """
        key = (view.spo2, lit, view.pi_text, view.signal_quality, view.quality_text)
        if key != self._shown_key:
            self._shown_key = key
            self.set_view(view.spo2, lit)
            self.quality.setValue(round(view.signal_quality * 100))
            self.quality_label.setText(view.quality_text)
            self.pi_label.setText(f"PI {view.pi_text}")
            if not len(view.pleth):
                self.no_signal.setText(view.quality_text or "no signal")
        samples = view.pleth
        if view.pleth_rate_hz == self._drawn_rate and np.array_equal(samples, self._drawn):
            return  # the same trace as on screen: nothing to draw
        self._drawn = samples.copy()  # a copy: a caller may reuse its array
        self._drawn_rate = view.pleth_rate_hz
        if len(samples):
            if len(self._x) != len(samples):
                self._x = np.arange(len(samples), dtype=float) / view.pleth_rate_hz
                # A fixed window: the trace grows from the left, then fills edge to edge.
                span = max(PLETH_SECONDS, (len(samples) - 1) / view.pleth_rate_hz)
                if span != self._x_span:
                    self._x_span = span
                    self.plot.setXRange(0.0, span, padding=0.0)
            wanted = pleth_range(float(samples.min()), float(samples.max()), self._y_range)
            if wanted is not None:
                self._y_range = wanted
                self.plot.setYRange(*wanted, padding=0.0)
            self.curve.set_bounds(self._x_span, self._y_range)
            self.curve.setData(self._x, samples)
            self._has_trace = True
        elif self._has_trace:
            self.curve.setData([], [])
            self._has_trace = False
        live = bool(len(samples))
        if self.plot.isHidden() == live:
            self.plot.setVisible(live)
            self.no_signal.setVisible(not live)
        if not live:
            self.no_signal.setText(view.quality_text or "no signal")
