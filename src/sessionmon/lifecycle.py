"""The session lifecycle as a pure state machine.

planned -> baseline (pre-dose checks) -> dosing -> observation -> discharge_ready -> closed
(signed). A session found unfinished after a crash is ``interrupted``; resuming returns it to
the phase it was in. Every legal move is in :data:`TRANSITIONS`; anything else raises
:class:`IllegalTransition` naming the move and why it is refused.
"""

from __future__ import annotations

from sessionmon.model import SessionPhase

P = SessionPhase

#: Legal moves: from-phase -> {to-phase: what the move means}.
TRANSITIONS: dict[SessionPhase, dict[SessionPhase, str]] = {
    P.PLANNED: {P.BASELINE: "start pre-dose checks", P.CLOSED: "cancel before dosing"},
    P.BASELINE: {P.DOSING: "first dose given", P.CLOSED: "cancel before dosing"},
    P.DOSING: {P.OBSERVATION: "dosing complete"},
    P.OBSERVATION: {P.DISCHARGE_READY: "discharge criteria met"},
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
    P.DOSING: "dosing must be completed before observation can end",
    P.OBSERVATION: "observation ends only when the discharge criteria are met",
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
