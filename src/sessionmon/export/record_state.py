"""After the session: is the record finished? Signed, REMS form sent, days left.

The REMS patient monitoring form is due within 7 days of an esketamine session. A session's
record state says whether it is signed, whether the REMS form was exported (an ``export`` event
with ``rems_form: true``, written when an identified PDF report or REMS form is produced), the
due date and the days left. :func:`reminders` lists what needs doing at launch.

Days are counted in calendar days in the zone of the ``now`` passed in (give local time for a
local calendar): a session dosed on the 5th is due on the 12th, with 0 days left on the 12th and
overdue from the 13th.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sessionmon.lifecycle import OPEN_PHASES
from sessionmon.model import Event, EventKind, SessionPhase, TreatmentId

#: Days after the session within which the REMS form is due.
REMS_WINDOW_DAYS = 7
#: Remind when the form is due within this many days (or overdue).
DUE_SOON_DAYS = 2
#: Protocols whose sessions need the REMS monitoring form.
REMS_PROTOCOLS = frozenset({TreatmentId.ESKETAMINE_56, TreatmentId.ESKETAMINE_84})


@dataclass(frozen=True)
class RecordState:
    """Where a session's record stands after the session.

    Attributes
    ----------
    session_id : UUID
    signed : bool
        Signed off.
    dosed : bool
        A dose was given (a cancelled session has nothing to sign or report).
    open : bool
        Still running, or interrupted.
    rems_required : bool
        An esketamine session of a patient (not a simulation) that was dosed.
    rems_exported_at : datetime or None
        When the REMS form (or an identified PDF report) was last exported.
    due_on : date or None
        The last day the REMS form is due, when required.
    days_left : int or None
        Calendar days from ``now`` to ``due_on`` (negative when overdue).
    simulated : bool
        A training session.
    """

    session_id: uuid.UUID
    signed: bool
    dosed: bool
    open: bool
    rems_required: bool
    rems_exported_at: datetime | None
    due_on: date | None
    days_left: int | None
    simulated: bool

    @property
    def rems_exported(self) -> bool:
        """Whether the REMS form was exported."""
        return self.rems_exported_at is not None

    @property
    def rems_pending(self) -> bool:
        """The form is required and not yet exported."""
        return self.rems_required and not self.rems_exported

    @property
    def overdue(self) -> bool:
        """The form is required, not exported, and its due day has passed."""
        return self.rems_pending and self.days_left is not None and self.days_left < 0

    @property
    def due_soon(self) -> bool:
        """The form is pending and due within :data:`DUE_SOON_DAYS` days (or overdue)."""
        return self.rems_pending and self.days_left is not None and self.days_left <= DUE_SOON_DAYS

    @property
    def needs_signing(self) -> bool:
        """A dosed patient session that is not signed (nor still running)."""
        return self.dosed and not self.signed and not self.simulated

    @property
    def needs_attention(self) -> bool:
        """Whether the launch reminder should list this session."""
        return not self.simulated and (self.needs_signing or self.due_soon)

    def label(self) -> str:
        """A short cell for session lists, e.g. ``unsigned; REMS due in 2 d``."""
        if self.simulated:
            return "simulation"
        if not self.dosed:
            return "not dosed"
        parts = ["signed" if self.signed else ("open" if self.open else "unsigned")]
        if self.rems_required:
            if self.rems_exported:
                parts.append("REMS sent")
            elif self.days_left is not None and self.days_left < 0:
                parts.append(f"REMS overdue {-self.days_left} d")
            elif self.days_left == 0:
                parts.append("REMS due today")
            else:
                parts.append(f"REMS due in {self.days_left} d")
        return "; ".join(parts)


def _rems_export_time(events: Iterable[Event]) -> datetime | None:
    times = [
        e.at for e in events if e.kind is EventKind.EXPORT and e.payload.get("rems_form") is True
    ]
    return max(times) if times else None


def export_events(store: Any, session_id: uuid.UUID) -> list[Event]:
    """The session's ``export`` events: all that :func:`record_state_for` reads (the other
    events are not decoded)."""
    return store.events(session_id, kinds=(EventKind.EXPORT,))


def record_state_for(summary: Any, events: Iterable[Event], now: datetime) -> RecordState:
    """Compute the record state of one session.

    Parameters
    ----------
    summary : SessionSummary
        The session's line from ``store.list_sessions()`` (a :class:`~sessionmon.model.Session`
        works too: the same attribute names are read, ``protocol`` from its treatment).
    events : iterable of Event
        The session's events (only ``export`` events are read).
    now : datetime
        The current time (aware), in the zone whose calendar counts the days.
    """
    protocol = getattr(summary, "protocol", None)
    if protocol is None:
        protocol = summary.treatment.protocol
    phase = summary.phase
    dosed = summary.dose_at is not None
    simulated = bool(summary.simulated)
    required = dosed and not simulated and TreatmentId(protocol) in REMS_PROTOCOLS
    due_on = days_left = None
    if required:
        session_day = summary.dose_at.astimezone(now.tzinfo).date()
        due_on = session_day + timedelta(days=REMS_WINDOW_DAYS)
        days_left = (due_on - now.date()).days
    return RecordState(
        session_id=summary.id,
        signed=summary.signed_by is not None,
        dosed=dosed,
        open=phase in OPEN_PHASES or phase is SessionPhase.INTERRUPTED,
        rems_required=required,
        rems_exported_at=_rems_export_time(events),
        due_on=due_on,
        days_left=days_left,
        simulated=simulated,
    )


@dataclass(frozen=True)
class Reminder:
    """One line of the launch reminder."""

    session_id: uuid.UUID
    pseudonym: str
    state: RecordState
    message: str


def _reminder_text(summary: Any, state: RecordState, now: datetime) -> str:
    when = (summary.dose_at or summary.created_at).astimezone(now.tzinfo)
    todo = []
    if state.needs_signing:
        todo.append("still running or interrupted" if state.open else "not signed")
    if state.due_soon:
        if state.overdue:
            todo.append(f"REMS form overdue since {state.due_on.isoformat()}")
        elif state.days_left == 0:
            todo.append("REMS form due today")
        else:
            plural = "s" if state.days_left != 1 else ""
            todo.append(f"REMS form due in {state.days_left} day{plural} ({state.due_on})")
    return (
        f"{summary.pseudonym}, session of {when:%Y-%m-%d %H:%M} ({str(summary.id)[:8]}): "
        + "; ".join(todo)
    )


def reminders(store: Any, now: datetime) -> list[Reminder]:
    """Sessions that are unsigned, or whose REMS form is due within 2 days or overdue.

    Simulated sessions are never listed. Most urgent first (overdue, then fewest days left).
    """
    found = []
    for summary in store.list_sessions():
        if summary.simulated or summary.dose_at is None:
            continue
        state = record_state_for(summary, export_events(store, summary.id), now)
        if state.needs_attention:
            found.append(
                Reminder(summary.id, summary.pseudonym, state, _reminder_text(summary, state, now))
            )
    found.sort(key=lambda r: (r.state.days_left if r.state.due_soon else 99, str(r.session_id)))
    return found
