"""The FHIR export written entry by entry (export/fhir_bundle.py) writes the bytes of the whole
Bundle validated and serialized by ``fhir.resources`` at once; it refuses a resource that does
not validate; and the Bundle it writes keeps the rules across entries that ``fhir.resources``
does not check (unique ``fullUrl`` matching each id, references that resolve). The per-minute
summaries of FHIR and HL7 are made one minute at a time, as they were from every minute kept."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pydantic
import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_fixtures import build_session, scenario_store
from sessionmon.clock import ManualClock
from sessionmon.export import export_session, load_record
from sessionmon.export import fhir as fhir_resources
from sessionmon.export.downsample import Summary, per_interval
from sessionmon.export.fhir_bundle import build_bundle, export_fhir, write_bundle
from sessionmon.export.record import SessionRecord
from sessionmon.model import (
    AlarmCategory,
    AlarmPriority,
    AlarmRecord,
    Event,
    EventKind,
    Kind,
    Measurement,
    Patient,
    Session,
    SessionPhase,
    Treatment,
    TreatmentId,
)
from sessionmon.store import SessionStore

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EXPORTED = datetime(2026, 12, 2, 10, 0, 0, 123456, tzinfo=UTC)


def _whole(record: SessionRecord) -> bytes:
    """The bytes of the Bundle built, validated and serialized at once (the export before)."""
    return build_bundle(record, EXPORTED).model_dump_json(indent=1, exclude_none=True).encode()


def _streamed(record: SessionRecord, path: Path) -> bytes:
    return export_fhir(record, path, exported_at=EXPORTED).read_bytes()


def _check_bundle_rules(data: dict) -> None:
    """What FHIR asks of a collection Bundle across its entries (bdl-7, fullUrl and id agree,
    references resolve), which ``fhir.resources`` does not check."""
    assert data["resourceType"] == "Bundle" and data["type"] == "collection"
    urls = [e["fullUrl"] for e in data["entry"]]
    assert len(urls) == len(set(urls)), "bdl-7: fullUrl unique"
    for entry in data["entry"]:
        assert set(entry) == {"fullUrl", "resource"}, "a collection has no request or response"
        resource = entry["resource"]
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
        contained = {f"#{c['id']}" for c in resource.get("contained", [])}
        for reference in _references(resource):
            assert reference in contained or reference in urls, reference


def _references(value) -> list[str]:
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def test_a_rich_session_streams_the_bytes_of_the_whole_bundle(tmp_path):
    built = build_session(tmp_path / "s.db")
    with built.store:
        record = load_record(built.store, built.session_id)
        written = _streamed(record, tmp_path / "b.json")
        assert written == _whole(record)
    data = json.loads(written)
    kinds = {e["resource"]["resourceType"] for e in data["entry"]}
    assert {"Patient", "Encounter", "MedicationAdministration", "Observation", "Flag"} <= kinds
    _check_bundle_rules(data)


def test_a_simulated_scenario_streams_the_bytes_of_the_whole_bundle(tmp_path):
    store, sid = scenario_store(tmp_path)
    with store:
        record = load_record(store, sid)
        written = _streamed(record, tmp_path / "sim.json")
        assert written == _whole(record)
    data = json.loads(written)
    assert len(data["entry"]) > 200
    assert data["entry"][-1]["resource"]["meta"]["tag"][0]["code"] == "HTEST"
    _check_bundle_rules(data)


def test_an_infusion_streams_the_bytes_of_the_whole_bundle(tmp_path):
    from sessionmon.scenarios import load_scenario
    from sessionmon.scenarios.runner import run_scenario

    with SessionStore.open(tmp_path / "iv.db", ManualClock(START)) as store:
        run_scenario(load_scenario("ketamine-iv-infusion"), store)
        record = load_record(store, store.latest_session_id())
        written = _streamed(record, tmp_path / "iv.json")
        assert written == _whole(record)
    data = json.loads(written)
    given = [e["resource"] for e in data["entry"]]
    assert any("supportingInformation" in r for r in given)  # the body weight it refers to
    _check_bundle_rules(data)


def test_an_empty_session_streams_the_bytes_of_the_whole_bundle(tmp_path):
    with SessionStore.open(tmp_path / "e.db", ManualClock(START)) as store:
        session = Session(
            patient=Patient(pseudonym="PT-EMPTY"),
            treatment=Treatment.for_protocol(TreatmentId.ESKETAMINE_56),
            created_at=START,
        )
        store.create_session(session)
        record = load_record(store, session.id)
        written = _streamed(record, tmp_path / "e.json")
        assert written == _whole(record)
    assert [e["resource"]["resourceType"] for e in json.loads(written)["entry"]] == [
        "Patient",
        "Encounter",
    ]


def test_a_bundle_without_entries_is_written_as_fhir_resources_writes_it(tmp_path):
    elements = {"resourceType": "Bundle", "id": "b", "type": "collection"}
    written = write_bundle(tmp_path / "none.json", elements, iter(())).read_bytes()
    assert written == Bundle.model_validate(elements).model_dump_json(indent=1).encode()
    assert b"entry" not in written


def test_a_resource_that_does_not_validate_is_refused_and_no_file_is_left(tmp_path, monkeypatch):
    built = build_session(tmp_path / "s.db")
    target = tmp_path / "out" / "b.json"
    target.parent.mkdir()
    target.write_text("the export before")
    real = fhir_resources._flags

    def flags_with_a_bad_one(*args):
        yield from real(*args)
        yield {"resourceType": "Flag", "id": "not an id!", "status": "active"}

    monkeypatch.setattr(fhir_resources, "_flags", flags_with_a_bad_one)
    with built.store, pytest.raises(pydantic.ValidationError, match="not an id!"):
        export_session(built.store, built.session_id, "fhir", target, clock=built.clock)
    assert target.read_text() == "the export before"
    assert [p.name for p in target.parent.iterdir()] == ["b.json"]  # no scratch folder left


def test_the_bundle_elements_are_validated_as_a_bundle(tmp_path):
    elements = {"resourceType": "Bundle", "id": "b", "timestamp": "2026-01-05T09:00:00Z"}
    resources = iter([{"resourceType": "Patient", "id": "p"}])
    with pytest.raises(pydantic.ValidationError, match="type"):  # Bundle.type is required
        write_bundle(tmp_path / "x.json", elements, resources)


# ----------------------------------------------------------------------- varied sessions

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@st.composite
def _records(draw) -> SessionRecord:
    """A session of a few minutes with varied people, values, readings, scores and alarms."""
    dosed = draw(st.booleans())
    minutes = draw(st.integers(0, 4))
    end = START + timedelta(minutes=minutes + 1)
    session = Session(
        patient=Patient(
            pseudonym=draw(st.text(st.characters(codec="ascii"), min_size=1, max_size=8)),
            name=draw(st.none() | _text),
            date_of_birth=draw(st.none() | st.dates(date(1900, 1, 1), date(2020, 12, 31))),
            sex=draw(st.sampled_from([None, "female", "male", "Other", "x"])),
        ),
        treatment=Treatment.for_protocol(
            draw(st.sampled_from([TreatmentId.ESKETAMINE_56, TreatmentId.ESKETAMINE_84])),
            lot_number=draw(st.none() | st.text("AB-19", min_size=1, max_size=6)),
        ),
        staff=tuple(draw(st.lists(_text.filter(str.strip), max_size=2))),
        clinic=draw(st.none() | _text),
        phase=draw(st.sampled_from(list(SessionPhase))),
        created_at=START,
        dose_at=START + timedelta(seconds=30) if dosed else None,
        ended_at=end,
        simulated=draw(st.booleans()),
    )
    sid = session.id
    values = st.floats(1, 250, allow_nan=False) | st.integers(1, 250)
    rows = []
    for second in range(minutes * 60):
        at = START + timedelta(seconds=second, microseconds=draw(st.integers(0, 999_999)))
        for kind, unit in ((Kind.HR, "/min"), (Kind.SPO2, "%")):
            if second % 7 or draw(st.booleans()):
                value = draw(values)
                rows.append(
                    Measurement(
                        session_id=sid,
                        kind=kind,
                        value=value,
                        unit=unit,
                        received_at=at,
                        source="oximeter:hyp",
                    )
                )
    for n in range(draw(st.integers(0, 2))):
        at = START + timedelta(minutes=n, seconds=20)
        for kind, value in ((Kind.NIBP_SYS, 130), (Kind.NIBP_DIA, 80), (Kind.NIBP_HR, 70)):
            rows.append(
                Measurement(
                    session_id=sid,
                    kind=kind,
                    value=value + draw(st.integers(-20, 20)),
                    unit="/min" if kind is Kind.NIBP_HR else "mm[Hg]",
                    received_at=at,
                    source="nibp:hyp",
                )
            )
    events = [
        Event(
            session_id=sid,
            kind=EventKind.CHECKLIST,
            at=START + timedelta(minutes=1, seconds=n),
            by=draw(st.none() | st.just("RN Hyp")),
            payload={"scale": draw(st.sampled_from(["moaas", "cadss"])), "total": n + 1},
        )
        for n in range(draw(st.integers(0, 2)))
    ]
    alarms = [
        AlarmRecord(
            session_id=sid,
            condition="spo2_low",
            priority=AlarmPriority.MEDIUM,
            category=AlarmCategory.PHYSIOLOGICAL,
            start=START + timedelta(seconds=40 + n),
            end=draw(st.none() | st.just(START + timedelta(minutes=2))),
            message=draw(st.none() | _text),
        )
        for n in range(draw(st.integers(0, 2)))
    ]
    rows.sort(key=lambda m: m.received_at)
    return SessionRecord(session, rows, None, events, alarms, [])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_records())
def test_varied_sessions_stream_the_bytes_of_the_whole_bundle_or_both_refuse(tmp_path, record):
    try:
        whole = _whole(record)
    except pydantic.ValidationError:
        with pytest.raises(pydantic.ValidationError):
            _streamed(record, tmp_path / "v.json")
        return
    written = _streamed(record, tmp_path / "v.json")
    assert written == whole
    _check_bundle_rules(json.loads(written))


# ------------------------------------------------------------------ per-minute summaries


def _per_interval_kept(measurements, origin, interval_s=60.0):
    """Every interval's values kept, then summarised in order (what per_interval did before it
    yielded each interval as it closed)."""
    import statistics

    bins: dict[int, tuple[list[float], str]] = {}
    for m in measurements:
        index = int((m.received_at - origin).total_seconds() // interval_s)
        bins.setdefault(index, ([], m.source))[0].append(m.value)
    step = timedelta(seconds=interval_s)
    return [
        Summary(
            origin + i * step,
            origin + i * step + step,
            float(statistics.median(v)),
            min(v),
            max(v),
            len(v),
            s,
        )
        for i, (v, s) in sorted(bins.items())
    ]


@given(
    st.lists(
        st.tuples(st.integers(-(2 * 10**8), 6 * 10**8), st.floats(0, 300, allow_nan=False)),
        max_size=80,
    ),
    st.integers(-(10**8), 10**8),
    st.sampled_from([1.0, 60.0, 61.5]),
)
def test_per_interval_yields_what_keeping_every_interval_gave(points, origin_us, interval_s):
    origin = START + timedelta(microseconds=origin_us)
    measurements = [
        Measurement(
            session_id=uuid.UUID(int=1),
            kind=Kind.HR,
            value=value,
            unit="/min",
            received_at=START + timedelta(microseconds=us),
            source=f"oximeter:{n % 3}",
        )
        for n, (us, value) in enumerate(sorted(points, key=lambda p: p[0]))
    ]
    streamed = per_interval(iter(measurements), origin, interval_s)
    assert list(streamed) == _per_interval_kept(measurements, origin, interval_s)


def test_per_interval_refuses_measurements_out_of_time_order():
    late, early = (
        Measurement(
            session_id=uuid.UUID(int=1),
            kind=Kind.HR,
            value=70,
            unit="/min",
            received_at=START + timedelta(minutes=minutes),
            source="oximeter:x",
        )
        for minutes in (3, 1)
    )
    with pytest.raises(ValueError, match="out of time order"):
        list(per_interval([late, early], START))
