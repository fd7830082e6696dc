"""Commands the README shows, run as a new user types them: what was wrong when they were tried.

Each test runs the command line (``main([...])`` or a ``python -m sessionmon`` process where the
output goes through the logging module) against a database in ``tmp_path``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from broker_helpers import free_port
from sessionmon.cli import main


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    """A settings folder of the test's own; no PIN or key from the environment."""
    folder = tmp_path / "cfg"
    folder.mkdir()
    monkeypatch.setenv("SESSIONMON_CONFIG_DIR", str(folder))
    for name in ("SESSIONMON_PIN", "SESSIONMON_NEW_PIN", "SESSIONMON_DB_KEY"):
        monkeypatch.delenv(name, raising=False)
    return folder


TINY_SCENARIO = """
name = "Five quiet minutes"
treatment = "esketamine-56"
duration = "00:05:00"
seed = 5

[patient]
pseudonym = "{pseudonym}"

[baseline]
hr = 72
spo2 = 98
sys = 124
dia = 78
"""


def _simulate(tmp_path, db, pseudonym: str) -> None:
    scenario = tmp_path / f"{pseudonym}.toml"
    scenario.write_text(TINY_SCENARIO.format(pseudonym=pseudonym))
    argv = ["--db", str(db), "simulate", "--scenario", str(scenario), "--headless", "--json"]
    assert main(argv) == 0


def test_course_import_into_a_database_that_already_holds_sessions(tmp_path, cfg, capsys):
    """``sessionmon course --import course.json`` crashed (AttributeError) on any database that
    held a session: only an empty database took a course."""
    source, target = tmp_path / "source.db", tmp_path / "target.db"
    _simulate(tmp_path, source, "P-COURSE")
    exported = tmp_path / "course.json"
    assert main(["--db", str(source), "course", "--patient", "P-COURSE",
                 "--export", str(exported)]) == 0  # fmt: skip
    _simulate(tmp_path, target, "P-OTHER")  # the clinic's database is not empty
    capsys.readouterr()
    assert main(["--db", str(target), "course", "--import", str(exported)]) == 0
    assert "imported course" in capsys.readouterr().out
    assert main(["--db", str(target), "patients", "list"]) == 0
    listing = capsys.readouterr().out
    assert "P-COURSE" in listing and "P-OTHER" in listing
    # Imported twice: refused in one line, not a traceback.
    assert main(["--db", str(target), "course", "--import", str(exported)]) == 2
    assert "already in" in capsys.readouterr().err


def test_a_plain_database_opened_with_a_key_configured_says_so(tmp_path):
    """The README: an existing plain database opened with SESSIONMON_DB_KEY set "gives a
    warning saying so". The warning was kept in ``open_warnings`` and never shown."""
    db = tmp_path / "plain.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONMON_")}
    env["SESSIONMON_CONFIG_DIR"] = str(tmp_path / "cfg")
    command = [sys.executable, "-m", "sessionmon", "--db", str(db), "sessions", "list"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and "not encrypted" not in first.stderr
    env["SESSIONMON_DB_KEY"] = "ab" * 32
    keyed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert keyed.returncode == 0
    assert "is not encrypted although a database key is configured" in keyed.stderr
    assert "sessionmon db encrypt" in keyed.stderr


def test_course_help_shows_a_percent_sign_not_two(capsys):
    """argparse does not %-format a description: ``%%`` was printed as it was written."""
    try:
        main(["course", "--help"])
    except SystemExit as done:
        assert done.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "(>= 50 % drop)" in out and "%%" not in out


def test_monitor_help_names_the_intellivue_driver(capsys):
    """The README reads an IntelliVue with ``monitor --oximeter intellivue:PORT``; the help's
    driver list left it out."""
    try:
        main(["monitor", "--help"])
    except SystemExit as done:
        assert done.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "masimo-ascii, or intellivue" in out


def test_central_headless_text_shows_a_dash_for_a_chair_without_vitals(tmp_path, cfg, capsys):
    """``sessionmon central --headless`` printed ``HR None SpO2 None`` for a chair not heard
    from (no broker listens on the port here: nothing arrives)."""
    url = f"mqtt://127.0.0.1:{free_port()}"
    argv = ["central", "--headless", "--central", url, "--chairs", "room1", "--duration", "1.2"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all("room1: OFFLINE HR - SpO2 - alarm -" in line for line in lines)
    assert not any("None" in line for line in lines)


def test_a_nurse_refused_an_admin_action_reads_an_admin(tmp_path, cfg, monkeypatch, capsys):
    """``users disable`` by a nurse said "only a admin may ..."; a wrong PIN with one try left
    said "1 tries left"."""
    db = str(tmp_path / "s.db")
    monkeypatch.setenv("SESSIONMON_NEW_PIN", "boss-pin-1")
    assert main(["--db", db, "users", "add", "boss", "--name", "Ada Boss", "--role", "admin"]) == 0
    monkeypatch.setenv("SESSIONMON_PIN", "boss-pin-1")
    monkeypatch.setenv("SESSIONMON_NEW_PIN", "alee-pin-1")
    assert main(["--db", db, "users", "add", "alee", "--name", "Ann Lee", "--role", "nurse",
                 "--user", "boss"]) == 0  # fmt: skip
    monkeypatch.setenv("SESSIONMON_PIN", "alee-pin-1")
    capsys.readouterr()
    assert main(["--db", db, "users", "disable", "boss", "--user", "alee"]) == 2
    assert "only an admin may change staff accounts" in capsys.readouterr().err
    monkeypatch.setenv("SESSIONMON_PIN", "wrong-pin")
    errors = []
    for _ in range(4):
        assert main(["--db", db, "users", "disable", "boss", "--user", "alee"]) == 2
        errors.append(capsys.readouterr().err)
    assert "(1 try left)" in errors[-1] and "tries left" in errors[0]
    assert "1 tries" not in " ".join(errors)


def test_course_changes_name_the_signed_in_user_once_the_clinic_has_accounts(
    tmp_path, cfg, monkeypatch, capsys
):
    """ "Every record names who did it: the signed-in member of staff, not a typed name": the
    course's --record, --open, --edit and --close took any typed --by on a database with
    accounts. They now need --user there, as sessions end, export and monitor do."""
    from sessionmon.clock import SystemClock
    from sessionmon.store import SessionStore

    db = str(tmp_path / "s.db")
    monkeypatch.setenv("SESSIONMON_NEW_PIN", "boss-pin-1")
    assert main(["--db", db, "users", "add", "boss", "--name", "Ada Boss", "--role", "admin"]) == 0
    course = ["--db", db, "course", "--patient", "P-1"]
    capsys.readouterr()
    for action in (["--open"], ["--record", "gad7", "--score", "9", "--by", "Someone Else"]):
        assert main([*course, *action]) == 2, action
        assert "sign in with --user NAME" in capsys.readouterr().err
    monkeypatch.setenv("SESSIONMON_PIN", "boss-pin-1")
    signed = ["--user", "boss"]
    assert main([*course, "--open", "--indication", "gad", *signed]) == 0
    assert main([*course, "--record", "gad7", "--score", "9", "--by", "Someone Else", *signed]) == 0
    assert main([*course, "--edit", "--schedule", "4x7", "--reason", "r", *signed]) == 0
    assert main([*course, "--close", "completed", *signed]) == 0
    assert main([*course, "--history"]) == 0  # reading needs no sign-in
    history = capsys.readouterr().out
    assert "edit by Ada Boss (boss, admin)" in history and "close by Ada Boss" in history
    with SessionStore.open(tmp_path / "s.db", SystemClock()) as store:
        (only,) = store.courses_for("P-1")
        (response,) = store.course_responses(only.id)
    assert response.by == "Ada Boss (boss, admin)"
