"""Discharge criteria: each one blocks on its own with a sentence naming the values."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from sessionmon.protocol import ProtocolState, SessionProtocol

DOSE = datetime(2026, 1, 5, 9, 10, tzinfo=UTC)
PROTO = SessionProtocol.for_treatment("esketamine-84")


def m(minutes: float) -> datetime:
    return DOSE + timedelta(minutes=minutes)


def ready_state(end: float = 121) -> ProtocolState:
    """A session that meets every criterion at ``end`` minutes after the dose."""
    return ProtocolState(
        dose_at=DOSE,
        baseline_bp=(126, 80),
        bp_readings=[(m(-5), 126, 80), (m(40), 158, 96), (m(end - 5), 132, 84)],
        checklists=[
            (m(40), "moaas", 4),
            (m(41), "cadss", 12),
            (m(end - 10), "moaas", 5),
            (m(end - 8), "aldrete", 10),
        ],
    )


def blocking(state: ProtocolState, at: float) -> list[str]:
    return PROTO.evaluate_discharge(state, m(at)).blocking


def test_all_criteria_met_allows_discharge():
    decision = PROTO.evaluate_discharge(ready_state(), m(121))
    assert decision.allowed
    assert decision.blocking == []
    assert {c.id for c in decision.criteria} == {
        "min_observation",
        "peak_bp",
        "discharge_bp",
        "discharge_bp_level",
        "discharge_bp_rise",
        "moaas",
        "latched_alarms",
        "aldrete",
    }


def test_too_early_blocks_with_time_to_go():
    assert blocking(ready_state(96), 96) == [
        "only 96 min since the first dose; 120 min required (24 min to go)"
    ]
    assert blocking(ready_state(120), 120) == []


def test_minimum_counts_from_the_first_dose():
    state = dataclasses.replace(ready_state(110), first_dose_at=m(-10))
    assert blocking(state, 109.5) == [
        "only 119 min since the first dose; 120 min required (1 min to go)"
    ]
    assert blocking(state, 110) == []


def test_missing_40_minute_bp_blocks():
    state = ready_state()
    # No BP in the 35-45 min window and none after it until the pre-discharge one is dropped too.
    state.bp_readings = [r for r in state.bp_readings if r[0] < m(35)]
    state.bp_readings.append((m(30), 150, 90))
    decision = PROTO.evaluate_discharge(state, m(121))
    assert "no BP recorded at 40 min (35-45 min after the dose): the check was missed" in (
        decision.blocking
    )


def test_late_40_minute_bp_counts_as_a_late_check():
    state = ready_state()
    state.bp_readings = [r for r in state.bp_readings if r[0] != m(40)] + [(m(50), 150, 90)]
    decision = PROTO.evaluate_discharge(state, m(121))
    assert decision.allowed, decision.blocking
    peak = next(c for c in decision.criteria if c.id == "peak_bp")
    assert (
        peak.message
        == "BP at 40 min taken late: 150/90 mmHg at 50 min after the dose (due 35-45 min)"
    )
    # The timeline still shows the window as missed.
    check = next(c for c in PROTO.checks(state, m(121)) if c.id == "bp_40")
    assert check.status.value == "missed"


def test_stale_pre_discharge_bp_blocks():
    state = ready_state()
    state.bp_readings = [(m(-5), 126, 80), (m(40), 158, 96), (m(100), 130, 82)]
    assert blocking(state, 121) == [
        "no BP in the last 15 min before discharge; latest was 130/82 mmHg at 100 min after "
        "the dose (21 min ago)"
    ]


@pytest.mark.parametrize(
    ("sys", "dia", "why"),
    [
        (160, 90, "systolic 160 ≥ 160"),
        (150, 100, "diastolic 100 ≥ 100"),
        (172, 104, "systolic 172 ≥ 160; diastolic 104 ≥ 100"),
    ],
)
def test_high_pre_discharge_bp_blocks(sys, dia, why):
    state = ProtocolState(
        dose_at=DOSE,
        baseline_bp=(150, 95),
        bp_readings=[(m(40), 150, 90), (m(116), sys, dia)],
        checklists=[(m(110), "moaas", 5), (m(112), "aldrete", 9)],
    )
    assert blocking(state, 121) == [f"BP before discharge {sys}/{dia} mmHg is too high: {why}"]


def test_bp_just_under_the_limits_is_acceptable():
    state = ProtocolState(
        dose_at=DOSE,
        baseline_bp=(150, 95),
        bp_readings=[(m(40), 150, 90), (m(116), 159, 99)],
        checklists=[(m(110), "moaas", 5), (m(112), "aldrete", 9)],
    )
    assert PROTO.evaluate_discharge(state, m(121)).allowed


def test_rise_over_baseline_blocks():
    state = ready_state()
    state.baseline_bp = (110, 70)
    state.bp_readings = [(m(40), 150, 90), (m(116), 150, 88)]
    assert blocking(state, 121) == [
        "BP before discharge 150/88 mmHg is still well above the pre-dose baseline 110/70 mmHg: "
        "systolic +40 (limit +40)"
    ]
    state.bp_readings = [(m(40), 150, 90), (m(116), 149, 94)]  # +39/+24: just under
    assert blocking(state, 121) == []


def test_baseline_defaults_to_last_predose_reading():
    state = ready_state()
    state.baseline_bp = None
    state.bp_readings = [(m(-20), 140, 90), (m(-5), 100, 62), (m(40), 150, 90), (m(116), 141, 88)]
    assert blocking(state, 121) == [
        "BP before discharge 141/88 mmHg is still well above the pre-dose baseline 100/62 mmHg: "
        "systolic +41 (limit +40), diastolic +26 (limit +25)"
    ]


def test_moaas_below_five_blocks():
    state = ready_state()
    state.checklists = [(m(40), "moaas", 4), (m(100), "moaas", 4), (m(113), "aldrete", 10)]
    assert blocking(state, 121) == ["latest MOAA/S is 4 at 100 min after the dose (needs 5)"]


def test_moaas_must_be_recorded_after_40_minutes():
    state = ready_state()
    state.checklists = [(m(20), "moaas", 5), (m(113), "aldrete", 10)]
    assert blocking(state, 121) == [
        "no MOAA/S recorded since 40 min; latest is 5 at 20 min after the dose (needs 5)"
    ]
    state.checklists = [(m(113), "aldrete", 10)]
    assert blocking(state, 121) == ["no MOAA/S recorded since the dose (needs 5)"]


def test_latest_moaas_counts_not_the_best():
    state = ready_state()
    state.checklists = [(m(90), "moaas", 5), (m(110), "moaas", 3), (m(113), "aldrete", 10)]
    assert blocking(state, 121) == ["latest MOAA/S is 3 at 110 min after the dose (needs 5)"]


def test_unacknowledged_latched_alarm_blocks():
    state = ready_state()
    state.unacknowledged_latched = ["spo2_low"]
    assert blocking(state, 121) == ["unacknowledged latched alarm: spo2_low (acknowledge it first)"]
    state.unacknowledged_latched = ["spo2_low", "hr_low"]
    assert blocking(state, 121) == [
        "unacknowledged latched alarms: spo2_low, hr_low (acknowledge them first)"
    ]


def test_aldrete_below_nine_or_missing_blocks():
    state = ready_state()
    state.checklists = [(m(110), "moaas", 5), (m(100), "aldrete", 10), (m(112), "aldrete", 8)]
    assert blocking(state, 121) == ["latest modified Aldrete is 8 (needs ≥ 9)"]
    state.checklists = [(m(110), "moaas", 5)]
    assert blocking(state, 121) == ["no modified Aldrete score recorded since the dose (needs ≥ 9)"]


def test_no_dose_blocks():
    assert blocking(ProtocolState(bp_readings=[(m(-5), 120, 80)]), -1) == [
        "no dose recorded yet; discharge counts from the dose"
    ]


def test_every_missing_criterion_is_listed():
    state = ProtocolState(
        dose_at=DOSE,
        bp_readings=[(m(-5), 120, 80), (m(60), 150, 90)],
        checklists=[(m(60), "moaas", 4)],
        unacknowledged_latched=["spo2_low"],
    )
    decision = PROTO.evaluate_discharge(state, m(90))
    assert not decision.allowed
    assert decision.blocking_ids == [
        "min_observation",
        "discharge_bp",
        "moaas",
        "latched_alarms",
        "aldrete",
    ]
    assert (
        decision.blocking[0] == "only 90 min since the first dose; 120 min required (30 min to go)"
    )
    assert len(decision.blocking) == 5
    # The 60-min BP stands in for the missed 40-min check, marked late.
    peak = next(c for c in decision.criteria if c.id == "peak_bp")
    assert peak.met and "taken late" in peak.message


def test_future_entries_are_ignored():
    state = ready_state()
    assert not PROTO.evaluate_discharge(state, m(112)).allowed
    assert "aldrete" in PROTO.evaluate_discharge(state, m(112)).blocking_ids


def test_settings_change_the_criteria():
    state = ready_state()
    state.bp_readings = [(m(-5), 126, 80), (m(40), 158, 96), (m(100), 130, 82)]
    relaxed = SessionProtocol.for_treatment("esketamine-84", {"discharge_bp_recent_min": 30})
    assert relaxed.evaluate_discharge(state, m(121)).allowed
    no_aldrete = SessionProtocol.for_treatment("esketamine-84", {"require_aldrete": False})
    state = ready_state()
    state.checklists = [c for c in state.checklists if c[1] != "aldrete"]
    assert no_aldrete.evaluate_discharge(state, m(121)).allowed


def test_iv_ketamine_minimum_is_70_minutes():
    iv = SessionProtocol.for_treatment("ketamine-iv")
    state = ready_state(71)
    assert iv.evaluate_discharge(state, m(71)).allowed
    early = ready_state(65)
    assert iv.evaluate_discharge(early, m(65)).blocking == [
        "only 65 min since the first dose; 70 min required (5 min to go)"
    ]


def test_minutes_until_ready_ignores_the_two_hour_minimum():
    state = ProtocolState(
        dose_at=DOSE,
        baseline_bp=(126, 80),
        bp_readings=[(m(40), 150, 92), (m(80), 140, 86), (m(92), 134, 82), (m(118), 130, 80)],
        checklists=[
            (m(60), "moaas", 4),
            (m(85), "moaas", 5),
            (m(88), "aldrete", 9),
            (m(115), "moaas", 5),
        ],
    )
    # At 88 min the last BP (80 min) is 8 min old: every criterion but the 2 hours is met.
    assert PROTO.minutes_until_ready(state, m(125)) == pytest.approx(88)
    assert PROTO.minutes_until_ready(state, m(87)) is None
    assert PROTO.minutes_until_ready(ProtocolState(), m(100)) is None
