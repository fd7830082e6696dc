"""Patients and treatment courses: pydantic records the store keeps (append-only versions)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sessionmon.model import Patient, TreatmentId


class Indication(StrEnum):
    """What the course treats."""

    DEPRESSION = "depression"
    GAD = "gad"
    SOCIAL_ANXIETY = "social_anxiety"
    PTSD = "ptsd"
    OTHER = "other"


class CourseStatus(StrEnum):
    """Whether new sessions are still planned in the course."""

    OPEN = "open"
    CLOSED = "closed"


class CloseReason(StrEnum):
    """Why a course was closed."""

    COMPLETED = "completed"
    SIDE_EFFECTS = "side_effects"
    NO_RESPONSE = "no_response"
    MOVED_AWAY = "moved_away"
    OTHER = "other"


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ScheduleBlock(_Record):
    """``count`` sessions ``every_days`` apart (e.g. induction: 8 sessions every 3.5 days)."""

    label: str = Field(default="", max_length=100)
    count: int = Field(ge=1, le=200)
    every_days: float = Field(gt=0, le=120)


#: Esketamine (Spravato label): twice weekly for weeks 1-4, weekly weeks 5-8, then every 1-2 weeks.
ESKETAMINE_SCHEDULE = (
    ScheduleBlock(label="induction", count=8, every_days=3.5),
    ScheduleBlock(label="optimisation", count=4, every_days=7),
    ScheduleBlock(label="maintenance", count=6, every_days=14),
)
#: IV ketamine: commonly 6 infusions over 2-3 weeks.
KETAMINE_SCHEDULE = (ScheduleBlock(label="induction", count=6, every_days=2.5),)


def default_schedule(treatment: TreatmentId) -> tuple[ScheduleBlock, ...]:
    """The usual planned schedule for a treatment protocol."""
    if treatment is TreatmentId.KETAMINE_IV:
        return KETAMINE_SCHEDULE
    return ESKETAMINE_SCHEDULE


class CourseChange(_Record):
    """What one course version changed: who, when, why, and each field before and after."""

    action: str = Field(pattern="^(edit|close)$")
    at: datetime
    by: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=2000)
    fields: dict[str, tuple[Any, Any]] = Field(default_factory=dict)


class Course(_Record):
    """One treatment course of one patient: indication, treatment and planned schedule.

    Sessions name their course with ``Session.course_id``; a session without one (recorded before
    courses existed) is a course of one session whose id is the session's id.
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    pseudonym: str = Field(min_length=1, max_length=64)
    indication: Indication = Indication.DEPRESSION
    indication_other: str | None = Field(
        default=None, max_length=200, description="What 'other' is (free text)"
    )
    treatment: TreatmentId
    started_on: date
    schedule: tuple[ScheduleBlock, ...] = ()
    status: CourseStatus = CourseStatus.OPEN
    created_at: datetime
    migrated: bool = Field(default=False, description="Made from a session recorded before courses")
    notes: str | None = Field(default=None, max_length=2000)
    closed_reason: CloseReason | None = None
    closed_note: str | None = Field(default=None, max_length=2000)
    closed_on: date | None = None
    last_change: CourseChange | None = Field(
        default=None, description="What this version changed (None: as opened)"
    )

    def planned_dates(self) -> list[date]:
        """Every planned session date, from ``started_on``."""
        dates: list[date] = []
        at = 0.0
        for block in self.schedule:
            for _ in range(block.count):
                dates.append(self.started_on + timedelta(days=round(at)))
                at += block.every_days
        return dates


class PatientRecord(_Record):
    """A patient as the store keeps them: the details plus the MRN (both PHI)."""

    patient: Patient
    mrn: str | None = Field(default=None, max_length=64, description="Medical record number")
    created_at: datetime
