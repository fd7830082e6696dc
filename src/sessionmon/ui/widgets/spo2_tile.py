"""The SpO2 tile: saturation numeric, live pleth waveform and a signal-quality bar.

The pleth is a :class:`~sessionmon.ui.widgets.sweep_waveform.SweepWaveform`: drawn in sweep
mode with an erase gap, as bedside monitors draw it, so a frame repaints only the strip the
new samples fall in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget

from sessionmon.ui import theme
from sessionmon.ui.viewmodel import Spo2View
from sessionmon.ui.widgets.numeric_tile import NumericTile
from sessionmon.ui.widgets.sweep_waveform import SweepWaveform

#: Seconds of pleth across the sweep (like a bedside monitor: a few beats, not a wall of spikes).
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
    """Shows a :class:`Spo2View`; the pleth is written from the frame timer only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            theme.SPO2_COLOUR,
            theme.NUMERIC_PX,
            parent,
            template="100",
            value_width=lambda: self.width() * VALUE_WIDTH_SHARE,
        )
        #: The live pleth, in sweep mode; the vertical range follows :func:`pleth_range`.
        self.wave = SweepWaveform(
            theme.SPO2_COLOUR, theme.BACKGROUND, PLETH_SECONDS, line_width=2.0
        )
        self.wave.setMinimumHeight(70)
        self.wave.setMinimumWidth(120)
        self._y_range: tuple[float, float] | None = None
        #: The pleth's sample count, length and rate last drawn (a frame with the same has
        #: nothing new to draw).
        self._pleth_counted: tuple[int, int, float] | None = None
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
        row.addWidget(self.wave, 1)  # the pleth fills what the numeric leaves
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
        #: What is on screen: the numeric and signal line's inputs.
        self._shown_key: tuple | None = None
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
        flash state changed; of the pleth, only the samples that arrived since the last frame
        (at 1x the console drains the oximeter about 13 times a second, the frame comes 25
        times), in the narrow strip of the sweep they fall in.
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
        live = bool(len(samples))
        counted = (view.pleth_received, len(samples), view.pleth_rate_hz)
        if live and view.pleth_received and counted == self._pleth_counted:
            return  # no new sample since the last frame: the trace on screen is current
        self._pleth_counted = counted
        if live:
            wanted = pleth_range(float(samples.min()), float(samples.max()), self._y_range)
            if wanted is not None:
                self._y_range = wanted
                self.wave.set_range(*wanted)
        # only the samples not drawn yet are written, at the sweep's write point; none (no
        # live signal): the trace is cleared, never left frozen
        self.wave.show_samples(samples, view.pleth_received, view.pleth_rate_hz)
        if self.wave.isHidden() == live:
            self.wave.setVisible(live)
            self.no_signal.setVisible(not live)
        if not live:
            self.no_signal.setText(view.quality_text or "no signal")
