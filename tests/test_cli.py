"""The command line: version, sessions list/verify/resume, and one-line user errors."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from sessionmon import __version__
from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.model import SessionPhase
from sessionmon.store import SessionStore
from store_fixtures import make_session


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sessionmon", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"sessionmon {__version__}"


def test_sessions_list_json_on_a_new_database(tmp_path):
    db = tmp_path / "new.db"
    result = run_cli("--db", str(db), "sessions", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert db.exists()


def test_sessions_list_shows_recorded_and_interrupted_sessions(tmp_path, capsys):
    db = tmp_path / "s.db"
    clock = ManualClock()
    with SessionStore.open(db, clock) as store:
        signed = make_session(clock, pseudonym="PT-1")
        store.create_session(signed)
        store.update_session(
            signed.model_copy(update={"phase": SessionPhase.CLOSED, "signed_by": "Dr Byrne"})
        )
        abandoned = make_session(clock, pseudonym="PT-2", phase=SessionPhase.BASELINE)
        store.create_session(abandoned)
    assert main(["--db", str(db), "sessions", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["id"], s["phase"]) for s in listed] == [
        (str(signed.id), "closed"),
        (str(abandoned.id), "interrupted"),
    ]
    assert listed[1]["phase_before"] == "baseline"
    assert listed[0]["created_at"] == "2026-01-05T09:00:00+00:00"

    assert main(["--db", str(db), "sessions", "list"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == [
        "ID",
        "PATIENT",
        "TREATMENT",
        "PHASE",
        "STARTED",
        "DOSE",
        "SIGNED",
        "RECORD",
    ]
    assert str(signed.id)[:8] in table[1] and "Dr Byrne" in table[1] and "84 mg" in table[1]
    assert "interrupted (was baseline)" in table[2]
    # 'sessions resume' opens the console: tests/ui/test_session_endings_ui.py


def test_sessions_verify_exits_1_on_a_broken_chain(tmp_path, capsys):
    db = tmp_path / "s.db"
    clock = ManualClock()
    with SessionStore.open(db, clock) as store:
        store.create_session(make_session(clock))
    assert main(["--db", str(db), "sessions", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE session_versions SET phase = 'closed'")
    assert main(["--db", str(db), "sessions", "verify"]) == 1
    assert "audit entry 0" in capsys.readouterr().out


def test_a_user_error_is_one_line_without_traceback(tmp_path):
    result = run_cli("--db", str(tmp_path), "sessions", "list")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("sessionmon: ") and "is a folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_locked_database_is_one_line_without_traceback(tmp_path):
    db = tmp_path / "locked.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run_cli("--db", str(db), "sessions", "list", "--json")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2
    assert "locked by another program" in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
