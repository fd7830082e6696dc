"""The patient now, as the discharge criteria see it: built from the runtime's live state.

:class:`AlarmHistory` keeps every alarm of the session as an
:class:`~sessionmon.protocol.AlarmFact` (from the alarm records the engine emits, and those
already in the store when a session is resumed); :func:`patient_now` combines it with the
current oximeter values and the alarm limits in force.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sessionmon.model import AlarmRecord, Kind
from sessionmon.protocol import AlarmFact, PatientNow, limits_from_profile
from sessionmon.runtime.snapshot_builder import OXIMETER_STALE_S

_VITALS = {"spo2": Kind.SPO2, "hr": Kind.HR}


class AlarmHistory:
    """Every alarm of the session by id: condition, category, start and end."""

    def __init__(self) -> None:
        self._facts: dict[uuid.UUID, AlarmFact] = {}

    def record(self, record: AlarmRecord) -> None:
        """Take an alarm record (a new alarm, a change, or its end)."""
        self._facts[record.id] = AlarmFact(
            condition=record.condition,
            category=str(getattr(record.category, "value", record.category)),
            started_at=record.start,
            ended_at=record.end,
            acknowledged=record.acknowledged_at is not None,
            message=record.message or "",
        )

    def facts(self, active: list[Any]) -> tuple[AlarmFact, ...]:
        """The recorded alarms, with the engine's ``active`` alarms (latched ones included)
        taking the place of their records."""
        live = {}
        for alarm in active:
            live[alarm.alarm_id] = AlarmFact(
                condition=alarm.condition,
                category=str(getattr(alarm.category, "value", alarm.category)),
                started_at=alarm.started_at,
                ended_at=None,
                latched=bool(alarm.latched),
                acknowledged=bool(alarm.acknowledged),
                message=alarm.message or "",
            )
        ended = [
            fact
            for key, fact in self._facts.items()
            if key not in live and fact.ended_at is not None
        ]
        return (*live.values(), *ended)


_LAST_LIMITS: list[Any] = [None, None]


def _limits(profile: Any) -> tuple:
    """The profile's limits, worked out once per profile object (the tick asks every second)."""
    if _LAST_LIMITS[0] is not profile:
        _LAST_LIMITS[:] = [profile, limits_from_profile(profile)]
    return _LAST_LIMITS[1]


def patient_now(
    values: dict[Kind, tuple[float, datetime, str]],
    profile: Any,
    history: AlarmHistory,
    active: list[Any],
) -> PatientNow:
    """The current SpO2 and pulse, the profile's limits and the session's alarms."""
    limits, rise = _limits(profile)
    vitals = {}
    for name, kind in _VITALS.items():
        entry = values.get(kind)
        if entry is not None:
            vitals[name] = (float(entry[0]), entry[1])
    return PatientNow(
        vitals=vitals,
        stale_after_s=OXIMETER_STALE_S,
        limits=limits,
        rise=rise,
        alarms=history.facts(active),
    )
