"""Sign-off dialog: who signs; signing closes and locks the record."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from sessionmon.ui.dialogs.form import ValidatedForm
from sessionmon.ui.forms import validate_sign_off


class SignOffDialog(QDialog):
    """Collect the signer's name; the record is locked once signed."""

    def __init__(self, by: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign off session")
        self.form_layout = ValidatedForm()
        self.by = self.form_layout.add_field("by", "Signed by *", QLineEdit(by))
        warning = QLabel(
            "Signing closes the session. The record is locked and can no longer change."
        )
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #FFD400; font-weight: bold;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign and lock")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addLayout(self.form_layout)
        layout.addWidget(buttons)

    def try_accept(self) -> bool:
        """Accept if a signer is named."""
        errors = validate_sign_off(self.by.text())
        self.form_layout.show_errors(errors)
        if errors:
            return False
        self.accept()
        return True
