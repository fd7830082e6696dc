"""Patient details dialog: correct the REMS patient fields of the open session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.dialogs.form import ValidatedForm, submitted
from sessionmon.ui.dialogs.patient_fields import medicine_checkboxes, sex_chooser
from sessionmon.ui.forms import (
    PatientDetailsForm,
    validate_patient_details,
)


class PatientDetailsDialog(QDialog):
    """Edits name, date of birth, sex, lot number, concomitant medicines and provider.

    Checked with the new-session form's rules; Save submits through :attr:`submit` and the
    dialog stays open, with everything typed, when the core refuses the correction.

    Parameters
    ----------
    form : PatientDetailsForm
        The details as recorded now (and who is correcting them).
    today : callable
        Returns today's date (from the injected clock), to check the date of birth.
    pseudonym : str
        The session's pseudonym (shown; it cannot change).

    Attributes
    ----------
    submit : callable, optional
        ``submit(form) -> refusal or None`` records the correction.
    """

    def __init__(
        self,
        form: PatientDetailsForm,
        today: Callable[[], date],
        pseudonym: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Patient details")
        self._today = today
        self.submit: Callable[[PatientDetailsForm], str | None] | None = None
        f = self.form_layout = ValidatedForm()
        self.name = f.add_field("name", "Patient name", QLineEdit())
        self.date_of_birth = f.add_field("date_of_birth", "Date of birth", QLineEdit())
        self.date_of_birth.setPlaceholderText("YYYY-MM-DD")
        self.sex = f.add_field("sex", "Sex *", sex_chooser())
        self.lot_number = f.add_field("lot_number", "Lot number *", QLineEdit())
        medicines, self.concomitant = medicine_checkboxes()
        f.add_field("concomitant", "Concomitant medicines", medicines)
        self.monitoring_provider = f.add_field(
            "monitoring_provider", "Monitoring provider *", QLineEdit()
        )
        self.by = f.add_field("by", "Corrected by *", QLineEdit())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Save details")
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        note = QLabel(
            f"Session {pseudonym}: the REMS monitoring form needs the patient's name, date of"
            " birth and sex.\nThe correction is kept as a new version of the record, with"
            " who made it."
        )
        note.setObjectName("dim")
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(f)
        layout.addWidget(self.buttons)
        self.set_form(form)

    def set_form(self, form: PatientDetailsForm) -> None:
        """Fill the widgets from ``form``."""
        self.name.setText(form.name)
        self.date_of_birth.setText(form.date_of_birth)
        self.sex.setCurrentIndex(max(0, self.sex.findData(form.sex)))
        self.lot_number.setText(form.lot_number)
        for medicine, box in self.concomitant.items():
            box.setChecked(medicine in form.concomitant)
        self.monitoring_provider.setText(form.monitoring_provider)
        self.by.setText(form.by)

    def form(self) -> PatientDetailsForm:
        """Return what is typed now."""
        return PatientDetailsForm(
            name=self.name.text(),
            date_of_birth=self.date_of_birth.text(),
            sex=self.sex.currentData() or "",
            lot_number=self.lot_number.text(),
            concomitant=[m for m, box in self.concomitant.items() if box.isChecked()],
            monitoring_provider=self.monitoring_provider.text(),
            by=self.by.text(),
        )

    def try_accept(self) -> bool:
        """Check and save; on a mistake or a refusal show the message and keep the text."""
        form = self.form()
        errors = validate_patient_details(form, self._today())
        self.form_layout.show_errors(errors)
        if errors:
            self.form_layout.fields[next(iter(errors))].setFocus()
            return False
        submit = self.submit
        if not submitted((lambda: submit(form)) if submit else None, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
