"""What the course logic reads and writes in the session store, as a type (no store import).

:mod:`~sessionmon.course.enrol` and :mod:`~sessionmon.course.summary` work on a
:class:`~sessionmon.store.SessionStore`; :class:`CourseStore` names the part of it they use, so
``course`` does not import ``store`` (the store imports the course models it keeps): the two
packages form no import circle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.course.model import Course, PatientRecord
    from sessionmon.course.responses import OutcomeResponse
    from sessionmon.model import AlarmRecord, Event, EventKind, Kind, Measurement, Session


class CourseStore(Protocol):
    """The session store's patients, courses and session records (see ``store``)."""

    def get_patient(self, pseudonym: str) -> PatientRecord | None:
        """The latest version of a patient, or None."""
        ...

    def save_patient(self, record: PatientRecord) -> None:
        """Record a patient (or a new version of one)."""
        ...

    def open_course(self, pseudonym: str) -> Course | None:
        """The patient's open course, or None."""
        ...

    def save_course(self, course: Course, action: str | None = None) -> None:
        """Record a course (or a new version of one)."""
        ...

    def course_sessions(self, course: Course) -> list[Session]:
        """The sessions of a course, by start."""
        ...

    def course_responses(self, course_id: uuid.UUID) -> list[OutcomeResponse]:
        """The follow-up questionnaires of a course."""
        ...

    def events(
        self,
        session_id: uuid.UUID,
        include_superseded: bool = False,
        kinds: Iterable[EventKind | str] | None = None,
    ) -> list[Event]:
        """A session's events in time order."""
        ...

    def measurements(
        self,
        session_id: uuid.UUID,
        kinds: Iterable[Kind | str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Measurement]:
        """A session's measurements in receive-time order."""
        ...

    def alarms(self, session_id: uuid.UUID) -> list[AlarmRecord]:
        """The latest version of each alarm of a session."""
        ...
