"""Parquet export (numerics and waveform) and the Arrow formatting the CSV export relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from export_fixtures import BP, DOSE, build_session
from sessionmon.errors import UserError
from sessionmon.export import export_session
from sessionmon.export.columnar import UTC_US, iso_text, seconds_text


@pytest.fixture
def built(tmp_path):
    b = build_session(tmp_path / "s.db")
    yield b
    b.store.close()


def test_parquet_numerics_and_waveform_have_typed_columns(built, tmp_path):
    out = tmp_path / "n.parquet"
    result = export_session(
        built.store, built.session_id, "parquet", out, clock=built.clock, waveform=True
    )
    assert [p.name for p in result.paths] == ["n.parquet", "n-pleth.parquet"]
    numerics = pq.read_table(out)
    assert numerics.schema.field("utc_time").type == UTC_US
    assert numerics.schema.field("value").type == pa.float64()
    assert numerics.num_rows == len(built.store.measurements(built.session_id))
    rows = numerics.to_pylist()
    for row in rows[:50]:
        assert row["seconds_since_dose"] == pytest.approx((row["utc_time"] - DOSE).total_seconds())
    systolic = [r for r in rows if r["kind"] == "nibp_sys"]
    assert [r["value"] for r in systolic] == [b[1] for b in BP]
    assert systolic[0]["unit"] == "mm[Hg]" and systolic[0]["seconds_since_dose"] == -233
    meta = json.loads(numerics.schema.metadata[b"sessionmon"])
    assert meta["session_id"] == str(built.session_id) and meta["deidentified"] is False
    wave = pq.read_table(result.paths[1])
    assert wave.num_rows == 3 * 150
    assert wave.schema.field("sample").type == pa.float32()
    assert wave.column("seconds_since_dose")[75].as_py() == pytest.approx(1.0)
    assert wave.column("utc_time")[75].as_py() == datetime(2026, 1, 5, 9, 5, 1, tzinfo=UTC)


def test_deidentified_parquet_has_no_name_and_shifted_times(built, tmp_path):
    plain, shifted = tmp_path / "p.parquet", tmp_path / "d.parquet"
    export_session(built.store, built.session_id, "parquet", plain, clock=built.clock)
    export_session(
        built.store, built.session_id, "parquet", shifted, clock=built.clock, deidentify=True
    )
    a, b = pq.read_table(plain), pq.read_table(shifted)
    assert a.column("seconds_since_dose") == b.column("seconds_since_dose")
    shift = b.column("utc_time")[0].as_py() - a.column("utc_time")[0].as_py()
    assert shift <= -timedelta(days=365)
    raw = shifted.read_bytes()
    assert b"Ada" not in raw and b"2026-01-05" not in raw
    assert json.loads(b.schema.metadata[b"sessionmon"])["deidentified"] is True


def test_waveform_is_refused_for_formats_that_cannot_carry_it(built, tmp_path):
    with pytest.raises(UserError, match="csv, parquet and json"):
        export_session(
            built.store,
            built.session_id,
            "hl7",
            tmp_path / "x.hl7",
            clock=built.clock,
            waveform=True,
        )


def test_export_parquet_from_the_command_line(built, tmp_path):
    built.store.close()
    out = tmp_path / "research.parquet"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sessionmon",
            "--db",
            str(tmp_path / "s.db"),
            "export",
            "--session",
            str(built.session_id),
            "--format",
            "parquet",
            "--waveform",
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(out), str(tmp_path / "research-pleth.parquet")]
    assert pq.read_table(tmp_path / "research-pleth.parquet").num_rows == 3 * 150


@given(st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=50))
def test_seconds_text_matches_python_formatting(micros):
    text = seconds_text(pa.array(micros, pa.int64())).to_pylist()
    assert text == [f"{m / 1e6:.6f}" for m in micros]


@given(st.lists(st.integers(0, 4 * 10**15), min_size=1, max_size=50))
def test_iso_text_matches_python_isoformat(micros):
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    expected = [
        (epoch + timedelta(microseconds=m)).isoformat(timespec="microseconds")[:-6] + "Z"
        for m in micros
    ]
    assert iso_text(pa.array(micros, pa.int64()).cast(UTC_US)).to_pylist() == expected


def test_stored_waveform_reads_page_by_page_and_shifts(built):
    from sessionmon.export.record import StoredWaveform

    everything = built.store.waveform(built.session_id)
    paged = StoredWaveform(built.store, built.session_id, page_size=2)
    assert len(paged) == len(everything) == 3
    assert list(paged) == everything
    later = paged.shifted(timedelta(hours=1))
    assert [c.start for c in later] == [c.start + timedelta(hours=1) for c in everything]
    assert [c.samples for c in later] == [c.samples for c in everything]
