"""Drug-wasted dialog: amount, lot, who wastes it and the witness (controlled-substance log)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.dialogs.form import Submit, ValidatedForm, submitted


class WasteDialog(QDialog):
    """Records an amount of the session's drug wasted, witnessed by a second person.

    Attributes
    ----------
    submit : callable, optional
        Records the waste; returns the core's refusal (shown in place).
    """

    def __init__(
        self, drug: str, lot: str = "", by: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Drug wasted")
        self.submit: Submit | None = None
        layout = QVBoxLayout(self)
        title = QLabel(f"{drug.capitalize()} wasted")
        title.setStyleSheet("font-size: 22px; font-weight: bold;")
        layout.addWidget(title)
        self.form_layout = ValidatedForm()
        amount = QDoubleSpinBox()
        amount.setRange(0, 1000)
        amount.setDecimals(1)
        amount.setSuffix(" mg")
        self.amount = self.form_layout.add_field("amount", "Amount (mg) *", amount)
        self.lot = self.form_layout.add_field("lot", "Lot number", QLineEdit(lot))
        self.by = self.form_layout.add_field("by", "Wasted by *", QLineEdit(by))
        self.witness = self.form_layout.add_field("witness", "Witness *", QLineEdit())
        self.note = self.form_layout.add_field("note", "Reason", QLineEdit())
        layout.addLayout(self.form_layout)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record waste")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def try_accept(self) -> bool:
        """Record the waste once amount, who and witness are given."""
        errors = {}
        if not self.amount.value():
            errors["amount"] = "Enter the amount wasted."
        if not self.by.text().strip():
            errors["by"] = "Enter who wastes it."
        if not self.witness.text().strip():
            errors["witness"] = "Enter the witness."
        self.form_layout.show_errors(errors)
        if errors or not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
