"""A new session joins the patient's open course (or starts one) and carries forward the details
that do not change from one session to the next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sessionmon.course.model import (
    Course,
    Indication,
    PatientRecord,
    ScheduleBlock,
    default_schedule,
)
from sessionmon.course.plan import check_other
from sessionmon.errors import UserError
from sessionmon.model import Patient, Session, Treatment, TreatmentId

if TYPE_CHECKING:  # pragma: no cover
    from sessionmon.course.record_store import CourseStore


def ensure_patient(store: CourseStore, patient: Patient, at: datetime) -> PatientRecord:
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


@dataclass(frozen=True)
class CoursePlan:
    """What a new course is opened with: indication (free text for other) and the planned
    schedule (None: the treatment's usual one)."""

    indication: Indication = Indication.DEPRESSION
    indication_other: str | None = None
    schedule: tuple[ScheduleBlock, ...] | None = None


def open_new_course(
    store: CourseStore,
    pseudonym: str,
    treatment: TreatmentId,
    at: datetime,
    plan: CoursePlan | None = None,
) -> Course:
    """Open a course for ``pseudonym`` (a stored patient) starting ``at``.

    Raises
    ------
    UserError
        If the patient already has an open course (close it first), or the plan is wrong.
    """
    plan = plan or CoursePlan()
    existing = store.open_course(pseudonym)
    if existing is not None:
        raise UserError(
            f"patient {pseudonym} already has an open course ({str(existing.id)[:8]}, from "
            f"{existing.started_on.isoformat()}): close it first (course --close REASON)"
        )
    course = Course(
        pseudonym=pseudonym,
        indication=plan.indication,
        indication_other=check_other(plan.indication, plan.indication_other),
        treatment=treatment,
        started_on=at.date(),
        schedule=default_schedule(treatment) if plan.schedule is None else plan.schedule,
        created_at=at,
    )
    store.save_course(course)
    return course


def course_for_new_session(
    store: CourseStore,
    patient: Patient,
    treatment: TreatmentId,
    at: datetime,
    plan: CoursePlan | None = None,
) -> Course:
    """The patient's open course, or a new one started ``at`` (``plan``: how it is opened;
    default: depression with the treatment's usual schedule). An open course ignores ``plan``."""
    ensure_patient(store, patient, at)
    course = store.open_course(patient.pseudonym)
    if course is not None:
        return course
    return open_new_course(store, patient.pseudonym, treatment, at, plan)


def carried_forward(store: CourseStore, course: Course) -> dict[str, Any]:
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
    store: CourseStore,
    patient: Patient,
    treatment: TreatmentId,
    at: datetime,
    plan: CoursePlan | None = None,
    **fields: Any,
) -> Session:
    """A planned session in the patient's open course (a new one opened with ``plan`` when there
    is none), with the carried-forward details."""
    course = course_for_new_session(store, patient, treatment, at, plan)
    details = carried_forward(store, course)
    details.update(fields)
    if details["treatment"].protocol is not treatment:
        details["treatment"] = Treatment.for_protocol(treatment)
    return Session(created_at=at, course_id=course.id, **details)


def link_to_course(
    store: CourseStore, session: Session, plan: CoursePlan | None = None
) -> tuple[Session, Course]:
    """``session`` joined to its patient's open course (a new course opened with ``plan`` when
    there is none)."""
    course = course_for_new_session(
        store, session.patient, session.treatment.protocol, session.created_at, plan
    )
    return session.model_copy(update={"course_id": course.id}), course
