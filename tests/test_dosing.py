"""Doses as given: nasal devices one by one, IV ketamine by weight, drug log, safety checklist."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from sessionmon.clock import ManualClock
from sessionmon.errors import UserError
from sessionmon.export import export_session, load_record
from sessionmon.model import EventKind, Patient, SessionPhase, Treatment
from sessionmon.protocol import ProtocolConfig, SessionProtocol
from sessionmon.protocol.dosing import (
    DoseRefusedError,
    check_nasal_device,
    plan_infusion,
)
from sessionmon.protocol.safety import (
    SAFETY_CHECKLIST,
    evaluate_safety,
    load_safety_checklist,
    normalise_answer,
)
from sessionmon.runtime import IntentRefusedError, SessionRuntime
from sessionmon.runtime.errors import ConfirmationNeededError
from sessionmon.store import SessionStore

ESK = ProtocolConfig.for_treatment("esketamine-84")
IV = ProtocolConfig.for_treatment("ketamine-iv")
ALL_CLEAR = {
    i.key: ("no" if i.kind in ("contraindication", "caution", "info") else "yes")
    for i in SAFETY_CHECKLIST.for_drug("esketamine")
}
IV_CLEAR = {
    i.key: ("no" if i.kind in ("contraindication", "caution", "info") else "yes")
    for i in SAFETY_CHECKLIST.for_drug("ketamine")
}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sessionmon", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def store(tmp_path, clock):
    with SessionStore.open(tmp_path / "sessions.db", clock) as s:
        yield s


def runtime_for(store, clock, treatment="esketamine-84", overrides=None, lot="LOT-9"):
    protocol = SessionProtocol.for_treatment(treatment, overrides)
    return SessionRuntime(
        store,
        clock,
        patient=Patient(pseudonym="DS-1"),
        treatment=Treatment.for_protocol(treatment, lot_number=lot),
        protocol=protocol,
    )


def advance(rt, clock, seconds):
    for _ in range(int(seconds)):
        clock.advance(1)
        rt.tick()


# --------------------------------------------------------------------------- pure rules


def test_a_device_gap_outside_4_to_7_min_warns_and_after_15_min_is_refused():
    t0 = ManualClock().now()
    ok = check_nasal_device([t0], t0 + timedelta(minutes=5, seconds=20), 3, ESK)
    assert (ok.number, ok.warning) == (2, None)
    early = check_nasal_device([t0], t0 + timedelta(minutes=3), 3, ESK)
    assert early.warning == "device 2 given 3 min 00 s after device 1 (expected 4-7 min)"
    late = check_nasal_device([t0], t0 + timedelta(minutes=14), 3, ESK)
    assert "14 min 00 s" in late.warning
    with pytest.raises(DoseRefusedError, match="accepted up to 15 min"):
        check_nasal_device([t0], t0 + timedelta(minutes=15, seconds=1), 3, ESK)
    with pytest.raises(DoseRefusedError, match="all 2 devices"):
        check_nasal_device([t0, t0], t0 + timedelta(minutes=5), 2, ESK)


def test_iv_dose_needs_weight_and_warns_outside_the_mg_per_kg_band():
    with pytest.raises(DoseRefusedError, match="weight"):
        plan_infusion(IV, None, mg_per_kg=0.5)
    with pytest.raises(DoseRefusedError, match="not possible"):
        plan_infusion(IV, 7000, mg_per_kg=0.5)
    plan = plan_infusion(IV, 70, mg_per_kg=0.5)
    assert (plan.dose_mg, plan.rate_mg_per_h, plan.duration_min, plan.warning) == (
        35.0,
        52.5,
        40.0,
        None,
    )
    assert plan_infusion(IV, 80, dose_mg=40).mg_per_kg == 0.5
    with pytest.raises(DoseRefusedError, match=r"is not 0\.5 mg/kg"):
        plan_infusion(IV, 80, mg_per_kg=0.5, dose_mg=60)
    assert plan_infusion(IV, 70, mg_per_kg=1.2).warning == "dose 1.20 mg/kg is outside 0.5-1 mg/kg"
    assert plan_infusion(IV, 70, mg_per_kg=0.4).warning is not None
    edited = ProtocolConfig.for_treatment("ketamine-iv", {"iv_dose_high_mg_per_kg": 1.5})
    assert plan_infusion(edited, 70, mg_per_kg=1.2).warning is None


def test_dosing_settings_are_validated():
    with pytest.raises(UserError, match="iv_dose_low_mg_per_kg must be below"):
        ProtocolConfig.for_treatment("ketamine-iv", {"iv_dose_low_mg_per_kg": 2.0})
    with pytest.raises(UserError, match="nasal_device_accept_max_min"):
        ProtocolConfig.for_treatment("esketamine-84", {"nasal_device_accept_max_min": 0})


def test_safety_answers_block_ask_or_caution():
    verdict = evaluate_safety({**ALL_CLEAR, "intracerebral_haemorrhage": "yes"}, "esketamine")
    assert verdict.blocks and verdict.contraindications == ("intracerebral_haemorrhage",)
    partial = evaluate_safety({"consent": True, "escort_transport": "no"}, "esketamine")
    assert "aneurysm_avm" in partial.unanswered and "first_treatment" not in partial.unanswered
    assert partial.cautions == ("escort_transport",)
    assert evaluate_safety(ALL_CLEAR, "esketamine").unanswered == ()
    with pytest.raises(UserError, match="unknown safety checklist item"):
        evaluate_safety({"rems_enrolled": "yes"}, "ketamine")


def test_every_label_contraindication_is_in_the_checklist():
    contra = {i.key for i in SAFETY_CHECKLIST.items if i.kind == "contraindication"}
    assert {"aneurysm_avm", "intracerebral_haemorrhage", "hypersensitivity"} <= contra
    with pytest.raises(UserError, match="items"):
        load_safety_checklist("items = []")


@given(st.one_of(st.none(), st.booleans(), st.text(max_size=8)))
def test_a_safety_answer_is_yes_no_unanswered_or_a_clear_error(value):
    try:
        answer = normalise_answer(value)
    except UserError as exc:
        assert "yes or no" in str(exc) and "\n" not in str(exc)
    else:
        assert answer in ("yes", "no", None)


# --------------------------------------------------------------------------- the runtime


def test_84_mg_as_three_devices_at_0_5m20_10m40_is_three_28_mg_doses(store, clock, tmp_path):
    rt = runtime_for(store, clock)
    rt.record_safety_checklist(ALL_CLEAR, by="RN A")
    rt.dose(by="RN A")
    advance(rt, clock, 320)
    rt.dose(by="RN A")
    advance(rt, clock, 320)
    third = rt.dose(by="RN A")  # 10:40 after the first: refused "dosing is over" before
    assert third.payload["device"] == 3 and third.payload["total_mg"] == 84.0
    assert rt.phase is SessionPhase.OBSERVATION
    doses = [e for e in store.events(rt.session_id) if e.kind is EventKind.DOSE_GIVEN]
    assert [e.payload["dose_mg"] for e in doses] == [28.0, 28.0, 28.0]
    assert [e.payload.get("warning") for e in doses] == [None, None, None]
    assert [(e.at - doses[0].at).total_seconds() for e in doses] == [0, 320, 640]
    with pytest.raises(IntentRefusedError, match="dosing is over"):
        rt.dose(by="RN A")
    record = load_record(store, rt.session_id)
    assert [a.dose_mg for a in record.administrations] == [28.0] * 3


def test_cli_export_fhir_and_json_and_import_keep_three_devices(store, clock, tmp_path):
    rt = runtime_for(store, clock)
    rt.record_safety_checklist(ALL_CLEAR, by="RN A")
    for gap in (0, 320, 320):
        advance(rt, clock, gap)
        rt.dose(by="RN A")
    store.flush()
    db = str(store.path)
    fhir_path, json_path = tmp_path / "b.json", tmp_path / "s.json"
    for fmt, path in (("fhir", fhir_path), ("json", json_path)):
        result = run_cli("--db", db, "export", "--format", fmt, "--out", str(path), "--quiet")
        assert result.returncode == 0, result.stderr
    Bundle.model_validate_json(fhir_path.read_text())
    data = json.loads(fhir_path.read_text())
    given_ = [
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "MedicationAdministration"
    ]
    assert [m["dosage"]["dose"]["value"] for m in given_] == [28.0, 28.0, 28.0]
    assert [m["dosage"]["text"] for m in given_] == [f"nasal device {n} of 3" for n in (1, 2, 3)]
    assert len({m["effectiveDateTime"] for m in given_}) == 3
    (coding,) = given_[0]["contained"][0]["code"]["coding"]
    assert (coding["system"], coding["code"]) == ("http://hl7.org/fhir/sid/ndc", "50458-028-03")
    assert given_[0]["contained"][0]["batch"] == {"lotNumber": "LOT-9"}
    doc = json.loads(json_path.read_text())
    assert [d["dose_mg"] for d in doc["derived"]["doses"]] == [28.0, 28.0, 28.0]
    assert [d["device"] for d in doc["derived"]["doses"]] == [1, 2, 3]
    assert doc["derived"]["total_dose_mg"] == 84.0
    assert [r["action"] for r in doc["derived"]["drug_log"]] == ["given"] * 3
    # import into a new database and export again: the same three doses
    other = tmp_path / "other.db"
    result = run_cli("--db", str(other), "import", str(json_path))
    assert result.returncode == 0, result.stderr
    again = tmp_path / "again.json"
    result = run_cli("--db", str(other), "export", "--format", "json", "--out", str(again))
    assert result.returncode == 0, result.stderr
    assert json.loads(again.read_text())["derived"]["doses"] == doc["derived"]["doses"]


def test_a_device_too_early_warns_and_one_after_15_min_is_refused(store, clock):
    rt = runtime_for(store, clock)
    rt.dose(by="RN A", confirm_unanswered=True)
    advance(rt, clock, 180)
    second = rt.dose(by="RN A")
    assert (
        second.payload["warning"] == "device 2 given 3 min 00 s after device 1 (expected 4-7 min)"
    )
    with pytest.raises(IntentRefusedError, match="one nasal device is 28 mg"):
        rt.dose(by="RN A", dose_mg=84)
    advance(rt, clock, 15 * 60 + 1)
    assert rt.phase is SessionPhase.OBSERVATION  # no third device within 15 min
    with pytest.raises(IntentRefusedError, match="dosing is over"):
        rt.dose(by="RN A")
    record = load_record(store, rt.session_id)
    assert sum(a.dose_mg for a in record.administrations) == 56.0


def test_iv_infusion_records_weight_mg_per_kg_rate_and_stop(store, clock, tmp_path):
    rt = runtime_for(store, clock, "ketamine-iv", lot="KET-3")
    rt.record_safety_checklist(IV_CLEAR, by="RN A")
    with pytest.raises(IntentRefusedError, match="weight"):
        rt.dose(by="RN A")
    start = rt.dose(by="RN A", weight_kg=82, mg_per_kg=1.2)
    assert start.payload["dose_mg"] == 98.4 and start.payload["rate_mg_per_h"] == 147.6
    assert start.payload["warning"] == "dose 1.20 mg/kg is outside 0.5-1 mg/kg"
    advance(rt, clock, 30 * 60)
    assert rt.phase is SessionPhase.DOSING
    rt.stop_infusion(by="RN A")
    assert rt.phase is SessionPhase.OBSERVATION
    with pytest.raises(IntentRefusedError, match="no infusion is running"):
        rt.stop_infusion(by="RN A")
    rt.record_waste(1.6, witness="RN B", by="RN A")
    path = tmp_path / "b.json"
    export_session(store, rt.session_id, "fhir", path, clock=clock)
    data = json.loads(path.read_text())
    (given_,) = [
        e["resource"]
        for e in data["entry"]
        if e["resource"]["resourceType"] == "MedicationAdministration"
    ]
    period = given_["effectivePeriod"]
    assert datetime.fromisoformat(period["start"]) == start.at
    assert datetime.fromisoformat(period["end"]) == start.at + timedelta(minutes=30)
    assert given_["dosage"]["rateQuantity"]["value"] == 147.6
    assert given_["dosage"]["rateQuantity"]["code"] == "mg/h"
    assert given_["note"] == [{"text": "dose 1.20 mg/kg is outside 0.5-1 mg/kg"}]
    weights = [
        e["resource"]
        for e in data["entry"]
        if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "29463-7"
    ]
    assert weights[0]["valueQuantity"]["value"] == 82.0
    assert "code" not in given_["contained"][0]["code"].get("coding", [{}])[0]


def test_an_infusion_not_stopped_ends_at_its_planned_end(store, clock):
    rt = runtime_for(store, clock, "ketamine-iv")
    rt.dose(by="RN A", weight_kg=70, mg_per_kg=0.5, confirm_unanswered=True)
    advance(rt, clock, 40 * 60 + 1)
    assert rt.phase is SessionPhase.OBSERVATION
    stops = [
        e
        for e in store.events(rt.session_id)
        if e.payload.get("action") == "stop_infusion" and e.payload.get("planned_end")
    ]
    assert len(stops) == 1


def test_waste_needs_a_witness_other_than_the_nurse_and_is_in_the_report(store, clock, tmp_path):
    rt = runtime_for(store, clock)
    rt.dose(by="RN A", confirm_unanswered=True)
    with pytest.raises(IntentRefusedError, match="needs a witness"):
        rt.record_waste(28, witness=" ", by="RN A")
    with pytest.raises(IntentRefusedError, match="someone other"):
        rt.record_waste(28, witness="rn a", by="RN A")
    rt.record_waste(28, witness="RN B", by="RN A", text="device 2 misfired")
    record = load_record(store, rt.session_id)
    assert [(r.action, r.amount_mg, r.witness) for r in record.drug_log] == [
        ("given", 28.0, None),
        ("wasted", 28.0, "RN B"),
    ]
    pdf = tmp_path / "r.pdf"
    export_session(store, rt.session_id, "pdf", pdf, clock=clock)
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Controlled-substance log" in text and "device 2 misfired" in text
    assert "RN B" in text and "LOT-9" in text


def test_no_checklist_asks_a_contraindication_blocks_until_a_prescriber_overrides(store, clock):
    rt = runtime_for(store, clock)
    with pytest.raises(ConfirmationNeededError, match="safety checklist has not been done"):
        rt.dose(by="RN A")
    rt.record_safety_checklist({**ALL_CLEAR, "aneurysm_avm": "yes"}, by="RN A")
    with pytest.raises(IntentRefusedError, match="a prescriber must override"):
        rt.dose(by="RN A", confirm_unanswered=True)
    with pytest.raises(IntentRefusedError, match="name and a reason"):
        rt.override_contraindication("Dr Byrne", " ")
    rt.override_contraindication("Dr Byrne", "aneurysm repaired 2019, cleared by vascular")
    # a resumed runtime keeps the checklist and the override
    again = SessionRuntime(store, clock, store.get_session(rt.session_id))
    dose = again.dose(by="RN A")
    assert dose.payload["safety_override"]["prescriber"] == "Dr Byrne"
    override = next(
        e
        for e in store.events(rt.session_id)
        if e.payload.get("action") == "contraindication_override"
    )
    assert override.by == "Dr Byrne" and "repaired" in override.payload["reason"]
    with pytest.raises(IntentRefusedError, match="before the first dose"):
        again.record_safety_checklist(ALL_CLEAR)


def test_unanswered_items_need_confirmation_which_is_recorded(store, clock):
    rt = runtime_for(store, clock)
    rt.record_safety_checklist({**ALL_CLEAR, "consent": None, "pregnant": None}, by="RN A")
    with pytest.raises(ConfirmationNeededError) as refused:
        rt.dose(by="RN A")
    assert set(refused.value.items) == {"consent", "pregnant"}
    dose = rt.dose(by="RN A", confirm_unanswered=True)
    assert set(dose.payload["safety_unanswered_confirmed"]) == {"consent", "pregnant"}


def test_deidentified_export_drops_witness_and_prescriber_names(store, clock, tmp_path):
    rt = runtime_for(store, clock)
    rt.record_safety_checklist({**ALL_CLEAR, "hypersensitivity": "yes"}, by="RN Abel")
    rt.override_contraindication("Dr Byrne", "tolerated before; Dr Byrne on site")
    rt.dose(by="RN Abel")
    rt.record_waste(28, witness="RN Zelda", by="RN Abel")
    path = tmp_path / "d.json"
    export_session(store, rt.session_id, "json", path, clock=clock, deidentify=True)
    text = path.read_text()
    assert "Zelda" not in text and "Byrne" not in text and "Abel" not in text
    doc = json.loads(text)
    assert doc["derived"]["drug_log"][-1]["witness"] == "(staff)"


@given(
    st.one_of(st.none(), st.floats(-10, 400, allow_nan=False)),
    st.one_of(st.none(), st.floats(-1, 5, allow_nan=False)),
    st.one_of(st.none(), st.floats(-10, 500, allow_nan=False)),
)
def test_any_iv_entry_is_a_consistent_plan_or_a_one_line_refusal(weight, per_kg, mg):
    try:
        plan = plan_infusion(IV, weight, mg_per_kg=per_kg, dose_mg=mg)
    except DoseRefusedError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert 20 <= plan.weight_kg <= 300 and plan.dose_mg > 0 and plan.rate_mg_per_h > 0
        assert abs(plan.dose_mg - plan.mg_per_kg * plan.weight_kg) <= max(0.5, 0.01 * plan.dose_mg)
        inside = IV.iv_dose_low_mg_per_kg <= plan.mg_per_kg <= IV.iv_dose_high_mg_per_kg
        assert (plan.warning is None) == inside


@given(st.lists(st.floats(0, 1200, allow_nan=False), max_size=4), st.floats(0, 1800))
def test_any_device_timing_is_accepted_warned_or_refused_by_the_rules(offsets, gap):
    t0 = ManualClock().now()
    given_ = [t0 + timedelta(seconds=o) for o in sorted(offsets)]
    now = (given_[-1] if given_ else t0) + timedelta(seconds=gap)
    try:
        check = check_nasal_device(given_, now, 3, ESK)
    except DoseRefusedError:
        assert len(given_) >= 3 or gap > 15 * 60
    else:
        assert check.number == len(given_) + 1 <= 3
        if given_:
            assert (check.warning is None) == (4 * 60 <= gap <= 7 * 60)
