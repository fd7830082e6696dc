"""The breathing tiles: respiratory rate, and etCO2 with the live capnogram and FiCO2.

Both follow :class:`NumericTile` (the style sheet is rebuilt only when the colours or the font
size change, never per frame); the capnogram is a
:class:`~sessionmon.ui.widgets.sweep_waveform.SweepWaveform` (sweep mode with an erase gap, as
bedside monitors draw it), written from the frame timer with only the samples not drawn yet.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from sessionmon.ui import theme
from sessionmon.ui.viewmodel import NumericView, RespirationView
from sessionmon.ui.widgets.numeric_tile import NumericTile
from sessionmon.ui.widgets.sweep_waveform import SweepWaveform

#: Seconds of capnogram across the sweep: two or three breaths at a normal rate.
CO2_SECONDS = 12.0
#: The etCO2 numeric may take at most this share of the tile width; the capnogram the rest.
VALUE_WIDTH_SHARE = 0.42
#: The capnogram's fixed y range, mmHg (a fixed scale shows a rising plateau as rising).
CO2_Y_RANGE = (0.0, 60.0)


class RespRateTile(NumericTile):
    """The respiratory rate numeric (with etCO2 and FiCO2 on its bottom line where the console
    has no room for the etCO2 tile)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(theme.RESP_COLOUR, theme.NUMERIC_PX, parent, template="88")
        self.co2_label = QLabel("")
        self.co2_label.setVisible(False)
        # the line does not widen the tile: the console gives the tile room for it when shown
        self.co2_label.setMinimumWidth(1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.co2_label)
        self.extra.addLayout(bottom)
        self.apply_text_colour(theme.RESP_COLOUR)

    def apply_text_colour(self, text: str) -> None:
        """The etCO2 line takes the tile's text colour (readable on an alarm fill)."""
        label = getattr(self, "co2_label", None)
        if label is not None:
            label.setStyleSheet(f"color: {text}; font-size: {theme.BODY_PX}px;")

    def set_rr(self, view: RespirationView, lit: bool = True, co2_line: bool = False) -> None:
        """Show the RR of ``view``; with ``co2_line`` (no etCO2 tile on screen) etCO2 and
        FiCO2 on the bottom line too, and the tile takes the higher alarm colour of the two."""
        shown = view.rr
        if co2_line:
            worst = [p for p in (shown.priority, view.etco2.priority) if p is not None]
            priority = max(worst, key=lambda p: p.rank) if worst else None
            shown = dataclasses.replace(
                shown, priority=priority, stale=shown.stale and view.etco2.stale
            )
        self.set_view(shown, lit)
        text = f"etCO2 {view.etco2.value}  FiCO2 {view.fico2_text}" if co2_line else ""
        if self.co2_label.text() != text:
            self.co2_label.setText(text)
        if self.co2_label.isVisibleTo(self) != co2_line:
            self.co2_label.setVisible(co2_line)


class Etco2Tile(NumericTile):
    """The etCO2 numeric beside the capnogram, FiCO2 below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            theme.CO2_COLOUR,
            theme.NUMERIC_PX,
            parent,
            template="88",
            value_width=lambda: self.width() * VALUE_WIDTH_SHARE,
        )
        #: The live capnogram, in sweep mode, on a fixed scale (a trace over 60 mmHg is cut
        #: at the top edge, as before).
        self.wave = SweepWaveform(theme.CO2_COLOUR, theme.BACKGROUND, CO2_SECONDS, line_width=2.0)
        self.wave.setMinimumHeight(70)
        self.wave.setMinimumWidth(100)
        self.wave.set_range(*CO2_Y_RANGE)
        self.fico2_label = QLabel("FiCO2 --")
        layout = self.layout()
        layout.removeWidget(self.value)
        row = QHBoxLayout()
        row.addWidget(self.wave, 1)
        row.addWidget(self.value, 0)
        self.value.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        layout.insertLayout(1, row, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.fico2_label)
        self.extra.addLayout(bottom)
        self.apply_text_colour(theme.CO2_COLOUR)

    def _value_size_changed(self, px: int) -> None:
        """The numeric asks for the width of "88" at its size; the capnogram gets the rest."""
        from PySide6.QtGui import QFont, QFontMetrics

        font = QFont(self.value.font())
        font.setPixelSize(px)
        font.setBold(True)
        self.value.hint_width = QFontMetrics(font).horizontalAdvance("88") + 12
        self.value.updateGeometry()
        super()._value_size_changed(px)

    def resizeEvent(self, event) -> None:
        """A wider or narrower tile changes the room the numeric may take."""
        super().resizeEvent(event)
        self.value.refit()

    def apply_text_colour(self, text: str) -> None:
        """The FiCO2 label takes the tile's text colour (readable on an alarm fill)."""
        label = getattr(self, "fico2_label", None)
        if label is not None:
            label.setStyleSheet(f"color: {text}; font-size: {theme.BODY_PX}px;")

    def set_co2(
        self,
        view: RespirationView,
        lit: bool = True,
        rr: NumericView | None = None,
        capnogram: bool | None = None,
    ) -> None:
        """Show the etCO2 numeric, FiCO2 and the capnogram of ``view``; with ``rr`` (a narrow
        console without the RR tile) the respiratory rate too, and the tile takes the higher
        alarm colour of the two. ``capnogram``: whether to draw the capnogram (default: not
        when ``rr`` is folded in, so the numerics keep their readable size)."""
        shown = view.etco2
        if rr is not None:
            worst = [p for p in (rr.priority, shown.priority) if p is not None]
            priority = max(worst, key=lambda p: p.rank) if worst else None
            shown = dataclasses.replace(shown, priority=priority, stale=shown.stale and rr.stale)
        self.set_view(shown, lit)
        drawn = rr is None if capnogram is None else capnogram
        if self.wave.isVisibleTo(self) != drawn:
            self.wave.setVisible(drawn)
        # only the samples not drawn yet; none (no capnograph data): the trace is cleared
        self.wave.show_samples(view.co2, view.co2_received, view.co2_rate_hz)
        text = f"FiCO2 {view.fico2_text}"
        if rr is not None:
            text = f"RR {rr.value}  FiCO2 {view.fico2_text}"
        if self.fico2_label.text() != text:
            self.fico2_label.setText(text)
