"""Patients, courses and follow-up questionnaires in the session store (append-only versions).

A mixin of :class:`~sessionmon.store.session_store.SessionStore`: every write is one audited
transaction on the writer thread, like a session's; reads use the store's read connection.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import TYPE_CHECKING, Any

from sessionmon.course.model import Course, CourseStatus, PatientRecord
from sessionmon.course.responses import OutcomeResponse
from sessionmon.model import Session
from sessionmon.store import codec
from sessionmon.store.errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable, Iterable


class CourseRecords:
    """Patient, course and follow-up records (mixed into the session store)."""

    # Provided by SessionStore.
    _lock: Any
    _clock: Any
    path: Any
    _write: Callable[..., Any]
    _read: Callable[..., list[tuple]]
    _insert_audited: Callable[..., None]
    _settle: Callable[[], None]

    # ------------------------------------------------------------------ patients

    def save_patient(self, record: PatientRecord) -> None:
        """Record a patient (or a changed patient, as a new version); committed before return."""
        row = (
            record.patient.pseudonym,
            codec.to_us(self._clock.now()),
            record.model_dump_json(),
        )

        def work(conn: sqlite3.Connection) -> None:
            self._insert_audited(
                conn, "patient_versions", "pseudonym, written_us, body", [row], "patient.save"
            )

        with self._lock:
            self._write(f"saving patient {record.patient.pseudonym}", work)

    def get_patient(self, pseudonym: str) -> PatientRecord | None:
        """The latest version of the patient ``pseudonym``, or None."""
        rows = self._read(
            "reading a patient",
            "SELECT body FROM patient_versions WHERE pseudonym = ? "
            "ORDER BY version_id DESC LIMIT 1",
            (pseudonym,),
        )
        return PatientRecord.model_validate_json(rows[0][0]) if rows else None

    def list_patients(self) -> list[PatientRecord]:
        """Every patient (latest version), by pseudonym."""
        rows = self._read(
            "listing patients",
            "SELECT body FROM patient_versions WHERE version_id IN "
            "(SELECT MAX(version_id) FROM patient_versions GROUP BY pseudonym) ORDER BY pseudonym",
        )
        return [PatientRecord.model_validate_json(r[0]) for r in rows]

    # ------------------------------------------------------------------ courses

    def save_course(self, course: Course, action: str | None = None) -> None:
        """Record a course (or a changed course, as a new version); committed before return.

        The audit entry's action is ``action`` if given (``course.import``), else ``course.save``,
        or ``course.edit`` / ``course.close`` for a version carrying a
        :class:`~sessionmon.course.model.CourseChange`.
        """
        if action is None:
            change = course.last_change
            action = "course.save" if change is None else f"course.{change.action}"
        row = (
            str(course.id),
            course.pseudonym,
            codec.to_us(self._clock.now()),
            course.model_dump_json(),
        )

        def work(conn: sqlite3.Connection) -> None:
            self._insert_audited(
                conn,
                "course_versions",
                "course_id, pseudonym, written_us, body",
                [row],
                action,
            )

        with self._lock:
            self._write(f"saving course {str(course.id)[:8]}", work)

    def get_course(self, course_id: uuid.UUID) -> Course:
        """The latest version of a course.

        Raises
        ------
        StoreError
            If there is no such course.
        """
        rows = self._read(
            "reading a course",
            "SELECT body FROM course_versions WHERE course_id = ? ORDER BY version_id DESC LIMIT 1",
            (str(course_id),),
        )
        if not rows:
            raise StoreError(f"no course {course_id} in {self.path}")
        return Course.model_validate_json(rows[0][0])

    def course_history(self, course_id: uuid.UUID) -> list[Course]:
        """Every stored version of a course, oldest first (edits and close carry their change)."""
        rows = self._read(
            "reading a course's history",
            "SELECT body FROM course_versions WHERE course_id = ? ORDER BY version_id",
            (str(course_id),),
        )
        return [Course.model_validate_json(r[0]) for r in rows]

    def courses_for(self, pseudonym: str) -> list[Course]:
        """The patient's courses (latest versions), oldest first."""
        rows = self._read(
            "reading courses",
            "SELECT body FROM course_versions WHERE version_id IN "
            "(SELECT MAX(version_id) FROM course_versions WHERE pseudonym = ? GROUP BY course_id) "
            "ORDER BY version_id",
            (pseudonym,),
        )
        courses = [Course.model_validate_json(r[0]) for r in rows]
        return sorted(courses, key=lambda c: (c.started_on, c.created_at))

    def open_course(self, pseudonym: str) -> Course | None:
        """The patient's most recent open course (the one a new session joins), or None."""
        open_ = [c for c in self.courses_for(pseudonym) if c.status is CourseStatus.OPEN]
        return open_[-1] if open_ else None

    def course_sessions(self, course: Course) -> list[Session]:
        """The sessions of ``course`` (latest versions), by start."""
        with self._lock:
            self._settle()
        rows = self._read(
            "reading a course's sessions",
            "SELECT v.body FROM session_versions v JOIN (SELECT session_id, MAX(version_id) AS m "
            "FROM session_versions GROUP BY session_id) l ON v.version_id = l.m "
            "WHERE json_extract(v.body, '$.course_id') = ? OR "
            "(v.session_id = ? AND json_extract(v.body, '$.course_id') IS NULL)",
            (str(course.id), str(course.id)),
        )
        sessions = [Session.model_validate_json(r[0]) for r in rows]
        return sorted(sessions, key=lambda s: s.created_at)

    # ------------------------------------------------------------------ follow-up questionnaires

    def add_course_responses(self, responses: Iterable[OutcomeResponse]) -> None:
        """Record questionnaires given outside a session (follow-up, tablet form)."""
        rows = [
            (str(r.id), str(r.course_id), codec.to_us(r.at), r.model_dump_json()) for r in responses
        ]
        if not rows:
            return

        def work(conn: sqlite3.Connection) -> None:
            self._insert_audited(
                conn,
                "course_responses",
                "response_id, course_id, at_us, body",
                rows,
                "course.response",
            )

        with self._lock:
            self._write("saving a questionnaire", work)

    def course_responses(self, course_id: uuid.UUID) -> list[OutcomeResponse]:
        """Questionnaires recorded for the course outside its sessions, by time."""
        rows = self._read(
            "reading questionnaires",
            "SELECT body FROM course_responses WHERE course_id = ? ORDER BY at_us, row_id",
            (str(course_id),),
        )
        return [OutcomeResponse.model_validate_json(r[0]) for r in rows]
