"""What the course view asks for: edit or close the course, export it (optionally de-identified).

Plain functions over the store and the injected clock (no Qt); each returns the line to show, or
raises :class:`~sessionmon.errors.UserError` with the message to show in place.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sessionmon.course.model import Course
from sessionmon.course.plan import (
    close_course,
    edit_course,
    format_schedule,
    indication_text,
    parse_close_reason,
    parse_indication,
    parse_schedule,
)
from sessionmon.errors import UserError

EXPORT_FORMATS = ("csv", "fhir", "json", "pdf")


def _by(by: str) -> str | None:
    by = by.strip()
    if len(by) > 100:
        raise UserError("Who made the change: at most 100 characters.")
    return by or None


def edit(
    store: Any,
    course: Course,
    now: datetime,
    indication: str,
    other: str,
    schedule: str,
    reason: str,
    by: str,
) -> Course:
    """Save the fields that changed as a new, audited version of ``course``."""
    changes: dict[str, Any] = {}
    picked = parse_indication(indication)
    if picked is not course.indication:
        changes["indication"] = picked
    if (other.strip() or None) != course.indication_other:
        changes["indication_other"] = other.strip() or None
    if schedule.strip() and schedule.strip() != format_schedule(course.schedule):
        changes["schedule"] = parse_schedule(schedule)
    edited = edit_course(course, now, _by(by), reason.strip() or None, **changes)
    store.save_course(edited)
    return edited


def close(store: Any, course: Course, now: datetime, reason: str, note: str, by: str) -> Course:
    """Close ``course`` for ``reason`` (a new, audited version)."""
    closed = close_course(course, now, _by(by), parse_close_reason(reason), note)
    store.save_course(closed)
    return closed


def export(
    store: Any, summary: Any, now: datetime, fmt: str, path: str, deidentified: bool
) -> Path:
    """Write the course as ``fmt`` (csv, fhir, json, pdf) to ``path``."""
    from sessionmon.export import course_export

    if fmt not in EXPORT_FORMATS:
        raise UserError(f"Choose a format: {', '.join(EXPORT_FORMATS)}.")
    if not path.strip():
        raise UserError("Enter the file to write.")
    target = Path(path.strip()).expanduser()
    if not target.parent.is_dir():
        raise UserError(f"The folder {target.parent} does not exist.")
    course = summary.course
    offset = None
    if deidentified:
        from sessionmon.export import course_deidentify as deid

        offset = deid.course_offset()
        summary = deid.deidentify_summary(summary, deid.course_records(store, course), offset)
    if fmt == "csv":
        return course_export.export_course_csv(summary, target)
    if fmt == "fhir":
        return course_export.export_course_fhir(summary, target, now)
    if fmt == "json":
        return course_export.export_course_json(store, course, target, now, deidentified, offset)
    from sessionmon.export.course_pdf import export_course_pdf

    return export_course_pdf(summary, target, now)


def title(course: Course) -> str:
    """The course view's title line."""
    status = course.status.value
    if course.closed_reason is not None:
        status += f": {course.closed_reason.value.replace('_', ' ')}"
    return (
        f"{course.pseudonym}: {indication_text(course)}, {course.treatment.value}, from "
        f"{course.started_on.isoformat()} ({status})"
    )
