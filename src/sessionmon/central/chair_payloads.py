"""From a runtime's snapshot and active alarms to the chair's payloads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from sessionmon.central.payloads import (
    AlarmItem,
    AlarmsPayload,
    CheckItem,
    DeviceItem,
    StatusPayload,
    VitalItem,
    VitalsPayload,
)
from sessionmon.runtime.snapshot import RuntimeSnapshot

#: Kinds worth sending to central (not the pleth waveform, not the cuff pressure ramp).
SENT_KINDS = frozenset(
    {"hr", "spo2", "pi", "nibp_sys", "nibp_dia", "nibp_map", "nibp_hr", "resp_rate", "etco2"}
)

_CHECK_STATES = {"upcoming", "due", "overdue", "done", "missed"}


def _round(value: float) -> float:
    return round(float(value), 2)


def _check(check: Any) -> CheckItem | None:
    status = str(getattr(check.status, "value", check.status))
    if status not in _CHECK_STATES:
        return None
    return CheckItem(id=check.id[:64], label=check.label[:200], status=status, due_at=check.due_at)


def next_check(checks: Iterable[CheckItem]) -> CheckItem | None:
    """The check the nurse must do next: the first overdue, else due, else upcoming, by time."""
    for wanted in ("overdue", "due", "upcoming"):
        candidates = [c for c in checks if c.status == wanted]
        if candidates:
            return min(candidates, key=lambda c: (c.due_at is None, c.due_at or datetime.min))
    return None


def status_payload(chair: str, sent: float, snap: RuntimeSnapshot | None, at: datetime) -> Any:
    """Return the ``status`` payload of ``snap`` (or of a chair with no session open)."""
    if snap is None:
        return StatusPayload(chair=chair, sent=sent, at=at, session=False)
    checks = [c for c in (_check(c) for c in snap.checks) if c is not None][:32]
    decision = snap.discharge
    session = snap.session
    return StatusPayload(
        chair=chair,
        sent=sent,
        at=snap.now,
        session=True,
        pseudonym=session.patient.pseudonym,  # never the name or the date of birth
        treatment=session.treatment.protocol.value,
        simulated=session.simulated,
        phase=snap.phase,
        dose_at=snap.dose_at,
        minutes_since_dose=(
            round(snap.since_dose_s / 60.0, 1) if snap.since_dose_s is not None else None
        ),
        checks=checks,
        next_check=next_check(checks),
        discharge_ready=None if decision is None else bool(decision.allowed),
        discharge_blocking=[] if decision is None else [b[:200] for b in decision.blocking][:32],
        devices=[
            DeviceItem(
                role=str(d.role),
                device_id=str(d.device_id)[:64],
                state=str(d.state),
                conditions=list(d.alarm_conditions)[:16],
            )
            for d in snap.devices
        ][:8],
    )


def vitals_payload(chair: str, sent: float, snap: RuntimeSnapshot | None, at: datetime) -> Any:
    """Return the ``vitals`` payload: the latest value of every sent kind, with its age."""
    if snap is None:
        return VitalsPayload(chair=chair, sent=sent, at=at)
    values = {
        str(kind): VitalItem(
            value=_round(v.value),
            unit=v.unit,
            at=v.at,
            age_s=_round(max(0.0, v.age_s)),
            stale=v.stale,
            source=str(v.source)[:64],
        )
        for kind, v in snap.values.items()
        if str(kind) in SENT_KINDS
    }
    return VitalsPayload(chair=chair, sent=sent, at=snap.now, values=values)


def alarms_payload(
    chair: str,
    sent: float,
    at: datetime,
    active: Iterable[Any],
    seen_by: Mapping[UUID, str],
) -> AlarmsPayload:
    """Return the ``alarms`` payload: every active alarm, highest priority first."""
    ordered = sorted(active, key=lambda a: (-a.priority.rank, a.started_at))[:64]
    return AlarmsPayload(
        chair=chair,
        sent=sent,
        at=at,
        alarms=[
            AlarmItem(
                alarm_id=a.alarm_id,
                condition=a.condition,
                priority=a.priority,
                category=a.category,
                message=a.message[:200],
                started_at=a.started_at,
                acknowledged=a.acknowledged,
                acknowledged_by=(a.acknowledged_by or None) and a.acknowledged_by[:64],
                latched=a.latched,
                condition_present=a.condition_present,
                seen_at_central_by=seen_by.get(a.alarm_id),
            )
            for a in ordered
        ],
    )
