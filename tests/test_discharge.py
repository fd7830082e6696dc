"""Discharge criteria: each one blocks on its own with a sentence naming the values."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from sessionmon.alarms import default_profile
from sessionmon.protocol import (
    AlarmFact,
    PatientNow,
    ProtocolState,
    SessionProtocol,
    limits_from_profile,
)

DOSE = datetime(2026, 1, 5, 9, 10, tzinfo=UTC)
PROTO = SessionProtocol.for_treatment("esketamine-84")
LIMITS, RISE = limits_from_profile(default_profile())


def m(minutes: float) -> datetime:
    return DOSE + timedelta(minutes=minutes)


def patient(at: float, spo2: float = 97, hr: float = 72, alarms=(), age_s: float = 1) -> PatientNow:
    """The patient at ``at`` minutes: current SpO2 and pulse, the default profile's limits."""
    seen = m(at) - timedelta(seconds=age_s)
    return PatientNow(
        vitals={"spo2": (spo2, seen), "hr": (hr, seen)},
        stale_after_s=10.0,
        limits=LIMITS,
        rise=RISE,
        alarms=tuple(alarms),
    )


def ready_state(end: float = 121) -> ProtocolState:
    """A session that meets every criterion at ``end`` minutes after the dose."""
    return ProtocolState(
        dose_at=DOSE,
        baseline_bp=(126, 80),
        bp_readings=[(m(-5), 126, 80), (m(40), 158, 96), (m(end - 5), 132, 84)],
        checklists=[
            (m(40), "moaas", 4),
            (m(41), "cadss", 2),
            (m(end - 10), "moaas", 5),
            (m(end - 8), "aldrete", 10),
        ],
        patient=patient(end),
    )


def blocking(state: ProtocolState, at: float) -> list[str]:
    return PROTO.evaluate_discharge(state, m(at)).blocking


def criterion(state: ProtocolState, at: float, cid: str):
    return next(c for c in PROTO.evaluate_discharge(state, m(at)).criteria if c.id == cid)


def test_all_criteria_met_allows_discharge():
    decision = PROTO.evaluate_discharge(ready_state(), m(121))
    assert decision.allowed, decision.blocking
    assert decision.blocking == []
    assert {c.id for c in decision.criteria} == {
        "min_observation",
        "spo2_now",
        "hr_now",
        "physiological_alarms",
        "oximetry_technical",
        "peak_bp",
        "predose_bp",
        "discharge_bp",
        "discharge_bp_level",
        "discharge_bp_rise",
        "moaas",
        "cadss",
        "latched_alarms",
        "aldrete",
    }
    spo2 = criterion(ready_state(), 121, "spo2_now")
    assert spo2.message == "SpO2 now 97 %, inside the limits (alarm < 90)"


def test_too_early_blocks_with_time_to_go():
    assert blocking(ready_state(96), 96) == [
        "only 96 min since the first dose; 120 min required (24 min to go)"
    ]
    assert blocking(ready_state(120), 120) == []


def test_minimum_counts_from_the_first_dose():
    state = dataclasses.replace(ready_state(110), first_dose_at=m(-10), patient=patient(109.5))
    assert blocking(state, 109.5) == [
        "only 119 min since the first dose; 120 min required (1 min to go)"
    ]
    assert blocking(dataclasses.replace(state, patient=patient(110)), 110) == []


# ------------------------------------------------------------------ the patient now


def test_spo2_below_the_session_limit_blocks():
    state = dataclasses.replace(ready_state(), patient=patient(121, spo2=87))
    assert blocking(state, 121) == ["SpO2 now 87 % is outside the limits (alarm limit < 90)"]


def test_pulse_outside_the_session_limits_blocks():
    state = dataclasses.replace(ready_state(), patient=patient(121, hr=126))
    assert blocking(state, 121) == ["pulse now 126 /min is outside the limits (alarm limit > 120)"]
    state = dataclasses.replace(ready_state(), patient=patient(121, hr=46))
    assert blocking(state, 121) == ["pulse now 46 /min is outside the limits (alarm limit < 50)"]


def test_the_session_limits_decide_not_fixed_numbers():
    own = dataclasses.replace(
        patient(121, spo2=89),
        limits=tuple(
            dataclasses.replace(limit, threshold=88) if limit.condition == "spo2_low" else limit
            for limit in LIMITS
        ),
    )
    assert blocking(dataclasses.replace(ready_state(), patient=own), 121) == []


def test_stale_or_missing_oximetry_blocks():
    state = dataclasses.replace(ready_state(), patient=patient(121, age_s=45))
    assert blocking(state, 121) == [
        "no current SpO2: the last value 97 % was 45 s ago (older than 10 s)",
        "no current pulse: the last value 72 /min was 45 s ago (older than 10 s)",
    ]
    empty = dataclasses.replace(patient(121), vitals={})
    assert blocking(dataclasses.replace(ready_state(), patient=empty), 121) == [
        "no SpO2 recorded: connect the oximeter",
        "no pulse recorded: connect the oximeter",
    ]


def test_unknown_patient_state_blocks():
    state = dataclasses.replace(ready_state(), patient=None)
    assert criterion(state, 121, "spo2_now").met is False
    assert criterion(state, 121, "physiological_alarms").met is False
    assert criterion(state, 121, "oximetry_technical").met is False


def test_an_acknowledged_physiological_alarm_still_blocks():
    alarm = AlarmFact(
        "spo2_low",
        "physiological",
        m(118),
        acknowledged=True,
        message="SpO2 low: 89 % (limit < 90 %)",
    )
    state = dataclasses.replace(ready_state(), patient=patient(121, alarms=[alarm]))
    assert blocking(state, 121) == [
        "physiological alarm active: SpO2 low: 89 % (limit < 90 %) (acknowledged, for 3 min)"
    ]
    latched = dataclasses.replace(alarm, latched=True, acknowledged=False)
    state = dataclasses.replace(ready_state(), patient=patient(121, alarms=[latched]))
    state.unacknowledged_latched = ["spo2_low"]
    # Named once, as a physiological alarm (not again as an unacknowledged latched one).
    assert blocking(state, 121) == [
        "physiological alarm active: SpO2 low: 89 % (limit < 90 %) (latched, for 3 min)"
    ]


def test_an_ended_physiological_alarm_does_not_block():
    alarm = AlarmFact("hr_high", "physiological", m(100), ended_at=m(110))
    state = dataclasses.replace(ready_state(), patient=patient(121, alarms=[alarm]))
    assert blocking(state, 121) == []


def test_oximetry_technical_alarm_in_the_last_ten_minutes_blocks():
    off = AlarmFact(
        "oximeter_sensor_off", "technical", m(60), ended_at=m(115), message="SpO2 sensor off"
    )
    state = dataclasses.replace(ready_state(), patient=patient(121, alarms=[off]))
    assert blocking(state, 121) == [
        "oximetry technical alarm in the last 10 min: SpO2 sensor off (ended 6 min ago)"
    ]
    assert criterion(
        dataclasses.replace(state, patient=patient(125.5, alarms=[off])),
        125.5,
        "oximetry_technical",
    ).met
    active = AlarmFact("oximeter_no_data", "technical", m(119), message="No data")
    state = dataclasses.replace(ready_state(), patient=patient(121, alarms=[active]))
    assert blocking(state, 121) == [
        "oximetry technical alarm in the last 10 min: No data (active now)"
    ]
    # Other technical alarms (the alarm sound, the NIBP) are not oximetry.
    other = AlarmFact("audio_unavailable", "technical", m(0))
    state = dataclasses.replace(ready_state(), patient=patient(121, alarms=[other]))
    assert blocking(state, 121) == []


def test_the_quiet_time_is_a_setting():
    off = AlarmFact("oximeter_sensor_off", "technical", m(60), ended_at=m(115))
    state = dataclasses.replace(ready_state(), patient=patient(121, alarms=[off]))
    short = SessionProtocol.for_treatment("esketamine-84", {"discharge_technical_quiet_min": 5})
    assert short.evaluate_discharge(state, m(121)).allowed


# ------------------------------------------------------------------ blood pressure


def test_missing_40_minute_bp_blocks_and_a_later_bp_does_not_replace_it():
    state = ready_state()
    state.bp_readings = [(m(-5), 126, 80), (m(70), 150, 90), (m(116), 132, 84)]
    assert blocking(state, 121) == [
        "no BP at 40 min: none was taken 30-60 min after the dose (a later BP does not replace it)"
    ]


def test_40_minute_bp_not_yet_taken_says_until_when():
    state = ready_state(121)
    state.bp_readings = [(m(-5), 126, 80)]
    peak = criterion(state, 50, "peak_bp")
    assert peak.message == (
        "no BP at 40 min recorded yet (due 35-45 min after the dose; it counts until 60 min)"
    )


def test_late_40_minute_bp_counts_and_is_shown_as_late():
    state = ready_state()
    state.bp_readings = [r for r in state.bp_readings if r[0] != m(40)] + [(m(52), 150, 90)]
    decision = PROTO.evaluate_discharge(state, m(121))
    assert decision.allowed, decision.blocking
    peak = next(c for c in decision.criteria if c.id == "peak_bp")
    assert (
        peak.message
        == "BP at 40 min taken late: 150/90 mmHg at 52 min after the dose (due 35-45 min)"
    )
    # The timeline still shows the window as missed.
    check = next(c for c in PROTO.checks(state, m(121)) if c.id == "bp_40")
    assert check.status.value == "missed"


def test_stale_pre_discharge_bp_blocks():
    state = ready_state()
    state.bp_readings = [(m(-5), 126, 80), (m(40), 158, 96), (m(88), 130, 82)]
    assert blocking(state, 121) == [
        "no BP in the last 30 min before discharge; latest was 130/82 mmHg at 88 min after "
        "the dose (33 min ago)"
    ]


@pytest.mark.parametrize(
    ("sys", "dia", "why"),
    [
        (160, 90, "systolic 160 >= 160"),
        (150, 100, "diastolic 100 >= 100"),
        (172, 104, "systolic 172 >= 160; diastolic 104 >= 100"),
        (86, 60, "systolic 86 < 90"),
    ],
)
def test_pre_discharge_bp_outside_the_session_limits_blocks(sys, dia, why):
    state = ready_state()
    state.baseline_bp = (150, 95)
    state.bp_readings = [(m(40), 150, 90), (m(116), sys, dia)]
    assert blocking(state, 121) == [
        f"BP before discharge {sys}/{dia} mmHg is outside the session's alarm limits: {why}"
    ]


def test_bp_just_inside_the_limits_is_acceptable():
    state = ready_state()
    state.baseline_bp = (150, 95)
    state.bp_readings = [(m(40), 150, 90), (m(116), 159, 99)]
    assert PROTO.evaluate_discharge(state, m(121)).allowed


def test_without_alarm_limits_the_protocol_limits_apply():
    state = dataclasses.replace(ready_state(), patient=dataclasses.replace(patient(121), limits=()))
    state.bp_readings = [(m(-5), 126, 80), (m(40), 150, 90), (m(116), 160, 90)]
    assert blocking(state, 121) == [
        "BP before discharge 160/90 mmHg is outside the protocol's limits (no alarm limits "
        "known): systolic 160 ≥ 160"
    ]


def test_rise_over_baseline_blocks_with_the_nibp_rise_thresholds():
    state = ready_state()
    state.baseline_bp = (110, 70)
    state.bp_readings = [(m(40), 150, 90), (m(116), 150, 88)]
    assert blocking(state, 121) == [
        "BP before discharge 150/88 mmHg is still well above the pre-dose baseline 110/70 mmHg: "
        "systolic +40 (limit +40)"
    ]
    state.bp_readings = [(m(40), 150, 90), (m(116), 149, 94)]  # +39/+24: just under
    assert blocking(state, 121) == []
    tighter = dataclasses.replace(state, patient=dataclasses.replace(patient(121), rise=(30, None)))
    assert blocking(tighter, 121) == [
        "BP before discharge 149/94 mmHg is still well above the pre-dose baseline 110/70 mmHg: "
        "systolic +39 (limit +30)"
    ]


def test_baseline_defaults_to_last_predose_reading():
    state = ready_state()
    state.baseline_bp = None
    state.bp_readings = [(m(-20), 140, 90), (m(-5), 100, 62), (m(40), 150, 90), (m(116), 141, 88)]
    assert blocking(state, 121) == [
        "BP before discharge 141/88 mmHg is still well above the pre-dose baseline 100/62 mmHg: "
        "systolic +41 (limit +40), diastolic +26 (limit +25)"
    ]


def test_no_predose_bp_is_a_reason():
    state = ready_state()
    state.baseline_bp = None
    state.bp_readings = [(m(40), 150, 90), (m(116), 132, 84)]
    assert blocking(state, 121) == [
        "no pre-dose BP recorded: the rise over the baseline cannot be checked"
    ]


# ------------------------------------------------------------------ assessments


def test_moaas_below_five_blocks():
    state = ready_state()
    state.checklists = [(m(40), "moaas", 4), (m(100), "moaas", 4), (m(113), "aldrete", 10)]
    assert blocking(state, 121) == ["MOAA/S is 4 at 100 min after the dose (21 min ago); needs 5"]


def test_moaas_and_aldrete_count_only_if_recent():
    state = ready_state()
    state.checklists = [(m(41), "moaas", 5), (m(42), "aldrete", 10)]
    assert blocking(state, 121) == [
        "no MOAA/S in the last 30 min (needs 5); latest was 5 at 41 min after the dose "
        "(80 min ago)",
        "no modified Aldrete in the last 30 min (needs ≥ 9); latest was 10 at 42 min after "
        "the dose (79 min ago)",
    ]
    state.checklists = [(m(113), "aldrete", 10)]
    assert blocking(state, 121) == ["no MOAA/S recorded since the dose (needs 5)"]


def test_the_assessment_window_is_a_setting():
    state = ready_state()
    state.checklists = [(m(81), "moaas", 5), (m(82), "aldrete", 10)]
    wide = SessionProtocol.for_treatment(
        "esketamine-84", {"predischarge_assessment_window_min": 45}
    )
    assert wide.evaluate_discharge(state, m(121)).allowed
    assert not PROTO.evaluate_discharge(state, m(121)).allowed


def test_latest_moaas_counts_not_the_best():
    state = ready_state()
    state.checklists = [(m(100), "moaas", 5), (m(110), "moaas", 3), (m(113), "aldrete", 10)]
    assert blocking(state, 121) == ["MOAA/S is 3 at 110 min after the dose (11 min ago); needs 5"]


def test_aldrete_below_nine_or_missing_blocks():
    state = ready_state()
    state.checklists = [(m(110), "moaas", 5), (m(100), "aldrete", 10), (m(112), "aldrete", 8)]
    assert blocking(state, 121) == [
        "modified Aldrete is 8 at 112 min after the dose (9 min ago); needs ≥ 9"
    ]
    state.checklists = [(m(110), "moaas", 5)]
    assert blocking(state, 121) == ["no modified Aldrete score recorded since the dose (needs ≥ 9)"]


def test_dissociation_must_be_back_at_the_cadss_cutoff():
    state = ready_state()
    state.checklists += [(m(40), "cadss", 22), (m(115), "cadss", 18)]
    assert blocking(state, 121) == [
        "dissociation not resolved: CADSS is 18 at 115 min after the dose (6 min ago) (needs ≤ 4)"
    ]
    state.checklists.append((m(118), "cadss", 4))
    assert criterion(state, 121, "cadss").message == (
        "dissociation resolved: CADSS 4 at 118 min after the dose (3 min ago) (≤ 4; CADSS 22 "
        "at 40 min earlier)"
    )
    assert blocking(state, 121) == []


def test_dissociation_without_a_recent_cadss_blocks():
    state = ready_state()
    state.checklists += [(m(40), "cadss", 22)]
    assert blocking(state, 121) == [
        "dissociation recorded (CADSS 22 at 40 min) and no CADSS in the last 30 min to show it "
        "has resolved; latest was CADSS 2 at 41 min after the dose (80 min ago)"
    ]


def test_cadss6_above_zero_is_for_the_clinician():
    state = ready_state()
    state.checklists += [(m(45), "cadss6", 3), (m(116), "cadss6", 1)]
    assert blocking(state, 121) == [
        "CADSS-6 is 1 at 116 min after the dose (5 min ago): the 6-item form has no validated "
        "cut-off, so an item above 0 is for the clinician to judge (ask the clinician)"
    ]
    state.checklists.append((m(118), "cadss6", 0))
    assert blocking(state, 121) == []


def test_no_dissociation_recorded_needs_no_cadss():
    state = ready_state()
    state.checklists = [c for c in state.checklists if c[1] != "cadss"]
    assert criterion(state, 121, "cadss").message == "no dissociation recorded (no CADSS taken)"
    assert blocking(state, 121) == []


# ------------------------------------------------------------------ alarms, dose, settings


def test_unacknowledged_latched_alarm_blocks():
    state = ready_state()
    state.unacknowledged_latched = ["storage_failure"]
    assert blocking(state, 121) == [
        "unacknowledged latched alarm: storage_failure (acknowledge it first)"
    ]
    state.unacknowledged_latched = ["storage_failure", "oximeter_disconnected"]
    assert blocking(state, 121) == [
        "unacknowledged latched alarms: storage_failure, oximeter_disconnected "
        "(acknowledge them first)"
    ]


def test_no_dose_blocks():
    assert blocking(ProtocolState(bp_readings=[(m(-5), 120, 80)]), -1) == [
        "no dose recorded yet; discharge counts from the dose"
    ]


def test_every_missing_criterion_is_listed():
    state = ProtocolState(
        dose_at=DOSE,
        bp_readings=[(m(-5), 120, 80), (m(50), 150, 90)],
        checklists=[(m(60), "moaas", 4)],
        unacknowledged_latched=["storage_failure"],
        patient=patient(90, spo2=88),
    )
    decision = PROTO.evaluate_discharge(state, m(90))
    assert not decision.allowed
    assert decision.blocking_ids == [
        "min_observation",
        "spo2_now",
        "discharge_bp",
        "moaas",
        "latched_alarms",
        "aldrete",
    ]
    assert (
        decision.blocking[0] == "only 90 min since the first dose; 120 min required (30 min to go)"
    )
    peak = next(c for c in decision.criteria if c.id == "peak_bp")
    assert peak.met and "taken late" in peak.message


def test_future_entries_are_ignored():
    state = ready_state()
    state.patient = patient(112)
    assert "aldrete" in PROTO.evaluate_discharge(state, m(112)).blocking_ids


def test_settings_change_the_criteria():
    state = ready_state()
    state.bp_readings = [(m(-5), 126, 80), (m(40), 158, 96), (m(80), 130, 82)]
    relaxed = SessionProtocol.for_treatment("esketamine-84", {"discharge_bp_recent_min": 45})
    assert relaxed.evaluate_discharge(state, m(121)).allowed
    no_aldrete = SessionProtocol.for_treatment("esketamine-84", {"require_aldrete": False})
    state = ready_state()
    state.checklists = [c for c in state.checklists if c[1] != "aldrete"]
    assert no_aldrete.evaluate_discharge(state, m(121)).allowed


def test_bad_window_settings_are_refused_with_a_message():
    from sessionmon.errors import UserError

    with pytest.raises(UserError, match="peak_bp_accept_start_min 60 must be before"):
        SessionProtocol.for_treatment(
            "esketamine-84", {"peak_bp_accept_start_min": 60, "peak_bp_accept_end_min": 30}
        )
    with pytest.raises(UserError, match="discharge_technical_quiet_min"):
        SessionProtocol.for_treatment("esketamine-84", {"discharge_technical_quiet_min": -1})


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


def test_minutes_until_ready_judges_the_patient_at_each_moment():
    state = ProtocolState(
        dose_at=DOSE,
        baseline_bp=(126, 80),
        bp_readings=[(m(40), 150, 92), (m(80), 140, 86), (m(100), 134, 82)],
        checklists=[(m(85), "moaas", 5), (m(88), "aldrete", 9), (m(104), "moaas", 5)],
    )

    def low_until_95(moment: datetime) -> PatientNow:
        at = (moment - DOSE).total_seconds() / 60
        return patient(at, spo2=88 if at < 95 else 97)

    # SpO2 was below the limit until 95 min; the next moment examined is the BP at 100 min.
    assert PROTO.minutes_until_ready(state, m(125), low_until_95) == pytest.approx(100)
    assert PROTO.minutes_until_ready(state, m(125), low_until_95, [m(95)]) == pytest.approx(95)


# ---------------------------------------------------------------------------- breathing


def breathing_state(rr: float, etco2: float, age_min: float = 0.2) -> ProtocolState:
    state = ready_state()
    state.respiration_monitored = True
    state.breathing = {"resp_rate": (m(121 - age_min), rr), "etco2": (m(121 - age_min), etco2)}
    return state


def test_with_a_capnograph_current_rr_and_etco2_within_limits_allow_discharge():
    decision = PROTO.evaluate_discharge(breathing_state(14, 38), m(121))
    assert decision.allowed
    assert {"discharge_resp_rate", "discharge_etco2"} <= {c.id for c in decision.criteria}


@pytest.mark.parametrize(
    ("rr", "etco2", "why"),
    [
        (6, 38, "respiratory rate 6 /min is outside 8-30"),
        (32, 38, "respiratory rate 32 /min is outside 8-30"),
        (14, 54, "etCO2 54 mmHg is outside 15-50"),
        (14, 12, "etCO2 12 mmHg is outside 15-50"),
    ],
)
def test_rr_or_etco2_out_of_limits_blocks(rr, etco2, why):
    assert why in blocking(breathing_state(rr, etco2), 121)


def test_old_breathing_values_block_as_not_current():
    reasons = blocking(breathing_state(14, 38, age_min=2), 121)
    assert "no current respiratory rate from the capnograph" in reasons
    assert "no current etCO2 from the capnograph" in reasons


def test_without_a_capnograph_breathing_is_not_a_criterion():
    state = ready_state()
    state.breathing = {"resp_rate": (m(120), 4.0)}  # e.g. an oximeter's RR, not monitored
    assert PROTO.evaluate_discharge(state, m(121)).allowed
