"""De-identified course exports: the course summary (CSV, FHIR, PDF, ``--json``) and the whole
course JSON without name, date of birth, MRN or staff names, every date and time moved by one
shift per export.

The shift is a whole number of days (one to eleven years back, from the operating system's
random source, never written out), the same for the course dates (start, planned dates, close)
and every session's times, so the schedule still lines up with the sessions held. Sessions are
de-identified with :func:`sessionmon.export.deidentify.deidentify` using that same shift. Free
text the course holds (notes, close note, the reason of an edit) is left out; the free-text
indication of an ``other`` course is scrubbed of the names and dates the sessions held.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sessionmon.course.model import Course, CourseChange
from sessionmon.course.summary import CourseSummary, MeasureOutcome, ScheduleStatus
from sessionmon.export.deidentify import (
    MIN_SHIFT_DAYS,
    REMOVED,
    SHIFT_SPAN_DAYS,
    _scrubber,
    deidentify,
)
from sessionmon.export.record import SessionRecord, load_record

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable


def course_offset() -> timedelta:
    """A fresh random shift into the past of whole days (``secrets``-based)."""
    return -timedelta(days=MIN_SHIFT_DAYS + secrets.randbelow(SHIFT_SPAN_DAYS))


def _day(value: date | None, offset: timedelta) -> date | None:
    return None if value is None else value + timedelta(days=offset.days)


def _chain(records: list[SessionRecord]) -> Callable[[str | None], str | None]:
    scrubs = [_scrubber(r) for r in records]

    def scrub(text: str | None) -> str | None:
        for one in scrubs:
            text = one(text) if text else text
        return text

    return scrub


def _course(course: Course, offset: timedelta, scrub: Callable[[Any], Any]) -> Course:
    change = course.last_change
    if change is not None:
        fields = {k: v for k, v in change.fields.items() if k not in ("notes", "indication_other")}
        change = CourseChange(
            action=change.action,
            at=change.at + offset,
            by=None if change.by is None else "(staff)",
            reason=None if change.reason is None else REMOVED,
            fields=fields,
        )
    return course.model_copy(
        update={
            "started_on": _day(course.started_on, offset),
            "created_at": course.created_at + offset,
            "closed_on": _day(course.closed_on, offset),
            "notes": None if course.notes is None else REMOVED,
            "closed_note": None if course.closed_note is None else REMOVED,
            "indication_other": scrub(course.indication_other),
            "last_change": change,
        }
    )


def deidentify_summary(
    summary: CourseSummary,
    records: list[SessionRecord],
    offset: timedelta | None = None,
) -> CourseSummary:
    """``summary`` without the patient's details or staff names, every date shifted by ``offset``.

    Parameters
    ----------
    summary : CourseSummary
        The identified summary.
    records : list of SessionRecord
        The course's session records (their names and dates of birth are scrubbed from the
        course's free text).
    offset : timedelta, optional
        Whole days; a fresh :func:`course_offset` when omitted (tests pass one).
    """
    offset = course_offset() if offset is None else timedelta(days=offset.days)
    scrub = _chain(records)
    sessions = tuple(replace(f, start=f.start + offset) for f in summary.sessions)
    measures = tuple(
        MeasureOutcome(**{**m.__dict__, "points": tuple((at + offset, t) for at, t in m.points)})
        for m in summary.measures
    )
    responses = tuple(
        r.model_copy(update={"at": r.at + offset, "by": None if r.by is None else "(staff)"})
        for r in summary.responses
    )
    s = summary.schedule
    schedule = ScheduleStatus(
        planned=s.planned,
        held=s.held,
        next_due=_day(s.next_due, offset),
        missed=tuple(_day(d, offset) for d in s.missed),
        due=tuple(_day(d, offset) for d in s.due),
        matched=tuple((_day(p, offset), _day(h, offset)) for p, h in s.matched),
        unplanned=s.unplanned,
        tolerance_days=s.tolerance_days,
    )
    return replace(
        summary,
        course=_course(summary.course, offset, scrub),
        patient=None,
        sessions=sessions,
        measures=measures,
        responses=responses,
        schedule=schedule,
        deidentified=True,
    )


def course_records(store: Any, course: Course) -> list[SessionRecord]:
    """The whole record of every session of ``course`` (no waveform), by start."""
    return [load_record(store, s.id) for s in store.course_sessions(course)]


def deidentified_course_document(
    store: Any, course: Course, exported_at: datetime, offset: timedelta | None = None
) -> Any:
    """The course JSON document, de-identified (see the module docstring)."""
    from sessionmon.export.course_document import CourseDocument
    from sessionmon.export.json_export import build_document

    offset = course_offset() if offset is None else timedelta(days=offset.days)
    records = course_records(store, course)
    scrub = _chain(records)
    patient = store.get_patient(course.pseudonym)
    if patient is not None:
        patient = patient.model_copy(
            update={
                "patient": patient.patient.model_copy(update={"name": None, "date_of_birth": None}),
                "mrn": None,
                "created_at": patient.created_at + offset,
            }
        )
    responses = [
        r.model_copy(update={"at": r.at + offset, "by": None if r.by is None else "(staff)"})
        for r in store.course_responses(course.id)
    ]
    return CourseDocument(
        exported_at=exported_at,
        patient=patient,
        course=_course(course, offset, scrub),
        responses=responses,
        sessions=[build_document(deidentify(r, offset), exported_at, True) for r in records],
    )
