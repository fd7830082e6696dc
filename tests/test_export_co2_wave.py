"""The CO2 wave (capnogram) leaves in the exports that carry waves, through the CLI as typed:
``sessionmon export --waveform`` writes ``<stem>-co2.csv`` / ``-co2.parquet`` beside the pleth
file and the JSON document's waveform list carries the CO2 chunks (kind ``co2``), shifted like
the rest when de-identified. A chair without capnography writes no CO2 file."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq

from acceptance_helpers import bp_then_dose, scenario_text
from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.model import Kind
from sessionmon.store import SessionStore

STEPS = bp_then_dose("00:00:20", "00:00:40")


def _cli(*args: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(list(args)) == 0


def _simulated(tmp: Path, extra: str = "") -> Path:
    scenario = tmp / "scenario.toml"
    scenario.write_text(scenario_text(STEPS, duration="00:02:00") + extra)
    db = tmp / "s.db"
    _cli("--db", str(db), "simulate", "--scenario", str(scenario), "--headless")
    return db


def _export(db: Path, fmt: str, out: Path, *more: str) -> None:
    _cli(
        "--db",
        str(db),
        "export",
        "--format",
        fmt,
        "--out",
        str(out),
        "--waveform",
        "--quiet",
        *more,
    )


def test_csv_parquet_and_json_carry_the_capnogram(tmp_path):
    db = _simulated(tmp_path)
    _export(db, "csv", tmp_path / "n.csv")
    with (tmp_path / "n-co2.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert (tmp_path / "n-pleth.csv").exists()
    samples = [float(r["sample"]) for r in rows]
    assert len(samples) > 25 * 60  # about 25 Hz for the two minutes
    assert min(samples) < 5 and 30 < max(samples) < 60  # breaths: about 0 to the etCO2
    _export(db, "parquet", tmp_path / "n.parquet")
    table = pq.read_table(tmp_path / "n-co2.parquet")
    assert table.num_rows == len(samples)
    _export(db, "json", tmp_path / "s.json")
    document = json.loads((tmp_path / "s.json").read_text())
    kinds = [c["kind"] for c in document["record"]["waveform"]]
    assert "co2" in kinds and "pleth" in kinds
    other = tmp_path / "imported.db"
    _cli("--db", str(other), "import", str(tmp_path / "s.json"))
    with SessionStore.open(other, ManualClock()) as store:
        sid = store.latest_session_id()
        assert store.waveform_count(sid, Kind.CO2) == kinds.count("co2")  # the import keeps it
    _export(db, "json", tmp_path / "d.json", "--deidentify")
    shifted = json.loads((tmp_path / "d.json").read_text())
    first = next(c for c in document["record"]["waveform"] if c["kind"] == "co2")
    moved = next(c for c in shifted["record"]["waveform"] if c["kind"] == "co2")
    assert first["start"] != moved["start"]  # de-identified: the capnogram's times move too


def test_a_chair_without_capnography_writes_no_co2_file(tmp_path):
    db = _simulated(tmp_path, "[devices]\nrespiration = false\n")
    _export(db, "csv", tmp_path / "n.csv")
    assert (tmp_path / "n-pleth.csv").exists()
    assert not (tmp_path / "n-co2.csv").exists()
