"""Every legal and illegal move of the session lifecycle."""

from __future__ import annotations

import itertools

import pytest

from sessionmon import lifecycle
from sessionmon.model import SessionPhase as P

LEGAL = {
    (P.PLANNED, P.BASELINE),
    (P.PLANNED, P.CLOSED),
    (P.BASELINE, P.DOSING),
    (P.BASELINE, P.CLOSED),
    (P.DOSING, P.OBSERVATION),
    (P.DOSING, P.CLOSED),  # transferred, left against advice, ended early
    (P.OBSERVATION, P.DISCHARGE_READY),
    (P.OBSERVATION, P.CLOSED),
    (P.DISCHARGE_READY, P.OBSERVATION),
    (P.DISCHARGE_READY, P.CLOSED),
    # a crash can interrupt any open session
    (P.PLANNED, P.INTERRUPTED),
    (P.BASELINE, P.INTERRUPTED),
    (P.DOSING, P.INTERRUPTED),
    (P.OBSERVATION, P.INTERRUPTED),
    (P.DISCHARGE_READY, P.INTERRUPTED),
}
ALL_MOVES = list(itertools.product(P, P))


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_moves_return_the_target(current, target):
    assert lifecycle.can_transition(current, target)
    assert lifecycle.transition(current, target) is target


@pytest.mark.parametrize(("current", "target"), [m for m in ALL_MOVES if m not in LEGAL])
def test_illegal_moves_name_both_phases_and_a_reason(current, target):
    assert not lifecycle.can_transition(current, target)
    with pytest.raises(lifecycle.IllegalTransition) as exc:
        lifecycle.transition(current, target)
    message = str(exc.value)
    assert f"from {current.value} to {target.value}" in message
    assert exc.value.reason and exc.value.reason in message
    assert (exc.value.current, exc.value.target) == (current, target)


def test_moves_accept_phase_strings():
    assert lifecycle.transition("dosing", "observation") is P.OBSERVATION


def test_a_signed_session_is_locked():
    with pytest.raises(lifecycle.IllegalTransition, match="signed session is locked"):
        lifecycle.transition(P.CLOSED, P.OBSERVATION)


@pytest.mark.parametrize("phase_before", sorted(lifecycle.OPEN_PHASES))
def test_resume_returns_to_the_phase_before_the_crash(phase_before):
    interrupted = lifecycle.transition(phase_before, P.INTERRUPTED)
    assert lifecycle.resume(interrupted, phase_before) is phase_before


@pytest.mark.parametrize("current", [p for p in P if p is not P.INTERRUPTED])
def test_only_an_interrupted_session_can_be_resumed(current):
    with pytest.raises(lifecycle.IllegalTransition, match="only an interrupted session"):
        lifecycle.resume(current, P.OBSERVATION)


@pytest.mark.parametrize("phase_before", [P.CLOSED, P.INTERRUPTED])
def test_resume_never_goes_to_a_finished_phase(phase_before):
    with pytest.raises(lifecycle.IllegalTransition, match="not a phase a session can resume"):
        lifecycle.resume(P.INTERRUPTED, phase_before)


def test_every_phase_has_an_entry_in_the_table():
    assert set(lifecycle.TRANSITIONS) == set(P)


@pytest.mark.parametrize("phase", sorted(lifecycle.OPEN_PHASES))
def test_every_open_session_has_a_way_to_end_other_than_discharge(phase):
    endings = lifecycle.endings_for(phase)
    assert endings, f"a session in {phase.value} could only be left open"
    for how in endings:
        lifecycle.check_ending(phase, how)
        assert lifecycle.can_transition(phase, P.CLOSED)


def test_endings_that_do_not_apply_say_why():
    from sessionmon.model import SessionEnding as E

    assert lifecycle.endings_for(P.BASELINE) == [E.DOSE_NOT_GIVEN, E.TRANSFERRED]
    assert lifecycle.endings_for(P.OBSERVATION) == [
        E.TRANSFERRED,
        E.LEFT_AGAINST_ADVICE,
        E.ENDED_EARLY,
    ]
    with pytest.raises(lifecycle.IllegalTransition, match="already been given"):
        lifecycle.check_ending(P.OBSERVATION, E.DOSE_NOT_GIVEN)
    with pytest.raises(lifecycle.IllegalTransition, match="dose not given"):
        lifecycle.check_ending(P.PLANNED, E.LEFT_AGAINST_ADVICE)
