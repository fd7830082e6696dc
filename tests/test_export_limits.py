"""The alarm limits in force at the start of a session, recorded by the runtime as an
``alarm_limits`` event, are what the PDF report, HL7 OBX-7 and FHIR ``referenceRange`` state."""

from __future__ import annotations

import json

from export_fixtures import pdf_text, scenario_store
from sessionmon.clock import ManualClock
from sessionmon.export import export_session, load_record
from sessionmon.export.limits import LimitRange, limits_in_force
from sessionmon.model import EventKind, Kind


def test_obx7_forms():
    assert LimitRange(50, 120).obx7() == "50-120"
    assert LimitRange(90, None).obx7() == ">90"
    assert LimitRange(None, 100).obx7() == "<100"
    assert LimitRange().obx7() == ""


def test_the_runtime_records_the_limits_in_force_at_the_session_start(tmp_path):
    store, sid = scenario_store(tmp_path)
    with store:
        events = [e for e in store.events(sid) if e.kind is EventKind.ALARM_LIMITS]
        assert [e.payload["why"] for e in events] == ["session start"]
        profile = events[0].payload["profile"]
        assert profile["limits"]["nibp_dia_low"]["medium"]["threshold"] == 50
        assert profile["areas"]["spo2_desat"]["area_threshold"] == 100
        limits = limits_in_force(load_record(store, sid))
    assert limits[Kind.SPO2] == LimitRange(90, None)
    assert limits[Kind.HR] == LimitRange(50, 120)
    assert limits[Kind.NIBP_DIA] == LimitRange(50, 100)
    assert limits[Kind.NIBP_MAP] == LimitRange(60, 110)


def test_hl7_obx7_uses_the_session_limits(tmp_path):
    store, sid = scenario_store(tmp_path)
    with store:
        export_session(store, sid, "hl7", tmp_path / "m.hl7", clock=ManualClock())
    segments = (tmp_path / "m.hl7").read_bytes().decode("utf-8").split("\r")
    obx7 = {}
    for seg in segments:
        if seg.startswith("OBX|"):
            fields = seg.split("|")
            obx7.setdefault(fields[3].split("^")[1], fields[7])
    assert obx7["MDC_PULS_OXIM_SAT_O2"] == ">90"
    assert obx7["MDC_PULS_OXIM_PULS_RATE"] == "50-120"
    assert obx7["MDC_PRESS_BLD_NONINV_SYS"] == "90-160"
    assert obx7["MDC_PRESS_BLD_NONINV_DIA"] == "50-100"
    assert obx7["MDC_PRESS_BLD_NONINV_MEAN"] == "60-110"


def test_fhir_reference_range_uses_the_session_limits(tmp_path):
    store, sid = scenario_store(tmp_path)
    with store:
        export_session(store, sid, "fhir", tmp_path / "b.json", clock=ManualClock())
    data = json.loads((tmp_path / "b.json").read_text())
    observations = [
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    spo2 = next(o for o in observations if any(c["code"] == "59408-5" for c in o["code"]["coding"]))
    assert spo2["referenceRange"][0]["low"]["value"] == 90
    assert "high" not in spo2["referenceRange"][0]
    panel = next(o for o in observations if "component" in o)
    dia = next(
        c for c in panel["component"] if any(x["code"] == "8462-4" for x in c["code"]["coding"])
    )
    assert (
        dia["referenceRange"][0]["low"]["value"],
        dia["referenceRange"][0]["high"]["value"],
    ) == (
        50,
        100,
    )


def test_pdf_report_lists_the_alarm_limits_in_force(tmp_path):
    store, sid = scenario_store(tmp_path)
    with store:
        export_session(store, sid, "pdf", tmp_path / "r.pdf", clock=ManualClock())
    text = pdf_text(tmp_path / "r.pdf")
    assert "Alarm limits in force" in text
    assert "Diastolic BP low" in text and "Mean BP high" in text
    assert "SpO2 desaturation area" in text
