"""The record of a session: pydantic models shared by every layer.

These are the canonical shapes that the store persists, the runtime produces, the console shows
and the exporters read. All times are timezone-aware UTC datetimes; display converts to local time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# --------------------------------------------------------------------------- vocabularies


class Kind(StrEnum):
    """What a measurement measures. The values are the ``kind`` strings used everywhere."""

    SPO2 = "spo2"
    HR = "hr"
    PLETH = "pleth"
    PI = "pi"
    NIBP_SYS = "nibp_sys"
    NIBP_DIA = "nibp_dia"
    NIBP_MAP = "nibp_map"
    NIBP_HR = "nibp_hr"
    CUFF_PRESSURE = "cuff_pressure"
    RESP_RATE = "resp_rate"
    ETCO2 = "etco2"
    FICO2 = "fico2"
    CO2 = "co2"


#: UCUM unit of each kind.
UNITS: dict[Kind, str] = {
    Kind.SPO2: "%",
    Kind.HR: "/min",
    Kind.PLETH: "1",
    Kind.PI: "%",
    Kind.NIBP_SYS: "mm[Hg]",
    Kind.NIBP_DIA: "mm[Hg]",
    Kind.NIBP_MAP: "mm[Hg]",
    Kind.NIBP_HR: "/min",
    Kind.CUFF_PRESSURE: "mm[Hg]",
    Kind.RESP_RATE: "/min",
    Kind.ETCO2: "mm[Hg]",
    Kind.FICO2: "mm[Hg]",
    Kind.CO2: "mm[Hg]",
}

#: Inclusive range a value of each kind may take; anything outside is a parser bug or an
#: invalid sentinel and must never reach the record.
VALID_RANGES: dict[Kind, tuple[float, float]] = {
    Kind.SPO2: (0.0, 100.0),
    Kind.HR: (0.0, 350.0),
    Kind.PLETH: (0.0, 65535.0),
    Kind.PI: (0.0, 100.0),
    Kind.NIBP_SYS: (0.0, 300.0),
    Kind.NIBP_DIA: (0.0, 300.0),
    Kind.NIBP_MAP: (0.0, 300.0),
    Kind.NIBP_HR: (0.0, 350.0),
    Kind.CUFF_PRESSURE: (0.0, 350.0),
    Kind.RESP_RATE: (0.0, 150.0),
    Kind.ETCO2: (0.0, 150.0),
    Kind.FICO2: (0.0, 150.0),
    Kind.CO2: (0.0, 150.0),
}


def in_valid_range(kind: Kind | str, value: float) -> bool:
    """Return whether ``value`` is a possible value of ``kind``."""
    low, high = VALID_RANGES[Kind(kind)]
    return low <= value <= high


class Drug(StrEnum):
    """The drugs a session can administer."""

    ESKETAMINE = "esketamine"
    KETAMINE = "ketamine"


class Route(StrEnum):
    """Administration routes."""

    INTRANASAL = "intranasal"
    INTRAVENOUS = "intravenous"
    INTRAMUSCULAR = "intramuscular"
    ORAL = "oral"


class TreatmentId(StrEnum):
    """Session protocols the console knows."""

    ESKETAMINE_56 = "esketamine-56"
    ESKETAMINE_84 = "esketamine-84"
    KETAMINE_IV = "ketamine-iv"


class SessionPhase(StrEnum):
    """Where a session is in its lifecycle (see :mod:`sessionmon.lifecycle`)."""

    PLANNED = "planned"
    BASELINE = "baseline"
    DOSING = "dosing"
    OBSERVATION = "observation"
    DISCHARGE_READY = "discharge_ready"
    CLOSED = "closed"
    INTERRUPTED = "interrupted"


class SessionEnding(StrEnum):
    """How a session ended (see :mod:`sessionmon.lifecycle` for when each one applies)."""

    DISCHARGED = "discharged"
    DOSE_NOT_GIVEN = "dose_not_given"
    TRANSFERRED = "transferred"
    LEFT_AGAINST_ADVICE = "left_against_advice"
    ENDED_EARLY = "ended_early"


class AlarmPriority(StrEnum):
    """IEC 60601-1-8 alarm priorities."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for low, 1 for medium, 2 for high: for comparisons."""
        return {"low": 0, "medium": 1, "high": 2}[self.value]


class AlarmCategory(StrEnum):
    """Physiological (patient), technical (equipment) or protocol (workflow) alarms."""

    PHYSIOLOGICAL = "physiological"
    TECHNICAL = "technical"
    PROTOCOL = "protocol"


class EventKind(StrEnum):
    """Kinds of things that happen during a session, other than measurements and alarms."""

    ANNOTATION = "annotation"
    DOSE_GIVEN = "dose_given"
    CHECKLIST = "checklist"
    NURSE_ACTION = "nurse_action"
    PHASE_CHANGE = "phase_change"
    DEVICE = "device"
    DISCHARGE_ATTEMPT = "discharge_attempt"
    SIGN_OFF = "sign_off"
    EXPORT = "export"
    ALARM_LIMITS = "alarm_limits"  # the alarm profile in force (session start, resume, change)


class AlarmLogAction(StrEnum):
    """State changes of an alarm, as written to the alarm log."""

    RAISED = "raised"
    PRIORITY_CHANGED = "priority_changed"
    ESCALATED = "escalated"
    CONDITION_CLEARED = "condition_cleared"  # condition gone but alarm still latched
    ACKNOWLEDGED = "acknowledged"
    ENDED = "ended"
    AUDIO_PAUSED = "audio_paused"
    AUDIO_RESUMED = "audio_resumed"


def _require_aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return value.astimezone(UTC)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


# --------------------------------------------------------------------------- people and treatment


class Patient(_Record):
    """The person being monitored. Only the pseudonymous id is required."""

    pseudonym: str = Field(min_length=1, max_length=64, description="Pseudonymous patient id")
    name: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    sex: str | None = Field(default=None, description="'female', 'male', 'other' or 'unknown'")


class Treatment(_Record):
    """What is given, and under which protocol."""

    protocol: TreatmentId
    drug: Drug
    route: Route
    dose_mg: float = Field(gt=0, le=1000)
    lot_number: str | None = Field(default=None, max_length=64)
    devices_count: int | None = Field(
        default=None, ge=1, le=4, description="Esketamine: number of 28 mg nasal devices"
    )

    @classmethod
    def for_protocol(cls, protocol: TreatmentId | str, **overrides: Any) -> Treatment:
        """Build the usual treatment for a protocol id, e.g. ``esketamine-84``."""
        protocol = TreatmentId(protocol)
        defaults: dict[str, Any]
        if protocol is TreatmentId.ESKETAMINE_56:
            defaults = {"drug": Drug.ESKETAMINE, "route": Route.INTRANASAL, "dose_mg": 56}
            defaults["devices_count"] = 2
        elif protocol is TreatmentId.ESKETAMINE_84:
            defaults = {"drug": Drug.ESKETAMINE, "route": Route.INTRANASAL, "dose_mg": 84}
            defaults["devices_count"] = 3
        else:
            defaults = {"drug": Drug.KETAMINE, "route": Route.INTRAVENOUS, "dose_mg": 35}
        defaults.update(overrides)
        return cls(protocol=protocol, **defaults)


# --------------------------------------------------------------------------- the session


class Ending(_Record):
    """How, why, by whom and when a session ended (the session is then closed and locked)."""

    how: SessionEnding
    by: str = Field(min_length=1, max_length=200)
    at: datetime
    reason: str | None = Field(default=None, max_length=1000)
    destination: str | None = Field(
        default=None, max_length=200, description="Transferred: where the patient went"
    )

    _aware = field_validator("at")(classmethod(lambda cls, v: _require_aware(v)))


class Session(_Record):
    """One supervised dosing session. Immutable: changes are new copies (``model_copy``)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    patient: Patient
    treatment: Treatment
    concomitant_medicines: tuple[str, ...] = ()
    monitoring_provider: str | None = Field(default=None, max_length=200)
    staff: tuple[str, ...] = Field(default=(), description="Names or ids of staff present")
    clinic: str | None = Field(default=None, max_length=200)
    phase: SessionPhase = SessionPhase.PLANNED
    created_at: datetime
    dose_at: datetime | None = Field(default=None, description="First dose (first nasal device)")
    ended_at: datetime | None = None
    signed_by: str | None = None
    signed_at: datetime | None = None
    simulated: bool = Field(default=False, description="Training/simulator session, not a patient")
    scenario: str | None = None
    notes: str | None = None
    ending: Ending | None = Field(default=None, description="How the session ended, once closed")
    course_id: uuid.UUID | None = Field(
        default=None, description="Treatment course (None: a course of this one session)"
    )

    _aware = field_validator("created_at", "dose_at", "ended_at", "signed_at")(
        classmethod(lambda cls, v: _require_aware(v))
    )


# --------------------------------------------------------------------------- what is recorded


class Measurement(_Record):
    """One numeric value from a device (or entered by hand)."""

    session_id: uuid.UUID
    kind: Kind
    value: float
    unit: str
    received_at: datetime = Field(description="Host receive time, UTC")
    device_time: datetime | None = Field(default=None, description="Device clock, where given")
    source: str = Field(description="Device id, e.g. 'oximeter:cms50-v7:/dev/ttyUSB0' or 'manual'")
    flags: tuple[str, ...] = ()

    _aware = field_validator("received_at", "device_time")(
        classmethod(lambda cls, v: _require_aware(v))
    )


class WaveformChunk(_Record):
    """A run of evenly spaced waveform samples (pleth), stored as one row."""

    session_id: uuid.UUID
    kind: Kind = Kind.PLETH
    start: datetime = Field(description="Receive time of the first sample, UTC")
    sample_rate_hz: float = Field(gt=0)
    samples: tuple[float, ...]
    source: str

    _aware = field_validator("start")(classmethod(lambda cls, v: _require_aware(v)))


class Event(_Record):
    """Something that happened: annotation, dose, checklist response, nurse action, etc.

    ``payload`` holds the kind-specific details (for a checklist: scale id, item answers, total).
    A correction is a new event whose ``supersedes`` names the event it replaces; both are kept.
    """

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    session_id: uuid.UUID
    kind: EventKind
    at: datetime
    by: str | None = None
    text: str | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    supersedes: uuid.UUID | None = None

    _aware = field_validator("at")(classmethod(lambda cls, v: _require_aware(v)))


class AlarmRecord(_Record):
    """One alarm: a condition from its start to its end, as the alarm log keeps it."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    session_id: uuid.UUID
    condition: str = Field(description="Condition id, e.g. 'spo2_low', 'oximeter_sensor_off'")
    priority: AlarmPriority = Field(description="Highest priority reached")
    category: AlarmCategory
    start: datetime
    end: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    limits: dict[str, Any] = Field(default_factory=dict, description="Limits in force at start")
    message: str | None = None

    _aware = field_validator("start", "end", "acknowledged_at")(
        classmethod(lambda cls, v: _require_aware(v))
    )


class AlarmLogEntry(_Record):
    """One state change of an alarm (or of the audio-pause state)."""

    session_id: uuid.UUID
    alarm_id: uuid.UUID | None = None
    condition: str | None = None
    action: AlarmLogAction
    at: datetime
    priority: AlarmPriority | None = None
    category: AlarmCategory | None = None
    value: float | None = Field(default=None, description="The value that triggered, if any")
    limits: dict[str, Any] = Field(default_factory=dict)
    by: str | None = None
    detail: str | None = None

    _aware = field_validator("at")(classmethod(lambda cls, v: _require_aware(v)))
