"""Discharge criteria on the patient now: current SpO2 and pulse, active and recent alarms.

Each function returns :class:`~sessionmon.protocol.criterion.Criterion` objects built from a
:class:`~sessionmon.protocol.patient_now.PatientNow`; a state without one blocks discharge (the
console cannot say the patient is well when it does not know the vital signs).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sessionmon.protocol.config import ProtocolConfig
from sessionmon.protocol.criterion import Criterion
from sessionmon.protocol.patient_now import PatientNow, age_s, measure_label

_criterion = Criterion


def _age_text(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago"


def current_vital(patient: PatientNow | None, measure: str, now: datetime) -> Criterion:
    """``spo2_now`` / ``hr_now``: the value is current (not stale) and inside the limits."""
    label, unit = measure_label(measure)
    cid = f"{measure}_now"
    if patient is None:
        return _criterion(cid, False, f"no current {label} known: discharge needs the monitor")
    latest = patient.vitals.get(measure)
    if latest is None:
        return _criterion(cid, False, f"no {label} recorded: connect the oximeter")
    value, at = latest
    age = age_s(now, at)
    shown = f"{value:g} {unit}".rstrip()
    if age > patient.stale_after_s:
        return _criterion(
            cid,
            False,
            f"no current {label}: the last value {shown} was {_age_text(age)} "
            f"(older than {patient.stale_after_s:g} s)",
        )
    limits = patient.limits_for(measure)
    outside = [limit for limit in limits if limit.breached(value)]
    if outside:
        texts = ", ".join(f"alarm limit {limit.op} {limit.threshold:g}" for limit in outside)
        return _criterion(cid, False, f"{label} now {shown} is outside the limits ({texts})")
    if not limits:
        return _criterion(cid, True, f"{label} now {shown} (no alarm limit set)")
    bounds = ", ".join(f"alarm {limit.op} {limit.threshold:g}" for limit in limits)
    return _criterion(cid, True, f"{label} now {shown}, inside the limits ({bounds})")


def physiological_alarms(patient: PatientNow | None, now: datetime) -> Criterion:
    """``physiological_alarms``: no physiological alarm active (latched or not, acknowledged
    or not)."""
    if patient is None:
        return _criterion(
            "physiological_alarms", False, "the alarm state is not known: check the monitor"
        )
    active = patient.active_physiological(now)
    if not active:
        return _criterion("physiological_alarms", True, "no physiological alarm active")
    parts = []
    for alarm in active:
        flags = []
        if alarm.acknowledged:
            flags.append("acknowledged")
        if alarm.latched:
            flags.append("latched")
        since = f"for {_age_text(age_s(now, alarm.started_at)).removesuffix(' ago')}"
        what = alarm.message or alarm.condition
        parts.append(f"{what} ({', '.join([*flags, since])})")
    return _criterion(
        "physiological_alarms",
        False,
        "physiological alarm active: " + "; ".join(parts),
    )


def oximetry_technical(
    config: ProtocolConfig, patient: PatientNow | None, now: datetime
) -> Criterion:
    """``oximetry_technical``: no oximetry technical alarm in the last few minutes (10)."""
    quiet = config.discharge_technical_quiet_min
    if patient is None:
        return _criterion(
            "oximetry_technical", False, "the oximeter's state is not known: check the monitor"
        )
    recent = patient.oximetry_technical_since(now - timedelta(minutes=quiet), now)
    if not recent:
        return _criterion(
            "oximetry_technical",
            True,
            f"no oximetry technical alarm in the last {quiet:g} min",
        )
    parts = []
    for alarm in recent:
        what = alarm.message or alarm.condition
        if alarm.ended_at is None or alarm.ended_at > now:
            parts.append(f"{what} (active now)")
        else:
            ended = age_s(now, alarm.ended_at) / 60
            parts.append(f"{what} (ended {ended:.0f} min ago)")
    return _criterion(
        "oximetry_technical",
        False,
        f"oximetry technical alarm in the last {quiet:g} min: " + "; ".join(parts),
    )
