"""New-session dialog: the REMS patient and treatment fields, validated in place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from sessionmon.course.plan import INDICATION_LABELS, format_schedule, indication_text
from sessionmon.model import TreatmentId
from sessionmon.ui.dialogs.form import Submit, ValidatedForm, submitted
from sessionmon.ui.dialogs.patient_fields import medicine_checkboxes, sex_chooser
from sessionmon.ui.forms import (
    DEFAULT_DOSE_MG,
    TREATMENT_LABELS,
    NewSessionForm,
    validate_new_session,
)


class NewSessionDialog(QDialog):
    """Collects a :class:`NewSessionForm`. OK checks every field and keeps what was typed.

    Parameters
    ----------
    today : callable
        Returns today's date (from the injected clock).
    draft : NewSessionForm, optional
        Values to start from (a form cancelled earlier is not lost).

    Attributes
    ----------
    submit : callable, optional
        Starts the session; returns the refusal (shown in place, the dialog stays open).
    """

    def __init__(
        self,
        today: Callable[[], date],
        draft: NewSessionForm | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New session")
        self._today = today
        self.submit: Submit | None = None
        self.form_layout = ValidatedForm()
        f = self.form_layout
        self.pseudonym = f.add_field("pseudonym", "Patient pseudonym *", QLineEdit())
        self.name = f.add_field("name", "Name (optional)", QLineEdit())
        self.date_of_birth = f.add_field("date_of_birth", "Date of birth (optional)", QLineEdit())
        self.date_of_birth.setPlaceholderText("YYYY-MM-DD")
        self.sex = f.add_field("sex", "Sex *", sex_chooser())
        self.treatment = f.add_field("treatment", "Treatment *", QComboBox())
        for treatment_id, label in TREATMENT_LABELS.items():
            self.treatment.addItem(label, treatment_id.value)
        self.dose_mg = f.add_field("dose_mg", "Dose (mg) *", QLineEdit())
        self.lot_number = f.add_field("lot_number", "Lot number *", QLineEdit())
        medicines, self.concomitant = medicine_checkboxes()
        f.add_field("concomitant", "Concomitant medicines", medicines)
        self.monitoring_provider = f.add_field(
            "monitoring_provider", "Monitoring provider *", QLineEdit()
        )
        self.indication = f.add_field("indication", "Course indication", QComboBox())
        for indication, label in INDICATION_LABELS.items():
            self.indication.addItem(label, indication.value)
        self.indication_other = f.add_field("indication_other", "Other indication", QLineEdit())
        self.indication_other.setPlaceholderText("what it is, for 'Other'")
        self.schedule = f.add_field("schedule", "Planned schedule", QLineEdit())
        self.schedule.setPlaceholderText(
            "usual for the treatment, or e.g. 6x2.5 (6 sessions 2.5 days apart)"
        )
        self._course_fields = (self.indication, self.indication_other, self.schedule)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start session")
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        note = QLabel(
            "Fields marked * are required. The REMS monitoring form also needs the patient's"
            " name and date of birth:\nleave them empty only for a pseudonymous record."
        )
        note.setObjectName("dim")
        self.note = note
        layout.addWidget(note)
        layout.addLayout(f)
        layout.addWidget(self.buttons)
        self.treatment.currentIndexChanged.connect(self._treatment_changed)
        self.set_form(draft or NewSessionForm())
        #: ``pseudonym -> carried-forward details`` of the patient's open course ({}: none).
        self.course_details: Callable[[str], dict] | None = None
        self.pseudonym.editingFinished.connect(self._offer_course)

    def _offer_course(self) -> None:
        """Fill the empty fields from the patient's open treatment course, and say so."""
        if self.course_details is None:
            return
        details = self.course_details(self.pseudonym.text())
        course = details.get("course")
        for widget in self._course_fields:
            widget.setEnabled(course is None)
            widget.setToolTip(
                "" if course is None else "Set on the open course (Treatment course view)"
            )
        if not details:
            return
        if course is not None:
            self.indication.setCurrentIndex(
                max(0, self.indication.findData(course.indication.value))
            )
            self.indication_other.setText(course.indication_other or "")
            self.schedule.setText(format_schedule(course.schedule))
        patient = details.get("patient")
        if patient is not None:
            if not self.name.text() and patient.name:
                self.name.setText(patient.name)
            if not self.date_of_birth.text() and patient.date_of_birth:
                self.date_of_birth.setText(patient.date_of_birth.isoformat())
            if patient.sex and self.sex.currentData() in (None, ""):
                self.sex.setCurrentIndex(max(0, self.sex.findData(patient.sex)))
        treatment = details.get("treatment")
        if treatment is not None:
            self.treatment.setCurrentIndex(
                max(0, self.treatment.findData(treatment.protocol.value))
            )
            self.dose_mg.setText(f"{treatment.dose_mg:g}")
        for medicine in details.get("concomitant_medicines", ()):
            if medicine in self.concomitant:
                self.concomitant[medicine].setChecked(True)
        if not self.monitoring_provider.text() and details.get("monitoring_provider"):
            self.monitoring_provider.setText(details["monitoring_provider"])
        opened = (
            f" ({indication_text(course)}, from {course.started_on.isoformat()})" if course else ""
        )
        self.note.setText(
            f"This patient has an open treatment course{opened}: the session joins it, and the "
            "details that do not change were carried forward from the last session (check them)."
        )

    def _treatment_changed(self) -> None:
        treatment = TreatmentId(self.treatment.currentData())
        defaults = {str(int(v)) for v in DEFAULT_DOSE_MG.values()}
        if not self.dose_mg.text().strip() or self.dose_mg.text().strip() in defaults:
            self.dose_mg.setText(str(int(DEFAULT_DOSE_MG[treatment])))

    def set_form(self, form: NewSessionForm) -> None:
        """Fill the widgets from ``form``."""
        self.pseudonym.setText(form.pseudonym)
        self.name.setText(form.name)
        self.date_of_birth.setText(form.date_of_birth)
        self.sex.setCurrentIndex(max(0, self.sex.findData(form.sex)))
        self.treatment.blockSignals(True)
        self.treatment.setCurrentIndex(max(0, self.treatment.findData(form.treatment)))
        self.treatment.blockSignals(False)
        self.dose_mg.setText(form.dose_mg)
        self.lot_number.setText(form.lot_number)
        for medicine, box in self.concomitant.items():
            box.setChecked(medicine in form.concomitant)
        self.monitoring_provider.setText(form.monitoring_provider)
        self.indication.setCurrentIndex(max(0, self.indication.findData(form.indication)))
        self.indication_other.setText(form.indication_other)
        self.schedule.setText(form.schedule)

    def form(self) -> NewSessionForm:
        """Return what is typed now."""
        return NewSessionForm(
            pseudonym=self.pseudonym.text(),
            name=self.name.text(),
            date_of_birth=self.date_of_birth.text(),
            sex=self.sex.currentData() or "",
            treatment=self.treatment.currentData(),
            dose_mg=self.dose_mg.text(),
            lot_number=self.lot_number.text(),
            concomitant=[m for m, box in self.concomitant.items() if box.isChecked()],
            monitoring_provider=self.monitoring_provider.text(),
            indication=self.indication.currentData(),
            indication_other=self.indication_other.text(),
            schedule=self.schedule.text() if self.schedule.isEnabled() else "",
        )

    def try_accept(self) -> bool:
        """Validate; accept if every field is right, else show the messages and keep the text."""
        errors = validate_new_session(self.form(), self._today())
        self.form_layout.show_errors(errors)
        if errors:
            first = next(iter(errors))
            self.form_layout.fields[first].setFocus()
            return False
        if not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
