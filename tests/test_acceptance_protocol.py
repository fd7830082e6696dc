"""Black-box acceptance of the session protocol: protocol alarms at their minutes, discharge
blocked with every missing criterion listed or allowed when all are met, signing locks.

Each scenario is TOML in the issue's format, run headless; times in the JSON summary are
seconds from the scenario start.
"""

from __future__ import annotations

import pytest

from acceptance_helpers import (
    alarms,
    bp_then_dose,
    only,
    run_text,
    scenario_text,
    session_id,
    values,
)
from sessionmon.errors import UserError
from sessionmon.model import Kind
from sessionmon.scenarios import parse_scenario

MIN = 60


PREDOSE = bp_then_dose("00:01:00", "00:04:00")


def test_predose_bp_elevated_from_the_reading_until_the_dose(scenario_store):
    summary = run_text(scenario_store, scenario_text(PREDOSE, duration="00:06:00", sys=150, dia=95))
    (t, value), *_ = values(scenario_store, summary, Kind.NIBP_SYS)
    assert value > 140
    elevated = only(summary, "predose_bp_elevated")
    assert (elevated["priority"], elevated["category"]) == ("low", "protocol")
    assert (elevated["start_s"], elevated["end_s"]) == (t, 4 * MIN)


MISSED_40 = (
    bp_then_dose("00:01:00", "00:04:00")
    + """\
[[step]]
at = "00:30:00"
fault = "disconnect"
device = "nibp"
duration = "00:20:00"
[[step]]
at = "01:49:00"
action = "checklist"
scale = "moaas"
score = 5
[[step]]
at = "01:50:00"
action = "checklist"
scale = "aldrete"
items = [2, 2, 1, 2, 2]
[[step]]
at = "01:52:00"
action = "measure_bp"
[[step]]
at = "02:04:00"
action = "sign"
by = "RN D"
[[step]]
at = "02:04:30"
action = "override_discharge"
by = "Dr F"
text = "40-min BP missed (NIBP unplugged); BP before discharge normal, patient well"
[[step]]
at = "02:05:00"
action = "sign"
by = "RN D"
"""
)


def test_missed_40_minute_bp_is_due_then_overdue_and_blocks_until_a_clinician_overrides(
    scenario_store,
):
    summary = run_text(scenario_store, scenario_text(MISSED_40, duration="02:06:00", seed=21))
    dose = 4 * MIN
    due = only(summary, "bp_check_due")
    assert (due["priority"], due["start_s"], due["end_s"]) == (
        "low",
        dose + 40 * MIN + 5,  # the reminder's 5-s condition delay
        dose + 45 * MIN,
    )
    overdue = only(summary, "bp_check_overdue")
    late_bp = next(
        t for t, _ in values(scenario_store, summary, Kind.NIBP_SYS) if t > dose + 45 * MIN
    )
    assert (overdue["priority"], overdue["start_s"], overdue["end_s"]) == (
        "medium",
        dose + 45 * MIN,
        late_bp,
    )
    # Signing is a discharge: recorded as an attempt, refused at 120 min for the missed 40-min
    # BP alone (the BP at 108 min does not replace it); a clinician's override lets it sign.
    missed = (
        "no BP at 40 min: none was taken 30-60 min after the dose (a later BP does not replace it)"
    )
    refused, override = summary["discharge"]
    assert refused == {"t_s": dose + 120 * MIN, "allowed": False, "blocking": [missed]}
    assert override == {
        "t_s": dose + 120.5 * MIN,
        "allowed": True,
        "blocking": [missed],
        "override": {
            "by": "Dr F",
            "reason": "40-min BP missed (NIBP unplugged); BP before discharge normal, patient well",
        },
    }
    assert [r["what"] for r in summary["refused"]] == ["sign"]
    assert summary["phase"] == "closed"


EARLY = (
    bp_then_dose("00:01:00", "00:02:00")
    + """\
[[step]]
at = "00:07:00"
action = "dose"
[[step]]
at = "00:11:00"
action = "dose"
[[step]]
at = "00:05:00"
change = { spo2 = 80 }
[[step]]
at = "00:06:00"
change = { spo2 = 97 }
[[step]]
at = "00:08:00"
action = "checklist"
scale = "moaas"
score = 4
[[step]]
at = "00:12:00"
action = "discharge"
[[step]]
at = "00:12:30"
action = "sign"
by = "RN E"
[[step]]
at = "00:13:00"
action = "acknowledge"
condition = "spo2_low"
[[step]]
at = "00:14:00"
action = "annotate"
text = "still observing"
"""
)


def test_early_discharge_lists_every_missing_criterion_and_sign_is_refused(scenario_store):
    summary = run_text(scenario_store, scenario_text(EARLY, duration="00:15:00"))
    first, second = summary["discharge"]
    assert first["t_s"] == 12 * MIN and not first["allowed"]
    attempts = [e for e in summary["events"] if e["kind"] == "discharge_attempt"]
    # The SpO2 alarm is latched (the dip to 80 % is over): an active physiological alarm.
    assert attempts[0]["payload"]["blocking_ids"] == [
        "min_observation",
        "physiological_alarms",
        "peak_bp",
        "discharge_bp",
        "moaas",
        "aldrete",
    ]
    assert (
        first["blocking"][0] == "only 10 min since the first dose; 120 min required (110 min to go)"
    )
    assert first["blocking"][1].startswith("physiological alarm active: SpO2 low")
    assert "latched" in first["blocking"][1]
    assert len(first["blocking"]) == 6
    # A sign-off before the criteria are met is an early discharge attempt: refused, recorded.
    assert (second["t_s"], second["allowed"]) == (12.5 * MIN, False)
    assert [r["what"] for r in summary["refused"]] == ["sign"]
    blocked = only(summary, "discharge_blocked")
    assert (blocked["priority"], blocked["start_s"], blocked["end_s"]) == ("medium", 12 * MIN, None)
    spo2 = only(summary, "spo2_low")
    assert (spo2["priority"], spo2["end_s"], spo2["ack_s"]) == ("high", 13 * MIN, 13 * MIN)
    assert summary["phase"] == "observation"


ALLOWED = (
    bp_then_dose("00:02:00", "00:05:00")
    + """\
[[step]]
at = "01:50:00"
action = "checklist"
scale = "moaas"
score = 5
[[step]]
at = "02:04:00"
action = "checklist"
scale = "aldrete"
items = [2, 2, 2, 2, 1]
[[step]]
at = "02:06:00"
action = "discharge"
[[step]]
at = "02:06:30"
action = "sign"
by = "RN B"
[[step]]
at = "02:07:00"
action = "annotate"
text = "after signing"
[[step]]
at = "02:01:00"
action = "discharge"
"""
)


def test_discharge_allowed_when_every_criterion_is_met_and_signing_locks(scenario_store):
    # Steps out of time order are run in time order; the nurse never asks for a BP after
    # the dose: with no [nibp] interval the protocol takes the 40-min BP and the pre-discharge
    # one by itself.
    summary = run_text(
        scenario_store,
        scenario_text(ALLOWED, treatment="esketamine-56", duration="02:08:00", seed=12, nibp=None),
    )
    dose = 5 * MIN
    bp_times = [t for t, _ in values(scenario_store, summary, Kind.NIBP_SYS)]
    assert any(dose + 40 * MIN <= t <= dose + 41 * MIN for t in bp_times)
    assert alarms(summary, "bp_check_due") == []  # the BP was already on its way
    early, allowed = summary["discharge"]
    assert early["t_s"] == 121 * MIN
    assert (
        early["blocking"][0] == "only 116 min since the first dose; 120 min required (4 min to go)"
    )
    assert any("no BP in the last 30 min" in b for b in early["blocking"])
    assert any("Aldrete" in b for b in early["blocking"])
    assert allowed == {"t_s": 126 * MIN, "allowed": True, "blocking": []}
    assert summary["phase"] == "closed"
    assert [r["what"] for r in summary["refused"]] == ["annotate"]
    assert "locked" in summary["refused"][0]["reason"]
    blocked = only(summary, "discharge_blocked")
    assert blocked["start_s"] == 121 * MIN and blocked["end_s"] <= 126 * MIN
    signed = [e for e in summary["events"] if e["kind"] == "sign_off"]
    assert [(e["t_s"], e["by"]) for e in signed] == [(126.5 * MIN, "RN B")]


IV = bp_then_dose("00:01:00", "00:05:00").replace(
    'action = "dose"\n', 'action = "dose"\nweight_kg = 70\nmg_per_kg = 0.5\n'
)


def test_iv_ketamine_cycles_the_nibp_every_10_min_without_due_reminders(scenario_store):
    summary = run_text(
        scenario_store,
        scenario_text(IV, treatment="ketamine-iv", duration="00:50:00", seed=3, nibp=None),
    )
    dose = 5 * MIN
    starts = [t for t, _ in values(scenario_store, summary, Kind.NIBP_SYS) if t > dose]
    slots = [dose + m * MIN for m in (10, 20, 30, 40)]
    assert len(starts) == len(slots)
    for slot, t in zip(slots, starts, strict=True):
        assert slot < t <= slot + 45, (slot, t)  # a 20-40 s measurement from the slot
    assert alarms(summary, "bp_check_due") == [] and alarms(summary, "bp_check_overdue") == []


def test_a_step_after_the_end_is_refused_with_file_line_and_field():
    text = scenario_text(IV + '[[step]]\nat = "00:20:00"\naction = "discharge"\n')
    with pytest.raises(UserError, match=r"sc\.toml, line \d+, field step\[3\]\.at"):
        parse_scenario(text, "sc.toml")


def test_store_records_the_run(scenario_store):
    summary = run_text(scenario_store, scenario_text(PREDOSE, duration="00:05:00"))
    session = scenario_store.get_session(session_id(summary))
    assert session.simulated and session.scenario == "acceptance"


NIBP_FAILS_AT_40 = (
    bp_then_dose("00:01:00", "00:02:00")
    + """\
[[step]]
at = "00:41:00"
fault = "nibp_error"
device = "nibp"
duration = "00:05:00"
"""
)


def test_a_failed_40_minute_measurement_raises_due_then_overdue(scenario_store):
    summary = run_text(
        scenario_store,
        scenario_text(
            NIBP_FAILS_AT_40, treatment="esketamine-56", duration="00:50:00", seed=22, nibp=None
        ),
    )
    dose = 2 * MIN
    failed = only(summary, "nibp_failed")
    assert (failed["start_s"], failed["end_s"]) == (41 * MIN, 46 * MIN)  # the fault's own times
    # The 40-min auto-request runs into the fault: the reminder waits for that measurement to
    # fail (20-40 s), then stays until the window closes at 45 min; overdue follows.
    due = only(summary, "bp_check_due")
    assert dose + 40 * MIN + 20 <= due["start_s"] <= dose + 40 * MIN + 41
    assert due["end_s"] == dose + 45 * MIN
    overdue = only(summary, "bp_check_overdue")
    assert (overdue["start_s"], overdue["end_s"]) == (dose + 45 * MIN, None)


def test_on_request_only_nibp_raises_due_at_40_and_overdue_at_45(scenario_store):
    # interval = "off" is on request only: the console starts no BP by itself, so a nurse who
    # takes no BP after the dose gets the reminder at 40 min and the overdue alarm at 45 min.
    steps = bp_then_dose("00:01:00", "00:02:00")
    summary = run_text(
        scenario_store, scenario_text(steps, treatment="esketamine-84", duration="00:50:00", seed=5)
    )
    dose = 2 * MIN
    assert [t for t, _ in values(scenario_store, summary, Kind.NIBP_SYS) if t > dose] == []
    assert only(summary, "bp_check_due")["start_s"] == dose + 40 * MIN + 5  # 5-s delay
    overdue = only(summary, "bp_check_overdue")
    assert (overdue["start_s"], overdue["priority"]) == (dose + 45 * MIN, "medium")
