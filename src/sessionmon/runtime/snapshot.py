"""What the console shows at one moment, as read-only plain data (:class:`RuntimeSnapshot`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from sessionmon.devices.source import DeviceRole, LinkState
from sessionmon.model import AlarmPriority, Kind, Session, SessionPhase


@dataclass(frozen=True, slots=True)
class VitalValue:
    """The latest value of one kind.

    Attributes
    ----------
    kind, value, unit : Kind, float, str
        What, how much, in which UCUM unit.
    at : datetime
        Host receive time (UTC).
    age_s : float
        Seconds between ``at`` and the snapshot.
    stale : bool
        True when the value is too old to show as current (the oximeter stopped sending, or its
        sensor is off / the device disconnected); the console greys it out.
    priority : AlarmPriority or None
        The highest active alarm on this value (its colour), if any.
    source : str
        Device id.
    """

    kind: Kind
    value: float
    unit: str
    at: datetime
    age_s: float
    stale: bool
    priority: AlarmPriority | None
    source: str


@dataclass(frozen=True, slots=True)
class PlethView:
    """The recent pleth samples (oldest first) for the live waveform."""

    samples: np.ndarray
    sample_rate_hz: float
    last_at: datetime | None
    #: Samples received so far, the last of ``samples`` included (the live waveform draws
    #: only the ones it has not drawn yet).
    received: int = 0


@dataclass(frozen=True, slots=True)
class NibpStatus:
    """The NIBP module: measuring or not, cuff pressure, last result and the auto-cycle."""

    available: bool
    measuring: bool
    cuff_pressure: float | None
    last_sys: float | None
    last_dia: float | None
    last_map: float | None
    last_at: datetime | None
    auto_interval_s: float | None
    last_request_at: datetime | None
    next_auto_at: datetime | None
    #: Why the console started the running measurement itself (None: the nurse started it).
    started_by_console: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """One device's link state and the technical conditions it reports."""

    role: DeviceRole
    device_id: str
    state: LinkState
    conditions: tuple[str, ...]
    alarm_conditions: tuple[str, ...]
    last_data_at: datetime | None
    detail: str


@dataclass(frozen=True, slots=True)
class Marker:
    """A moment worth marking on the trends: a dose, a checklist, an annotation, a phase change."""

    at: datetime
    kind: str
    label: str


@dataclass(frozen=True)
class RuntimeSnapshot:
    """Everything the console shows at ``now``; built on demand by ``SessionRuntime.snapshot()``.

    Attributes
    ----------
    now : datetime
        Clock time of the snapshot.
    session : Session
        The session record (patient, treatment, phase, dose time, signature).
    phase : SessionPhase
        Lifecycle phase.
    locked : bool
        Signed and closed: intents are refused.
    dose_at : datetime or None
        First dose.
    since_dose_s : float or None
        Seconds since the first dose.
    values : dict of Kind to VitalValue
        Latest value of every kind received (hr, spo2, pi, nibp_sys/dia/map/hr, ...).
    pleth : PlethView
        Recent pleth samples.
    nibp : NibpStatus
        NIBP module status.
    devices : tuple of DeviceStatus
        Oximeter first, then NIBP.
    alarms : tuple
        Active alarms (the alarm engine's ``ActiveAlarm`` objects), highest priority first.
    audio : object
        The alarm engine's ``AudioState`` (sounding priority, paused, pause_remaining_s).
    audio_available : bool
        False once the console reported that sound cannot play.
    checks : tuple
        The protocol's ``CheckStatus`` list (id, label, due_at, window, status).
    discharge : object or None
        The last ``DischargeDecision`` (from an attempt or the automatic evaluation).
    discharge_attempted_at : datetime or None
        When the nurse last attempted discharge.
    markers : tuple of Marker
        Doses, checklists, annotations and phase changes, oldest first.
    alarm_limits : dict
        The limits in force, as the alarm profile describes them.
    co2 : PlethView or None
        Recent CO2 wave samples (the capnogram) when a respiration source is in the session.
    version : int
        The runtime's count of changes the console shows (:mod:`~sessionmon.runtime.view_changes`):
        a snapshot with the same version as an earlier one shows the same, but for the waveforms
        and what time alone changes.
    next_change_at : datetime or None
        When time alone next changes what this snapshot shows (a value going stale, a check
        falling due, a text counting seconds); None: not known (rebuild every time).
    """

    now: datetime
    session: Session
    phase: SessionPhase
    locked: bool
    dose_at: datetime | None
    since_dose_s: float | None
    values: dict[Kind, VitalValue]
    pleth: PlethView
    nibp: NibpStatus
    devices: tuple[DeviceStatus, ...]
    alarms: tuple[Any, ...]
    audio: Any
    audio_available: bool
    checks: tuple[Any, ...]
    discharge: Any | None
    discharge_attempted_at: datetime | None
    markers: tuple[Marker, ...] = ()
    alarm_limits: dict[str, Any] = field(default_factory=dict)
    co2: PlethView | None = None
    version: int = 0
    next_change_at: datetime | None = None

    def value(self, kind: Kind | str) -> float | None:
        """Return the latest value of ``kind``, or None."""
        entry = self.values.get(Kind(kind))
        return entry.value if entry is not None else None
