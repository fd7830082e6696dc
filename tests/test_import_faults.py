"""Hostile files through ``sessionmon import`` as typed: refused in one line, nothing written.

The target database already holds a signed session (the one exported). Each crafted file is
imported by a real ``sessionmon --db ... import FILE`` process; afterwards every table of the
database has exactly the rows it had before and ``sessions verify`` still says intact.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from export_fixtures import build_session
from sessionmon.cli import main
from sessionmon.export import export_session

TABLES = ("session_versions", "measurements", "waveform_chunks", "events", "alarm_versions")
TABLES += ("alarm_log", "audit")


def cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sessionmon", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def private_copy(source: Path, target: Path) -> None:
    """Copy a database as sessionmon keeps it (0600: no permission warning on open)."""
    shutil.copyfile(source, target)
    target.chmod(0o600)


def row_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, Path, str]:
    """(database holding the signed session, its JSON export, the session id).

    ``short.json`` beside the export is the same record with fewer measurements.
    """
    folder = tmp_path_factory.mktemp("import")
    built = build_session(folder / "signed.db")
    out = folder / "export.json"
    export_session(built.store, built.session_id, "json", out, clock=built.clock)
    built.store.close()
    # The first 400 measurements are enough for every case and keep each import fast (the
    # whole file also imports: test_a_valid_export_imports_whole_and_verifies).
    doc = json.loads(out.read_text())
    doc["record"]["measurements"] = doc["record"]["measurements"][:400]
    (folder / "short.json").write_text(json.dumps(doc))
    return built.path, out, str(built.session_id)


def fresh_ids(text: str) -> str:
    """The same document with a new session id and new event and alarm ids (a new session)."""
    doc = json.loads(text)
    old = {doc["record"]["session"]["id"]}
    old |= {e["event"]["id"] for e in doc["record"]["events"]}
    old |= {a["id"] for a in doc["record"]["alarms"]}
    for value in old:
        text = text.replace(value, str(uuid.uuid4()))
    return text


def crafted(text: str, change) -> str:
    doc = json.loads(fresh_ids(text))
    change(doc["record"])
    return json.dumps(doc)


def _events(record):
    return record["events"]


def duplicate_event(record):
    _events(record).append(_events(record)[0])


def unknown_supersedes(record):
    _events(record)[-1]["event"]["supersedes"] = str(uuid.uuid4())


def moaas_on_signed(signed_id):
    def change(record):
        event = next(e for e in _events(record) if e["event"]["kind"] == "checklist")
        event["event"]["session_id"] = signed_id

    return change


def measurement_of(signed_id):
    def change(record):
        record["measurements"][3]["session_id"] = signed_id

    return change


def alarm_of(signed_id):
    def change(record):
        record["alarms"][0]["session_id"] = signed_id

    return change


def spo2(value):
    def change(record):
        m = next(m for m in record["measurements"] if m["kind"] == "spo2")
        m["value"] = value

    return change


def moaas_total(record):
    event = next(
        e for e in _events(record) if e["event"].get("payload", {}).get("scale") == "moaas"
    )
    event["event"]["payload"]["total"] = 9


def sample_rate(record):
    chunk = {"session_id": record["session"]["id"], "kind": "pleth", "sample_rate_hz": 1e7}
    chunk |= {"start": record["session"]["created_at"], "samples": [1.0], "source": "x"}
    record["waveform"] = [chunk]


def test_hostile_import_files_are_refused_in_one_line_and_write_nothing(exported, tmp_path, capsys):
    signed_db, export, signed_id = exported
    text = export.with_name("short.json").read_text()
    nan_file = crafted(text, spo2(1.0)).replace('"value": 1.0', '"value": NaN', 1)
    huge_file = crafted(text, spo2(1.0)).replace('"value": 1.0', '"value": 1e999', 1)
    nested = '{"format": "sessionmon-session-record", "schema_version": 1, "record": '
    nested += "[" * 5000 + "]" * 5000 + "}"
    cases = {
        "duplicate event id": (crafted(text, duplicate_event), "repeats event id"),
        "foreign event id": (_foreign_event_ids(text), "is already recorded for session"),
        "unknown supersedes": (crafted(text, unknown_supersedes), "which is not in the file"),
        "MOAA/S for the signed session": (
            crafted(text, moaas_on_signed(signed_id)),
            f"belongs to session {signed_id}",
        ),
        "measurement of the signed session": (
            crafted(text, measurement_of(signed_id)),
            f"belongs to session {signed_id}",
        ),
        "alarm of the signed session": (
            crafted(text, alarm_of(signed_id)),
            f"belongs to session {signed_id}",
        ),
        "the signed session again": (text, "is already in"),
        "NaN": (nan_file, "NaN is not a number"),
        "1e999": (huge_file, "too large a number"),
        "SpO2 250": (crafted(text, spo2(250)), "outside 0-100"),
        "MOAA/S total 9": (crafted(text, moaas_total), "it scores 0-5"),
        "sample rate": (crafted(text, sample_rate), "sample rate"),
        "deeply nested": (nested, "nested too deeply"),
    }
    files = {}
    for index, (name, (content, _)) in enumerate(cases.items()):
        path = tmp_path / f"case{index}.json"
        path.write_text(content, encoding="utf-8")
        db = tmp_path / f"case{index}.db"
        private_copy(signed_db, db)
        files[name] = (path, db)
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes(text.replace("Ada Example", "Ad\xe9 Example").encode("latin-1"))
    private_copy(signed_db, tmp_path / "latin1.db")
    files["not UTF-8"] = (not_utf8, tmp_path / "latin1.db")
    cases["not UTF-8"] = (None, "is a binary file, not a sessionmon JSON export")
    before = row_counts(signed_db)
    # Three through a real process (a traceback would show on stderr), the rest through the
    # same entry point in this process (fast): sessionmon.cli.main with the typed arguments.
    typed = ("MOAA/S for the signed session", "not UTF-8", "deeply nested")
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "sessionmon", "--db", str(db), "import", str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, (path, db) in files.items()
        if name in typed
    }
    results = {}
    for name, (path, db) in files.items():
        if name not in typed:
            code = main(["--db", str(db), "import", str(path)])
            captured = capsys.readouterr()
            results[name] = (code, captured.out, captured.err)
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[name] = (proc.returncode, out, err)
    for name, (code, out, err) in results.items():
        expected = cases[name][1]
        assert code == 2, f"{name}: exit {code}: {out} {err}"
        assert err.count("\n") == 1 and err.startswith("sessionmon: "), f"{name}: {err}"
        assert expected in err, f"{name}: {err}"
        assert row_counts(files[name][1]) == before, f"{name}: rows were written"
    verify = cli(files["MOAA/S for the signed session"][1], "sessions", "verify")
    assert verify.returncode == 0 and "intact" in verify.stdout


def _foreign_event_ids(text: str) -> str:
    """A new session whose events keep the ids of the signed session's events."""
    doc = json.loads(text)
    new_id = str(uuid.uuid4())
    text = text.replace(doc["record"]["session"]["id"], new_id)
    for alarm in doc["record"]["alarms"]:
        text = text.replace(alarm["id"], str(uuid.uuid4()))
    return text


def test_a_valid_export_imports_whole_and_verifies(exported, tmp_path):
    _, export, session_id = exported
    db = tmp_path / "fresh.db"
    result = cli(db, "import", str(export))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported session {session_id}"
    assert cli(db, "sessions", "verify").returncode == 0
    listed = json.loads(cli(db, "sessions", "list", "--json").stdout)
    assert [s["id"] for s in listed] == [session_id]
    with sqlite3.connect(db) as conn:
        actions = [a for (a,) in conn.execute("SELECT action FROM audit ORDER BY seq")]
    assert actions[0] == "session.import" and "event.add" in actions
