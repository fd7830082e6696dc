"""The alarm engine with the injected clock: every rule of the default profile, delays, latching,
acknowledge, audio pause and break-through, escalation, and the alarm log."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from sessionmon.alarms import AlarmEngine, default_profile
from sessionmon.clock import ManualClock
from sessionmon.model import (
    AlarmCategory,
    AlarmLogAction,
    AlarmLogEntry,
    AlarmPriority,
    AlarmRecord,
    Kind,
)

HIGH, MEDIUM, LOW = AlarmPriority.HIGH, AlarmPriority.MEDIUM, AlarmPriority.LOW
A = AlarmLogAction


def instant_profile():
    """The default profile with its high stages raised at once and no desaturation area.

    The mechanism tests (latching, acknowledge, pause, escalation, the log) use it so that one
    value makes a high-priority alarm; the tests of the default hold times and the desaturation
    area (test_alarm_rules.py) use :func:`default_profile` itself.
    """
    at_once = {"high": {"delay_s": 0}}
    return default_profile().with_overrides(
        spo2_low=at_once, hr_high=at_once, hr_low=at_once, spo2_desat={"enabled": False}
    )


class Rig:
    """An engine on a manual clock, with the records and log it produced."""

    def __init__(self, profile=None) -> None:
        self.clock = ManualClock()
        self.start = self.clock.now()
        self.session_id = uuid.uuid4()
        self.records: list[AlarmRecord] = []
        self.log: list[AlarmLogEntry] = []
        self.engine = AlarmEngine(
            profile or instant_profile(),
            self.clock,
            self.session_id,
            on_record=self.records.append,
            on_log=self.log.append,
        )

    def t(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def to(self, seconds: float) -> None:
        """Move the clock to ``seconds`` after the start and tick."""
        self.clock.advance(seconds - self.clock.monotonic())
        self.engine.tick()

    def observe(self, kind: Kind, value: float) -> None:
        self.engine.observe(kind, value)

    def hold(self, kind: Kind, value: float, start: float, until: float) -> None:
        """Observe ``value`` once a second (as an oximeter sends it) from ``start`` to ``until``."""
        second = start
        while second <= until + 1e-9:
            self.to(second)
            self.observe(kind, value)
            second += 1.0

    def alarm(self, condition: str):
        return self.engine.alarm(condition)

    def conditions(self) -> list[str]:
        return [a.condition for a in self.engine.active_alarms]

    def actions(self, condition: str | None = None) -> list[AlarmLogAction]:
        return [e.action for e in self.log if condition is None or e.condition == condition]

    def latest_record(self, condition: str) -> AlarmRecord:
        return [r for r in self.records if r.condition == condition][-1]


@pytest.fixture
def rig() -> Rig:
    return Rig()


# ---------------------------------------------------------------------------- limit rules

# rule, measure, values that must not alarm, medium values, high values, medium delay
LIMIT_CASES = [
    ("spo2_low", Kind.SPO2, [90, 97], [89, 86], [85, 70], 10.0),
    ("hr_high", Kind.HR, [120, 80], [121, 139], [140, 180], 10.0),
    ("hr_low", Kind.HR, [50, 80], [49, 41], [40, 30], 10.0),
    ("nibp_sys_high", Kind.NIBP_SYS, [159, 120], [160, 179], [180, 220], 0.0),
    ("nibp_dia_high", Kind.NIBP_DIA, [99, 80], [100, 109], [110, 130], 0.0),
    ("nibp_sys_low", Kind.NIBP_SYS, [90, 120], [89, 80], [79, 60], 0.0),
]


def _cases(index: int):
    return [
        pytest.param(rule, kind, value, delay, id=f"{rule}-{value}")
        for rule, kind, *values, delay in LIMIT_CASES
        for value in values[index]
    ]


@pytest.mark.parametrize("rule, kind, value, delay", _cases(0))
def test_value_within_limits_or_at_a_strict_limit_raises_nothing(rig, rule, kind, value, delay):
    for second in range(0, 61):
        rig.to(second)
        rig.observe(kind, value)
    assert rig.engine.active_alarms == []
    assert rig.log == []
    assert rig.engine.audio_state().sounding is None


@pytest.mark.parametrize("rule, kind, value, delay", _cases(1))
def test_medium_stage_starts_after_its_condition_delay(rig, rule, kind, value, delay):
    rig.observe(kind, value)
    if delay:
        rig.to(delay - 0.1)
        rig.observe(kind, value)
        assert rig.alarm(rule) is None, "raised before the condition delay ran out"
        rig.to(delay)
    alarm = rig.alarm(rule)
    assert alarm is not None
    assert alarm.priority is MEDIUM
    assert alarm.category is AlarmCategory.PHYSIOLOGICAL
    assert alarm.started_at == rig.t(delay)
    assert not alarm.latched
    assert rig.conditions() == [rule]
    assert rig.engine.audio_state().sounding is MEDIUM
    raised = [e for e in rig.log if e.action is A.RAISED]
    assert len(raised) == 1
    assert raised[0].value == value
    assert raised[0].limits["medium"]["threshold"] is not None


@pytest.mark.parametrize("rule, kind, value, delay", _cases(2))
def test_high_stage_starts_at_once_and_latches(rig, rule, kind, value, delay):
    rig.observe(kind, value)
    alarm = rig.alarm(rule)
    assert alarm is not None
    assert alarm.priority is HIGH
    assert alarm.started_at == rig.start
    assert alarm.latched
    assert rig.engine.unacknowledged_latched() == [rule]
    assert rig.engine.audio_state().sounding is HIGH
    assert rig.latest_record(rule).priority is HIGH


def test_spo2_high_threshold_has_no_delay_but_medium_waits(rig):
    rig.observe(Kind.SPO2, 88)
    assert rig.alarm("spo2_low") is None
    rig.to(3)
    rig.observe(Kind.SPO2, 85)
    assert rig.alarm("spo2_low").priority is HIGH
    assert rig.alarm("spo2_low").started_at == rig.t(3)


def test_a_condition_that_lapses_restarts_its_delay(rig):
    rig.observe(Kind.HR, 130)
    rig.to(6)
    rig.observe(Kind.HR, 110)  # back within limits
    rig.to(7)
    rig.observe(Kind.HR, 130)
    rig.to(16.9)
    rig.observe(Kind.HR, 130)
    assert rig.alarm("hr_high") is None
    rig.to(17)
    assert rig.alarm("hr_high").started_at == rig.t(17)


def test_hr_feeds_both_hr_rules_but_only_the_crossed_one_alarms(rig):
    rig.observe(Kind.HR, 35)
    assert rig.conditions() == ["hr_low"]


# ------------------------------------------------------------------- one alarm, rising and falling


def test_priority_rises_and_falls_in_one_alarm_and_the_record_keeps_the_highest(rig):
    rig.hold(Kind.SPO2, 88, 0, 19)
    first = rig.alarm("spo2_low")
    assert first.priority is MEDIUM and not first.latched
    assert first.started_at == rig.t(10)
    rig.hold(Kind.SPO2, 84, 20, 29)
    rig.hold(Kind.SPO2, 87, 30, 40)
    alarm = rig.alarm("spo2_low")
    assert alarm.alarm_id == first.alarm_id, "a condition has one alarm at a time"
    assert alarm.priority is HIGH, "a latched alarm keeps the priority it reached"
    assert alarm.highest_priority is HIGH
    assert alarm.latched, "it latched when it reached high priority"
    assert alarm.extreme == 84 and "lowest 84" in alarm.message
    assert rig.latest_record("spo2_low").priority is HIGH
    rig.engine.acknowledge("nurse A")
    rig.to(41)
    rig.observe(Kind.SPO2, 87)
    assert rig.alarm("spo2_low").priority is MEDIUM, "once acknowledged it follows severity"
    changes = [e for e in rig.log if e.action is A.PRIORITY_CHANGED]
    assert [(e.at, e.priority, e.value) for e in changes] == [
        (rig.t(20), HIGH, 84),
        (rig.t(41), MEDIUM, 87),
    ]
    assert changes[0].detail.startswith("medium -> high")
    assert len({r.id for r in rig.records}) == 1


def test_latched_alarm_signals_after_the_condition_clears_until_acknowledged(rig):
    rig.observe(Kind.SPO2, 82)
    rig.to(5)
    rig.observe(Kind.SPO2, 96)
    alarm = rig.alarm("spo2_low")
    assert alarm is not None and not alarm.condition_present
    rig.to(300)
    assert rig.engine.audio_state().sounding is HIGH, "a latched alarm keeps signalling"
    assert rig.engine.unacknowledged_latched() == ["spo2_low"]
    assert rig.engine.acknowledge("nurse A") == ["spo2_low"]
    assert rig.engine.active_alarms == []
    assert rig.actions("spo2_low") == [A.RAISED, A.CONDITION_CLEARED, A.ACKNOWLEDGED, A.ENDED]
    record = rig.latest_record("spo2_low")
    assert record.start == rig.start
    assert record.end == rig.t(300)
    assert record.acknowledged_by == "nurse A"
    assert record.acknowledged_at == rig.t(300)


def test_non_latching_alarm_ends_when_its_condition_clears(rig):
    rig.observe(Kind.HR, 128)
    rig.to(10)
    assert rig.alarm("hr_high").priority is MEDIUM
    rig.to(25)
    rig.observe(Kind.HR, 100)
    assert rig.engine.active_alarms == []
    assert rig.actions() == [A.RAISED, A.ENDED]
    assert rig.latest_record("hr_high").end == rig.t(25)
    assert rig.latest_record("hr_high").acknowledged_at is None


def test_acknowledged_alarm_is_silent_but_stays_while_its_condition_holds(rig):
    rig.observe(Kind.SPO2, 80)
    rig.engine.acknowledge("nurse A", condition="spo2_low")
    alarm = rig.alarm("spo2_low")
    assert alarm.acknowledged and alarm.acknowledged_by == "nurse A"
    assert rig.engine.audio_state().sounding is None
    assert rig.engine.unacknowledged_latched() == []
    rig.hold(Kind.SPO2, 84, 1, 30)
    assert rig.alarm("spo2_low").acknowledged
    rig.to(31)
    rig.observe(Kind.SPO2, 95)
    assert rig.engine.active_alarms == [], "acknowledged already, so it does not latch"
    assert rig.actions() == [A.RAISED, A.ACKNOWLEDGED, A.ENDED]


def test_acknowledging_one_condition_leaves_the_others(rig):
    rig.observe(Kind.SPO2, 80)
    rig.engine.set_condition("nibp_failed", True)
    assert rig.engine.acknowledge("nurse A", condition="nibp_failed") == ["nibp_failed"]
    assert not rig.alarm("spo2_low").acknowledged
    assert rig.alarm("nibp_failed").acknowledged
    assert rig.engine.acknowledge("nurse A", condition="nibp_failed") == []


def test_a_rise_in_priority_after_acknowledge_sounds_again(rig):
    rig.observe(Kind.SPO2, 88)
    rig.to(10)
    rig.engine.acknowledge("nurse A")
    assert rig.engine.audio_state().sounding is None
    rig.to(12)
    rig.observe(Kind.SPO2, 83)
    alarm = rig.alarm("spo2_low")
    assert alarm.priority is HIGH and not alarm.acknowledged
    assert rig.engine.audio_state().sounding is HIGH
    assert rig.engine.unacknowledged_latched() == ["spo2_low"]
    assert "acknowledgement cleared" in rig.log[-1].detail


def test_active_alarms_are_sorted_by_priority_then_start(rig):
    rig.engine.set_condition("bp_check_due", True)
    rig.to(5)
    rig.to(6)
    rig.engine.set_condition("nibp_failed", True)
    rig.to(7)
    rig.engine.set_condition("oximeter_disconnected", True)
    rig.to(8)
    rig.observe(Kind.SPO2, 80)
    assert rig.conditions() == ["spo2_low", "nibp_failed", "oximeter_disconnected", "bp_check_due"]
    assert rig.engine.audio_state().sounding is HIGH


# ---------------------------------------------------------------------------- NIBP (episodic)


def test_nibp_alarm_holds_until_the_next_measurement_within_limits(rig):
    rig.engine.observe_bp(165, 95)
    assert rig.conditions() == ["nibp_sys_high"]
    for minute in range(1, 15):
        rig.to(60 * minute)
    assert rig.alarm("nibp_sys_high") is not None, "NIBP values do not go stale"
    rig.engine.observe_bp(150, 92)
    assert rig.engine.active_alarms == []


def test_high_nibp_alarm_latches_past_the_next_normal_measurement(rig):
    rig.engine.observe_bp(185, 112)
    assert set(rig.conditions()) == {"nibp_sys_high", "nibp_dia_high"}
    rig.to(600)
    rig.engine.observe_bp(140, 85)
    assert set(rig.engine.unacknowledged_latched()) == {"nibp_sys_high", "nibp_dia_high"}
    assert rig.actions("nibp_sys_high")[-1] is A.CONDITION_CLEARED
    rig.engine.acknowledge("nurse B")
    assert rig.engine.active_alarms == []


def test_nibp_rise_over_baseline(rig):
    rig.engine.set_baseline_bp(110, 70)
    rig.engine.observe_bp(149, 94)  # +39 / +24
    assert rig.alarm("nibp_rise") is None
    rig.to(300)
    rig.engine.observe_bp(150, 80)  # +40 systolic
    alarm = rig.alarm("nibp_rise")
    assert alarm.priority is MEDIUM and alarm.category is AlarmCategory.PHYSIOLOGICAL
    assert "150/80" in alarm.message and "110/70" in alarm.message
    raised = next(e for e in rig.log if e.action is A.RAISED)
    assert raised.limits["baseline_sys"] == 110 and raised.limits["systolic_rise"] == 40
    rig.to(600)
    rig.engine.observe_bp(130, 95)  # +25 diastolic: still a rise
    assert rig.alarm("nibp_rise").alarm_id == alarm.alarm_id
    rig.to(900)
    rig.engine.observe_bp(130, 85)
    assert rig.alarm("nibp_rise") is None


def test_nibp_rise_from_single_values_and_needs_a_baseline(rig):
    rig.engine.observe(Kind.NIBP_SYS, 150)
    assert rig.alarm("nibp_rise") is None, "no baseline, no rise"
    rig.engine.set_baseline_bp(100, 60)
    rig.to(60)
    rig.engine.observe(Kind.NIBP_SYS, 150)
    assert rig.alarm("nibp_rise") is not None


# -------------------------------------------------------------------- technical and protocol

CONDITION_CASES = [
    ("oximeter_sensor_off", MEDIUM, AlarmCategory.TECHNICAL, 5.0),
    ("oximeter_disconnected", MEDIUM, AlarmCategory.TECHNICAL, 0.0),
    ("oximeter_no_data", MEDIUM, AlarmCategory.TECHNICAL, 0.0),
    ("oximeter_no_valid_data", MEDIUM, AlarmCategory.TECHNICAL, 6.0),
    ("nibp_disconnected", MEDIUM, AlarmCategory.TECHNICAL, 0.0),
    ("nibp_failed", MEDIUM, AlarmCategory.TECHNICAL, 0.0),
    ("audio_unavailable", MEDIUM, AlarmCategory.TECHNICAL, 0.0),
    ("storage_failure", MEDIUM, AlarmCategory.TECHNICAL, 0.0),
    ("predose_bp_elevated", LOW, AlarmCategory.PROTOCOL, 0.0),
    ("bp_check_due", LOW, AlarmCategory.PROTOCOL, 5.0),
    ("bp_check_overdue", MEDIUM, AlarmCategory.PROTOCOL, 0.0),
    ("discharge_blocked", MEDIUM, AlarmCategory.PROTOCOL, 0.0),
]


@pytest.mark.parametrize("condition, priority, category, delay", CONDITION_CASES)
def test_condition_rule(rig, condition, priority, category, delay):
    rig.engine.set_condition(condition, True, detail="from the test", value=150)
    if delay:
        rig.to(delay - 0.1)
        assert rig.alarm(condition) is None
        rig.to(delay)
    alarm = rig.alarm(condition)
    assert (alarm.priority, alarm.category) == (priority, category)
    assert alarm.started_at == rig.t(delay)
    assert alarm.detail == "from the test"
    assert not alarm.latched
    assert rig.engine.audio_state().sounding is priority
    rig.to(delay + 20)
    rig.engine.set_condition(condition, False)
    assert rig.engine.active_alarms == []
    assert rig.actions() == [A.RAISED, A.ENDED]
    assert rig.latest_record(condition).end == rig.t(delay + 20)


def test_sensor_off_shorter_than_its_delay_raises_nothing(rig):
    rig.engine.set_condition("oximeter_sensor_off", True)
    rig.to(4.9)
    rig.engine.set_condition("oximeter_sensor_off", False)
    rig.to(30)
    assert rig.log == []


def test_unknown_condition_is_refused(rig):
    with pytest.raises(KeyError, match="oximeter_sensr_off"):
        rig.engine.set_condition("oximeter_sensr_off", True)
    with pytest.raises(KeyError, match="observe"):
        rig.engine.set_condition("spo2_low", True)


def test_disabled_rule_raises_nothing():
    rig = Rig(
        default_profile().with_overrides(
            spo2_low={"enabled": False}, nibp_failed={"enabled": False}
        )
    )
    rig.observe(Kind.SPO2, 70)
    rig.engine.set_condition("nibp_failed", True)
    assert rig.engine.active_alarms == []


# ---------------------------------------------------------------------------- escalation


def test_disconnected_oximeter_escalates_to_high_after_60_s_unacknowledged(rig):
    rig.engine.set_condition("oximeter_disconnected", True)
    rig.to(59.9)
    assert rig.alarm("oximeter_disconnected").priority is MEDIUM
    rig.to(60)
    alarm = rig.alarm("oximeter_disconnected")
    assert alarm.priority is HIGH and alarm.escalated
    assert not alarm.latched, "technical alarms do not latch"
    escalated = [e for e in rig.log if e.action is A.ESCALATED]
    assert len(escalated) == 1
    assert escalated[0].at == rig.t(60)
    assert escalated[0].limits["escalate_after_s"] == 60
    assert "unacknowledged for 60 s" in escalated[0].detail
    assert rig.latest_record("oximeter_disconnected").priority is HIGH
    rig.to(100)
    rig.engine.set_condition("oximeter_disconnected", False)
    assert rig.engine.active_alarms == []


def test_acknowledged_alarm_does_not_escalate(rig):
    rig.engine.set_condition("oximeter_disconnected", True)
    rig.to(30)
    rig.engine.acknowledge("nurse A")
    rig.to(120)
    alarm = rig.alarm("oximeter_disconnected")
    assert alarm.priority is MEDIUM and not alarm.escalated
    assert A.ESCALATED not in rig.actions()


# ---------------------------------------------------------------------------- audio pause


def test_audio_pause_counts_down_120_s_and_alarms_still_present_sound_again(rig):
    rig.engine.set_condition("nibp_failed", True)
    rig.engine.pause_audio()
    state = rig.engine.audio_state()
    assert state.paused and state.sounding is None and state.pause_remaining_s == 120
    assert state.silenced == ("nibp_failed",)
    rig.to(119)
    assert rig.engine.audio_state().pause_remaining_s == pytest.approx(1.0)
    assert rig.engine.audio_state().sounding is None
    rig.to(120)
    state = rig.engine.audio_state()
    assert not state.paused and state.pause_remaining_s == 0
    assert state.sounding is MEDIUM
    resumed = rig.log[-1]
    assert resumed.action is A.AUDIO_RESUMED and resumed.at == rig.t(120)
    assert "120 s ended" in resumed.detail
    assert resumed.alarm_id is None
    assert [e.action for e in rig.log if e.condition is None] == [A.AUDIO_PAUSED, A.AUDIO_RESUMED]


def test_new_high_priority_condition_breaks_through_a_pause(rig):
    rig.engine.pause_audio()
    rig.to(30)
    rig.observe(Kind.SPO2, 82)
    state = rig.engine.audio_state()
    assert not state.paused and state.sounding is HIGH
    resumed = [e for e in rig.log if e.action is A.AUDIO_RESUMED]
    assert len(resumed) == 1 and resumed[0].at == rig.t(30)
    assert "spo2_low" in resumed[0].detail


def test_new_medium_condition_does_not_break_through_a_pause(rig):
    rig.engine.pause_audio()
    rig.to(10)
    rig.engine.set_condition("oximeter_sensor_off", True)
    rig.to(20)
    assert rig.alarm("oximeter_sensor_off").priority is MEDIUM
    state = rig.engine.audio_state()
    assert state.paused and state.sounding is None
    assert state.pause_remaining_s == pytest.approx(100)
    assert A.AUDIO_RESUMED not in rig.actions()


def test_high_alarm_present_before_the_pause_does_not_break_it(rig):
    rig.engine.set_condition("storage_failure", True)
    rig.engine.pause_audio()
    rig.to(60)
    rig.engine.set_condition("storage_failure", True, detail="still failing")
    assert rig.engine.audio_state().paused


def test_escalation_to_high_breaks_through_a_pause(rig):
    rig.engine.set_condition("oximeter_disconnected", True)
    rig.to(10)
    rig.engine.pause_audio()
    rig.to(60)
    state = rig.engine.audio_state()
    assert not state.paused and state.sounding is HIGH


def test_pausing_again_restarts_the_countdown_and_resume_cancels(rig):
    rig.engine.pause_audio()
    rig.to(100)
    rig.engine.pause_audio()
    assert rig.engine.audio_state().pause_remaining_s == pytest.approx(120)
    rig.engine.resume_audio()
    assert not rig.engine.audio_state().paused
    assert rig.actions() == [A.AUDIO_PAUSED, A.AUDIO_PAUSED, A.AUDIO_RESUMED]


def test_pause_length_comes_from_the_profile():
    rig = Rig(default_profile().with_overrides(audio_pause_s=60))
    rig.engine.pause_audio()
    assert rig.engine.audio_state().pause_remaining_s == 60


# -------------------------------------------------------------------- stale data, log, close


def test_continuous_value_going_stale_ends_its_alarm(rig):
    rig.observe(Kind.SPO2, 88)
    rig.to(10)
    assert rig.alarm("spo2_low") is not None
    rig.to(15)
    assert rig.alarm("spo2_low") is not None
    rig.to(16)
    assert rig.alarm("spo2_low") is None
    assert "no spo2 value" in rig.log[-1].detail


def test_stale_value_does_not_raise_a_pending_alarm(rig):
    rig.observe(Kind.HR, 130)
    rig.to(5)
    rig.engine.invalidate(Kind.HR)
    rig.to(30)
    assert rig.engine.active_alarms == []


def test_log_and_record_carry_the_limits_in_force():
    profile = default_profile().with_overrides(spo2_low={"medium": {"threshold": 92}})
    rig = Rig(profile)
    rig.observe(Kind.SPO2, 91)
    rig.to(10)
    entry = rig.log[0]
    assert entry.action is A.RAISED
    assert entry.session_id == rig.session_id
    assert entry.condition == "spo2_low" and entry.priority is MEDIUM
    assert entry.category is AlarmCategory.PHYSIOLOGICAL
    assert entry.value == 91
    assert entry.limits["medium"] == {"op": "<", "threshold": 92.0, "delay_s": 10.0}
    assert entry.limits["high"] == {"op": "<=", "threshold": 85.0, "delay_s": 5.0}
    assert entry.limits["unit"] == "%"
    record = rig.latest_record("spo2_low")
    assert record.limits == entry.limits
    assert record.id == entry.alarm_id
    assert record.message == "SpO2 low: 91 % (limit < 92 %)"


def test_every_state_change_reaches_the_record_callback(rig):
    rig.observe(Kind.SPO2, 88)
    rig.to(10)  # raised
    rig.observe(Kind.SPO2, 84)  # priority change
    rig.engine.acknowledge("nurse A")  # ack
    rig.to(20)
    rig.observe(Kind.SPO2, 96)  # end
    assert [(r.priority, r.end is not None, r.acknowledged_by) for r in rig.records] == [
        (MEDIUM, False, None),
        (HIGH, False, None),
        (HIGH, False, "nurse A"),
        (HIGH, True, "nurse A"),
    ]


def test_close_ends_every_alarm(rig):
    rig.observe(Kind.SPO2, 80)
    rig.engine.set_condition("bp_check_due", True)
    rig.to(50)
    rig.engine.close()
    assert rig.engine.active_alarms == []
    assert all(r.end == rig.t(50) for r in rig.records[-2:])


def test_engine_without_callbacks_and_naive_times_refused():
    engine = AlarmEngine(instant_profile(), ManualClock(), uuid.uuid4())
    engine.observe(Kind.SPO2, 80)
    assert engine.unacknowledged_latched() == ["spo2_low"]
    with pytest.raises(ValueError, match="timezone"):
        engine.tick(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="finite"):
        engine.observe(Kind.HR, float("nan"))


# -------------------------------------------------------------------- profile changed mid-session


def test_new_profile_mid_session_judges_the_latest_values_again(rig):
    rig.hold(Kind.HR, 125, 0, 12)
    assert rig.alarm("hr_high").priority is MEDIUM
    rig.engine.set_profile(default_profile().with_overrides(hr_high={"medium": {"threshold": 130}}))
    assert rig.alarm("hr_high") is None, "125 is within the new limit"
    rig.hold(Kind.HR, 125, 13, 30)
    assert rig.alarm("hr_high") is None
    rig.engine.set_profile(default_profile().with_overrides(hr_high={"medium": {"threshold": 115}}))
    rig.hold(Kind.HR, 118, 31, 39.9)
    assert rig.alarm("hr_high") is None, "a new condition starts its delay when the limit changes"
    rig.hold(Kind.HR, 118, 40, 40)
    alarm = rig.alarm("hr_high")
    assert alarm.started_at == rig.t(30 + 10)
    assert alarm.limits["medium"]["threshold"] == 115


def test_disabling_a_rule_mid_session_ends_its_alarm(rig):
    rig.engine.set_condition("bp_check_due", True)
    rig.to(5)
    rig.engine.set_profile(default_profile().with_overrides(bp_check_due={"enabled": False}))
    assert rig.engine.active_alarms == []
    assert rig.log[-1].detail == "alarm rule disabled"
    rig.engine.set_condition("bp_check_due", True)
    assert rig.engine.active_alarms == []
