"""Issue 9's four discharge cases, each a scenario file: refused with its reason at 2 hours,
then allowed once the patient is ready. Run headless through the scenario runner (the path of
``sessionmon simulate``); times in the summary are seconds from the scenario start."""

from __future__ import annotations

from pathlib import Path

import pytest

from acceptance_helpers import only
from sessionmon.scenarios import load_scenario
from sessionmon.scenarios.runner import run_scenario

FOLDER = Path(__file__).parent / "acceptance_scenarios"
MIN = 60


def run(store, name: str) -> dict:
    return run_scenario(load_scenario(FOLDER / f"{name}.toml"), store)


@pytest.fixture(scope="module")
def runs(scenario_store) -> dict[str, dict]:
    names = ("low_spo2_acked", "cadss_18", "old_assessments", "sensor_off")
    return {name: run(scenario_store, f"discharge_{name}") for name in names}


def attempts(summary: dict) -> list[tuple[float, bool, list[str]]]:
    return [(d["t_s"] / MIN, d["allowed"], d["blocking"]) for d in summary["discharge"]]


def test_spo2_86_87_with_acknowledged_alarms_is_refused_then_allowed(runs):
    summary = runs["low_spo2_acked"]
    refused, allowed = attempts(summary)
    assert refused[:2] == (126, False)
    assert refused[2][:2] == [
        "SpO2 now 87 % is outside the limits (alarm limit < 90)",
        "pulse now 125 /min is outside the limits (alarm limit > 120)",
    ]
    active = refused[2][2]
    assert active.startswith("physiological alarm active: ") and len(refused[2]) == 3
    assert "SpO2 low: 87 % (limit < 90 %)" in active and "Pulse high: 125 /min" in active
    assert active.count("acknowledged") >= 2
    assert allowed == (132, True, [])
    # Medium alarms, not latched, acknowledged at 113 min: they still blocked.
    spo2 = only(summary, "spo2_low")
    assert spo2["priority"] == "medium" and spo2["ack_s"] == 113 * MIN
    assert summary["phase"] == "closed"


def test_cadss_18_at_115_minutes_is_refused_until_it_is_back_at_4(runs):
    refused, allowed = attempts(runs["cadss_18"])
    assert refused == (
        126,
        False,
        [
            "dissociation not resolved: CADSS is 18 at 115 min after the dose (6 min ago) "
            "(needs ≤ 4)"
        ],
    )
    assert allowed == (131, True, [])


def test_assessments_from_41_42_minutes_do_not_count_at_121(runs):
    refused, allowed = attempts(runs["old_assessments"])
    assert refused == (
        126,
        False,
        [
            "no MOAA/S in the last 30 min (needs 5); latest was 5 at 41 min after the dose "
            "(80 min ago)",
            "no modified Aldrete in the last 30 min (needs ≥ 9); latest was 10 at 42 min after "
            "the dose (79 min ago)",
        ],
    )
    assert allowed == (129, True, [])


def test_sensor_off_for_the_last_hour_is_refused_until_ten_quiet_minutes(runs):
    summary = runs["sensor_off"]
    off, just_back, allowed = attempts(summary)
    assert off[:2] == (124, False)
    assert off[2][1:] == [
        "no current SpO2: the last value 98 % was 59 min ago (older than 10 s)",
        "no current pulse: the last value 74 /min was 59 min ago (older than 10 s)",
        "oximetry technical alarm in the last 10 min: SpO2 sensor off (active now)",
    ]
    assert just_back == (
        126,
        False,
        ["oximetry technical alarm in the last 10 min: SpO2 sensor off (ended 1 min ago)"],
    )
    assert allowed == (136, True, [])
    sensor = only(summary, "oximeter_sensor_off")
    assert sensor["end_s"] == 125 * MIN
