"""The patient now: current vital signs, the session's alarm limits, active and recent alarms.

Plain data the runtime (live) or an export (replaying a record at a past moment) hands to the
discharge criteria with the protocol state. The protocol package knows nothing of the alarm
engine: :func:`limits_from_profile` reads an alarm profile by its attributes only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

#: Measures whose current value the discharge criteria read from the oximeter.
OXIMETRY_MEASURES: tuple[str, ...] = ("spo2", "hr")

#: Technical alarms whose condition id starts with this are oximetry technical alarms
#: (sensor off, no data, disconnected, and any the device drivers add).
OXIMETRY_TECHNICAL_PREFIX = "oximeter_"

_LABELS = {
    "spo2": ("SpO2", "%"),
    "hr": ("pulse", "/min"),
    "nibp_sys": ("systolic", "mmHg"),
    "nibp_dia": ("diastolic", "mmHg"),
    "nibp_map": ("mean BP", "mmHg"),
}

_OPS = {
    "<": lambda v, t: v < t,
    "<=": lambda v, t: v <= t,
    ">": lambda v, t: v > t,
    ">=": lambda v, t: v >= t,
}


def measure_label(measure: str) -> tuple[str, str]:
    """``("SpO2", "%")``: how a measure is named to the nurse, and its unit."""
    return _LABELS.get(measure, (measure, ""))


@dataclass(frozen=True)
class VitalLimit:
    """One alarm limit in force: the condition, its measure and the least severe stage.

    A value is outside the limit when ``value <op> threshold`` holds (the alarm condition).
    """

    condition: str
    measure: str
    op: str
    threshold: float

    def breached(self, value: float) -> bool:
        """Whether ``value`` is beyond this limit."""
        return _OPS[self.op](value, self.threshold)

    @property
    def text(self) -> str:
        """E.g. ``SpO2 < 90 %``."""
        label, unit = measure_label(self.measure)
        return f"{label} {self.op} {self.threshold:g} {unit}".rstrip()


@dataclass(frozen=True)
class AlarmFact:
    """An alarm as the discharge criteria see it (active while ``ended_at`` is None)."""

    condition: str
    category: str
    started_at: datetime
    ended_at: datetime | None = None
    latched: bool = False
    acknowledged: bool = False
    message: str = ""

    def active_at(self, moment: datetime) -> bool:
        """Whether the alarm was active at ``moment``."""
        return self.started_at <= moment and (self.ended_at is None or self.ended_at > moment)

    def within(self, start: datetime, moment: datetime) -> bool:
        """Whether the alarm was active at some time between ``start`` and ``moment``."""
        return self.started_at <= moment and (self.ended_at is None or self.ended_at >= start)

    @property
    def is_oximetry_technical(self) -> bool:
        """Whether this is an oximetry technical alarm (sensor off, no data, disconnected)."""
        return self.category == "technical" and self.condition.startswith(OXIMETRY_TECHNICAL_PREFIX)


@dataclass(frozen=True)
class PatientNow:
    """The live facts the discharge criteria need besides the protocol state.

    Attributes
    ----------
    vitals : dict
        Measure (``spo2``, ``hr``) -> (latest value, when it was received).
    stale_after_s : float
        An oximeter value older than this is not "current" (the console shows it as stale).
    limits : tuple of VitalLimit
        The session's alarm limits in force (least severe stage of each limit rule).
    rise : (systolic, diastolic) or None
        The ``nibp_rise`` thresholds in mmHg (either part None when not watched); None when
        the session has no rise rule.
    alarms : tuple of AlarmFact
        Alarms active now and those that ended (at least the last few minutes' technical ones).
    """

    vitals: dict[str, tuple[float, datetime]] = field(default_factory=dict)
    stale_after_s: float = 10.0
    limits: tuple[VitalLimit, ...] = ()
    rise: tuple[float | None, float | None] | None = None
    alarms: tuple[AlarmFact, ...] = ()

    def limits_for(self, measure: str) -> list[VitalLimit]:
        """The limits in force on ``measure``."""
        return [limit for limit in self.limits if limit.measure == measure]

    def active_physiological(self, moment: datetime) -> list[AlarmFact]:
        """Physiological alarms active at ``moment`` (latched or not, acknowledged or not)."""
        return [a for a in self.alarms if a.category == "physiological" and a.active_at(moment)]

    def oximetry_technical_since(self, start: datetime, moment: datetime) -> list[AlarmFact]:
        """Oximetry technical alarms active at some time from ``start`` to ``moment``."""
        return [a for a in self.alarms if a.is_oximetry_technical and a.within(start, moment)]


def limits_from_profile(profile: Any) -> tuple[tuple[VitalLimit, ...], tuple | None]:
    """The limits in force and the rise thresholds of an alarm profile.

    Reads ``profile.limits`` (condition -> limit rule with ``measure``, ``enabled`` and
    ``least_severe()``) and ``profile.nibp_rise`` by attribute, so the protocol does not import
    the alarm package.

    Returns
    -------
    tuple
        ``(limits, rise)`` as :class:`PatientNow` takes them.
    """
    limits = []
    for condition, rule in (getattr(profile, "limits", None) or {}).items():
        if not getattr(rule, "enabled", True):
            continue
        try:
            _, stage = rule.least_severe()
        except (AttributeError, IndexError):
            continue
        measure = getattr(rule.measure, "value", rule.measure)
        op = getattr(stage.op, "value", stage.op)
        limits.append(VitalLimit(str(condition), str(measure), str(op), float(stage.threshold)))
    rise_rule = getattr(profile, "nibp_rise", None)
    rise = None
    if rise_rule is not None and getattr(rise_rule, "enabled", True):
        rise = (rise_rule.systolic_rise, rise_rule.diastolic_rise)
    return tuple(limits), rise


def latest_before(
    values: Iterable[tuple[datetime, float]], moment: datetime
) -> tuple[float, datetime] | None:
    """The last ``(at, value)`` at or before ``moment``, as ``(value, at)``; None if none."""
    found = None
    for at, value in values:
        if at <= moment and (found is None or at >= found[1]):
            found = (value, at)
    return found


def age_s(moment: datetime, at: datetime) -> float:
    """Seconds from ``at`` to ``moment``."""
    return (moment - at) / timedelta(seconds=1)
