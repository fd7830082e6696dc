"""Recording session events: committed to the store, shown as timeline markers, announced."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sessionmon.model import Event, EventKind
from sessionmon.runtime.snapshot import Marker

log = logging.getLogger(__name__)


def marker_of(event: Event) -> Marker | None:
    """The timeline marker an event shows as, or None for events with no marker."""
    label = event.text or ""
    if event.kind is EventKind.CHECKLIST:
        label = f"{event.payload.get('scale')} {event.payload.get('total')}"
    elif event.kind is EventKind.DOSE_GIVEN:
        label = event.text or "dose"
    elif event.kind is EventKind.PHASE_CHANGE:
        label = str(event.payload.get("to", ""))
    elif event.kind is EventKind.DISCHARGE_ATTEMPT:
        label = "discharge allowed" if event.payload.get("allowed") else "discharge refused"
    elif event.kind not in (EventKind.ANNOTATION, EventKind.SIGN_OFF):
        return None
    return Marker(event.at, event.kind.value, label)


class EventLog:
    """Writes events to the store (committed before returning) and keeps their markers.

    Parameters
    ----------
    store : SessionStore
        Receives each event (``add_event``).
    session_id : uuid.UUID
        Written into every event.
    """

    def __init__(self, store: Any, session_id: Any) -> None:
        self._store = store
        self._sid = session_id
        self.markers: list[Marker] = []
        self.listeners: list[Callable[[Event], None]] = []

    def record(
        self,
        kind: EventKind,
        at: datetime,
        *,
        by: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
        wait: bool = True,
    ) -> Event:
        """Commit one event, add its marker and tell the listeners.

        With ``wait=False`` (automatic events) the store queues the event and retries it.
        """
        event = self.make(kind, at, by=by, text=text, payload=payload)
        if wait:
            self._store.add_event(event)
        else:
            self._store.add_event(event, wait=False)
        self.announce(event)
        return event

    def make(
        self,
        kind: EventKind,
        at: datetime,
        *,
        by: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Event:
        """Build an event of this session (the caller records it, then calls :meth:`announce`)."""
        return Event(
            session_id=self._sid, kind=kind, at=at, by=by, text=text, payload=payload or {}
        )

    def announce(self, event: Event) -> None:
        """Add a recorded event's marker and tell the listeners."""
        self.add_marker(event)
        for callback in list(self.listeners):
            try:
                callback(event)
            except Exception:  # a listener's bug must not stop the session
                log.exception("event listener failed")

    def add_marker(self, event: Event) -> None:
        """Show ``event`` on the timeline if it is a kind that has a marker."""
        marker = marker_of(event)
        if marker is not None:
            self.markers.append(marker)
