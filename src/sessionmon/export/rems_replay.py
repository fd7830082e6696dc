"""The patient at a past moment, replayed from a session record (for the REMS form).

The discharge criteria judge a :class:`~sessionmon.protocol.PatientNow`; an export has only the
record, so :class:`PatientReplay` rebuilds one at any moment: the latest SpO2 and pulse then,
the alarm limits in force and the alarms the record keeps.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from sessionmon.alarms import AlarmProfile, default_profile
from sessionmon.export.limits import profile_at_start
from sessionmon.export.record import SessionRecord
from sessionmon.model import Kind
from sessionmon.protocol import AlarmFact, PatientNow, limits_from_profile


def limits_in_force(record: SessionRecord) -> tuple[tuple, Any]:
    """The alarm limits and rise thresholds the session ran with.

    They are those of the profile recorded at the start of the session (its first
    ``alarm_limits`` event); a record made before sessions kept that event (or one whose
    recorded profile no longer validates) is judged by the default profile.
    """
    data = profile_at_start(record)
    profile = None
    if data is not None:
        try:
            profile = AlarmProfile.model_validate(data)
        except ValidationError:
            profile = None
    return limits_from_profile(profile if profile is not None else default_profile())


class PatientReplay:
    """Build the patient facts of ``record`` at any moment.

    Parameters
    ----------
    record : SessionRecord
        The session.
    """

    def __init__(self, record: SessionRecord) -> None:
        self.limits, self.rise = limits_in_force(record)
        self._series: dict[str, tuple[list[datetime], list[float]]] = {}
        for name, kind in (("spo2", Kind.SPO2), ("hr", Kind.HR)):
            # Read once, a page at a time: only the times and values are kept, not the
            # measurements (a 24-hour session holds 86,400 of each kind).
            times: list[datetime] = []
            found: list[float] = []
            for at, value, flags in record.readings(kind):
                if "searching" not in flags:
                    times.append(at)
                    found.append(value)
            self._series[name] = (times, found)
        end = record.end_of_monitoring
        self.alarms = tuple(
            AlarmFact(
                condition=a.condition,
                category=a.category.value,
                started_at=a.start,
                ended_at=a.end or end,
                message=a.message or "",
            )
            for a in record.alarms
        )

    def latest(self, measure: str, moment: datetime) -> tuple[float, datetime] | None:
        """The last ``(value, at)`` of ``spo2`` or ``hr`` at or before ``moment``."""
        times, values = self._series[measure]
        index = bisect_right(times, moment)
        return (values[index - 1], times[index - 1]) if index else None

    def between(self, measure: str, start: datetime, end: datetime) -> list[datetime]:
        """The times of ``measure`` values from ``start`` to ``end``."""
        times, _ = self._series[measure]
        return times[
            bisect_right(times, start - timedelta(microseconds=1)) : bisect_right(times, end)
        ]

    def values(self, measure: str, start: datetime, end: datetime) -> list[float]:
        """The values of ``measure`` from ``start`` to ``end``."""
        times, values = self._series[measure]
        first = bisect_right(times, start - timedelta(microseconds=1))
        return values[first : bisect_right(times, end)]

    def at(self, moment: datetime) -> PatientNow:
        """The patient facts at ``moment``."""
        vitals = {}
        for name in ("spo2", "hr"):
            found = self.latest(name, moment)
            if found is not None:
                vitals[name] = found
        return PatientNow(
            vitals=vitals,
            limits=self.limits,
            rise=self.rise,
            alarms=tuple(a for a in self.alarms if a.started_at <= moment),
        )

    def alarm_ends(self, quiet_min: float) -> list[datetime]:
        """Moments when a criterion may become met: alarm ends, and ``quiet_min`` later."""
        moments = []
        for alarm in self.alarms:
            if alarm.ended_at is not None:
                moments.append(alarm.ended_at)
                moments.append(alarm.ended_at + timedelta(minutes=quiet_min, seconds=1))
        return moments
