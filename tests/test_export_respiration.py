"""RR and etCO2 leave in every export: CSV, JSON, Parquet (tidy numerics), FHIR (vital-signs
Observations with LOINC and MDC codes, validated by fhir.resources) and HL7 PCD-01 (OBX with the
MDC code, parsed strictly by hl7apy). The record is the simulated desaturation scenario, whose
default devices include the capnograph."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from fhir.resources.R4B.bundle import Bundle

from export_fixtures import scenario_store
from sessionmon.clock import ManualClock
from sessionmon.export import export_session

LOINC = "http://loinc.org"
MDC = "urn:iso:std:iso:11073:10101"


@pytest.fixture
def scenario(tmp_path):
    store, sid = scenario_store(tmp_path)
    yield store, sid
    store.close()


def test_csv_json_and_parquet_hold_rr_and_etco2(scenario, tmp_path):
    store, sid = scenario
    clock = ManualClock()
    export_session(store, sid, "csv", tmp_path / "n.csv", clock=clock)
    with (tmp_path / "n.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    kinds = {(r["kind"], r["unit"]) for r in rows}
    assert {("resp_rate", "/min"), ("etco2", "mm[Hg]"), ("fico2", "mm[Hg]")} <= kinds
    export_session(store, sid, "json", tmp_path / "s.json", clock=clock)
    document = json.loads((tmp_path / "s.json").read_text())
    measured = {m["kind"] for m in document["record"]["measurements"]}
    assert {"resp_rate", "etco2"} <= measured
    export_session(store, sid, "parquet", tmp_path / "n.parquet", clock=clock)
    table = pq.read_table(tmp_path / "n.parquet")
    assert {"resp_rate", "etco2"} <= set(table.column("kind").to_pylist())


def test_fhir_has_rr_and_etco2_vital_sign_observations(scenario, tmp_path):
    store, sid = scenario
    path = tmp_path / "b.json"
    export_session(store, sid, "fhir", path, clock=ManualClock())
    Bundle.model_validate_json(path.read_text())
    data = json.loads(path.read_text())
    observations = [
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    by_code = {}
    for obs in observations:
        for coding in obs["code"]["coding"]:
            by_code.setdefault((coding["system"], coding["code"]), []).append(obs)
    for loinc, mdc, unit in (("9279-1", "151562", "/min"), ("19889-5", "151728", "mm[Hg]")):
        found = by_code[(LOINC, loinc)]
        assert found and all(
            (MDC, mdc) in {(c["system"], c["code"]) for c in o["code"]["coding"]} for o in found
        )
        obs = found[0]
        assert obs["category"][0]["coding"][0]["code"] == "vital-signs"
        assert obs["valueQuantity"]["code"] == unit


def test_hl7_has_rr_and_etco2_obx(scenario, tmp_path):
    from hl7apy.consts import VALIDATION_LEVEL
    from hl7apy.parser import parse_message

    store, sid = scenario
    path = tmp_path / "m.hl7"
    export_session(store, sid, "hl7", path, clock=ManualClock())
    text = path.read_bytes().decode()
    parse_message(text, validation_level=VALIDATION_LEVEL.TOLERANT)
    obx = [s.split("|") for s in text.split("\r") if s.startswith("OBX|")]
    rr = [f for f in obx if f[3].startswith("151562^MDC_RESP_RATE^MDC")]
    etco2 = [f for f in obx if f[3].startswith("151728^MDC_AWAY_CO2_ET^MDC")]
    assert rr and etco2
    assert etco2[0][6] == "266016^MDC_DIM_MMHG^MDC"
    assert etco2[0][7] == "15-50"
    assert len({f[4] for f in obx}) == len(obx)  # sub-ids stay unique
    assert rr[0][4].startswith("3.1.1.3.")  # a separate capnograph is its own MDS
