"""A numeric tile: a parameter's label, its big value and unit, in its alarm colour."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from sessionmon.model import AlarmPriority
from sessionmon.ui import theme
from sessionmon.ui.viewmodel import NumericView
from sessionmon.ui.widgets.alarm_style import tile_colours

#: The numerics never get smaller than this (readable at 2 m) nor bigger than this, px.
MIN_VALUE_PX = 60
MAX_VALUE_PX = 260
#: The tile's margins inside its border (left/right, top/bottom), px; a short window's tiles
#: give 3 px of each top and bottom margin to the tile row (their lines stay apart).
MARGINS_PX = (12, 6)
COMPACT_MARGINS_PX = (12, 3)


def fitting_px(template: str, width: float, height: float, family: str = "") -> int:
    """Return the biggest bold font size (px) at which ``template`` fits ``width`` x ``height``.

    Digits have no descender and little internal leading, so the line may be a little taller
    than the box (the label centres it; only empty leading is clipped).
    """
    probe = QFont(family) if family else QFont()
    probe.setPixelSize(100)
    probe.setBold(True)
    metrics = QFontMetricsF(probe)
    by_height = height * 100.0 / (metrics.height() * 0.9)
    advance = metrics.horizontalAdvance(template)
    by_width = width * 100.0 / advance if advance > 0 else by_height
    return int(max(MIN_VALUE_PX, min(MAX_VALUE_PX, by_height, by_width)))


def ink_height(text: str, font: QFont) -> int:
    """Return the least height of a label that shows all of ``text``'s ink in ``font``.

    A label centres the text's line (ascent + descent) in its height; digits, capitals and
    a slash have no descender and leave the line's top empty, so a label shorter than the
    line still shows every pixel of them (only empty line space is clipped). The result is
    never more than the line's height.

    Parameters
    ----------
    text : str
        The widest (tallest) text the label shows.
    font : QFont
        The label's font.

    Returns
    -------
    int
        Height in pixels, with a pixel of slack above and below for rounding.
    """
    metrics = QFontMetricsF(font)
    ink = metrics.tightBoundingRect(text)
    line = metrics.height()
    top = metrics.ascent() + ink.top()  # from the line's top down to the ink's top
    bottom = metrics.ascent() + ink.bottom()
    # The line's top lies at (height - line) / 2: the ink's top must be at or below 0 and
    # its bottom at or above ``height``.
    needed = max(line - 2.0 * top, 2.0 * bottom - line, ink.height())
    return min(math.ceil(line), math.ceil(needed) + 2)


class ValueLabel(QLabel):
    """The big number: its font follows the space the tile gives it (bigger screens, bigger
    digits).

    Parameters
    ----------
    template : str
        The widest text expected (``"188"``, ``"188/118"``): the size is chosen so it fits.
    on_size : callable
        ``on_size(px)`` when the font size to use changes.
    width_source : callable, optional
        Returns the width the text may take (default: the label's own width).
    """

    def __init__(
        self,
        template: str,
        on_size: Callable[[int], None],
        width_source: Callable[[], float] | None = None,
    ) -> None:
        super().__init__("--")
        self.template = template
        self._on_size = on_size
        self._width_source = width_source
        self.px = 0
        self.hint_width: int | None = None  # a preferred width, when the tile sets one
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setMinimumSize(self.minimumSizeHint())

    def fit(self) -> int:
        """The font size for the current geometry."""
        width = self._width_source() if self._width_source else self.width() - 8
        return fitting_px(self.template, width, self.height(), self.font().family())

    def refit(self) -> None:
        """Choose the font size again (the label or the space it may take changed)."""
        px = self.fit()
        if px != self.px:
            self.px = px
            self._on_size(px)

    def sizeHint(self) -> QSize:
        """The preferred width set by the tile (if any); the height is up to the layout."""
        if self.hint_width is None:
            return super().sizeHint()
        return QSize(self.hint_width, MIN_VALUE_PX)

    def minimumSizeHint(self) -> QSize:
        """Room for the widest value at the smallest readable size (the tile never clips it):
        its width, and the height of its ink (see :func:`ink_height`), which is less than the
        font's line (digits have no descender). In a short window this is what lets the tile
        keep its lines below the value apart from it."""
        probe = QFont(self.font())
        probe.setPixelSize(MIN_VALUE_PX)
        probe.setBold(True)
        width = math.ceil(QFontMetricsF(probe).horizontalAdvance(self.template)) + 10
        return QSize(width, min(MIN_VALUE_PX, ink_height(self.template, probe)))

    def resizeEvent(self, event) -> None:
        """Choose the font size for the new size."""
        super().resizeEvent(event)
        self.refit()


class NumericTile(QFrame):
    """Shows one :class:`NumericView`.

    Parameters
    ----------
    colour : str
        The parameter colour (HR green, SpO2 cyan...).
    value_px : int
        Starting font size of the numeric in pixels; it then follows the tile's size (at
        least 60 for reading at 2 m).
    template : str
        The widest value expected, which must always fit.
    """

    def __init__(
        self,
        colour: str,
        value_px: int = theme.NUMERIC_PX,
        parent: QWidget | None = None,
        template: str = "188",
        value_width: Callable[[], float] | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("tile")
        self._colour = colour
        self._value_px = value_px
        self._last_style: tuple[str, str, str] | None = None
        self._text_colour: str | None = None  # the labels' colour last set
        self.label = QLabel("")
        self.unit = QLabel("")
        self.value = ValueLabel(template, self._value_size_changed, value_width)
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.marker = QLabel("")
        top = QHBoxLayout()
        top.addWidget(self.label)
        top.addStretch(1)
        top.addWidget(self.marker)
        top.addWidget(self.unit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGINS_PX[0], MARGINS_PX[1], MARGINS_PX[0], MARGINS_PX[1])
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.value, 1)
        self.extra = QVBoxLayout()
        layout.addLayout(self.extra)
        self.priority: AlarmPriority | None = None
        self.stale = False
        #: The numeric's size relative to the fitted size (the NIBP tile draws the cuff
        #: pressure smaller than a result).
        self.value_scale = 1.0
        self._apply(theme.PANEL, theme.PANEL_BORDER, colour)

    def set_compact(self, compact: bool) -> None:
        """Narrower top and bottom margins in a short window (see :data:`COMPACT_MARGINS_PX`)."""
        side, top = COMPACT_MARGINS_PX if compact else MARGINS_PX
        self.layout().setContentsMargins(side, top, side, top)

    @property
    def value_px(self) -> int:
        """The numeric's font size now, px."""
        return self._value_px

    def set_value_scale(self, scale: float) -> None:
        """Draw the numeric at ``scale`` times its fitted size."""
        if scale == self.value_scale:
            return
        self.value_scale = scale
        style = self._last_style
        self._last_style = None
        if style is not None:
            self._apply(*style)

    def _value_size_changed(self, px: int) -> None:
        if px == self._value_px:
            return
        self._value_px = px
        style = self._last_style
        self._last_style = None  # force the style sheet to be rebuilt with the new size
        if style is not None:
            self._apply(*style)

    def set_view(self, view: NumericView, lit: bool = True) -> None:
        """Show ``view``; ``lit`` is the alarm flash phase (ignored when the view's alarms are
        all acknowledged: the tile keeps the alarm colour without flashing)."""
        lit = lit or not view.flashing
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
        # Only the style sheets whose colours or size changed are set again: a style sheet on
        # the tile re-polishes every widget in it (the NIBP tile's buttons and list too), so a
        # new numeric size (the cuff pressure) must not restyle the frame.
        frame = (
            f"QFrame#tile {{ background-color: {background}; border: 3px solid {border};"
            f" border-radius: 8px; }}"
        )
        if self.styleSheet() != frame:
            self.setStyleSheet(frame)
        px = max(theme.LABEL_PX, round(self._value_px * self.value_scale))
        value = f"color: {text}; font-size: {px}px; font-weight: bold;"
        if self.value.styleSheet() != value:
            self.value.setStyleSheet(value)
        if text == self._text_colour:
            return
        self._text_colour = text
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
