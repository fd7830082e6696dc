"""FHIR R4 bundle and HL7 v2 ORU^R01 exports: validate with real libraries, check the codes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message
from hypothesis import given
from hypothesis import strategies as st

from export_fixtures import BP, DOSE, NIBP, OXIMETER, build_session, hr_at, scenario_store
from sessionmon.clock import ManualClock
from sessionmon.export import export_session, load_record
from sessionmon.export.hl7 import PROFILE, equipment_id, escape

MDC = "urn:iso:std:iso:11073:10101"


@pytest.fixture
def built(tmp_path):
    b = build_session(tmp_path / "s.db")
    yield b
    b.store.close()


def _bundle(store, sid, clock, path):
    export_session(store, sid, "fhir", path, clock=clock)
    text = path.read_text()
    return Bundle.model_validate_json(text), json.loads(text)


def _resources(data, kind):
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def _codes(concept):
    return {(c["system"], c["code"]) for c in concept["coding"]}


def test_fhir_bundle_validates_and_has_the_resources(built, tmp_path):
    bundle, data = _bundle(built.store, built.session_id, built.clock, tmp_path / "b.json")
    assert bundle.type == "collection"
    kinds = {e["resource"]["resourceType"] for e in data["entry"]}
    assert {"Patient", "Encounter", "MedicationAdministration", "Observation", "Flag"} <= kinds
    (patient,) = _resources(data, "Patient")
    assert patient["birthDate"] == "1980-02-29"
    assert patient["name"][0]["text"] == "Ada Example"
    assert patient["gender"] == "female"
    (dose,) = _resources(data, "MedicationAdministration")
    assert dose["dosage"]["dose"] == {
        "value": 84.0,
        "unit": "mg",
        "system": "http://unitsofmeasure.org",
        "code": "mg",
    }
    assert dose["contained"][0]["batch"]["lotNumber"] == "LOT-77"
    (flag,) = _resources(data, "Flag")
    assert flag["code"]["coding"][0]["code"] == "spo2_low"
    assert flag["status"] == "inactive"


def test_fhir_vital_signs_carry_loinc_mdc_and_ucum(built, tmp_path):
    _, data = _bundle(built.store, built.session_id, built.clock, tmp_path / "b.json")
    observations = _resources(data, "Observation")
    hr = [
        o
        for o in observations
        if ("http://loinc.org", "8867-4") in _codes(o["code"])
        and (MDC, "149530") in _codes(o["code"])
    ]
    assert hr, "per-minute pulse-rate observations"
    assert all(o["category"][0]["coding"][0]["code"] == "vital-signs" for o in hr)
    # the minute 12-13 after the dose: every value is hr_at(12)
    start = (DOSE + timedelta(minutes=12)).isoformat().replace("+00:00", "Z")
    (minute,) = [o for o in hr if o["effectivePeriod"]["start"] == start]
    assert minute["valueQuantity"]["value"] == hr_at(12)
    assert minute["valueQuantity"]["code"] == "/min"
    assert minute["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    spo2 = [o for o in observations if (MDC, "150456") in _codes(o["code"])]
    assert ("http://loinc.org", "59408-5") in _codes(spo2[0]["code"])
    assert spo2[0]["valueQuantity"]["code"] == "%"
    panels = [o for o in observations if ("http://loinc.org", "85354-9") in _codes(o["code"])]
    assert len(panels) == len(BP)
    first = {
        next(c["code"] for c in comp["code"]["coding"] if c["system"] == "http://loinc.org"): comp[
            "valueQuantity"
        ]
        for comp in panels[0]["component"]
    }
    assert set(first) == {"8480-6", "8462-4", "8478-0"}
    assert (first["8480-6"]["value"], first["8462-4"]["value"]) == (BP[0][1], BP[0][2])
    assert first["8480-6"]["code"] == "mm[Hg]"
    scored = [o for o in observations if "valueInteger" in o]
    # superseded checklist (MOAA/S 1) is not exported; its correction (4) is
    assert sorted(o["valueInteger"] for o in scored) == [2, 3, 4, 5, 9, 10]


def test_fhir_bundle_of_a_simulated_scenario_validates(tmp_path):
    store, sid = scenario_store(tmp_path)
    with store:
        bundle, data = _bundle(store, sid, ManualClock(), tmp_path / "sim.json")
    assert data["entry"][0]["resource"]["meta"]["tag"][0]["code"] == "HTEST"
    flags = _resources(data, "Flag")
    assert any(f["code"]["coding"][0]["code"] == "spo2_low" for f in flags)
    assert len(bundle.entry) > 200


def _hl7(store, sid, clock, path):
    export_session(store, sid, "hl7", path, clock=clock)
    text = path.read_bytes().decode("utf-8")
    return text, parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)


def test_hl7_parses_strictly_with_ihe_pcd_profile(built, tmp_path):
    text, message = _hl7(built.store, built.session_id, built.clock, tmp_path / "m.hl7")
    message.validate()
    assert message.msh.msh_21.to_er7() == PROFILE
    assert message.msh.msh_9.to_er7() == "ORU^R01^ORU_R01"
    assert message.msh.msh_12.to_er7() == "2.6"
    segments = text.split("\r")
    pid = next(s for s in segments if s.startswith("PID|")).split("|")
    assert pid[3].startswith("PT-0042^") and pid[7] == "19800229" and pid[8] == "F"
    obx = [s.split("|") for s in segments if s.startswith("OBX|")]
    sys_rows = [o for o in obx if o[3] == "150021^MDC_PRESS_BLD_NONINV_SYS^MDC"]
    assert [float(o[5]) for o in sys_rows] == [b[1] for b in BP]
    first = sys_rows[0]
    assert first[4] == "2.1.1.1.1" and first[6] == "266016^MDC_DIM_MMHG^MDC"
    assert first[7] == "90-160" and first[11] == "F"
    assert first[14] == (DOSE + timedelta(minutes=-4, seconds=7)).strftime("%Y%m%d%H%M%S+0000")
    assert first[18] == equipment_id(NIBP)
    spo2 = [o for o in obx if o[3].startswith("150456^")]
    assert spo2[0][7] == ">88", "limit from the session's spo2_low alarm record"
    assert spo2[0][18] == equipment_id(OXIMETER)
    assert [int(o[1]) for o in obx] == list(range(1, len(obx) + 1))


def test_hl7_escapes_free_text(built, tmp_path):
    text, _message = _hl7(built.store, built.session_id, built.clock, tmp_path / "m.hl7")
    nte = next(s for s in text.split("\r") if s.startswith("NTE|"))
    assert nte.count("|") == 3, "delimiters in the note are escaped"
    assert "\\F\\" in nte and "\\S\\" in nte and "\\T\\" in nte and "\\R\\" in nte
    assert "\\E\\" in nte


def _unescape(text: str) -> str:
    table = {"F": "|", "S": "^", "T": "&", "R": "~", "E": "\\", ".br": "\n"}
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\":
            end = text.index("\\", i + 1)
            out.append(table[text[i + 1 : end]])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r")))
def test_hl7_escape_round_trips_and_leaves_no_delimiter(text):
    escaped = escape(text)
    assert not set("|^&~\r\n") & set(escaped)
    assert _unescape(escaped) == text


def test_hl7_of_simulated_scenario_is_a_test_message(tmp_path):
    store, sid = scenario_store(tmp_path)
    with store:
        record = load_record(store, sid)
        text, message = _hl7(store, sid, ManualClock(), tmp_path / "sim.hl7")
    message.validate()
    assert message.msh.msh_11.to_er7() == "T"
    assert sum(1 for s in text.split("\r") if s.startswith("OBX|")) >= 2 * 120
    assert record.session.simulated
