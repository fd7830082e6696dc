"""A new session joins the patient's open course (or starts one) and carries forward the details
that do not change from one session to the next."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sessionmon.course.model import Course, Indication, PatientRecord, default_schedule
from sessionmon.model import Patient, Session, Treatment, TreatmentId

if TYPE_CHECKING:  # pragma: no cover
    from sessionmon.store import SessionStore


def ensure_patient(store: SessionStore, patient: Patient, at: datetime) -> PatientRecord:
    """Return the stored patient, recording them (or their new details) when needed."""
    record = store.get_patient(patient.pseudonym)
    if record is None:
        record = PatientRecord(patient=patient, created_at=at)
        store.save_patient(record)
        return record
    known = record.patient.model_dump(exclude_none=True)
    given = patient.model_dump(exclude_none=True)
    if {**known, **given} != known:
        record = record.model_copy(update={"patient": Patient.model_validate({**known, **given})})
        store.save_patient(record)
    return record


def course_for_new_session(
    store: SessionStore,
    patient: Patient,
    treatment: TreatmentId,
    at: datetime,
    indication: Indication = Indication.DEPRESSION,
) -> Course:
    """The patient's open course, or a new one started ``at`` with the usual schedule."""
    ensure_patient(store, patient, at)
    course = store.open_course(patient.pseudonym)
    if course is not None:
        return course
    course = Course(
        pseudonym=patient.pseudonym,
        indication=indication,
        treatment=treatment,
        started_on=at.date(),
        schedule=default_schedule(treatment),
        created_at=at,
    )
    store.save_course(course)
    return course


def carried_forward(store: SessionStore, course: Course) -> dict[str, Any]:
    """Details of the course's last session that a new session starts with.

    Returns a mapping of :class:`~sessionmon.model.Session` fields: ``patient`` (the stored
    patient), ``treatment`` (protocol, drug, route, dose; not the lot number),
    ``concomitant_medicines``, ``monitoring_provider`` and ``clinic``.
    """
    details: dict[str, Any] = {}
    record = store.get_patient(course.pseudonym)
    if record is not None:
        details["patient"] = record.patient
    sessions = store.course_sessions(course)
    if sessions:
        last = sessions[-1]
        details["treatment"] = last.treatment.model_copy(update={"lot_number": None})
        details["concomitant_medicines"] = last.concomitant_medicines
        if last.monitoring_provider:
            details["monitoring_provider"] = last.monitoring_provider
        if last.clinic:
            details["clinic"] = last.clinic
    else:
        details["treatment"] = Treatment.for_protocol(course.treatment)
    return details


def new_course_session(
    store: SessionStore,
    patient: Patient,
    treatment: TreatmentId,
    at: datetime,
    **fields: Any,
) -> Session:
    """A planned session in the patient's open course, with the carried-forward details."""
    course = course_for_new_session(store, patient, treatment, at)
    details = carried_forward(store, course)
    details.update(fields)
    if details["treatment"].protocol is not treatment:
        details["treatment"] = Treatment.for_protocol(treatment)
    return Session(created_at=at, course_id=course.id, **details)


def link_to_course(store: SessionStore, session: Session) -> tuple[Session, Course]:
    """``session`` joined to its patient's open course (a new course when there is none)."""
    course = course_for_new_session(
        store, session.patient, session.treatment.protocol, session.created_at
    )
    return session.model_copy(update={"course_id": course.id}), course
