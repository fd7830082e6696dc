"""``sessionmon export --deidentify`` as typed, on a record whose patient details were corrected.

The session started as "Jane Doe" (born 1979-01-02), was corrected to "Ada Example" (born
1980-02-29), has notes naming Jane Doe and was exported once as ``JaneDoe_2025-03-14.pdf``. The
de-identified exports must hold none of it, no hash of the real times, and PDF dates that are
the shifted export time, not the computer's clock.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from export_fixtures import pdf_text_and_metadata
from sessionmon.clock import ManualClock
from sessionmon.model import Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.store import SessionStore

START = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
OLD_FILE = "JaneDoe_2025-03-14.pdf"


def cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sessionmon", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def corrected(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("deid")
    db = folder / "sessions.db"
    clock = ManualClock(START)
    with SessionStore.open(db, clock) as store:
        runtime = SessionRuntime(
            store, clock, patient=Patient(pseudonym="PT-7"), treatment="esketamine-56"
        )
        runtime.update_patient_details(
            "RN Kim", name="Jane Doe", date_of_birth="1979-01-02", monitoring_provider="Dr. Lee"
        )
        clock.advance(60)
        runtime.annotate("Jane Doe's husband waits outside; Mrs Doe anxious", by="RN Kim")
        runtime.annotate(f"scanned consent as {OLD_FILE}, DOB 02/01/1979", by="RN Kim")
        clock.advance(60)
        runtime.update_patient_details(
            "RN Kim", name="Ada Example", date_of_birth="1980-02-29", sex="female"
        )
    exported = cli(db, "export", "--format", "pdf", "--out", str(folder / OLD_FILE), "--quiet")
    assert exported.returncode == 0, exported.stderr
    return db


FORBIDDEN = (
    "Jane",
    "Doe",
    "Ada",
    "Example",
    "Kim",
    "Lee",
    "1979-01-02",
    "02/01/1979",
    "1980-02-29",
    "2025-03-14",
    "20250314",
)


@pytest.mark.parametrize("fmt", ["json", "pdf", "fhir", "hl7", "csv"])
def test_deidentified_export_holds_no_name_ever_held_no_file_name_and_no_hash(
    corrected, tmp_path, fmt
):
    out = tmp_path / f"research.{fmt}"
    result = cli(corrected, "export", "--format", fmt, "--deidentify", "--out", str(out), "--quiet")
    assert result.returncode == 0, result.stderr
    raw = out.read_bytes().decode("latin-1")
    # A PDF as a reader sees it (its compressed streams hold short words by chance).
    text = pdf_text_and_metadata(out) if fmt == "pdf" else raw
    # Random ids are hex: "Ada" turns up in one by chance ("...eaadafef..."), so they are set
    # aside before looking for names (a name is never written inside an id).
    words = re.sub(r"[0-9a-fA-F]{8}(-?[0-9a-fA-F]{4}){3}-?[0-9a-fA-F]{12}", "<id>", text)
    for word in FORBIDDEN:
        assert word.lower() not in words.lower(), f"{fmt}: {word!r} is in the export"
    # No SHA-256 at all: an audit hash covers the real times and could be matched by brute force.
    assert not re.search(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", text), fmt
    if fmt == "json":
        doc = json.loads(raw)
        assert doc["provenance"]["audit_trail"] == []
        assert doc["provenance"]["last_audit_sha256"] is None
        assert doc["record"]["session"]["clinic"] is None
        corrections = [
            e["event"]["payload"]["changed"]
            for e in doc["record"]["events"]
            if e["event"]["payload"].get("action") == "update_patient_details"
        ]
        assert corrections[0]["name"] == {"from": "[removed]", "to": "[removed]"}
        assert corrections[1]["sex"] == {"from": None, "to": "female"}  # not identifying
        export = next(e for e in doc["record"]["events"] if e["event"]["kind"] == "export")
        assert export["event"]["payload"]["file"] == "[removed]"
    if fmt == "pdf":
        dates = re.findall(r"/(?:CreationDate|ModDate) \(D:(\d{14})", raw)
        assert len(dates) == 2
        made = datetime.strptime(dates[0], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        # the shifted export time: at least a year before the (real) time of the export
        assert made <= datetime.now(UTC) - timedelta(days=365)


def test_identified_pdf_dates_are_the_export_time(corrected, tmp_path):
    out = tmp_path / "report.pdf"
    assert cli(corrected, "export", "--format", "pdf", "--out", str(out)).returncode == 0
    raw = out.read_bytes().decode("latin-1")
    made = re.findall(r"/CreationDate \(D:(\d{14})", raw)[0]
    now = datetime.now(UTC)
    assert abs(datetime.strptime(made, "%Y%m%d%H%M%S").replace(tzinfo=UTC) - now) < timedelta(
        minutes=5
    )
