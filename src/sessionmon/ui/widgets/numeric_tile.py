"""A numeric tile: a parameter's label, its big value and unit, in its alarm colour."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from sessionmon.model import AlarmPriority
from sessionmon.ui import theme
from sessionmon.ui.viewmodel import NumericView
from sessionmon.ui.widgets.alarm_style import tile_colours


class NumericTile(QFrame):
    """Shows one :class:`NumericView`.

    Parameters
    ----------
    colour : str
        The parameter colour (HR green, SpO2 cyan...).
    value_px : int
        Height of the numeric in pixels (at least 60 for reading at 2 m).
    """

    def __init__(
        self, colour: str, value_px: int = theme.NUMERIC_PX, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setObjectName("tile")
        self._colour = colour
        self._value_px = value_px
        self._last_style: tuple[str, str, str] | None = None
        self.label = QLabel("")
        self.unit = QLabel("")
        self.value = QLabel("--")
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.marker = QLabel("")
        top = QHBoxLayout()
        top.addWidget(self.label)
        top.addStretch(1)
        top.addWidget(self.marker)
        top.addWidget(self.unit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.value, 1)
        self.extra = QVBoxLayout()
        layout.addLayout(self.extra)
        self.priority: AlarmPriority | None = None
        self.stale = False
        self._apply(theme.PANEL, theme.PANEL_BORDER, colour)

    def set_view(self, view: NumericView, lit: bool = True) -> None:
        """Show ``view``; ``lit`` is the alarm flash phase."""
        self.label.setText(view.label)
        self.unit.setText(view.unit)
        if self.value.text() != view.value:
            self.value.setText(view.value)
        self.priority = view.priority
        self.stale = view.stale
        self.marker.setText(theme.ALARM_MARKERS[view.priority] + " " if view.priority else "")
        if view.stale:
            # An old value is greyed out, never shown as current; the alarm keeps the border.
            border = theme.ALARM_COLOURS[view.priority] if view.priority else theme.PANEL_BORDER
            self._apply(theme.PANEL, border, theme.STALE)
        else:
            self._apply(*tile_colours(view.priority, lit, self._colour))

    def _apply(self, background: str, border: str, text: str) -> None:
        style = (background, border, text)
        if style == self._last_style:
            return
        self._last_style = style
        self.setStyleSheet(
            f"QFrame#tile {{ background-color: {background}; border: 3px solid {border};"
            f" border-radius: 8px; }}"
        )
        self.value.setStyleSheet(
            f"color: {text}; font-size: {self._value_px}px; font-weight: bold;"
        )
        self.label.setStyleSheet(
            f"color: {text}; font-size: {theme.LABEL_PX}px; font-weight: bold;"
        )
        self.unit.setStyleSheet(f"color: {text}; font-size: {theme.LABEL_PX}px;")
        self.marker.setStyleSheet(
            f"color: {text}; font-size: {theme.LABEL_PX}px; font-weight: bold;"
        )
        self.apply_text_colour(text)

    def apply_text_colour(self, text: str) -> None:
        """Colour the tile's extra labels to match (subclasses with more labels override)."""

    @property
    def background_colour(self) -> str:
        """The tile's current fill colour (for tests and screenshots)."""
        return (self._last_style or (theme.PANEL,))[0]

    @property
    def border_colour(self) -> str:
        """The tile's current border colour."""
        return (self._last_style or (theme.PANEL, theme.PANEL_BORDER))[1]
