"""The questions the console asks about a session it would leave: quitting, and resuming a
session left interrupted by a crash."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.adapter import PHASE_TEXT


def _hm(moment: datetime | None) -> str:
    return "-" if moment is None else moment.astimezone().strftime("%H:%M")


def quit_text(pseudonym: str, phase: str, simulated: bool) -> str:
    """What quitting does to the live session, in the nurse's words."""
    if simulated:
        return (
            f"The training session {pseudonym} is running ({phase}).\n\n"
            "Quitting ends it: it is kept in the training database as ended early."
        )
    return (
        f"Session {pseudonym} is being monitored ({phase}).\n\n"
        "If you quit now, monitoring stops: no readings are recorded and no alarm sounds "
        "until the console is opened again. The session stays open and the console offers "
        "to resume it at the next launch.\n\n"
        "To finish the session instead, use End session... (or Discharge and Sign off)."
    )


class QuitPrompt(QMessageBox):
    """Asked before the console quits with a live session.

    Buttons: *Keep monitoring* (default, the window stays), *End session...* and *Quit*.

    Signals
    -------
    quit_chosen()
        Quit now (the session stays open and resumable; a training session ends).
    end_chosen()
        Open End session instead.
    """

    quit_chosen = Signal()
    end_chosen = Signal()

    def __init__(
        self, pseudonym: str, phase: str, simulated: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quit sessionmon?")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setText(quit_text(pseudonym, phase, simulated))
        self.keep_button = self.addButton("Keep monitoring", QMessageBox.ButtonRole.RejectRole)
        self.end_button = self.addButton("End session...", QMessageBox.ButtonRole.ActionRole)
        self.quit_button = self.addButton(
            "Quit and end training" if simulated else "Quit, resume later",
            QMessageBox.ButtonRole.DestructiveRole,
        )
        self.setDefaultButton(self.keep_button)
        self.setEscapeButton(self.keep_button)
        self.buttonClicked.connect(self._clicked)

    def _clicked(self, button) -> None:
        if button is self.quit_button:
            self.quit_chosen.emit()
        elif button is self.end_button:
            self.end_chosen.emit()


class ResumePrompt(QDialog):
    """At launch: the sessions a crash left interrupted, with Resume / End session / Not now.

    Parameters
    ----------
    summaries : sequence of SessionSummary
        The interrupted sessions (newest first is best).

    Signals
    -------
    resume_requested(object)
        Resume monitoring the selected session (its id).
    end_requested(object)
        Resume it to end it (End session opens once it is back).
    """

    resume_requested = Signal(object)
    end_requested = Signal(object)

    def __init__(self, summaries: Sequence, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Resume an interrupted session?")
        self.setMinimumWidth(720)
        self.summaries = list(summaries)
        one = len(self.summaries) == 1
        intro = QLabel(
            (
                "The console stopped while this session was being monitored (a crash, a power "
                "cut or a forced quit). Nothing was recorded since."
                if one
                else "The console stopped while these sessions were being monitored (a crash, "
                "a power cut or a forced quit). Nothing was recorded since."
            )
            + "\nResume monitoring to go on with the same record, or end it if the patient "
            "has left."
        )
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #FFD400; font-weight: bold;")
        self.list = QListWidget()
        self.list.setStyleSheet("font-size: 18px;")
        for s in self.summaries:
            was = PHASE_TEXT.get(s.phase_before, "") if s.phase_before else ""
            dose = f"dose at {_hm(s.dose_at)}" if s.dose_at else "not dosed"
            training = "  [training]" if s.simulated else ""
            self.list.addItem(
                f"{s.pseudonym}  -  {s.protocol.value} {s.dose_mg:g} mg, started "
                f"{_hm(s.created_at)}, {dose}, was {was or 'open'}{training}"
            )
        self.list.setCurrentRow(0)
        self.list.setFixedHeight(min(6, len(self.summaries)) * 34 + 12)
        self.resume_button = QPushButton("Resume monitoring")
        self.resume_button.setDefault(True)
        self.end_button = QPushButton("End session...")
        self.later_button = QPushButton("Not now")
        self.resume_button.clicked.connect(lambda: self._chosen(self.resume_requested))
        self.end_button.clicked.connect(lambda: self._chosen(self.end_requested))
        self.later_button.clicked.connect(self.reject)
        later = QLabel(
            "Not now leaves it interrupted: Session history... resumes it later, and the next "
            "launch asks again."
        )
        later.setObjectName("dim")
        later.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.later_button)
        buttons.addStretch(1)
        buttons.addWidget(self.end_button)
        buttons.addWidget(self.resume_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list)
        layout.addWidget(later)
        layout.addLayout(buttons)
        self.setWindowModality(Qt.WindowModality.WindowModal)

    @property
    def selected(self):
        """The selected session's summary (the first one by default)."""
        row = self.list.currentRow()
        return self.summaries[row] if 0 <= row < len(self.summaries) else None

    def _chosen(self, signal) -> None:
        chosen = self.selected
        if chosen is None:
            return
        self.accept()
        signal.emit(chosen.id)
