"""The patient at a past moment, replayed from a session record (for the REMS form).

The discharge criteria judge a :class:`~sessionmon.protocol.PatientNow`; an export has only the
record, so :class:`PatientReplay` rebuilds one at any moment: the latest SpO2 and pulse then,
the alarm limits in force and the alarms the record keeps.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from sessionmon.alarms import AlarmProfile, default_profile
from sessionmon.export.limits import profile_at_start
from sessionmon.export.record import SessionRecord
from sessionmon.export.stored import StoredMeasurements
from sessionmon.model import Kind
from sessionmon.protocol import AlarmFact, PatientNow, limits_from_profile
from sessionmon.store.codec import from_us, to_us


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


class _Timeline:
    """One measure's usable values (not "searching") and their times, in time order.

    Read once as a stream. From the store the times are kept as microseconds in an array (8
    bytes a value, not a datetime object): a 24-hour session has 86,400 of each measure. The
    datetimes handed out are the ones the stored measurements hold (UTC, from the epoch). A
    record held in lists keeps its own datetimes.
    """

    def __init__(self, record: SessionRecord, kind: Kind) -> None:
        self._micros: array[int] | None = None
        self._times: list[datetime] = []
        self._values: array[float] | list[float]
        readings = record.readings(kind)
        if isinstance(record.measurements, StoredMeasurements):
            self._micros, self._values = array("q"), array("d")
            for at, value, flags in readings:
                if "searching" not in flags:
                    self._micros.append(to_us(at))
                    self._values.append(value)
        else:
            self._values = []
            for at, value, flags in readings:
                if "searching" not in flags:
                    self._times.append(at)
                    self._values.append(value)

    def _index(self, moment: datetime) -> int:
        """How many values are at or before ``moment``."""
        if self._micros is not None:
            return bisect_right(self._micros, to_us(moment))
        return bisect_right(self._times, moment)

    def _time(self, index: int) -> datetime:
        return from_us(self._micros[index]) if self._micros is not None else self._times[index]

    def latest(self, moment: datetime) -> tuple[float, datetime] | None:
        index = self._index(moment)
        return (self._values[index - 1], self._time(index - 1)) if index else None

    def _span(self, start: datetime, end: datetime) -> tuple[int, int]:
        return self._index(start - timedelta(microseconds=1)), self._index(end)

    def between(self, start: datetime, end: datetime) -> list[datetime]:
        first, last = self._span(start, end)
        if self._micros is not None:
            return [from_us(us) for us in self._micros[first:last]]
        return self._times[first:last]

    def values(self, start: datetime, end: datetime) -> list[float]:
        first, last = self._span(start, end)
        return list(self._values[first:last])


class PatientReplay:
    """Build the patient facts of ``record`` at any moment.

    Parameters
    ----------
    record : SessionRecord
        The session.
    """

    def __init__(self, record: SessionRecord) -> None:
        self.limits, self.rise = limits_in_force(record)
        self._series = {
            name: _Timeline(record, kind) for name, kind in (("spo2", Kind.SPO2), ("hr", Kind.HR))
        }
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
        return self._series[measure].latest(moment)

    def between(self, measure: str, start: datetime, end: datetime) -> list[datetime]:
        """The times of ``measure`` values from ``start`` to ``end``."""
        return self._series[measure].between(start, end)

    def values(self, measure: str, start: datetime, end: datetime) -> list[float]:
        """The values of ``measure`` from ``start`` to ``end``."""
        return self._series[measure].values(start, end)

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
