"""The session lifecycle as a pure state machine.

planned -> baseline (pre-dose checks) -> dosing -> observation -> discharge_ready -> closed
(signed). A session found unfinished after a crash is ``interrupted``; resuming returns it to
the phase it was in. Every legal move is in :data:`TRANSITIONS`; anything else raises
:class:`IllegalTransition` naming the move and why it is refused.

Besides the discharge, a session ends (closed, locked) in one of the ways of
:class:`~sessionmon.model.SessionEnding`; :data:`ENDING_PHASES` says in which phases each one
applies and :func:`check_ending` refuses the others with the reason.
"""

from __future__ import annotations

from sessionmon.model import Session, SessionEnding, SessionPhase

P = SessionPhase
E = SessionEnding

#: Legal moves: from-phase -> {to-phase: what the move means}.
TRANSITIONS: dict[SessionPhase, dict[SessionPhase, str]] = {
    P.PLANNED: {P.BASELINE: "start pre-dose checks", P.CLOSED: "cancel before dosing"},
    P.BASELINE: {P.DOSING: "first dose given", P.CLOSED: "cancel before dosing"},
    P.DOSING: {P.OBSERVATION: "dosing complete", P.CLOSED: "ended before discharge"},
    P.OBSERVATION: {
        P.DISCHARGE_READY: "discharge criteria met",
        P.CLOSED: "ended before discharge",
    },
    P.DISCHARGE_READY: {
        P.OBSERVATION: "criteria no longer met",
        P.CLOSED: "discharged and signed",
    },
    P.CLOSED: {},
    P.INTERRUPTED: {},  # left only by resume(), which knows the phase to return to
}

#: Phases in which a session is still open (may be interrupted by a crash).
OPEN_PHASES = frozenset({P.PLANNED, P.BASELINE, P.DOSING, P.OBSERVATION, P.DISCHARGE_READY})

_WHY_NOT: dict[SessionPhase, str] = {
    P.PLANNED: "a planned session must first start its pre-dose checks",
    P.BASELINE: "pre-dose checks lead only to the dose (or cancelling)",
    P.DOSING: "dosing is followed by observation (or the session ends before discharge)",
    P.OBSERVATION: "observation leads to discharge (or the session ends before discharge)",
    P.DISCHARGE_READY: "a discharge-ready session is either signed off or goes back to observation",
    P.CLOSED: "a signed session is locked",
    P.INTERRUPTED: "an interrupted session must be resumed first",
}


class IllegalTransition(ValueError):  # noqa: N818 - reads as a sentence at the raise site
    """A lifecycle move that the protocol does not allow."""

    def __init__(self, current: SessionPhase, target: SessionPhase, reason: str) -> None:
        self.current = current
        self.target = target
        self.reason = reason
        super().__init__(f"cannot move a session from {current.value} to {target.value}: {reason}")


def can_transition(current: SessionPhase, target: SessionPhase) -> bool:
    """Return whether ``current -> target`` is a legal move (interruption included)."""
    if target is P.INTERRUPTED:
        return current in OPEN_PHASES
    return target in TRANSITIONS[current]


def transition(current: SessionPhase, target: SessionPhase) -> SessionPhase:
    """Check a move and return the new phase.

    Parameters
    ----------
    current, target : SessionPhase
        The phase now and the phase wanted.

    Returns
    -------
    SessionPhase
        ``target``, when the move is legal.

    Raises
    ------
    IllegalTransition
        If the move is not in :data:`TRANSITIONS`; the message names both phases and the reason.
    """
    current, target = SessionPhase(current), SessionPhase(target)
    if can_transition(current, target):
        return target
    if current == target:
        reason = f"the session is already {current.value}"
    elif target is P.INTERRUPTED:
        reason = "only an open session can be interrupted"
    else:
        reason = _WHY_NOT[current]
    raise IllegalTransition(current, target, reason)


def resume(current: SessionPhase, phase_before: SessionPhase) -> SessionPhase:
    """Resume an interrupted session into the phase it had before the crash.

    Raises
    ------
    IllegalTransition
        If the session is not interrupted, or ``phase_before`` is not an open phase.
    """
    current, phase_before = SessionPhase(current), SessionPhase(phase_before)
    if current is not P.INTERRUPTED:
        raise IllegalTransition(current, phase_before, "only an interrupted session can be resumed")
    if phase_before not in OPEN_PHASES:
        raise IllegalTransition(
            current, phase_before, f"{phase_before.value} is not a phase a session can resume into"
        )
    return phase_before


_AFTER_DOSE = frozenset({P.DOSING, P.OBSERVATION, P.DISCHARGE_READY})

#: The phases in which each ending applies.
ENDING_PHASES: dict[SessionEnding, frozenset[SessionPhase]] = {
    E.DISCHARGED: frozenset({P.DISCHARGE_READY}),
    E.DOSE_NOT_GIVEN: frozenset({P.PLANNED, P.BASELINE}),
    E.TRANSFERRED: OPEN_PHASES,
    E.LEFT_AGAINST_ADVICE: _AFTER_DOSE,
    E.ENDED_EARLY: _AFTER_DOSE,
}

#: How each ending reads in the console, the report and the REMS form.
ENDING_LABELS: dict[SessionEnding, str] = {
    E.DISCHARGED: "Discharged",
    E.DOSE_NOT_GIVEN: "Dose not given",
    E.TRANSFERRED: "Transferred to emergency care",
    E.LEFT_AGAINST_ADVICE: "Left against advice",
    E.ENDED_EARLY: "Ended early by the clinician",
}

_ENDING_WHY_NOT: dict[SessionEnding, str] = {
    E.DISCHARGED: "a discharge needs the discharge criteria met, then Sign off",
    E.DOSE_NOT_GIVEN: "the dose has already been given",
    E.TRANSFERRED: "the session is not open",
    E.LEFT_AGAINST_ADVICE: "no dose was given yet: end it as 'dose not given'",
    E.ENDED_EARLY: "no dose was given yet: end it as 'dose not given'",
}


def endings_for(phase: SessionPhase) -> list[SessionEnding]:
    """The endings other than discharge that apply to a session in ``phase`` (menu order)."""
    return [
        how
        for how in (E.DOSE_NOT_GIVEN, E.TRANSFERRED, E.LEFT_AGAINST_ADVICE, E.ENDED_EARLY)
        if phase in ENDING_PHASES[how]
    ]


def check_ending(phase: SessionPhase, how: SessionEnding) -> None:
    """Refuse an ending that does not apply in ``phase``.

    Raises
    ------
    IllegalTransition
        The message names the phase, the ending and why it does not apply.
    """
    phase, how = SessionPhase(phase), SessionEnding(how)
    if phase not in ENDING_PHASES[how]:
        raise IllegalTransition(
            phase,
            P.CLOSED,
            f"'{ENDING_LABELS[how].lower()}' does not apply: {_ENDING_WHY_NOT[how]}",
        )


def ending_of(session: Session) -> tuple[SessionEnding, str | None, str | None] | None:
    """How a closed session ended: ``(how, reason, destination)``; None while it is open.

    Sessions closed before endings were recorded read as discharged when signed, else as
    "dose not given" (the only other way they could close).
    """
    if session.ending is not None:
        return session.ending.how, session.ending.reason, session.ending.destination
    if session.phase is not P.CLOSED:
        return None
    if session.dose_at is None:
        return E.DOSE_NOT_GIVEN, None, None
    return E.DISCHARGED, None, None


def describe_ending(session: Session) -> str | None:
    """One line: ``Transferred to emergency care (to St Mary's ED): chest pain``; None if open."""
    found = ending_of(session)
    if found is None:
        return None
    how, reason, destination = found
    text = ENDING_LABELS[how]
    if destination:
        text += f" (to {destination})"
    if reason:
        text += f": {reason}"
    return text
