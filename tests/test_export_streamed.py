"""Exports that read the store page by page write what exports of the whole record in memory
write, byte for byte; a record is read as it was when loaded; the command line exports every
format as typed, and an HL7 export from the command line does not load the columnar or PDF
libraries."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionmon import cli
from sessionmon.clock import ManualClock
from sessionmon.export import load_record
from sessionmon.export.columnar import seconds_text
from sessionmon.export.deidentify import deidentify
from sessionmon.export.run import FORMAT_RUNS, _write_format
from sessionmon.export.stored import StoredMeasurements, StoredWaveform
from sessionmon.model import (
    Event,
    EventKind,
    Kind,
    Measurement,
    Patient,
    Session,
    SessionPhase,
    Treatment,
    TreatmentId,
    WaveformChunk,
)
from sessionmon.store import SessionStore, export_reads, keys

SRC = str(Path(__file__).resolve().parents[1] / "src")
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
RUNS = FORMAT_RUNS


def _record_session(store: SessionStore, *, dosed: bool = True, minutes: int = 12) -> Session:
    """A session with every shape of row an export meets: flags (one with a comma), device
    times, fractional values, NIBP, a pleth wave of whole numbers and a CO2 wave with
    fractions, more rows and chunks than one page holds."""
    dose = START + timedelta(minutes=2)
    end = START + timedelta(minutes=minutes)
    session = Session(
        patient=Patient(pseudonym="PT-STREAM", name="Stream Patient"),
        treatment=Treatment.for_protocol(TreatmentId.ESKETAMINE_56, lot_number="L-9"),
        staff=("RN Page",),
        clinic="Paged Clinic",
        phase=SessionPhase.CLOSED,
        created_at=START,
        dose_at=dose if dosed else None,
        ended_at=end,
        signed_by="RN Page",
        signed_at=end,
    )
    store.create_session(session)
    rows = []
    for s in range(minutes * 60):
        at = START + timedelta(seconds=s, microseconds=(s * 7919) % 1_000_000)
        flags = ("searching",) if s % 97 == 0 else ("artefact, motion",) if s % 131 == 0 else ()
        for kind, value, unit in (
            (Kind.HR, 70 + s % 9, "/min"),
            (Kind.SPO2, 96 - (s % 5 == 0), "%"),
            (Kind.PI, 2.5 + (s % 10) / 7, "%"),
        ):
            rows.append(
                Measurement(
                    session_id=session.id,
                    kind=kind,
                    value=value,
                    unit=unit,
                    received_at=at,
                    device_time=at - timedelta(milliseconds=40) if s % 3 == 0 else None,
                    source="oximeter:test",
                    flags=flags,
                )
            )
        if s % 180 == 20:
            for kind, value in ((Kind.NIBP_SYS, 131), (Kind.NIBP_DIA, 83), (Kind.NIBP_MAP, 99)):
                rows.append(
                    Measurement(
                        session_id=session.id,
                        kind=kind,
                        value=value,
                        unit="mm[Hg]",
                        received_at=at,
                        source="nibp:test",
                    )
                )
    store.append_measurements(rows)
    for n in range(minutes * 60):  # one chunk a second: more than two pages of 300
        at = START + timedelta(seconds=n)
        store.append_waveform(
            WaveformChunk(
                session_id=session.id,
                kind=Kind.PLETH,
                start=at,
                sample_rate_hz=75.0,
                samples=tuple(float((n + i) % 100) for i in range(75 if n % 50 else 0)),
                source="oximeter:test",
            )
        )
        if n % 4 == 0:
            store.append_waveform(
                WaveformChunk(
                    session_id=session.id,
                    kind=Kind.CO2,
                    start=at,
                    sample_rate_hz=25.0,
                    samples=tuple(38.25 * ((i % 25) / 25) - 0.125 for i in range(100)),
                    source="capnograph:test",
                )
            )
    store.flush()
    store.add_event(
        Event(session_id=session.id, kind=EventKind.ANNOTATION, at=end, text="last, note")
    )
    return session


@pytest.fixture
def recorded(tmp_path):
    clock = ManualClock(START + timedelta(hours=1))
    with SessionStore.open(tmp_path / "paged.db", clock) as store:
        yield store, _record_session(store), clock


def _in_memory(store: SessionStore, record) -> object:
    """The same record with every measurement and chunk held in lists (the path a
    de-identified record takes)."""
    sid = record.session.id
    waves = {}
    if record.waveform is not None:
        waves = {"waveform": store.waveform(sid), "co2_waveform": store.waveform(sid, Kind.CO2)}
    return dataclasses.replace(record, measurements=store.measurements(sid), **waves)


def _write_all(record, folder: Path, fmt: str, waveform: bool) -> dict[str, bytes]:
    folder.mkdir()
    now = START + timedelta(hours=2)
    paths = _write_format(
        fmt, record, folder / f"out.{fmt}", now, UTC, waveform, False, lambda f: None
    )
    return {p.name: p.read_bytes() for p in paths}


@pytest.mark.parametrize(("fmt", "waveform"), RUNS)
def test_a_paged_export_writes_the_bytes_of_an_export_of_the_record_in_memory(
    recorded, tmp_path, monkeypatch, fmt, waveform
):
    store, session, _ = recorded
    monkeypatch.setattr(export_reads, "MEASUREMENT_PAGE", 500)  # several pages of numerics
    paged = load_record(store, session.id, waveform=waveform)
    assert isinstance(paged.measurements, StoredMeasurements)
    if waveform:
        assert isinstance(paged.waveform, StoredWaveform)
    whole = _in_memory(store, load_record(store, session.id, waveform=waveform))
    written = _write_all(paged, tmp_path / "paged", fmt, waveform)
    assert written == _write_all(whole, tmp_path / "whole", fmt, waveform)
    if fmt in ("csv", "parquet") and waveform:
        assert len(written) == 3  # numerics, pleth and CO2


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
def test_a_paged_de_identified_export_writes_the_bytes_of_one_in_memory(recorded, tmp_path, fmt):
    store, session, _ = recorded
    offset = timedelta(days=-400, seconds=12345, microseconds=678)
    paged = deidentify(load_record(store, session.id, waveform=True), offset)
    whole = deidentify(_in_memory(store, load_record(store, session.id, waveform=True)), offset)
    assert isinstance(paged.waveform, StoredWaveform)  # shifted, still read page by page
    written = _write_all(paged, tmp_path / "paged", fmt, True)
    assert written == _write_all(whole, tmp_path / "whole", fmt, True)
    assert b"Stream Patient" not in b"".join(written.values())


def test_the_paged_csv_quotes_every_value_when_one_needs_it_as_before(recorded, tmp_path):
    store, session, _ = recorded
    text = _write_all(load_record(store, session.id), tmp_path / "q", "csv", False)["out.csv"]
    assert b'"artefact, motion"' in text and b'"hr"' in text  # Arrow's needed-quotes style


def test_an_undosed_session_exports_the_same_paged_and_in_memory(tmp_path):
    clock = ManualClock(START + timedelta(hours=1))
    with SessionStore.open(tmp_path / "undosed.db", clock) as store:
        session = _record_session(store, dosed=False, minutes=3)
        for fmt in ("csv", "parquet"):
            paged = load_record(store, session.id, waveform=True)
            whole = _in_memory(store, load_record(store, session.id, waveform=True))
            written = _write_all(paged, tmp_path / f"p-{fmt}", fmt, True)
            assert written == _write_all(whole, tmp_path / f"w-{fmt}", fmt, True)
        line = written["out-pleth.parquet"]
        assert pq.read_table(pa.BufferReader(line)).column("seconds_since_dose").null_count > 0


def test_a_session_with_nothing_recorded_exports_the_same_paged_and_in_memory(tmp_path):
    clock = ManualClock(START + timedelta(hours=1))
    with SessionStore.open(tmp_path / "empty.db", clock) as store:
        session = Session(
            patient=Patient(pseudonym="PT-EMPTY"),
            treatment=Treatment.for_protocol(TreatmentId.ESKETAMINE_56),
            created_at=START,
        )
        store.create_session(session)
        outputs = {}
        for fmt, waveform in RUNS:
            paged = load_record(store, session.id, waveform=waveform)
            whole = _in_memory(store, load_record(store, session.id, waveform=waveform))
            written = _write_all(paged, tmp_path / f"paged-{fmt}-{waveform}", fmt, waveform)
            assert written == _write_all(whole, tmp_path / f"whole-{fmt}-{waveform}", fmt, waveform)
            outputs[fmt, waveform] = written
    assert b'"measurements": []' in outputs["json", True]["out.json"]
    assert outputs["csv", True]["out-pleth.csv"] == b"utc_time,seconds_since_dose,sample\n"


def test_a_record_is_exported_as_it_was_when_loaded_while_recording_goes_on(recorded, tmp_path):
    store, session, _ = recorded
    record = load_record(store, session.id)
    before = len(store.measurements(session.id))
    late = START + timedelta(minutes=30)
    store.append_measurements(
        [
            Measurement(
                session_id=session.id,
                kind=Kind.HR,
                value=140,
                unit="/min",
                received_at=late,
                source="oximeter:test",
            )
        ]
    )
    store.flush()
    lines = _write_all(record, tmp_path / "live", "csv", False)["out.csv"].splitlines()
    assert len(lines) == before + 1  # the header and the rows there were, not the new one
    assert len(record.series(Kind.HR)) == len(
        [m for m in store.measurements(session.id, kinds=[Kind.HR]) if m.received_at < late]
    )


@given(st.lists(st.integers(min_value=-(10**15), max_value=10**15), min_size=1, max_size=60))
def test_seconds_since_dose_text_is_six_places_of_the_exact_microseconds(micros):
    expected = [
        ("-" if m < 0 else "") + f"{abs(m) // 1_000_000}.{abs(m) % 1_000_000:06d}" for m in micros
    ]
    assert seconds_text(pa.array(micros, pa.int64())).to_pylist() == expected
    with_null = seconds_text(pa.array([*micros, None], pa.int64())).to_pylist()
    assert with_null == [*expected, None]


# --------------------------------------------------------------------------- as typed


def _cli_db(tmp_path: Path) -> tuple[Path, Session]:
    db = tmp_path / "typed.db"
    with SessionStore.open(db, ManualClock(START + timedelta(hours=1))) as store:
        session = _record_session(store, minutes=3)
    return db, session


@pytest.mark.parametrize(("fmt", "waveform"), RUNS)
def test_every_format_exports_from_the_command_line_as_typed(tmp_path, capsys, fmt, waveform):
    db, session = _cli_db(tmp_path)
    out = tmp_path / f"typed.{fmt}"
    argv = ["--db", str(db), "export", "--session", str(session.id)[:8], "--format", fmt]
    argv += ["--out", str(out), "--quiet"] + (["--waveform"] if waveform else [])
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out.split()
    assert printed[0] == str(out)
    data = out.read_bytes()
    if fmt in ("pdf", "rems"):
        assert data.startswith(b"%PDF")
    elif fmt == "csv":
        assert data.startswith(b"utc_time,seconds_since_dose,kind,value,unit,source_device,flags\n")
    elif fmt == "parquet":
        assert pq.read_table(out).num_rows > 3 * 180
    elif fmt in ("json", "fhir"):
        assert json.loads(data)
    else:
        assert data.startswith(b"MSH|")
    if waveform and fmt != "json":
        pleth = Path(printed[1])
        assert pleth.name == f"typed-pleth.{fmt}" and pleth.stat().st_size > 0


def test_an_encrypted_database_exports_every_format(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(keys.KEY_ENV, "5e" * 32)
    monkeypatch.setattr(export_reads, "MEASUREMENT_PAGE", 100)  # paged reads through SQLCipher
    db, _ = _cli_db(tmp_path)
    assert b"Stream Patient" not in db.read_bytes()
    for fmt, waveform in RUNS:
        out = tmp_path / f"enc-{fmt}-{waveform}.{fmt}"
        argv = ["--db", str(db), "export", "--format", fmt, "--out", str(out), "--quiet"]
        assert cli.main(argv + (["--waveform"] if waveform else [])) == 0
        assert out.stat().st_size > 0
    capsys.readouterr()
    pleth = (tmp_path / "enc-csv-True-pleth.csv").read_text().splitlines()
    assert len(pleth) == 1 + 75 * (180 - 4)  # every pleth sample (chunks 0, 50, 100, 150 empty)


def test_an_hl7_export_from_the_command_line_loads_no_columnar_pdf_or_fhir_library(tmp_path):
    db, _ = _cli_db(tmp_path)
    script = (
        "import sys\n"
        "from sessionmon.cli import main\n"
        f"code = main(['--db', {str(db)!r}, 'export', '--format', 'hl7', "
        f"'--out', {str(tmp_path / 'x.hl7')!r}, '--quiet'])\n"
        "heavy = {'pyarrow', 'numpy', 'reportlab', 'fhir', 'pypdf'}\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.stdout.split("\n")[-2] == "0 []", result.stderr


def test_continuous_kinds_are_read_as_a_stream_that_is_not_kept(recorded, tmp_path):
    store, session, _ = recorded
    record = load_record(store, session.id)
    listed = _in_memory(store, record)
    for kind in (Kind.HR, Kind.SPO2):
        assert list(record.stream(kind)) == listed.series(kind)
        assert list(record.readings(kind)) == list(listed.readings(kind))
        assert list(listed.readings(kind)) == [
            (m.received_at, m.value, m.flags) for m in listed.series(kind)
        ]
        assert record.sources(kind) == list(dict.fromkeys(m.source for m in listed.series(kind)))
    for fmt in ("hl7", "fhir"):
        assert _write_all(record, tmp_path / f"paged-{fmt}", fmt, False) == _write_all(
            listed, tmp_path / f"listed-{fmt}", fmt, False
        )
    assert record.measurements._kinds.keys().isdisjoint({Kind.HR, Kind.SPO2})


def test_the_rems_replay_of_a_paged_record_answers_as_the_one_of_a_listed_record(recorded):
    from sessionmon.export.rems_replay import PatientReplay

    store, session, _ = recorded
    record = load_record(store, session.id)
    paged, listed = PatientReplay(record), PatientReplay(_in_memory(store, record))
    assert paged._series["spo2"]._micros is not None  # kept as microseconds, not datetimes
    moments = [START + timedelta(seconds=s) for s in range(-30, 13 * 60, 7)]
    assert paged.latest("spo2", moments[-1]) is not None and paged.between("hr", START, moments[-1])
    for measure in ("spo2", "hr"):
        for moment in moments:
            assert paged.latest(measure, moment) == listed.latest(measure, moment)
        for start, end in zip(moments, moments[5:], strict=False):
            assert paged.between(measure, start, end) == listed.between(measure, start, end)
            assert paged.values(measure, start, end) == listed.values(measure, start, end)
