"""The course export document: what a course JSON file holds (read by import and de-identify).

Its own module so that :mod:`~sessionmon.export.course_export` (which writes and reads it) and
:mod:`~sessionmon.export.course_deidentify` (which builds a de-identified one) both use it
without importing each other in a circle.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from sessionmon.course.model import Course, PatientRecord
from sessionmon.course.responses import OutcomeResponse
from sessionmon.export.json_export import ExportDocument

#: ``format`` of a course export document.
COURSE_FORMAT = "sessionmon-course"
#: Version of the course export document.
COURSE_SCHEMA_VERSION = 1


class CourseDocument(BaseModel):
    """A whole course: patient, course, follow-up questionnaires and every session's record."""

    model_config = ConfigDict(extra="forbid")

    format: str = COURSE_FORMAT
    schema_version: int = COURSE_SCHEMA_VERSION
    exported_at: datetime
    patient: PatientRecord | None
    course: Course
    responses: list[OutcomeResponse]
    sessions: list[ExportDocument]
