"""The alarm rules of issue 9 item 4 and issue 11 item 2, one test per rule, on a ManualClock:
high priority holds 5 s, the desaturation area (SatSeconds style), diastolic-low and MAP limits,
escalation of oximetry technical alarms while a dose is active, storage_failure and
audio_unavailable priorities, no zero-length bp_check_due, latched alarms keep what they reached."""

from __future__ import annotations

import pytest

from sessionmon.alarms import default_profile
from sessionmon.errors import UserError
from sessionmon.model import Kind
from test_alarm_engine import HIGH, LOW, MEDIUM, A, Rig


@pytest.fixture
def rig() -> Rig:
    return Rig(default_profile())


# ------------------------------------------------------------------ high priority needs to hold


def test_one_second_at_85_raises_no_alarm(rig):
    rig.hold(Kind.SPO2, 97, 0, 9)
    rig.hold(Kind.SPO2, 85, 10, 10)  # one 1-second sample
    rig.hold(Kind.SPO2, 97, 11, 60)
    assert rig.log == [], "a single low sample is an artefact, not a latched high alarm"
    assert rig.engine.unacknowledged_latched() == []


@pytest.mark.parametrize(
    "rule, kind, value",
    [("spo2_low", Kind.SPO2, 85), ("hr_high", Kind.HR, 140), ("hr_low", Kind.HR, 40)],
)
def test_high_stage_needs_the_condition_to_hold_5_s(rig, rule, kind, value):
    rig.hold(kind, value, 0, 4)
    assert rig.alarm(rule) is None, "raised before the 5-s hold"
    rig.hold(kind, value, 5, 5)
    alarm = rig.alarm(rule)
    assert alarm.priority is HIGH and alarm.latched
    assert alarm.started_at == rig.t(5)


def test_the_hold_restarts_when_the_value_recovers(rig):
    rig.hold(Kind.HR, 145, 0, 3)
    rig.hold(Kind.HR, 100, 4, 4)
    rig.hold(Kind.HR, 145, 5, 9)
    assert rig.alarm("hr_high") is None
    rig.hold(Kind.HR, 145, 10, 10)
    assert rig.alarm("hr_high").priority is HIGH


# ------------------------------------------------------------------ desaturation area


def test_short_shallow_dip_stays_quiet(rig):
    rig.hold(Kind.SPO2, 88, 0, 8)  # 2 points x 9 s = 18 %·s, under the 10-s medium delay
    rig.hold(Kind.SPO2, 96, 9, 40)
    assert rig.log == []


def test_long_shallow_dip_reaches_the_area_and_alarms_high(rig):
    rig.hold(Kind.SPO2, 88, 0, 48)  # 2 %·s each second: 98 %·s after 49 samples
    assert rig.alarm("spo2_desat") is None
    assert rig.alarm("spo2_low").priority is MEDIUM
    rig.hold(Kind.SPO2, 88, 49, 49)  # 100 %·s
    desat = rig.alarm("spo2_desat")
    assert desat.priority is HIGH and desat.latched
    assert desat.started_at == rig.t(49)
    assert "100 %·s below 90 %" in desat.message


def test_deep_dip_alarms_sooner_than_the_medium_delay(rig):
    rig.hold(Kind.SPO2, 65, 0, 3)  # 25 %·s each second
    assert rig.alarm("spo2_desat").priority is HIGH
    assert rig.alarm("spo2_desat").started_at == rig.t(3)
    assert rig.alarm("spo2_low") is None, "the limit rule still waits for its delay"


def test_area_falls_back_as_it_rose_after_recovery(rig):
    rig.hold(Kind.SPO2, 80, 0, 5)  # 60 %·s
    rig.hold(Kind.SPO2, 95, 6, 9)  # 5 %·s back each second: 40 %·s left
    rig.hold(Kind.SPO2, 80, 10, 15)  # +60: 100 %·s at t=15
    assert rig.alarm("spo2_desat") is not None
    assert rig.alarm("spo2_desat").started_at == rig.t(15)


def test_area_follows_the_spo2_low_limit_in_force(rig):
    rig.engine.set_profile(default_profile().with_overrides(spo2_low={"medium": {"threshold": 94}}))
    rig.hold(Kind.SPO2, 92, 0, 48)  # 2 points below 94
    rig.hold(Kind.SPO2, 92, 49, 49)
    assert rig.alarm("spo2_desat") is not None


def test_area_resets_when_the_oximeter_data_is_lost(rig):
    rig.hold(Kind.SPO2, 80, 0, 8)  # 90 %·s
    rig.engine.invalidate(Kind.SPO2)
    rig.hold(Kind.SPO2, 80, 9, 17)
    assert rig.alarm("spo2_desat") is None


def test_area_rule_must_name_a_low_limit():
    with pytest.raises(UserError, match="limit_rule 'hr_high' is not a low limit rule"):
        default_profile().with_overrides(spo2_desat={"limit_rule": "hr_high"})


# ------------------------------------------------------------------ diastolic low, MAP


@pytest.mark.parametrize(
    "rule, kind, value, priority",
    [
        ("nibp_dia_low", Kind.NIBP_DIA, 49, MEDIUM),
        ("nibp_dia_low", Kind.NIBP_DIA, 29, HIGH),
        ("nibp_map_low", Kind.NIBP_MAP, 59, MEDIUM),
        ("nibp_map_high", Kind.NIBP_MAP, 111, MEDIUM),
    ],
)
def test_diastolic_low_and_map_limits(rig, rule, kind, value, priority):
    rig.observe(kind, value)
    alarm = rig.alarm(rule)
    assert alarm is not None and alarm.priority is priority
    assert alarm.started_at == rig.start, "an NIBP value is one measurement: no hold"


@pytest.mark.parametrize(
    "kind, value", [(Kind.NIBP_DIA, 50), (Kind.NIBP_MAP, 60), (Kind.NIBP_MAP, 110)]
)
def test_diastolic_and_map_at_their_limits_are_quiet(rig, kind, value):
    rig.observe(kind, value)
    assert rig.engine.active_alarms == []


# ------------------------------------------------------------------ escalation while dosed


@pytest.mark.parametrize("condition", ["oximeter_sensor_off", "oximeter_no_data"])
def test_oximetry_alarm_escalates_after_2_min_only_while_a_dose_is_active(rig, condition):
    rig.engine.set_condition(condition, True)
    rig.to(300)
    assert rig.alarm(condition).priority is MEDIUM, "no dose yet: no escalation"
    rig.engine.set_dose_active(True)
    rig.to(419)
    assert rig.alarm(condition).priority is MEDIUM
    rig.to(420)
    alarm = rig.alarm(condition)
    assert alarm.priority is HIGH and alarm.escalated
    escalated = [e for e in rig.log if e.action is A.ESCALATED]
    assert escalated[0].at == rig.t(420)
    assert "while a dose is active" in escalated[0].detail


def test_acknowledged_oximetry_alarm_does_not_escalate(rig):
    rig.engine.set_dose_active(True)
    rig.engine.set_condition("oximeter_no_data", True)
    rig.to(60)
    rig.engine.acknowledge("nurse A")
    rig.to(600)
    assert rig.alarm("oximeter_no_data").priority is MEDIUM


# ------------------------------------------------------------------ technical priorities


def test_storage_failure_is_medium(rig):
    rig.engine.set_condition("storage_failure", True, detail="disk full")
    assert rig.alarm("storage_failure").priority is MEDIUM


def test_audio_unavailable_is_medium_and_not_silenced_by_an_audio_pause(rig):
    rig.engine.set_condition("audio_unavailable", True)
    rig.engine.set_condition("nibp_failed", True)
    rig.engine.pause_audio()
    state = rig.engine.audio_state()
    assert rig.alarm("audio_unavailable").priority is MEDIUM
    assert state.paused
    assert state.sounding is MEDIUM, "the pause cannot hide audio_unavailable"
    assert state.silenced == ("nibp_failed",)


def test_bp_check_due_met_at_once_leaves_nothing_in_the_log(rig):
    rig.engine.set_condition("bp_check_due", True)
    rig.engine.set_condition("bp_check_due", False)  # the BP was started the same instant
    rig.to(10)
    assert rig.log == []
    rig.engine.set_condition("bp_check_due", True)
    rig.to(15)
    assert rig.alarm("bp_check_due").priority is LOW


# ------------------------------------------------------------------ latched keeps what it reached


def test_latched_high_alarm_keeps_high_and_its_nadir_after_the_condition_clears(rig):
    rig.hold(Kind.SPO2, 84, 0, 6)  # high after 5 s
    rig.hold(Kind.SPO2, 82, 7, 8)  # nadir 82
    rig.hold(Kind.SPO2, 89, 9, 30)  # only the medium stage holds
    alarm = rig.alarm("spo2_low")
    assert alarm.priority is HIGH, "a latched high alarm does not fall to medium"
    assert alarm.extreme == 82
    rig.hold(Kind.SPO2, 97, 31, 40)
    alarm = rig.alarm("spo2_low")
    assert not alarm.condition_present
    assert alarm.priority is HIGH
    assert alarm.message.startswith("SpO2 low: 82 %")
    assert "lowest 82, condition cleared" in alarm.message
    assert [e.action for e in rig.log if e.action is A.PRIORITY_CHANGED] == []
    assert rig.engine.audio_state().sounding is HIGH
    rig.engine.acknowledge("nurse A")
    assert rig.alarm("spo2_low") is None


def test_latched_high_pulse_alarm_keeps_its_peak(rig):
    rig.hold(Kind.HR, 150, 0, 5)
    rig.hold(Kind.HR, 165, 6, 6)
    rig.hold(Kind.HR, 80, 7, 10)
    alarm = rig.alarm("hr_high")
    assert alarm.priority is HIGH and alarm.extreme == 165
    assert "highest 165" in alarm.message
