"""Recording the alarm limits in force: one ``alarm_limits`` event when a session starts (or is
resumed with other limits) and after every change, so the report, HL7 OBX-7 and FHIR
``referenceRange`` state the limits the session actually ran with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sessionmon.model import EventKind
from sessionmon.runtime.events import EventLog


def last_limits(store: Any, session_id: Any) -> dict[str, Any] | None:
    """The profile of the session's latest ``alarm_limits`` event, or None."""
    found = None
    for event in store.events(session_id):
        if event.kind is EventKind.ALARM_LIMITS:
            found = event.payload.get("profile")
    return found


def record_limits_in_force(
    events: EventLog,
    store: Any,
    session_id: Any,
    profile: Any,
    at: datetime,
    why: str,
    by: str | None = None,
) -> bool:
    """Write an ``alarm_limits`` event with the whole profile unless the last one is the same.

    Parameters
    ----------
    events : EventLog
        Where the event goes.
    store : SessionStore
        Read for the session's last ``alarm_limits`` event.
    session_id : uuid.UUID
        The session.
    profile : AlarmProfile
        The profile now in force.
    at : datetime
        When it came into force.
    why : str
        ``"session start"``, ``"session resumed"`` or ``"changed"``.
    by : str, optional
        Who changed it.

    Returns
    -------
    bool
        Whether an event was written.
    """
    data = profile.to_dict()
    if last_limits(store, session_id) == data:
        return False
    events.record(
        EventKind.ALARM_LIMITS,
        at,
        by=by,
        text=f"alarm limits in force ({why}): {profile.name}",
        payload={"why": why, "profile": data},
    )
    return True
