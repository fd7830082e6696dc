"""A row of buttons that steps down to smaller styles when the window is narrow.

Each *level* is a way of drawing the row (font size, with or without the shortcut line); the
row uses the first level whose buttons all fit at their full size, so a label is never clipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QWidget


class FitRow(QWidget):
    """Buttons (or other controls) side by side, in the biggest style that fits the width.

    Parameters
    ----------
    widgets : sequence of QWidget
        The controls, left to right, with the stretch factor of each.
    levels : int
        How many styles there are (0 = biggest).
    apply : callable
        ``apply(level)`` restyles the controls for ``level`` (font size, text).
    spacing : int
        Pixels between controls.
    """

    def __init__(
        self,
        widgets: Sequence[tuple[QWidget, int]],
        levels: int,
        apply: Callable[[int], None],
        spacing: int = 6,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controls = [widget for widget, _ in widgets]
        self._levels = levels
        self._apply = apply
        self._sizes: dict[int, QSize] = {}
        self.level = 0
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(spacing)
        for widget, stretch in widgets:
            self.row.addWidget(widget, stretch)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        apply(0)

    def size_at(self, level: int) -> QSize:
        """The room the controls need at ``level`` (every one at its size hint)."""
        if level not in self._sizes:
            current = self.level
            self._apply(level)
            visible = [w for w in self.controls if not w.isHidden()]
            for widget in visible:
                widget.ensurePolished()
            # 2 px of slack per control: the layout rounds when it shares out the width.
            width = sum(w.sizeHint().width() + 2 for w in visible)
            width += self.row.spacing() * max(0, len(visible) - 1)
            self._sizes[level] = QSize(width, self._height())
            self._apply(current)
        return self._sizes[level]

    def remeasure(self) -> None:
        """Forget the measured sizes (call after the controls' text changed)."""
        self._sizes.clear()
        self._choose(self.width())

    def _height(self) -> int:
        visible = [w for w in self.controls if not w.isHidden()]
        return max((max(w.sizeHint().height(), w.minimumHeight()) for w in visible), default=0)

    def sizeHint(self) -> QSize:
        """The biggest style's width; the current style's height."""
        return QSize(self.size_at(0).width(), self._height())

    def minimumSizeHint(self) -> QSize:
        """The smallest style's width; the current style's height."""
        return QSize(self.size_at(self._levels - 1).width(), self._height())

    def _choose(self, width: int) -> None:
        level = self._levels - 1
        for candidate in range(self._levels):
            if self.size_at(candidate).width() <= width:
                level = candidate
                break
        if level != self.level:
            self.level = level
            self._apply(level)
            self.updateGeometry()

    def showEvent(self, event) -> None:
        """Measure again once shown (the style sheets are applied by now)."""
        super().showEvent(event)
        self.remeasure()

    def resizeEvent(self, event) -> None:
        """Pick the biggest style that fits the new width."""
        super().resizeEvent(event)
        self._choose(event.size().width())
