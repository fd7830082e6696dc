"""Training stays out of the patient record: simulator runs record in the training database by
default, and ``--session latest`` is the latest real session by start time."""

from __future__ import annotations

import json
from datetime import timedelta

from sessionmon.cli import build_parser, main, resolve_db
from sessionmon.clock import ManualClock
from sessionmon.model import SessionPhase
from sessionmon.store import SessionStore
from store_fixtures import make_session


def test_simulate_records_in_the_training_database_by_default(tmp_path, monkeypatch, capsys):
    patients, training = tmp_path / "sessions.db", tmp_path / "training.db"
    monkeypatch.setenv("SESSIONMON_DB", str(patients))
    monkeypatch.setenv("SESSIONMON_TRAINING_DB", str(training))
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        'name = "short"\ntreatment = "esketamine-84"\nduration = "00:03:00"\nseed = 1\n'
        "[baseline]\nhr = 72\nspo2 = 98\nsys = 120\ndia = 80\n"
    )
    assert main(["simulate", "--scenario", str(scenario), "--headless", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert not patients.exists(), "a training run never touches the patient record"
    with SessionStore.open(training, ManualClock()) as store:
        (only,) = store.list_sessions()
        assert str(only.id) == summary["session_id"] and only.simulated
        assert only.phase is SessionPhase.CLOSED, "never left planned or interrupted"
    assert main(["--training", "sessions", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == summary["session_id"]
    assert main(["sessions", "list"]) == 0
    assert "no sessions recorded yet" in capsys.readouterr().out


def test_the_console_database_follows_the_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("SESSIONMON_DB", str(tmp_path / "sessions.db"))
    monkeypatch.setenv("SESSIONMON_TRAINING_DB", str(tmp_path / "training.db"))
    parser = build_parser()
    args = parser.parse_args(["--simulator"])
    assert resolve_db(args, training=args.simulator) == tmp_path / "training.db"
    args = parser.parse_args([])
    assert resolve_db(args, training=args.simulator) == tmp_path / "sessions.db"
    args = parser.parse_args(["--db", str(tmp_path / "x.db"), "--simulator"])
    assert resolve_db(args, training=True) == tmp_path / "x.db", "--db always wins"


def test_export_latest_is_the_latest_real_session_by_start_time(tmp_path, capsys):
    db = tmp_path / "s.db"
    clock = ManualClock()
    with SessionStore.open(db, clock) as store:
        later = make_session(clock, "REAL-LATER", phase=SessionPhase.CLOSED)
        later = later.model_copy(update={"created_at": clock.now() + timedelta(hours=2)})
        store.create_session(later)  # recorded first (e.g. imported), started later
        store.create_session(make_session(clock, "REAL-EARLIER", phase=SessionPhase.CLOSED))
        store.create_session(
            make_session(clock, "SIM-0001", phase=SessionPhase.CLOSED, simulated=True).model_copy(
                update={"created_at": clock.now() + timedelta(hours=5)}
            )
        )
    out = tmp_path / "r.json"
    assert main(["--db", str(db), "export", "--format", "json", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["record"]["session"]["patient"]["pseudonym"] == "REAL-LATER"
