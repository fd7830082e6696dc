"""Debrief dialog: the trainee's alarm response times and the checks done on time."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from sessionmon.ui.adapter import format_duration
from sessionmon.ui.debrief import Debrief
from sessionmon.ui.dialogs.tables import fill_table, new_table


class DebriefDialog(QDialog):
    """Shows a :class:`Debrief`."""

    def __init__(self, debrief: Debrief, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Training debrief")
        self.resize(900, 640)
        median = debrief.median_response_s
        summary = QLabel(
            f"Alarms: {len(debrief.responses)}   median time to acknowledge: "
            f"{f'{median:.0f} s' if median is not None else 'n/a'}   "
            f"never acknowledged: {debrief.unacknowledged}"
        )
        summary.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.alarms = new_table()
        fill_table(
            self.alarms,
            ("Alarm", "Priority", "Started", "Acknowledged after"),
            [
                [
                    r.condition,
                    r.priority,
                    format_duration(r.started_s),
                    f"{r.response_s:.0f} s" if r.response_s is not None else "NOT acknowledged",
                ]
                for r in debrief.responses
            ],
        )
        self.checks = new_table()
        fill_table(
            self.checks,
            ("Check", "Status", "On time"),
            [[c.label, c.status, "yes" if c.on_time else "NO"] for c in debrief.checks],
        )
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(QLabel("Alarm responses"))
        layout.addWidget(self.alarms, 2)
        layout.addWidget(QLabel("Scheduled checks"))
        layout.addWidget(self.checks, 1)
        layout.addWidget(close)
