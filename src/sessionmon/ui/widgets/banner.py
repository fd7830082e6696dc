"""The permanent training banner."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from sessionmon.ui import theme

SIMULATION_TEXT = "SIMULATION - NOT A PATIENT"


class SimulationBanner(QLabel):
    """A red band that says the data is simulated; shown for every simulated session."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(SIMULATION_TEXT, parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet(
            f"background-color: {theme.SIMULATION_RED}; color: #FFFFFF; font-size: 22px;"
            " font-weight: bold; padding: 2px; letter-spacing: 2px;"
        )
