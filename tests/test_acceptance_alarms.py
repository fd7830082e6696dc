"""Black-box acceptance of the default alarm profile: scenario TOML in, JSON summary and the
stored record out, every rule of the issue pinned to the time it should fire.

Times are read back from the recorded values (the simulated oximeter averages, so a change of
physiology reaches the numerics a few seconds later); an alarm must start when its condition
began plus its delay, within one tick (1 s).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acceptance_helpers import (
    alarm_log,
    alarms,
    bp_then_dose,
    first_run_held,
    first_time,
    only,
    run_text,
    scenario_text,
    seconds_from_start,
    values,
)
from sessionmon.model import AlarmLogAction, Kind
from sessionmon.scenarios.runner import SCENARIO_START

TICK = 1.0

#: The scenario of the issue, byte for byte (comments included).
ISSUE_EXAMPLE = (Path(__file__).parent / "acceptance_scenarios" / "issue_example.toml").read_text()


def test_the_issue_example_runs_verbatim(scenario_store):
    summary = run_text(scenario_store, ISSUE_EXAMPLE)
    sensor = only(summary, "oximeter_sensor_off")
    assert (sensor["priority"], sensor["category"]) == ("medium", "technical")
    assert (sensor["start_s"], sensor["end_s"]) == (50 * 60 + 5, 50 * 60 + 40)
    bp = values(scenario_store, summary, Kind.NIBP_SYS)
    dia = dict(values(scenario_store, summary, Kind.NIBP_DIA))
    # No dose in this scenario: every BP is pre-dose, so an elevated one is flagged (low).
    elevated = only(summary, "predose_bp_elevated")
    assert elevated["priority"] == "low"
    assert elevated["start_s"] == next(t for t, v in bp if v > 140 or dia[t] > 90)
    high = only(summary, "nibp_sys_high")
    assert high["start_s"] == first_time(bp, lambda v: v >= 160)
    assert high["priority"] == ("high" if any(v >= 180 for _, v in bp) else "medium")
    # A high physiological alarm latches: never acknowledged, so still active at the end.
    assert high["priority"] != "high" or high["end_s"] is None
    assert [e["t_s"] for e in summary["events"] if e["kind"] == "checklist"] == [45 * 60]
    assert summary["discharge"] == []


SPO2_STEPS = """\
[[step]]
at = "00:01:00"
change = { spo2 = 88 }
[[step]]
at = "00:03:00"
change = { spo2 = 97 }
[[step]]
at = "00:04:00"
change = { spo2 = 80 }
[[step]]
at = "00:05:00"
change = { spo2 = 97 }
[[step]]
at = "00:06:00"
action = "acknowledge"
"""


def test_spo2_low_medium_after_10_s_and_high_after_5_s(scenario_store):
    summary = run_text(scenario_store, scenario_text(SPO2_STEPS, duration="00:07:00"))
    spo2 = values(scenario_store, summary, Kind.SPO2)
    first, second = alarms(summary, "spo2_low")
    assert first["priority"] == "medium"
    assert first["start_s"] == pytest.approx(first_run_held(spo2, lambda v: v < 90, 10), abs=TICK)
    assert first["end_s"] == pytest.approx(first_time(spo2, lambda v: v >= 90, 120), abs=TICK)
    assert first["ack_s"] is None  # a medium alarm does not latch
    assert second["priority"] == "high"
    # High priority needs SpO2 <= 85 % to hold 5 s (issue 9): one low sample is not enough.
    assert second["start_s"] == pytest.approx(
        first_run_held(spo2, lambda v: v <= 85, 5, 240), abs=TICK
    )
    # High latches: the SpO2 recovers at about 5 min but the alarm ends only when acknowledged.
    assert first_time(spo2, lambda v: v >= 90, 300) < 360
    assert (second["end_s"], second["ack_s"]) == (360, 360)


HR_STEPS = """\
[[step]]
at = "00:01:00"
change = { hr = 130 }
[[step]]
at = "00:02:00"
change = { hr = 150 }
[[step]]
at = "00:03:00"
change = { hr = 74 }
[[step]]
at = "00:04:00"
change = { hr = 45 }
[[step]]
at = "00:05:00"
change = { hr = 74 }
[[step]]
at = "00:06:00"
change = { hr = 36 }
[[step]]
at = "00:06:40"
change = { hr = 74 }
[[step]]
at = "00:07:30"
action = "acknowledge"
by = "RN A"
"""


def test_pulse_limits_delays_and_latching(scenario_store):
    summary = run_text(scenario_store, scenario_text(HR_STEPS, duration="00:08:00"))
    hr = values(scenario_store, summary, Kind.HR)
    high = only(summary, "hr_high")
    # > 120 for 10 s: medium; then >= 140: the same alarm rises to high (highest reached).
    assert high["start_s"] == pytest.approx(first_run_held(hr, lambda v: v > 120, 10), abs=TICK)
    assert high["priority"] == "high"
    assert (high["end_s"], high["ack_s"]) == (450, 450)  # latched until acknowledged
    low = alarms(summary, "hr_low")
    assert low[0]["priority"] == "medium"
    assert low[0]["start_s"] == pytest.approx(
        first_run_held(hr, lambda v: v < 50, 10, 180), abs=TICK
    )
    assert low[0]["end_s"] == pytest.approx(first_time(hr, lambda v: v >= 50, 300), abs=TICK)
    assert low[1]["priority"] == "high"
    # It starts at whichever stage holds first: < 50 for 10 s (medium) or <= 40 for 5 s (high).
    assert low[1]["start_s"] == pytest.approx(
        min(
            first_run_held(hr, lambda v: v < 50, 10, 360),
            first_run_held(hr, lambda v: v <= 40, 5, 360),
        ),
        abs=TICK,
    )
    assert (low[1]["end_s"], low[1]["ack_s"]) == (450, 450)


BP_STEPS = (
    bp_then_dose("00:00:30", "00:01:30")
    + """\
[[step]]
at = "00:02:00"
change = { sys = 168, dia = 92 }
[[step]]
at = "00:02:10"
action = "measure_bp"
[[step]]
at = "00:03:00"
change = { sys = 190, dia = 115 }
[[step]]
at = "00:03:10"
action = "measure_bp"
[[step]]
at = "00:04:00"
change = { sys = 85, dia = 60 }
[[step]]
at = "00:04:10"
action = "measure_bp"
[[step]]
at = "00:05:00"
change = { sys = 72, dia = 45 }
[[step]]
at = "00:05:10"
action = "measure_bp"
[[step]]
at = "00:06:30"
action = "acknowledge"
"""
)


def test_nibp_stages_fire_at_the_measurement_and_rise_is_over_the_predose_baseline(scenario_store):
    summary = run_text(scenario_store, scenario_text(BP_STEPS, duration="00:07:00"))
    sys_values = values(scenario_store, summary, Kind.NIBP_SYS)
    dia_values = dict(values(scenario_store, summary, Kind.NIBP_DIA))
    (t0, base), (t1, s1), (t2, s2), (t3, s3), (_, s4) = sys_values
    assert t0 < 90 < t1, "one pre-dose BP, then the rest after the dose"
    assert 160 <= s1 < 180 and s2 >= 180 and 80 <= s3 < 90 and s4 < 80
    sys_high = only(summary, "nibp_sys_high")
    assert (sys_high["start_s"], sys_high["priority"]) == (t1, "high")
    assert (sys_high["end_s"], sys_high["ack_s"]) == (390, 390)  # reached high: latched
    dia_high = only(summary, "nibp_dia_high")
    assert dia_values[t1] < 100 and dia_values[t2] >= 110
    assert (dia_high["start_s"], dia_high["priority"]) == (t2, "high")
    sys_low = only(summary, "nibp_sys_low")
    assert (sys_low["start_s"], sys_low["priority"]) == (t3, "high")
    # Acknowledged while the BP is still low: silenced, but the alarm goes on (end null).
    assert (sys_low["end_s"], sys_low["ack_s"]) == (None, 390)
    rise = only(summary, "nibp_rise")
    base_dia = dia_values[t0]
    risen = [
        t for t, s in sys_values if t > 90 and (s - base >= 40 or dia_values[t] - base_dia >= 25)
    ]
    assert (rise["start_s"], rise["priority"], rise["category"]) == (
        risen[0],
        "medium",
        "physiological",
    )
    assert rise["end_s"] == t3  # not latched: ends with the first BP back near the baseline


NO_DOSE_RISE = """\
[[step]]
at = "00:00:30"
action = "measure_bp"
[[step]]
at = "00:01:30"
change = { sys = 170, dia = 95 }
[[step]]
at = "00:01:40"
action = "measure_bp"
"""


def test_no_rise_alarm_without_a_dose(scenario_store):
    summary = run_text(scenario_store, scenario_text(NO_DOSE_RISE, duration="00:03:00"))
    assert alarms(summary, "nibp_rise") == []
    assert only(summary, "nibp_sys_high")["priority"] == "medium"
    assert only(summary, "predose_bp_elevated")["priority"] == "low"


PAUSE_STEPS = """\
[[step]]
at = "00:01:00"
change = { hr = 130 }
[[step]]
at = "00:01:30"
action = "pause_audio"
[[step]]
at = "00:02:00"
change = { spo2 = 80 }
[[step]]
at = "00:04:00"
action = "pause_audio"
"""


def test_audio_pause_lasts_120_s_and_a_new_high_alarm_breaks_through(scenario_store):
    summary = run_text(scenario_store, scenario_text(PAUSE_STEPS, duration="00:07:00"))
    log = alarm_log(scenario_store, summary)
    audio = [
        (seconds_from_start(e.at), e.action)
        for e in log
        if e.action in (AlarmLogAction.AUDIO_PAUSED, AlarmLogAction.AUDIO_RESUMED)
    ]
    spo2 = only(summary, "spo2_low")
    assert spo2["priority"] == "high"
    assert audio == [
        (90, AlarmLogAction.AUDIO_PAUSED),
        (spo2["start_s"], AlarmLogAction.AUDIO_RESUMED),  # broken through, before 90 + 120
        (240, AlarmLogAction.AUDIO_PAUSED),
        (360, AlarmLogAction.AUDIO_RESUMED),  # the second pause runs its 120 s
    ]
    assert spo2["start_s"] < 210
    raised = [e for e in log if e.action is AlarmLogAction.RAISED]
    assert all(e.limits for e in raised), "each log entry carries the limits in force"


TECHNICAL_STEPS = """\
[[step]]
at = "00:01:00"
fault = "disconnect"
device = "oximeter"
[[step]]
at = "00:03:20"
fault = "reconnect"
device = "oximeter"
[[step]]
at = "00:04:00"
fault = "sensor_off"
device = "oximeter"
duration = "00:00:30"
[[step]]
at = "00:05:00"
fault = "sensor_off"
device = "oximeter"
duration = "00:00:03"
[[step]]
at = "00:06:00"
fault = "nibp_error"
device = "nibp"
duration = "00:01:00"
[[step]]
at = "00:08:00"
fault = "disconnect"
device = "nibp"
duration = "00:00:30"
"""


def test_technical_alarms_delays_and_escalation(scenario_store):
    summary = run_text(
        scenario_store,
        scenario_text(TECHNICAL_STEPS, treatment="esketamine-56", duration="00:09:00"),
    )
    cut = only(summary, "oximeter_disconnected")
    # Medium at once, high after 60 s unacknowledged; the summary shows the highest reached.
    assert (cut["start_s"], cut["end_s"], cut["priority"]) == (60, 200, "high")
    log = alarm_log(scenario_store, summary)
    escalated = [e for e in log if e.action is AlarmLogAction.ESCALATED]
    assert [round((e.at - SCENARIO_START).total_seconds()) for e in escalated] == [120]
    sensor = only(summary, "oximeter_sensor_off")  # the 3 s slip stays under the 5 s delay
    assert (sensor["start_s"], sensor["end_s"], sensor["priority"]) == (245, 270, "medium")
    failed = only(summary, "nibp_failed")
    assert (failed["start_s"], failed["end_s"], failed["priority"]) == (360, 420, "medium")
    gone = only(summary, "nibp_disconnected")
    assert (gone["start_s"], gone["end_s"], gone["category"]) == (480, 510, "technical")
    assert all(a["category"] == "technical" for a in summary["alarms"])


def test_cli_json_summary_has_the_issue_shape(tmp_path, capsys):
    from sessionmon.cli import main

    path = tmp_path / "short.toml"
    path.write_text(scenario_text(SPO2_STEPS, duration="00:07:00"))
    code = main(
        [
            "--db",
            str(tmp_path / "s.db"),
            "simulate",
            "--scenario",
            str(path),
            "--headless",
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert {"session_id", "alarms", "events", "discharge"} <= set(summary)
    first = summary["alarms"][0]
    assert set(first) == {"condition", "priority", "category", "start_s", "end_s", "ack_s"}
    assert (first["condition"], first["ack_s"]) == ("spo2_low", None)
