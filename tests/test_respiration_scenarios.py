"""Breathing in the simulator, through ``sessionmon simulate --headless --json`` as typed and the
headless runner: the respiratory-depression scenario is caught by RR and etCO2 before SpO2 falls;
a chair with only an oximeter and an NIBP records no breathing and raises no breathing alarm; the
capnograph's faults give their technical alarms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acceptance_helpers import alarms, bp_then_dose, run_text, scenario_text, values
from sessionmon.clock import ManualClock
from sessionmon.model import Kind
from sessionmon.store import SessionStore

BREATHING = {"resp_rate_low", "resp_rate_high", "apnea", "etco2_high", "etco2_low"}


@pytest.fixture(scope="module")
def depression(tmp_path_factory):
    """The built-in respiratory-depression scenario run through the CLI, and its database."""
    from sessionmon.cli import main

    db = tmp_path_factory.mktemp("resp") / "s.db"
    args = ["--db", str(db), "simulate", "--scenario", "respiratory-depression-ketamine-bolus"]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*args, "--headless", "--json"])
    assert code == 0
    return json.loads(out.getvalue()), db


def _first(summary, condition: str) -> float:
    found = alarms(summary, condition)
    assert found, f"no {condition} alarm in {[a['condition'] for a in summary['alarms']]}"
    return min(a["start_s"] for a in found)


def test_respiratory_depression_is_caught_by_rr_and_etco2_before_spo2(depression):
    summary, db = depression
    spo2_low = _first(summary, "spo2_low")
    breathing = min(_first(summary, "resp_rate_low"), _first(summary, "apnea"))
    assert breathing < spo2_low
    assert _first(summary, "etco2_high") < spo2_low
    assert only_high(summary, "apnea")
    with SessionStore.open(db, ManualClock()) as store:
        spo2 = values(store, summary, Kind.SPO2)
        rr = values(store, summary, Kind.RESP_RATE)
        etco2 = values(store, summary, Kind.ETCO2)
    # When the first breathing alarm started, saturation was still normal.
    at_alarm = [v for t, v in spo2 if breathing - 5 <= t <= breathing]
    assert at_alarm and min(at_alarm) >= 94
    assert min(v for _, v in rr) == 0  # the apnoea: no breath detected
    assert max(v for _, v in etco2) > 50
    assert summary["discharge"][-1]["allowed"]


def only_high(summary, condition: str) -> bool:
    return all(a["priority"] == "high" for a in alarms(summary, condition))


def test_the_capnogram_is_recorded_with_the_numerics(depression):
    summary, db = depression
    with SessionStore.open(db, ManualClock()) as store:
        from acceptance_helpers import session_id

        assert store.waveform_count(session_id(summary), Kind.CO2) > 0
        fico2 = values(store, summary, Kind.FICO2)
    assert fico2 and max(v for _, v in fico2) <= 3


STEPS = bp_then_dose("00:00:30", "00:01:00") + (
    '[[step]]\nat = "00:02:00"\nchange = { resp_rate = 6, spo2 = 96 }\nover = "00:01:00"\n'
)


def test_a_chair_with_only_an_oximeter_and_nibp_records_no_breathing(tmp_path: Path):
    text = scenario_text(STEPS, duration="00:06:00") + "[devices]\nrespiration = false\n"
    with SessionStore.open(tmp_path / "s.db", ManualClock()) as store:
        summary = run_text(store, text)
        assert values(store, summary, Kind.RESP_RATE) == []
        assert values(store, summary, Kind.ETCO2) == []
    conditions = {a["condition"] for a in summary["alarms"]}
    assert not conditions & (BREATHING | {"capno_no_data", "capno_line_blocked"})


def test_with_respiration_the_same_change_alarms_on_breathing(tmp_path: Path):
    with SessionStore.open(tmp_path / "s.db", ManualClock()) as store:
        summary = run_text(store, scenario_text(STEPS, duration="00:06:00"))
    assert alarms(summary, "resp_rate_low")


def test_line_blocked_and_unplugged_capnograph_give_technical_alarms(tmp_path: Path):
    steps = (
        '[[step]]\nat = "00:01:00"\nfault = "line_blocked"\nduration = "00:00:30"\n'
        '[[step]]\nat = "00:02:00"\nfault = "disconnect"\ndevice = "respiration"\n'
        'duration = "00:00:30"\n'
    )
    with SessionStore.open(tmp_path / "s.db", ManualClock()) as store:
        summary = run_text(store, scenario_text(steps, duration="00:03:00"))
    blocked = alarms(summary, "capno_line_blocked")
    assert blocked and blocked[0]["category"] == "technical"
    assert 60 <= blocked[0]["start_s"] <= 61
    no_data = alarms(summary, "capno_no_data")
    assert no_data and 120 <= no_data[0]["start_s"] <= 126


def test_apnea_fault_raises_apnea_and_takes_no_device(tmp_path: Path):
    steps = '[[step]]\nat = "00:01:00"\nfault = "apnea"\nduration = "00:00:40"\n'
    with SessionStore.open(tmp_path / "s.db", ManualClock()) as store:
        summary = run_text(store, scenario_text(steps, duration="00:03:00"))
    apnea = alarms(summary, "apnea")
    assert apnea and 60 + 20 <= apnea[0]["start_s"] <= 60 + 35
    assert not alarms(summary, "etco2_low")  # not while apnoeic
    from sessionmon.errors import UserError
    from sessionmon.scenarios import parse_scenario

    bad = steps.replace('fault = "apnea"', 'fault = "apnea"\ndevice = "oximeter"')
    with pytest.raises(UserError, match="takes no device"):
        parse_scenario(scenario_text(bad), "x.toml")
    blocked = '[[step]]\nat = "00:01:00"\nfault = "line_blocked"\n'
    with pytest.raises(UserError, match="respiration = false"):
        parse_scenario(scenario_text(blocked) + "[devices]\nrespiration = false\n", "x.toml")
