"""The alarm engine's state: what it shows (active alarms, audio state) and what it keeps.

:class:`ActiveAlarm` and :class:`AudioState` are what the console reads from
:class:`~sessionmon.alarms.AlarmEngine`; :class:`ConditionWatch` (one condition between alarms)
and :class:`RaisedAlarm` (one alarm while it lasts) are the engine's own bookkeeping.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sessionmon.alarms.profile import (
    Rule,
)
from sessionmon.model import (
    AlarmCategory,
    AlarmPriority,
    AlarmRecord,
    Kind,
)

#: Measures that arrive continuously (about once a second) and go stale when they stop.
#: NIBP values are episodic: each holds until the next measurement.
CONTINUOUS_MEASURES = frozenset(
    {Kind.SPO2, Kind.HR, Kind.PI, Kind.RESP_RATE, Kind.ETCO2, Kind.FICO2}
)

#: Timing slack for comparing float seconds held in datetimes (microsecond resolution).
EPSILON_S = 1e-6


@dataclass(frozen=True)
class ActiveAlarm:
    """An alarm as the console shows it.

    Attributes
    ----------
    alarm_id : uuid.UUID
        Same id as the :class:`~sessionmon.model.AlarmRecord`.
    condition : str
        Condition id, e.g. ``"spo2_low"``.
    priority : AlarmPriority
        Current priority (follows severity and escalation).
    highest_priority : AlarmPriority
        Highest priority reached.
    category : AlarmCategory
        Physiological, technical or protocol.
    started_at : datetime
        When the alarm started (after the condition delay).
    latched : bool
        Whether the alarm will keep signalling after its condition clears.
    acknowledged : bool
        Whether staff acknowledged it (its audio is silenced).
    condition_present : bool
        False for a latched alarm whose condition has cleared.
    message : str
        One line for the alarm bar.
    extreme : float or None
        The worst value while the condition held: the nadir of a low limit or desaturation, the
        peak of a high limit (None for conditions without a value).
    """

    alarm_id: uuid.UUID
    condition: str
    priority: AlarmPriority
    highest_priority: AlarmPriority
    category: AlarmCategory
    started_at: datetime
    latched: bool
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    condition_present: bool
    escalated: bool
    message: str
    detail: str
    value: float | None
    limits: dict[str, Any]
    extreme: float | None = None


@dataclass(frozen=True)
class AudioState:
    """What the loudspeaker should do now.

    Attributes
    ----------
    sounding : AlarmPriority or None
        The priority of the sound to play (highest unacknowledged alarm), None for silence.
    paused : bool
        Whether an audio pause is running.
    pause_remaining_s : float
        Seconds left of the pause (0 when not paused), for the countdown.
    pause_ends_at : datetime or None
        When the pause ends.
    silenced : tuple of str
        Conditions with an alarm that does not sound (acknowledged, or everything while paused).
    """

    sounding: AlarmPriority | None
    paused: bool
    pause_remaining_s: float
    pause_ends_at: datetime | None
    silenced: tuple[str, ...] = ()


@dataclass
class ConditionWatch:
    """What the engine knows about one condition between alarms."""

    since: dict[AlarmPriority, datetime] = field(default_factory=dict)
    value: float | None = None
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    observed_at: datetime | None = None
    #: Desaturation area (AreaRule only), %·s, and the time of the value it was last fed.
    area: float = 0.0
    area_at: datetime | None = None


@dataclass
class RaisedAlarm:
    """One alarm while it lasts: its rule, priorities, record and worst value."""

    condition: str
    rule: Rule
    category: AlarmCategory
    priority: AlarmPriority
    highest: AlarmPriority
    started_at: datetime
    limits: dict[str, Any]
    record: AlarmRecord
    latched: bool
    present: bool = True
    acknowledged: bool = False
    escalated: bool = False
    value: float | None = None
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    extreme: float | None = None


def format_value(value: float | None) -> str:
    """A value as shown in alarm messages: ``92``, ``36.5``, empty for none."""
    if value is None:
        return ""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def seconds_between(later: datetime, earlier: datetime) -> float:
    """Seconds from ``earlier`` to ``later``."""
    return (later - earlier).total_seconds()
