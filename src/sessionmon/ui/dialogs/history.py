"""Session history: past sessions with their record state (signed, REMS form sent, days left).

A session can be opened read-only, an interrupted one resumed, and any one exported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from sessionmon.ui.dialogs.tables import fill_table, new_table

HEADERS = (
    "Started",
    "Patient",
    "Treatment",
    "Phase",
    "Dose",
    "Ended",
    "Signed by",
    "Record",
    "Kind",
)


def _time(value: Any) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else ""


def history_rows(
    summaries: Sequence[Any], record_states: Mapping[UUID, str] | None = None
) -> list[list[str]]:
    """Rows of the history table, newest first; ``record_states`` maps ids to a state label."""
    record_states = record_states or {}
    rows = []
    for s in sorted(summaries, key=lambda s: s.created_at, reverse=True):
        kind = "simulation" if s.simulated else "patient"
        if getattr(s, "scenario", None):
            kind += f" ({s.scenario})"
        rows.append(
            [
                _time(s.created_at),
                s.pseudonym,
                str(getattr(s.protocol, "value", s.protocol)),
                str(getattr(s.phase, "value", s.phase)),
                _time(s.dose_at),
                _time(s.ended_at),
                s.signed_by or "",
                record_states.get(s.id, ""),
                kind,
            ]
        )
    return rows


class HistoryDialog(QDialog):
    """Lists sessions.

    Signals
    -------
    open_requested(object)
        Open the session id read-only.
    resume_requested(object)
        Resume the interrupted session id.
    export_requested(object)
        Export the session id.
    """

    open_requested = Signal(object)
    resume_requested = Signal(object)
    export_requested = Signal(object)

    def __init__(
        self,
        summaries: Sequence[Any],
        parent: QWidget | None = None,
        record_states: Mapping[UUID, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Session history")
        self.resize(1100, 600)
        self.summaries = sorted(summaries, key=lambda s: s.created_at, reverse=True)
        self.table = new_table()
        fill_table(self.table, HEADERS, history_rows(self.summaries, record_states))
        self.open_button = QPushButton("Open read-only")
        self.resume_button = QPushButton("Resume interrupted session")
        self.export_button = QPushButton("Export...")
        close = QPushButton("Close")
        self.hint = QLabel("" if self.summaries else "No sessions recorded yet.")
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.open_button.clicked.connect(self._open)
        self.resume_button.clicked.connect(self._resume)
        self.export_button.clicked.connect(self._export)
        close.clicked.connect(self.reject)
        self._selection_changed()

    def selected(self) -> Any | None:
        """The summary of the selected row."""
        row = self.table.currentRow()
        return self.summaries[row] if 0 <= row < len(self.summaries) else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        self.open_button.setEnabled(chosen is not None)
        self.export_button.setEnabled(chosen is not None)
        phase = str(getattr(getattr(chosen, "phase", None), "value", "")) if chosen else ""
        self.resume_button.setEnabled(phase == "interrupted")

    def _open(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.open_requested.emit(chosen.id)
            self.accept()

    def _resume(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.resume_requested.emit(chosen.id)
            self.accept()

    def _export(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.accept()
            self.export_requested.emit(chosen.id)

    def select_session(self, session_id: UUID) -> bool:
        """Select the row of ``session_id``; returns whether it is listed."""
        for row, summary in enumerate(self.summaries):
            if summary.id == session_id:
                self.table.selectRow(row)
                return True
        return False
