"""What the workflow forms collect, and their validation: plain data, no widgets.

Each ``validate_*`` returns ``{field: message}``; an empty dict means the form can be accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sessionmon.course.enrol import CoursePlan
from sessionmon.model import Patient, Session, Treatment, TreatmentId
from sessionmon.runtime.patient_details import CONCOMITANT_MEDICINES, SEXES

__all__ = [
    "CONCOMITANT_MEDICINES",
    "DEFAULT_DOSE_MG",
    "SEXES",
    "TREATMENT_LABELS",
    "NewSessionForm",
    "PatientDetailsForm",
    "parse_date",
    "session_from_form",
    "validate_new_session",
    "validate_patient_details",
    "validate_sign_off",
]

TREATMENT_LABELS: dict[TreatmentId, str] = {
    TreatmentId.ESKETAMINE_56: "Esketamine 56 mg intranasal",
    TreatmentId.ESKETAMINE_84: "Esketamine 84 mg intranasal",
    TreatmentId.KETAMINE_IV: "Ketamine IV infusion",
}

DEFAULT_DOSE_MG: dict[TreatmentId, float] = {
    TreatmentId.ESKETAMINE_56: 56,
    TreatmentId.ESKETAMINE_84: 84,
    TreatmentId.KETAMINE_IV: 35,
}


@dataclass
class NewSessionForm:
    """The REMS fields of a new session, as typed (strings until validated)."""

    pseudonym: str = ""
    name: str = ""
    date_of_birth: str = ""
    sex: str = ""
    treatment: str = TreatmentId.ESKETAMINE_84.value
    dose_mg: str = "84"
    lot_number: str = ""
    concomitant: list[str] = field(default_factory=list)
    monitoring_provider: str = ""
    #: The course opened when the patient has no open course (ignored when they have one).
    indication: str = "depression"
    indication_other: str = ""
    schedule: str = ""  # COUNTxDAYS blocks; empty: the treatment's usual schedule


def parse_date(text: str) -> date | None:
    """Return the date in ``YYYY-MM-DD`` text, or ``None`` if it is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass
class PatientDetailsForm:
    """The patient details of an open session, as typed in Patient details (strings)."""

    name: str = ""
    date_of_birth: str = ""
    sex: str = ""
    lot_number: str = ""
    concomitant: list[str] = field(default_factory=list)
    monitoring_provider: str = ""
    by: str = ""

    @classmethod
    def of(cls, session: Session, by: str = "") -> PatientDetailsForm:
        """The form filled with what ``session`` records now."""
        dob = session.patient.date_of_birth
        return cls(
            name=session.patient.name or "",
            date_of_birth=dob.isoformat() if dob else "",
            sex=session.patient.sex or "",
            lot_number=session.treatment.lot_number or "",
            concomitant=list(session.concomitant_medicines),
            monitoring_provider=session.monitoring_provider or "",
            by=by,
        )

    def fields(self) -> dict[str, object]:
        """Keyword arguments of ``SessionRuntime.update_patient_details`` (without ``by``)."""
        return {
            "name": self.name.strip() or None,
            "date_of_birth": self.date_of_birth.strip() or None,
            "sex": self.sex,
            "lot_number": self.lot_number.strip(),
            "concomitant_medicines": list(self.concomitant),
            "monitoring_provider": self.monitoring_provider.strip(),
        }


def _check_patient(name: str, dob_text: str, sex: str, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if len(name) > 200:
        errors["name"] = "The name is longer than 200 characters."
    dob_text = dob_text.strip()
    if dob_text:  # optional (pseudonymous clinics); checked when given
        dob = parse_date(dob_text)
        if dob is None:
            errors["date_of_birth"] = f"'{dob_text}' is not a date; write it as YYYY-MM-DD."
        elif dob >= today:
            errors["date_of_birth"] = "The date of birth must be before today."
        elif (today - dob).days > 120 * 366:
            errors["date_of_birth"] = "The date of birth is more than 120 years ago."
    if sex not in SEXES:
        errors["sex"] = "Choose female, male, other or unknown."
    return errors


def _check_rems(lot_number: str, concomitant: list[str], provider: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    lot = lot_number.strip()
    if not lot:
        errors["lot_number"] = "Enter the lot number from the package."
    elif len(lot) > 64:
        errors["lot_number"] = "The lot number is longer than 64 characters."
    unknown = [m for m in concomitant if m not in CONCOMITANT_MEDICINES]
    if unknown:
        errors["concomitant"] = f"Unknown medicine class: {', '.join(unknown)}."
    if not provider.strip():
        errors["monitoring_provider"] = "Enter the monitoring provider (who supervises)."
    elif len(provider) > 200:
        errors["monitoring_provider"] = "The provider is longer than 200 characters."
    return errors


def validate_patient_details(form: PatientDetailsForm, today: date) -> dict[str, str]:
    """Check a Patient details form with the new-session form's rules, plus who corrects.

    Returns
    -------
    dict
        Field name -> one clear message, for every field that is wrong.
    """
    errors = _check_patient(form.name, form.date_of_birth, form.sex, today)
    errors.update(_check_rems(form.lot_number, form.concomitant, form.monitoring_provider))
    if not form.by.strip():
        errors["by"] = "Enter your name or staff id (who corrects the details)."
    elif len(form.by) > 100:
        errors["by"] = "The name is longer than 100 characters."
    return errors


def validate_new_session(form: NewSessionForm, today: date) -> dict[str, str]:
    """Check a new-session form.

    Parameters
    ----------
    form : NewSessionForm
        What was typed.
    today : date
        The date now (from the injected clock), to check the date of birth.

    Returns
    -------
    dict
        Field name -> one clear message, for every field that is wrong.
    """
    errors: dict[str, str] = {}
    pseudonym = form.pseudonym.strip()
    if not pseudonym:
        errors["pseudonym"] = "Enter the patient's pseudonym (the id used on the record)."
    elif len(pseudonym) > 64:
        errors["pseudonym"] = f"The pseudonym is {len(pseudonym)} characters; at most 64."
    errors.update(_check_patient(form.name, form.date_of_birth, form.sex, today))
    try:
        treatment = TreatmentId(form.treatment)
    except ValueError:
        errors["treatment"] = "Choose a treatment."
        treatment = None
    dose_text = form.dose_mg.strip().replace(",", ".")
    try:
        dose = float(dose_text)
    except ValueError:
        errors["dose_mg"] = f"'{form.dose_mg}' is not a number of mg."
    else:
        if not 0 < dose <= 1000:
            errors["dose_mg"] = "The dose must be more than 0 and at most 1000 mg."
        elif treatment in (TreatmentId.ESKETAMINE_56, TreatmentId.ESKETAMINE_84) and dose % 28 != 0:
            errors["dose_mg"] = "Esketamine comes in 28 mg devices: 56 or 84 mg."
    errors.update(_check_rems(form.lot_number, form.concomitant, form.monitoring_provider))
    errors.update(_check_course(form))
    return errors


def _check_course(form: NewSessionForm) -> dict[str, str]:
    """The new course's indication and schedule (used only if no course is open)."""
    from sessionmon.course.plan import check_other, parse_indication, parse_schedule
    from sessionmon.errors import UserError

    errors: dict[str, str] = {}
    try:
        indication = parse_indication(form.indication)
    except UserError:
        errors["indication"] = "Choose the course indication."
    else:
        try:
            check_other(indication, form.indication_other)
        except UserError:
            errors["indication_other"] = (
                "Say which indication 'Other' is (at most 200 characters)."
                if indication.value == "other"
                else "Leave this empty unless the indication is 'Other'."
            )
    if form.schedule.strip():
        try:
            parse_schedule(form.schedule)
        except UserError as exc:
            errors["schedule"] = str(exc) + "."
    return errors


def course_plan_from_form(form: NewSessionForm) -> CoursePlan:
    """The plan a new course is opened with (call :func:`validate_new_session` first)."""
    from sessionmon.course.plan import parse_indication, parse_schedule

    indication = parse_indication(form.indication)
    return CoursePlan(
        indication=indication,
        indication_other=form.indication_other.strip() or None,
        schedule=parse_schedule(form.schedule) if form.schedule.strip() else None,
    )


def session_from_form(form: NewSessionForm, created_at: datetime, simulated: bool) -> Session:
    """Build the :class:`Session` of a validated form (call :func:`validate_new_session` first)."""
    treatment_id = TreatmentId(form.treatment)
    dose = float(form.dose_mg.strip().replace(",", "."))
    overrides: dict[str, object] = {"dose_mg": dose, "lot_number": form.lot_number.strip()}
    if treatment_id is not TreatmentId.KETAMINE_IV:
        overrides["devices_count"] = int(dose // 28)
    return Session(
        patient=Patient(
            pseudonym=form.pseudonym.strip(),
            name=form.name.strip() or None,
            date_of_birth=parse_date(form.date_of_birth),
            sex=form.sex,
        ),
        treatment=Treatment.for_protocol(treatment_id, **overrides),
        concomitant_medicines=tuple(form.concomitant),
        monitoring_provider=form.monitoring_provider.strip(),
        created_at=created_at,
        simulated=simulated,
    )


def validate_sign_off(name: str) -> dict[str, str]:
    """Check the sign-off form: who signs."""
    if not name.strip():
        return {"by": "Enter your name or staff id to sign the record."}
    if len(name) > 100:
        return {"by": "The name is longer than 100 characters."}
    return {}
