"""The timeline of scheduled checks: one chip per check, coloured done / due / overdue."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QWidget

from sessionmon.ui import theme
from sessionmon.ui.viewmodel import CheckView
from sessionmon.ui.widgets.flow import FlowRow

STATUS_WORDS = {
    "upcoming": "",
    "due": " DUE",
    "overdue": " OVERDUE",
    "done": " \u2714",
    "missed": " MISSED",
}


#: Chip text size, px (normal and in a short window).
CHIP_PX = 14
COMPACT_CHIP_PX = 12


class CheckTimeline(QFrame):
    """Shows the session's :class:`CheckView` list left to right in due order."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = FlowRow(self)
        self._layout.setContentsMargins(4, 2, 4, 2)
        self._layout.setSpacing(6)
        self.chips: list[QLabel] = []
        self._shown: tuple[CheckView, ...] | None = None
        self.chip_px = CHIP_PX

    def set_compact(self, compact: bool) -> None:
        """Smaller chips (a short window), so the timeline takes fewer pixels of height."""
        px = COMPACT_CHIP_PX if compact else CHIP_PX
        if px != self.chip_px:
            self.chip_px = px
            shown, self._shown = self._shown, None
            self.set_checks(shown or ())

    def set_checks(self, checks: tuple[CheckView, ...]) -> None:
        """Show ``checks``."""
        if checks == self._shown:
            return
        self._shown = checks
        while len(self.chips) < len(checks):
            chip = QLabel()
            self._layout.addWidget(chip)
            self.chips.append(chip)
        for index, chip in enumerate(self.chips):
            if index >= len(checks):
                chip.setVisible(False)
                continue
            check = checks[index]
            colour = theme.CHECK_COLOURS.get(check.status, theme.TEXT_DIM)
            dark_text = check.status in ("due", "done")
            chip.setVisible(True)
            chip.setText(f"{check.label}{STATUS_WORDS.get(check.status, ' ' + check.status)}")
            chip.setToolTip(f"{check.label} ({check.due}): {check.status}")
            chip.setStyleSheet(
                f"background: {colour}; color: {'#000000' if dark_text else '#FFFFFF'};"
                " border-radius: 4px; padding: 1px 5px; font-weight: bold;"
                f" font-size: {self.chip_px}px;"
            )

    def status_of(self, check_id: str) -> str | None:
        """Return the status shown for ``check_id`` (``None`` if not on the timeline)."""
        for check in self._shown or ():
            if check.check_id == check_id:
                return check.status
        return None
