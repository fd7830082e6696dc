"""Ending a session other than by discharge: dose not given, transferred, left, ended early.

:class:`SessionEndings` is the part of :class:`~sessionmon.runtime.SessionRuntime` that closes a
session with an :class:`~sessionmon.model.Ending` (how, why, who, when and, for a transfer,
where to). The session is locked like a signed one: the person ending it signs the record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sessionmon.lifecycle import ENDING_LABELS, IllegalTransition, check_ending, describe_ending
from sessionmon.model import Ending, Event, EventKind, SessionEnding, SessionPhase
from sessionmon.runtime.errors import IntentRefusedError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object


class SessionEndings(_Base):
    """The intent that ends a session before (or instead of) a discharge."""

    def end_session(
        self,
        how: SessionEnding | str,
        by: str,
        reason: str,
        destination: str | None = None,
    ) -> Event:
        """End the session now and lock its record.

        Parameters
        ----------
        how : SessionEnding or str
            ``dose_not_given`` (before the dose), ``transferred`` (any time),
            ``left_against_advice`` or ``ended_early`` (after the dose). A discharge is
            :meth:`sign`, not this.
        by : str
            Who ends the session (required; recorded as the person signing the record).
        reason : str
            Why (required).
        destination : str, optional
            Where the patient was transferred to (required for ``transferred``).

        Returns
        -------
        Event
            The ``nurse_action`` event with the ending; a ``phase_change`` to ``closed`` follows.

        Raises
        ------
        IntentRefusedError
            A required field is empty, or the ending does not apply in the session's phase
            (the message says why). Nothing is recorded.
        SessionLockedError
            The session is already closed.
        """
        self._require_open()
        try:
            how = SessionEnding(how)
        except ValueError:
            known = ", ".join(e.value for e in SessionEnding if e is not SessionEnding.DISCHARGED)
            raise IntentRefusedError(f"unknown ending {how!r} (one of: {known})") from None
        label = ENDING_LABELS[how].lower()
        by, reason = (by or "").strip(), (reason or "").strip()
        destination = (destination or "").strip() or None
        if how is SessionEnding.DISCHARGED:
            raise IntentRefusedError("a discharge ends the session with Discharge and Sign off")
        if not by:
            raise IntentRefusedError(f"ending the session ({label}) needs who ends it")
        if not reason:
            raise IntentRefusedError(f"ending the session ({label}) needs a reason")
        if how is SessionEnding.TRANSFERRED and destination is None:
            raise IntentRefusedError("a transfer needs where the patient is transferred to")
        try:
            check_ending(self._session.phase, how)
        except IllegalTransition as exc:
            raise IntentRefusedError(exc.reason) from None
        self.tick()  # record what the devices sent until now
        now = self._clock.now()
        ending = Ending(how=how, by=by, at=now, reason=reason, destination=destination)
        self._waveform.flush()
        self._store.flush()
        text = describe_ending(self._session.model_copy(update={"ending": ending}))
        # The event is committed with the closed version (one transaction), alarms end after.
        event = self._events.make(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=text,
            # who and when are the event's own; the details are in the text (de-identified)
            payload={"action": "end_session", "how": how.value},
        )
        self._move(
            SessionPhase.CLOSED,
            now,
            f"session ended: {ENDING_LABELS[how].lower()}",
            by=by,
            also_before=(event,),
            ended_at=now,
            signed_by=by,
            signed_at=now,
            ending=ending,
        )
        self._engine.close(now, f"session ended: {label}")
        self._notify_alarms()
        self._store.flush()
        return event
