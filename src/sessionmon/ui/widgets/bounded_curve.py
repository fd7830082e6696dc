"""A live waveform curve whose bounds its tile sets, instead of pyqtgraph measuring the data."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF


class BoundedCurve(pg.PlotCurveItem):
    """A curve whose bounding rectangle is set by its owner.

    pyqtgraph measures a curve's bounds from its data (min and max of both arrays, then the
    pen's padding in pixels) whenever the data changed, which for a live waveform (the pleth,
    the capnogram) is every frame. The tiles already know a rectangle the trace stays in (the
    plot's fixed ranges), so the curve reports that instead; what is painted is the same.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._bounds = QRectF()

    def set_bounds(self, x_span: float, y_range: tuple[float, float]) -> None:
        """The trace stays within x 0..``x_span`` and ``y_range``."""
        bounds = QRectF(0.0, y_range[0], x_span, y_range[1] - y_range[0])
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds

    def boundingRect(self) -> QRectF:
        """The rectangle set by :meth:`set_bounds`."""
        return self._bounds
