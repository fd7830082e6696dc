"""How the runtime changes the record: lifecycle moves, events, and the check that it may.

:class:`SessionMoves` is the part of :class:`~sessionmon.runtime.SessionRuntime` that every intent
and the tick use to change the session: a lifecycle move (a new session version, its phase-change
event and any events that go with it in one transaction), one event, and the refusal of anything
on a closed, locked session.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sessionmon.lifecycle import IllegalTransition, transition
from sessionmon.model import Event, EventKind, SessionPhase
from sessionmon.runtime.errors import IntentRefusedError, SessionLockedError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object

P = SessionPhase


class SessionMoves(_Base):
    """Lifecycle moves and events of a running session."""

    def _move(
        self,
        target: SessionPhase,
        now: datetime,
        why: str,
        by: str | None = None,
        queued: bool = False,
        also: tuple[Event, ...] = (),
        also_before: tuple[Event, ...] = (),
        **changes: Any,
    ) -> Event:
        """Move the lifecycle (with any other session changes in the same version).

        The new version, its phase-change event and the events in ``also`` are one transaction.
        A nurse's move is committed before it is applied (a refused write changes nothing); an
        automatic move from the tick (``queued``) is queued and retried like alarms.
        """
        current = self._session.phase
        try:
            transition(current, target)
        except IllegalTransition as exc:
            raise IntentRefusedError(str(exc)) from None
        moved = self._session.model_copy(update={"phase": target, **changes})
        event = self._events.make(
            EventKind.PHASE_CHANGE,
            now,
            by=by,
            text=why,
            payload={"from": current.value, "to": target.value},
        )
        events = (*also_before, event, *also)  # also_before: recorded before the phase change
        self._store.update_session(moved, wait=not queued, events=events)
        self._session = moved
        if target is P.DOSING:
            self._engine.set_dose_active(True, now)  # oximetry alarms escalate from now on
        for recorded in events:
            self._events.announce(recorded)
        return event

    def _log_protocol_bp(self, at: datetime, reason: str) -> None:
        """The protocol started a BP itself (the nurse did not): an event says so."""
        interval = self._driver.nibp_interval_s
        cycle = "Auto off" if interval is None else f"Auto {interval / 60:g} min"
        self._event(
            EventKind.DEVICE,
            at,
            text=f"BP started by the console: {reason} ({cycle})",
            payload={"action": "protocol_bp_request", "reason": reason, "auto": cycle},
        )

    def _event(
        self,
        kind: EventKind,
        at: datetime,
        *,
        by: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Event:
        return self._events.record(kind, at, by=by, text=text, payload=payload)

    def _require_open(self) -> datetime:
        if self.locked:
            who = f" by {self._session.signed_by}" if self._session.signed_by else ""
            raise SessionLockedError(
                f"session {self._session.patient.pseudonym} is closed{who} and locked; "
                "nothing more can be recorded in it"
            )
        return self._clock.now()
