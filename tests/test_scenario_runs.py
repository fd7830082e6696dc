"""Built-in scenarios run headless raise the alarms they are about and gate discharge."""

from __future__ import annotations

import itertools

import pytest

from sessionmon.clock import ManualClock
from sessionmon.model import AlarmLogAction, AlarmPriority, EventKind, Kind, SessionPhase
from sessionmon.scenarios import builtin_ids, load_scenario, parse_scenario
from sessionmon.scenarios.runner import SCENARIO_START, run_scenario
from sessionmon.store import SessionStore

MIN = 60.0


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "sessions.db"
    with SessionStore.open(path, ManualClock()) as s:
        yield s


@pytest.fixture(scope="module")
def runs(store):
    """Every built-in, run once headless into one store."""
    return {name: run_scenario(load_scenario(name), store) for name in builtin_ids()}


def alarms_of(summary, condition):
    return [a for a in summary["alarms"] if a["condition"] == condition]


def dose_s(summary):
    return next(e["t_s"] for e in summary["events"] if e["kind"] == "dose_given")


def test_every_builtin_ends_signed_with_an_allowed_discharge(runs, store):
    for name, summary in runs.items():
        assert summary["phase"] == "closed", name
        assert summary["discharge"] and summary["discharge"][-1]["allowed"], name
        assert not summary["refused"], (name, summary["refused"])
        session = store.get_session(summary["session_id"])
        assert session.simulated and session.signed_by == "RN Example"
        assert all(a["end_s"] is not None for a in summary["alarms"]), name


def test_early_discharge_is_refused_for_the_two_hour_minimum_then_allowed(runs):
    summary = runs["uneventful-esketamine-84"]
    first, second = summary["discharge"]
    assert not first["allowed"]
    assert first["t_s"] - dose_s(summary) < 120 * MIN
    assert any("120 min" in reason for reason in first["blocking"])
    assert second["allowed"] and second["blocking"] == []
    assert second["t_s"] - dose_s(summary) >= 120 * MIN
    blocked = alarms_of(summary, "discharge_blocked")
    assert blocked and blocked[0]["start_s"] == first["t_s"]
    assert blocked[0]["priority"] == "medium" and blocked[0]["category"] == "protocol"


def test_uneventful_session_raises_no_physiological_alarm(runs):
    summary = runs["uneventful-esketamine-84"]
    assert not [a for a in summary["alarms"] if a["category"] == "physiological"]


def test_hypertensive_response_alarms_around_40_minutes_and_bp_check_done(runs, store):
    summary = runs["hypertensive-response"]
    dose = dose_s(summary)
    sys_high = alarms_of(summary, "nibp_sys_high")
    assert len(sys_high) == 1 and sys_high[0]["priority"] == "high"
    assert 30 * MIN <= sys_high[0]["start_s"] - dose <= 45 * MIN
    rise = alarms_of(summary, "nibp_rise")
    assert rise and 30 * MIN <= rise[0]["start_s"] - dose <= 45 * MIN
    assert alarms_of(summary, "nibp_dia_high")
    assert not alarms_of(summary, "bp_check_overdue")
    readings = store.measurements(summary["session_id"], kinds=[Kind.NIBP_SYS])
    at_40 = [
        m
        for m in readings
        if 35 * MIN <= (m.received_at - SCENARIO_START).total_seconds() - dose <= 45 * MIN
    ]
    assert at_40 and max(m.value for m in at_40) >= 180
    # The high alarm latched until acknowledged, which discharge insisted on.
    refused = summary["discharge"][0]
    assert not refused["allowed"]
    assert any(
        "Systolic BP high" in reason and "latched" in reason for reason in refused["blocking"]
    )
    assert sys_high[0]["ack_s"] == sys_high[0]["end_s"]


def test_desaturation_raises_spo2_low_high_and_recovers(runs):
    summary = runs["desaturation-deep-sedation"]
    spo2 = alarms_of(summary, "spo2_low")
    assert len(spo2) == 1 and spo2[0]["priority"] == "high"
    assert 30 * MIN < spo2[0]["start_s"] < 34 * MIN
    assert spo2[0]["ack_s"] is not None and spo2[0]["end_s"] < 45 * MIN
    refused = summary["discharge"][0]
    assert not refused["allowed"]
    assert any("MOAA/S" in reason for reason in refused["blocking"])


def test_vasovagal_raises_hr_low_and_low_systolic(runs):
    summary = runs["vasovagal-bradycardia"]
    assert alarms_of(summary, "hr_low")[0]["priority"] == "high"
    assert alarms_of(summary, "nibp_sys_low")[0]["priority"] == "high"


def test_sensor_off_after_5_s_and_disconnect_escalates_after_60_s(runs, store):
    summary = runs["sensor-off-and-cable-pulled"]
    off = alarms_of(summary, "oximeter_sensor_off")
    assert len(off) == 1
    assert off[0]["start_s"] == pytest.approx(30 * MIN + 5, abs=1)
    assert off[0]["priority"] == "medium" and off[0]["category"] == "technical"
    assert off[0]["end_s"] == pytest.approx(30 * MIN + 40, abs=1)
    cable = alarms_of(summary, "oximeter_disconnected")
    assert len(cable) == 1 and cable[0]["priority"] == "high"
    assert cable[0]["start_s"] == pytest.approx(60 * MIN, abs=1)
    assert cable[0]["end_s"] == pytest.approx(63 * MIN, abs=1)
    log = store.alarm_log(summary["session_id"])
    raised_high = [
        e
        for e in log
        if e.condition == "oximeter_disconnected"
        and e.priority is AlarmPriority.HIGH
        and e.action in (AlarmLogAction.ESCALATED, AlarmLogAction.PRIORITY_CHANGED)
    ]
    assert raised_high
    assert (raised_high[0].at - SCENARIO_START).total_seconds() == pytest.approx(61 * MIN, abs=1)
    failed = alarms_of(summary, "nibp_failed")
    assert failed and failed[0]["end_s"] < 47 * MIN
    # No SpO2 alarm from the missing data while the sensor was off.
    assert not alarms_of(summary, "spo2_low")


def test_iv_infusion_cycles_the_nibp_every_10_minutes(runs, store):
    summary = runs["ketamine-iv-infusion"]
    dose = dose_s(summary)
    times = [
        (m.received_at - SCENARIO_START).total_seconds() - dose
        for m in store.measurements(summary["session_id"], kinds=[Kind.NIBP_SYS])
    ]
    during = [t for t in times if 0 < t <= 41 * MIN]
    assert len(during) >= 4
    assert all(b - a <= 11 * MIN for a, b in itertools.pairwise(during))
    assert alarms_of(summary, "nibp_sys_high")[0]["priority"] == "medium"
    assert not summary["discharge"][0]["allowed"]


def test_predose_bp_elevated_before_the_dose_only(runs):
    summary = runs["predose-bp-elevated"]
    elevated = alarms_of(summary, "predose_bp_elevated")
    assert len(elevated) == 1 and elevated[0]["priority"] == "low"
    assert elevated[0]["start_s"] < dose_s(summary)
    assert elevated[0]["end_s"] <= dose_s(summary)


def test_events_in_the_summary_match_the_store(runs, store):
    summary = runs["sensor-off-and-cable-pulled"]
    kinds = [e.kind.value for e in store.events(summary["session_id"])]
    assert [e["kind"] for e in summary["events"]] == kinds
    assert EventKind.SIGN_OFF.value in kinds


SHORT = """\
name = "Short determinism check"
treatment = "esketamine-56"
duration = "00:20:00"
seed = 42
[baseline]
hr = 80
spo2 = 96
sys = 130
dia = 84
[nibp]
interval = "00:04:00"
[[step]]
at = "00:01:00"
action = "dose"
[[step]]
at = "00:05:00"
change = { spo2 = 84, hr = 130 }
over = "00:01:00"
[[step]]
at = "00:08:00"
fault = "sensor_off"
duration = "00:00:30"
[[step]]
at = "00:10:00"
action = "acknowledge"
[[step]]
at = "00:12:00"
fault = "nibp_error"
duration = "00:03:00"
[[step]]
at = "00:18:00"
action = "discharge"
"""


def test_same_scenario_gives_the_same_record(tmp_path):
    scenario = parse_scenario(SHORT, "short.toml")
    summaries = []
    for index in range(2):
        with SessionStore.open(tmp_path / f"run{index}.db", ManualClock()) as store:
            summary = run_scenario(scenario, store)
            summary["pleth"] = [c.samples for c in store.waveform(summary["session_id"])]
            summary["values"] = [
                (m.kind, m.value, m.received_at) for m in store.measurements(summary["session_id"])
            ]
            summaries.append(summary)
    first, second = summaries
    assert first.pop("session_id") != second.pop("session_id")
    assert first == second
    conditions = {a["condition"] for a in first["alarms"]}
    assert {"spo2_low", "hr_high", "oximeter_sensor_off", "discharge_blocked"} <= conditions
    assert first["phase"] == SessionPhase.OBSERVATION.value
