"""Rebuilding the protocol state of a session that already has a record (resume after a crash)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sessionmon.alarms import AlarmEngine
from sessionmon.model import EventKind, Kind, Session
from sessionmon.protocol import ProtocolState
from sessionmon.runtime.events import EventLog


def _restore_dosing(state: ProtocolState, event: Any) -> None:
    """Doses given, a running infusion's end, the safety checklist and its override."""
    payload = event.payload
    if event.kind is EventKind.DOSE_GIVEN:
        state.dose_times.append(event.at)
        if payload.get("planned_min") is not None:
            state.infusion_ends_at = event.at + timedelta(minutes=float(payload["planned_min"]))
    elif event.kind is EventKind.CHECKLIST and payload.get("scale") == "safety":
        state.safety = dict(payload)
        state.safety_override = None
    elif event.kind is EventKind.NURSE_ACTION:
        action = payload.get("action")
        if action == "stop_infusion":
            state.infusion_ends_at = None
        elif action == "contraindication_override":
            state.safety_override = {
                "prescriber": payload.get("prescriber"),
                "reason": payload.get("reason"),
                "at": str(event.at),
            }


def restore_protocol_state(
    store: Any, session: Session, state: ProtocolState, engine: AlarmEngine, events: EventLog
) -> None:
    """Fill ``state`` (checklists, BP readings, dose, baseline) and the markers from the record.

    Does nothing for a session with no events yet.
    """
    sid = session.id
    recorded = store.events(sid)
    for event in recorded:
        if event.kind is EventKind.CHECKLIST and "total" in event.payload:
            state.checklists.append(
                (event.at, str(event.payload.get("scale")), int(event.payload["total"]))
            )
        baseline = event.payload.get("baseline_bp")
        if event.kind is EventKind.DOSE_GIVEN and event.payload.get("first") and baseline:
            state.baseline_bp = (float(baseline[0]), float(baseline[1]))
        _restore_dosing(state, event)
        events.add_marker(event)
    if not recorded:
        return
    sys_values = store.measurements(sid, kinds=[Kind.NIBP_SYS])
    dia_by_time = {m.received_at: m.value for m in store.measurements(sid, kinds=[Kind.NIBP_DIA])}
    for m in sys_values:
        dia = dia_by_time.get(m.received_at)
        if dia is not None:
            state.bp_readings.append((m.received_at, m.value, dia))
    if session.dose_at is not None:
        engine.set_dose_active(True, session.dose_at)
        state.dose_at = session.dose_at
        state.first_dose_at = session.dose_at
        baseline = state.baseline(session.dose_at)
        if baseline is not None:
            state.baseline_bp = baseline
            engine.set_baseline_bp(*baseline)
