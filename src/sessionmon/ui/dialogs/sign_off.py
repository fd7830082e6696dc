"""Sign-off dialog: who signs; signing closes and locks the record."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.dialogs.form import Submit, ValidatedForm, submitted
from sessionmon.ui.dialogs.sign_off_rems import RemsSignOffBox
from sessionmon.ui.forms import validate_sign_off


class SignOffDialog(QDialog):
    """Collect the signer's name; the record is locked once signed.

    Parameters
    ----------
    by : str
        The signer's name to start with.
    missing : list of str
        REMS-required details the session still lacks (the core refuses to sign until they
        are filled); shown with a "Patient details..." button.
    rems : dict, optional
        The REMS entries to ask for (from ``ConsoleController.rems_sign_off``); None when the
        session has no REMS form.

    Attributes
    ----------
    submit : callable, optional
        Signs; returns the core's refusal (shown in place, the dialog stays open).

    Signals
    -------
    details_requested()
        Open Patient details to fill the missing fields.
    clinic_requested()
        Open Clinic settings (the healthcare setting is incomplete).
    """

    details_requested = Signal()
    clinic_requested = Signal()

    def __init__(
        self,
        by: str = "",
        missing: list[str] | None = None,
        parent: QWidget | None = None,
        rems: dict | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign off session")
        self.setMinimumWidth(560)
        self.submit: Submit | None = None
        self.form_layout = ValidatedForm()
        self.by = self.form_layout.add_field("by", "Signed by *", QLineEdit(by))
        warning = QLabel(
            "Signing closes the session. The record is locked and can no longer change."
        )
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #FFD400; font-weight: bold;")
        self.missing_box = QWidget()
        self.missing_label = QLabel("")
        self.missing_label.setWordWrap(True)
        self.missing_label.setStyleSheet("color: #FF8A8A; font-size: 17px;")
        self.details_button = QPushButton("Patient details...")
        self.details_button.clicked.connect(self.details_requested)
        # The list on its own full-width rows (a wrapped label beside a button gets too little
        # height), the button under it on the right.
        column = QVBoxLayout(self.missing_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.missing_label)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.details_button)
        column.addLayout(button_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign and lock")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addWidget(self.missing_box)
        self.rems_box = RemsSignOffBox(rems) if rems is not None else None
        if self.rems_box is not None:
            self.setMinimumWidth(1180)
            self.rems_box.clinic_requested.connect(self.clinic_requested)
            layout.addWidget(self.rems_box)
        layout.addLayout(self.form_layout)
        layout.addWidget(buttons)
        self.missing: list[str] = []
        self.set_missing(missing or [])
        # Opened at its full size: Qt would clamp a first show to 2/3 of a laptop screen and
        # squash the wrapped rows of the REMS part.
        self.resize(self.sizeHint())

    def set_missing(self, missing: list[str]) -> None:
        """Show the REMS-required details still empty (none: the line is hidden)."""
        self.missing = list(missing)
        lines = "\n".join(f"\u2716 {name}" for name in self.missing)
        self.missing_label.setText(
            f"The REMS monitoring form still needs:\n{lines}" if self.missing else ""
        )
        self.missing_box.setVisible(bool(self.missing))
        if not self.missing and "REMS" in self.form_layout.refusal_text():
            self.form_layout.show_errors({})

    def rems_entries(self) -> dict | None:
        """The clinician's REMS entries (None when the session has no REMS form)."""
        return self.rems_box.entries() if self.rems_box is not None else None

    def set_setting(self, setting: dict[str, str], missing: list[str]) -> None:
        """Show the clinic's setting again (after Clinic settings was saved)."""
        if self.rems_box is not None:
            self.rems_box.set_setting(setting, missing)

    def try_accept(self) -> bool:
        """Sign if a signer is named; a refusal (e.g. missing REMS details) keeps it open."""
        errors = validate_sign_off(self.by.text())
        self.form_layout.show_errors(errors)
        if errors or not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
