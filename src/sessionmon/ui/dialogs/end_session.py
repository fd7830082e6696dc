"""End session dialog: dose not given, transferred, left against advice, ended early.

Each way a session ends besides the discharge, with why, who and (for a transfer) where to.
The session closes and its record is locked, signed by the person ending it.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sessionmon.lifecycle import ENDING_LABELS, endings_for
from sessionmon.model import SessionEnding, SessionPhase
from sessionmon.ui.dialogs.form import Submit, ValidatedForm, submitted

#: What each ending means, shown under the choice.
ENDING_HELP: dict[SessionEnding, str] = {
    SessionEnding.DOSE_NOT_GIVEN: "The session is cancelled before the dose (for example a "
    "pre-dose BP too high, or the patient declined). No REMS monitoring form is due.",
    SessionEnding.TRANSFERRED: "The patient leaves for emergency care. Say where to and why; "
    "the report and the REMS form show it.",
    SessionEnding.LEFT_AGAINST_ADVICE: "The patient left before the discharge criteria were "
    "met, against advice. Say what was advised.",
    SessionEnding.ENDED_EARLY: "The clinician ends monitoring before the discharge criteria "
    "are met. Say why.",
}


class EndSessionDialog(QDialog):
    """Choose how the session ends and say why, who and (transfer) where to.

    Parameters
    ----------
    phase : SessionPhase
        The session's phase: only the endings that apply in it are offered.
    pseudonym : str
        The patient, named in the warning.
    by : str
        Who ends it, to start with (the last staff name).

    Attributes
    ----------
    submit : callable, optional
        Ends the session; returns the core's refusal (shown in place, the dialog stays open).
    """

    def __init__(
        self, phase: SessionPhase, pseudonym: str, by: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("End session")
        self.setMinimumWidth(640)
        self.submit: Submit | None = None
        warning = QLabel(
            f"Ending the session of {pseudonym} stops monitoring: alarms end, the record is "
            "closed and locked, signed by you. This cannot be undone."
        )
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #FFD400; font-weight: bold;")
        self.form_layout = f = ValidatedForm()
        self.how = f.add_field("how", "How it ends *", QComboBox())
        for ending in endings_for(phase):
            self.how.addItem(ENDING_LABELS[ending], ending.value)
        self.help = QLabel("")
        self.help.setWordWrap(True)
        self.help.setObjectName("dim")
        f.addRow("", self.help)
        self.destination = f.add_field("destination", "Transferred to *", QLineEdit())
        self.destination.setPlaceholderText("e.g. St Mary's emergency department")
        self.reason = f.add_field("reason", "Reason *", QLineEdit())
        self.by = f.add_field("by", "Ended by *", QLineEdit(by))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("End session and lock")
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addLayout(f)
        layout.addWidget(self.buttons)
        self.how.currentIndexChanged.connect(self._how_changed)
        self._how_changed()

    @property
    def ending(self) -> SessionEnding | None:
        """The chosen ending."""
        data = self.how.currentData()
        return SessionEnding(data) if data else None

    def choose(self, ending: SessionEnding | str) -> None:
        """Select ``ending`` (if it applies)."""
        index = self.how.findData(SessionEnding(ending).value)
        if index >= 0:
            self.how.setCurrentIndex(index)

    def _how_changed(self) -> None:
        ending = self.ending
        self.help.setText(ENDING_HELP.get(ending, "") if ending else "")
        transfer = ending is SessionEnding.TRANSFERRED
        self.destination.setEnabled(transfer)
        if not transfer:
            self.destination.clear()
        self.form_layout.show_errors({})

    def errors(self) -> dict[str, str]:
        """Every empty required field, by name."""
        errors = {}
        if self.ending is SessionEnding.TRANSFERRED and not self.destination.text().strip():
            errors["destination"] = "Say where the patient is transferred to."
        if not self.reason.text().strip():
            errors["reason"] = "Say why the session ends."
        if not self.by.text().strip():
            errors["by"] = "Who ends the session?"
        return errors

    def try_accept(self) -> bool:
        """End the session if every field is filled; a refusal keeps the dialog open."""
        errors = self.errors()
        self.form_layout.show_errors(errors)
        if errors:
            self.form_layout.fields[next(iter(errors))].setFocus()
            return False
        if not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
