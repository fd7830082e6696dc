"""The alarm colouring shared by tiles: border and fill in the priority colour, flashing."""

from __future__ import annotations

from sessionmon.model import AlarmPriority
from sessionmon.ui import theme


def tile_colours(
    priority: AlarmPriority | None, lit: bool, normal_text: str
) -> tuple[str, str, str]:
    """Return ``(background, border, value_text)`` colours for a tile.

    Parameters
    ----------
    priority : AlarmPriority or None
        The alarm on this parameter, if any.
    lit : bool
        Flash phase: whether the alarm colour is lit now.
    normal_text : str
        The parameter colour used when there is no alarm.
    """
    if priority is None:
        return theme.PANEL, theme.PANEL_BORDER, normal_text
    colour = theme.ALARM_COLOURS[priority]
    if lit:
        return colour, colour, theme.ALARM_TEXT[priority]
    return theme.PANEL, colour, colour
