"""JSON export and import round trip, CSV layout, and de-identification."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from export_fixtures import (
    BP,
    DOSE,
    START,
    build_session,
    pdf_text_and_metadata,
)
from sessionmon.clock import ManualClock
from sessionmon.errors import UserError
from sessionmon.export import export_session, load_record
from sessionmon.export.deidentify import deidentify
from sessionmon.export.json_export import import_json, json_schema, read_document
from sessionmon.store import SessionStore

DOCS = Path(__file__).resolve().parents[1] / "docs" / "export-json-schema.json"


@pytest.fixture
def built(tmp_path):
    b = build_session(tmp_path / "s.db")
    yield b
    b.store.close()


def _without_provenance(path: Path) -> dict:
    data = json.loads(path.read_text())
    data.pop("provenance")
    return data


def _pdf_text_and_metadata(path: Path) -> str:
    """What a reader of the PDF can see: its text and its document information. (The raw file
    is no use: its compressed, ASCII85-encoded streams hold 'Ada' by chance about once in a
    hundred exports.)"""
    return pdf_text_and_metadata(path)


def test_json_export_import_export_is_identical(built, tmp_path):
    first = tmp_path / "a.json"
    export_session(built.store, built.session_id, "json", first, clock=built.clock, waveform=True)
    with SessionStore.open(tmp_path / "fresh.db", ManualClock()) as fresh:
        assert import_json(first, fresh) == built.session_id
        second = tmp_path / "b.json"
        export_session(fresh, built.session_id, "json", second, clock=built.clock, waveform=True)
        assert fresh.get_session(built.session_id) == built.store.get_session(built.session_id)
    a, b = _without_provenance(first), _without_provenance(second)
    assert a == b
    body = a["record"]
    assert len(body["waveform"]) == 3
    assert sum(e["superseded"] for e in body["events"]) == 1
    assert a["schema_version"] == 1
    assert a["derived"]["rems"]["bp_at_40_min"].startswith(f"{BP[1][1]}/{BP[1][2]} mmHg")


@pytest.mark.parametrize(("fmt", "name"), [("pdf", "s.db"), ("csv", "s.db-wal"), ("json", "s.db")])
def test_export_never_overwrites_the_session_database(built, tmp_path, fmt, name):
    before = (tmp_path / "s.db").read_bytes()
    with pytest.raises(UserError, match="is the session database"):
        export_session(built.store, built.session_id, fmt, tmp_path / name, clock=built.clock)
    assert (tmp_path / "s.db").read_bytes() == before
    assert built.store.get_session(built.session_id).id == built.session_id


def test_import_refuses_a_session_that_exists(built, tmp_path):
    out = tmp_path / "a.json"
    export_session(built.store, built.session_id, "json", out, clock=built.clock)
    before = len(built.store.events(built.session_id))
    with pytest.raises(UserError, match="already in"):
        import_json(out, built.store)
    assert len(built.store.events(built.session_id)) == before


def test_import_names_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "sessionmon-session-record", "schema_version": 99}')
    with pytest.raises(UserError, match="schema version 99"):
        read_document(bad)
    bad.write_text('{"format": "sessionmon-session-record", "schema_version": 1, "record": {}}')
    with pytest.raises(UserError, match="does not match the export schema at record"):
        read_document(bad)
    with pytest.raises(UserError, match="cannot read"):
        read_document(tmp_path / "missing.json")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=200), st.binary(max_size=200).map(lambda b: b.hex())))
def test_reading_garbage_is_a_user_error(tmp_path, text):
    path = tmp_path / "garbage.json"
    path.write_text(text)
    with pytest.raises(UserError):
        read_document(path)


def test_documented_schema_is_current():
    assert json.loads(DOCS.read_text()) == json_schema()


def test_csv_numerics_columns_and_offsets(built, tmp_path):
    out = tmp_path / "n.csv"
    result = export_session(
        built.store, built.session_id, "csv", out, clock=built.clock, waveform=True
    )
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == [
        "utc_time",
        "seconds_since_dose",
        "kind",
        "value",
        "unit",
        "source_device",
        "flags",
    ]
    assert len(rows) == len(built.store.measurements(built.session_id))
    for row in rows[:50]:
        at = datetime.fromisoformat(row["utc_time"])
        assert float(row["seconds_since_dose"]) == pytest.approx((at - DOSE).total_seconds())
    sys_rows = [r for r in rows if r["kind"] == "nibp_sys"]
    assert [float(r["value"]) for r in sys_rows] == [b[1] for b in BP]
    assert sys_rows[0]["unit"] == "mm[Hg]" and float(sys_rows[0]["seconds_since_dose"]) == -233
    wave = list(csv.DictReader(result.paths[1].open()))
    assert result.paths[1].name == "n-pleth.csv"
    assert len(wave) == 3 * 150
    assert float(wave[75]["seconds_since_dose"]) == pytest.approx(1.0)
    assert wave[75]["utc_time"] == "2026-01-05T09:05:01.000000Z"


def test_deidentified_exports_drop_identity_shift_times_keep_offsets(built, tmp_path):
    plain, shifted = tmp_path / "p.csv", tmp_path / "d.csv"
    export_session(built.store, built.session_id, "csv", plain, clock=built.clock)
    export_session(
        built.store, built.session_id, "csv", shifted, clock=built.clock, deidentify=True
    )
    a, b = list(csv.DictReader(plain.open())), list(csv.DictReader(shifted.open()))
    assert [r["seconds_since_dose"] for r in a] == [r["seconds_since_dose"] for r in b]
    shift = datetime.fromisoformat(b[0]["utc_time"]) - datetime.fromisoformat(a[0]["utc_time"])
    assert shift <= -timedelta(days=365)
    for fmt in ("json", "fhir", "hl7", "pdf"):
        out = tmp_path / f"d.{fmt}"
        export_session(built.store, built.session_id, fmt, out, clock=built.clock, deidentify=True)
        raw = out.read_bytes().decode("latin-1")
        text = _pdf_text_and_metadata(out) if fmt == "pdf" else raw
        assert "Ada" not in text, fmt
        # the birth year, but not by chance inside a hash, a UUID or a fraction of a second
        assert not re.search(r"(?<![0-9a-fA-F.])1980(?![0-9a-fA-F])", text), fmt
        assert "19800229" not in text, fmt
        assert "RN Kim" not in text, fmt
        assert "2026-01-05" not in text and "20260105" not in text, fmt
    doc = json.loads((tmp_path / "d.json").read_text())
    assert doc["provenance"]["deidentified"] is True
    assert doc["record"]["session"]["patient"] == {
        "pseudonym": "PT-0042",
        "name": None,
        "date_of_birth": None,
        "sex": "female",
    }


def test_each_deidentified_export_has_its_own_offset(built):
    record = load_record(built.store, built.session_id)
    one, two = deidentify(record), deidentify(record)
    assert one.session.dose_at != two.session.dose_at
    for copy in (one, two):
        shift = copy.session.dose_at - record.session.dose_at
        assert copy.session.created_at - record.session.created_at == shift
        assert copy.events[3].at - copy.session.dose_at == record.events[3].at - DOSE
        assert copy.alarms[0].start - record.alarms[0].start == shift
    assert record.session.created_at == START


def test_a_failed_export_keeps_the_file_that_was_there(built, tmp_path, monkeypatch):
    import sessionmon.export.json_export as json_export

    target = tmp_path / "record.json"
    target.write_text("yesterday's export")

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(json_export, "export_json", fail)
    with pytest.raises(UserError, match="No space left on device"):
        export_session(built.store, built.session_id, "json", target, clock=built.clock)
    assert target.read_text() == "yesterday's export"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".sessionmon")) == []


@pytest.mark.parametrize("fmt", ["pdf", "binary"])
def test_importing_a_pdf_report_or_a_binary_file_is_one_line(built, tmp_path, capsys, fmt):
    from sessionmon.cli import main

    path = tmp_path / ("report.pdf" if fmt == "pdf" else "capture.bin")
    if fmt == "pdf":
        export_session(built.store, built.session_id, "pdf", path, clock=built.clock)
    else:
        path.write_bytes(bytes(range(256)))
    code = main(["--db", str(tmp_path / "other.db"), "import", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    what = "a PDF report" if fmt == "pdf" else "a binary file"
    assert err == (
        f"sessionmon: {path} is {what}, not a sessionmon JSON export: import reads the .json "
        "file that 'sessionmon export --format json' writes\n"
    )
