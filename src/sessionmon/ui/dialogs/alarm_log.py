"""Alarm log view: every state change of every alarm, with the limits in force."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QDialog, QPushButton, QVBoxLayout, QWidget

from sessionmon.ui.dialogs.tables import fill_table, new_table

HEADERS = ("Time", "Condition", "Action", "Priority", "Category", "Value", "Limits", "By", "Detail")


def _value(value: Any) -> str:
    return "" if value is None else str(getattr(value, "value", value))


def log_rows(entries: Sequence[Any]) -> list[list[str]]:
    """Rows of the alarm log table (local time), oldest first."""
    rows = []
    for entry in entries:
        limits = ", ".join(f"{k} {v}" for k, v in (entry.limits or {}).items())
        rows.append(
            [
                entry.at.astimezone().strftime("%H:%M:%S"),
                _value(entry.condition),
                _value(entry.action),
                _value(entry.priority),
                _value(entry.category),
                "" if entry.value is None else f"{entry.value:g}",
                limits,
                _value(entry.by),
                _value(entry.detail),
            ]
        )
    return rows


class AlarmLogDialog(QDialog):
    """Shows the alarm log of a session (read-only)."""

    def __init__(self, entries: Sequence[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Alarm log")
        self.resize(1100, 600)
        self.table = new_table()
        fill_table(self.table, HEADERS, log_rows(entries))
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(close)
