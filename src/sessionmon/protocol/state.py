"""What the protocol needs to know about a session: dose time, BP readings, checklists, alarms.

The runtime keeps a :class:`ProtocolState` up to date and hands it, with the current time, to the
pure protocol functions. Entries later than ``now`` are ignored by every evaluation, so one state
can be evaluated at any past moment (which is how the REMS "minutes until ready" is found).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sessionmon.protocol.patient_now import PatientNow


class BpReading(NamedTuple):
    """One blood pressure: when, systolic, diastolic (mmHg). Plain tuples work too."""

    at: datetime
    sys: float
    dia: float


class ChecklistEntry(NamedTuple):
    """One scored checklist: when, scale id (``moaas``, ``cadss``...), total. Tuples work too."""

    at: datetime
    scale_id: str
    total: int


@dataclass
class ProtocolState:
    """The session facts the protocol evaluates.

    Attributes
    ----------
    dose_at : datetime or None
        The dose the schedule counts from (the first nasal device; the infusion start for IV).
    baseline_bp : (sys, dia) or None
        The pre-dose baseline; when None, the last BP before the dose is used.
    bp_readings : list of (at, sys, dia)
        Every BP taken, any order.
    checklists : list of (at, scale_id, total)
        Every scored checklist, any order.
    unacknowledged_latched : list of str
        Condition ids of latched alarms not yet acknowledged (from the alarm engine).
    first_dose_at : datetime or None
        When the first dose was given, if different from ``dose_at``; the minimum observation
        counts from it.
    discharge_requested_at : datetime or None
        When the nurse last asked to discharge (prompts a pre-discharge NIBP request).
    patient : PatientNow or None
        Current vital signs, the alarm limits in force and the alarms (the runtime fills it
        before each evaluation); None when unknown, which blocks discharge.
    """

    dose_at: datetime | None = None
    baseline_bp: tuple[float, float] | None = None
    bp_readings: list[tuple[datetime, float, float]] = field(default_factory=list)
    checklists: list[tuple[datetime, str, int]] = field(default_factory=list)
    unacknowledged_latched: list[str] = field(default_factory=list)
    first_dose_at: datetime | None = None
    discharge_requested_at: datetime | None = None
    #: When each dose (nasal device, infusion start) was given, in order.
    dose_times: list[datetime] = field(default_factory=list)
    #: A running infusion's planned end (None when no infusion runs).
    infusion_ends_at: datetime | None = None
    #: The latest pre-session safety checklist verdict (payload) and prescriber override.
    safety: dict[str, Any] | None = None
    safety_override: dict[str, Any] | None = None
    patient: PatientNow | None = None
    #: Whether a respiration (capnography) source is in the session, and its latest numerics:
    #: ``{"resp_rate": (at, value), "etco2": (at, value)}``.
    respiration_monitored: bool = False
    #: The breathing measures the discharge criteria ask for (a monitor without a CO2 module
    #: is not asked for an etCO2).
    breathing_kinds: tuple[str, ...] = ("resp_rate", "etco2")
    breathing: dict[str, tuple[datetime, float]] = field(default_factory=dict)

    # Sorted copies of bp_readings / checklists, rebuilt only when the lists change (the
    # protocol is evaluated every second and these are read many times per evaluation).
    _cache: dict[str, tuple[tuple[Any, ...], list[Any], list[datetime]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def observation_start(self) -> datetime | None:
        """When the minimum observation starts: the first dose."""
        return self.first_dose_at or self.dose_at

    def _sorted(self, name: str, raw: list[Any], make: Any) -> tuple[list[Any], list[datetime]]:
        key = tuple(raw)
        cached = self._cache.get(name)
        if cached is None or cached[0] != key:
            ordered = sorted((make(*r) for r in raw), key=lambda r: r.at)
            cached = (key, ordered, [r.at for r in ordered])
            self._cache[name] = cached
        return cached[1], cached[2]

    def readings(self, now: datetime) -> list[BpReading]:
        """BP readings taken at or before ``now``, oldest first."""
        ordered, times = self._sorted("bp", self.bp_readings, BpReading)
        return ordered[: bisect_right(times, now)]

    def readings_between(self, start: datetime, end: datetime, now: datetime) -> list[BpReading]:
        """BP readings with ``start <= at <= end`` (and not after ``now``), oldest first."""
        return [r for r in self.readings(now) if start <= r.at <= end]

    def predose_readings(self, now: datetime) -> list[BpReading]:
        """BP readings before the dose (all readings so far when no dose is recorded)."""
        readings = self.readings(now)
        if self.dose_at is None:
            return readings
        return [r for r in readings if r.at < self.dose_at]

    def baseline(self, now: datetime) -> tuple[float, float] | None:
        """The pre-dose baseline BP: ``baseline_bp``, else the last pre-dose reading."""
        if self.baseline_bp is not None:
            return self.baseline_bp
        before = self.predose_readings(now)
        return (before[-1].sys, before[-1].dia) if before else None

    def entries(self, scale_ids: set[str] | frozenset[str], now: datetime) -> list[ChecklistEntry]:
        """Checklist entries of the given scales taken at or before ``now``, oldest first."""
        ordered, times = self._sorted("checklists", self.checklists, ChecklistEntry)
        return [c for c in ordered[: bisect_right(times, now)] if c.scale_id in scale_ids]


def minutes(delta: timedelta) -> float:
    """A timedelta in minutes."""
    return delta.total_seconds() / 60.0


def after(start: datetime, minutes_: float) -> datetime:
    """``start`` plus a number of minutes."""
    return start + timedelta(minutes=minutes_)
