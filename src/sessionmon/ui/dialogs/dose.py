"""Dose-given dialog: confirms the dose (time now), the person giving it and a note."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from sessionmon.ui.dialogs.form import Submit, ValidatedForm, submitted


class DoseDialog(QDialog):
    """Asks who gives the dose; the time is taken by the runtime when it is confirmed.

    Parameters
    ----------
    treatment_text : str
        What is being given, e.g. "Esketamine 84 mg intranasal, lot L123".

    Attributes
    ----------
    submit : callable, optional
        Records the dose; returns the core's refusal (shown in place, the dialog stays open).
    """

    def __init__(self, treatment_text: str, by: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dose given")
        self.submit: Submit | None = None
        self.form_layout = ValidatedForm()
        self.by = self.form_layout.add_field("by", "Given by *", QLineEdit(by))
        self.note = self.form_layout.add_field("note", "Note", QLineEdit())
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Dose given now")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        title = QLabel(treatment_text)
        title.setStyleSheet("font-size: 22px; font-weight: bold;")
        layout.addWidget(title)
        layout.addWidget(QLabel("The first device / start of infusion is recorded at this moment."))
        layout.addLayout(self.form_layout)
        layout.addWidget(buttons)

    def try_accept(self) -> bool:
        """Record the dose if someone is named as giving it; a refusal keeps the dialog open."""
        errors = {} if self.by.text().strip() else {"by": "Enter who gives the dose."}
        self.form_layout.show_errors(errors)
        if errors or not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
