"""Where the console window goes on screen, and how wide the trainer panel is."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize

#: The trainer panel takes what the window has beyond this, between its minimum and maximum
#: width (so the console keeps at least this much whenever it can).
CONSOLE_MIN_WIDTH = 800


def clamp_to_screen(rect: QRect, available: QRect, minimum: QSize) -> QRect:
    """Return ``rect`` made to fit ``available`` (a saved position from another screen).

    Parameters
    ----------
    rect : QRect
        The saved window geometry.
    available : QRect
        The screen's available geometry (without panels and docks).
    minimum : QSize
        The window's minimum size (kept unless the screen itself is smaller).

    Returns
    -------
    QRect
        No bigger than the screen, no smaller than the minimum, and wholly on the screen.
    """
    width = max(min(rect.width(), available.width()), min(minimum.width(), available.width()))
    height = max(min(rect.height(), available.height()), min(minimum.height(), available.height()))
    x = min(max(rect.x(), available.x()), available.x() + available.width() - width)
    y = min(max(rect.y(), available.y()), available.y() + available.height() - height)
    return QRect(x, y, width, height)


def trainer_width(window_width: int, minimum: int, maximum: int) -> int:
    """The trainer panel's width in a window ``window_width`` px wide."""
    return max(minimum, min(maximum, window_width - CONSOLE_MIN_WIDTH))
