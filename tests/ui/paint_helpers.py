"""Helpers that look at what a widget painted: the regions Qt repainted and the trace pixels."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QWidget


class PaintedRegions(QObject):
    """Records the rectangles of every paint event a widget receives."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.rects: list[QRect] = []
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.rects.extend(event.region())
        return False

    def flush(self) -> list[QRect]:
        """Let Qt deliver the pending repaints; return what was painted since the last flush."""
        QApplication.processEvents()
        painted, self.rects = self.rects, []
        return painted


def trace_columns(image: QImage, colour: str) -> set[int]:
    """The x coordinates (image pixels) of the columns holding a pixel of ``colour``."""
    wanted = QColor(colour).rgb()
    return {
        x
        for x in range(image.width())
        if any(image.pixel(x, y) == wanted for y in range(image.height()))
    }
