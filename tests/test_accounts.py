"""Staff accounts: ``sessionmon users``, argon2id hashes, lock-out, migration 4, ``--user``."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionmon.accounts import AccountBook, Role, SignInError
from sessionmon.accounts.book import LOCK_MINUTES, MAX_TRIES
from sessionmon.cli import main
from sessionmon.clock import ManualClock
from sessionmon.store import SessionStore, schema

OLD_DB = Path(__file__).parent / "data" / "main-before-courses.db"
ADMIN_PIN = "admin-pin-1"
NURSE_PIN = "nurse-pin-2"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """Cheaper argon2id parameters for speed (the production ones are checked below)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        "sessionmon.accounts.hashing._HASHER",
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )


def test_production_hashes_are_argon2id_with_rfc_9106_parameters():
    from sessionmon.accounts import hashing

    hashed = hashing.PasswordHasher().hash("a-secret-1")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hashing.verify_secret(hashed, "a-secret-1")
    assert not hashing.verify_secret(hashed, "a-secret-2")
    assert not hashing.verify_secret("not a hash", "a-secret-1")


@pytest.fixture
def cfg(tmp_path, monkeypatch):
    folder = tmp_path / "cfg"
    folder.mkdir()
    monkeypatch.setenv("SESSIONMON_CONFIG_DIR", str(folder))
    monkeypatch.delenv("SESSIONMON_PIN", raising=False)
    monkeypatch.delenv("SESSIONMON_NEW_PIN", raising=False)
    return folder


def _users(db: Path, *argv: str) -> list[str]:
    return ["--db", str(db), "users", *argv]


def _clinic_with_admin_and_nurse(db: Path, monkeypatch) -> None:
    monkeypatch.setenv("SESSIONMON_NEW_PIN", ADMIN_PIN)
    assert main(_users(db, "add", "boss", "--name", "Ada Boss", "--role", "admin")) == 0
    monkeypatch.setenv("SESSIONMON_PIN", ADMIN_PIN)
    monkeypatch.setenv("SESSIONMON_NEW_PIN", NURSE_PIN)
    argv = _users(db, "add", "alee", "--name", "Ann Lee", "--role", "nurse", "--user", "boss")
    assert main(argv) == 0
    monkeypatch.delenv("SESSIONMON_PIN")
    monkeypatch.delenv("SESSIONMON_NEW_PIN")


def _interrupted_session(db: Path) -> str:
    """A dosed session whose program went away without ending it."""
    from sessionmon.model import Patient
    from sessionmon.runtime import SessionRuntime

    clock = ManualClock()
    with SessionStore.open(db, clock) as store:
        runtime = SessionRuntime(
            store, clock, patient=Patient(pseudonym="GONE-1"), treatment="esketamine-84"
        )
        runtime.start_baseline(by="RN A")
        runtime.record_bp(128, 82, by="RN A")
        runtime.dose(by="RN A", confirm_unanswered=True)
        return str(runtime.session_id)


def test_users_add_list_disable_reset_from_the_command_line(tmp_path, cfg, monkeypatch, capsys):
    db = tmp_path / "clinic.db"
    assert main(_users(db, "list")) == 0
    assert "no staff accounts" in capsys.readouterr().out
    monkeypatch.setenv("SESSIONMON_NEW_PIN", NURSE_PIN)
    assert main(_users(db, "add", "alee", "--name", "Ann Lee", "--role", "nurse")) == 2
    assert "first account of a clinic must be an admin" in capsys.readouterr().err
    _clinic_with_admin_and_nurse(db, monkeypatch)
    assert main(_users(db, "list")) == 0
    out = capsys.readouterr().out
    assert "alee" in out and "nurse" in out and "Ann Lee" in out and "boss" in out
    assert ADMIN_PIN not in out and "argon2" not in out
    # A nurse may not change accounts; an admin may; the nurse may reset their own PIN.
    monkeypatch.setenv("SESSIONMON_PIN", NURSE_PIN)
    assert main(_users(db, "disable", "boss", "--user", "alee")) == 2
    assert "only an admin may change staff accounts" in capsys.readouterr().err
    monkeypatch.setenv("SESSIONMON_NEW_PIN", "nurse-new-3")
    assert main(_users(db, "reset", "alee", "--user", "alee")) == 0
    monkeypatch.setenv("SESSIONMON_PIN", ADMIN_PIN)
    assert main(_users(db, "disable", "alee", "--user", "boss")) == 0
    assert main(_users(db, "disable", "boss", "--user", "boss")) == 2
    assert "last admin" in capsys.readouterr().err
    assert main(_users(db, "list")) == 0
    assert "disabled" in next(r for r in capsys.readouterr().out.splitlines() if "alee" in r)
    monkeypatch.setenv("SESSIONMON_PIN", "nurse-new-3")
    assert main(_users(db, "reset", "alee", "--user", "alee")) == 2
    assert "disabled" in capsys.readouterr().err
    # Every change is in the audit chain, and it still verifies.
    assert main(["--db", str(db), "sessions", "verify"]) == 0


def test_a_short_pin_is_refused_with_the_clinic_minimum(tmp_path, cfg, monkeypatch, capsys):
    (cfg / "clinic.json").write_text('{"min_secret_length": 10}')
    db = tmp_path / "clinic.db"
    monkeypatch.setenv("SESSIONMON_NEW_PIN", "short-123")
    assert main(_users(db, "add", "boss", "--name", "Ada Boss", "--role", "admin")) == 2
    err = capsys.readouterr().err
    assert "at least 10 characters" in err and "min_secret_length" in err
    (cfg / "clinic.json").write_text('{"min_secret_length": 2}')
    assert main(_users(db, "list")) == 2
    assert "min_secret_length" in capsys.readouterr().err


def test_no_pin_and_no_terminal_fails_with_a_clear_message(tmp_path, cfg, monkeypatch, capsys):
    db = tmp_path / "clinic.db"
    _clinic_with_admin_and_nurse(db, monkeypatch)
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115 - not a terminal
    assert main(_users(db, "disable", "alee", "--user", "boss")) == 2
    err = capsys.readouterr().err
    assert "standard input is not a terminal" in err and "SESSIONMON_PIN" in err


def test_the_secret_is_stored_only_as_an_argon2id_hash(tmp_path, cfg, monkeypatch):
    db = tmp_path / "clinic.db"
    _clinic_with_admin_and_nurse(db, monkeypatch)
    raw = sqlite3.connect(db)
    bodies = " ".join(r[0] for r in raw.execute("SELECT body FROM account_versions"))
    raw.close()
    assert bodies.count("$argon2id$") == 2
    for path in db.parent.glob("clinic.db*"):
        data = path.read_bytes()
        assert ADMIN_PIN.encode() not in data and NURSE_PIN.encode() not in data, path


def test_five_wrong_tries_lock_the_account_for_five_minutes(tmp_path):
    clock = ManualClock()
    with SessionStore.open(tmp_path / "c.db", clock) as store:
        book = AccountBook(store, clock, min_length=8)
        book.add("boss", "Ada Boss", Role.ADMIN, ADMIN_PIN, "first run")
        book.add("alee", "Ann Lee", "nurse", NURSE_PIN, "Ada Boss (boss, admin)")
        assert book.sign_in("alee", NURSE_PIN).full_name == "Ann Lee"
        for left in range(MAX_TRIES - 1, 0, -1):
            tries = "try" if left == 1 else "tries"
            with pytest.raises(SignInError, match=rf"\({left} {tries} left\)"):
                book.sign_in("alee", "wrong-pin")
        with pytest.raises(SignInError, match="now locked for 5 minutes"):
            book.sign_in("alee", "wrong-pin")
        clock.advance(LOCK_MINUTES * 60 - 1)
        with pytest.raises(SignInError, match="locked after 5 wrong tries"):
            book.sign_in("alee", NURSE_PIN)  # the right PIN does not help while locked
        assert book.sign_in("boss", ADMIN_PIN).role is Role.ADMIN  # others are not locked
        clock.advance(1)
        assert book.locked_until("alee") is None
        assert book.sign_in("alee", NURSE_PIN).username == "alee"
        # After a success the count starts again; an admin's reset ends a lock at once.
        for _ in range(MAX_TRIES):
            with pytest.raises(SignInError):
                book.sign_in("alee", "wrong-pin")
        book.reset("alee", "nurse-new-3", "Ada Boss (boss, admin)")
        assert book.sign_in("alee", "nurse-new-3").username == "alee"
        with pytest.raises(SignInError, match="no account"):
            book.sign_in("nobody", "whatever1")
        results = [
            body for _at, _ok, body in store.sign_ins_since("alee", None) if "locked" in body
        ]
        assert len(results) == 1, "the refused try while locked is in the sign-in log"
        assert store.verify_audit().ok


def test_a_database_before_courses_and_one_at_schema_3_migrate_to_accounts(tmp_path, cfg):
    old = tmp_path / "old.db"
    shutil.copy(OLD_DB, old)
    three = tmp_path / "three.db"
    conn = sqlite3.connect(three, isolation_level=None)
    schema.migrate(conn, upto=3)
    conn.close()
    for db in (old, three):
        clock = ManualClock()
        with SessionStore.open(db, clock) as store:
            assert store.schema_version == schema.SCHEMA_VERSION == 4
            book = AccountBook(store, clock)
            assert book.is_empty()
            book.add("boss", "Ada Boss", Role.ADMIN, ADMIN_PIN, "first run")
            assert [a.username for a in book.list()] == ["boss"]
            assert store.verify_audit().ok
        assert main(["--db", str(db), "sessions", "verify"]) == 0, db


def test_headless_commands_name_the_signed_in_user(tmp_path, cfg, monkeypatch, capsys):
    db = tmp_path / "clinic.db"
    session_id = _interrupted_session(db)
    _clinic_with_admin_and_nurse(db, monkeypatch)
    argv = ["--db", str(db), "sessions", "end", session_id[:8], "--how", "ended_early"]
    assert main([*argv, "--reason", "x", "--by", "anyone"]) == 2
    assert "sign in with --user NAME" in capsys.readouterr().err
    monkeypatch.setenv("SESSIONMON_PIN", "not-her-pin")
    assert main([*argv, "--reason", "x", "--user", "alee"]) == 2
    assert "wrong password or PIN for 'alee' (4 tries left)" in capsys.readouterr().err
    monkeypatch.setenv("SESSIONMON_PIN", NURSE_PIN)
    assert main([*argv, "--reason", "vomiting", "--user", "alee"]) == 0
    assert "(by Ann Lee (alee, nurse))" in capsys.readouterr().out
    assert main(["--db", str(db), "sessions", "list"]) == 0
    assert "Ann Lee (alee, nurse)" in capsys.readouterr().out


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_any_typed_username_is_accepted_lower_case_or_refused_with_the_rule(text):
    from sessionmon.accounts.model import check_username

    try:
        name = check_username(text)
    except ValueError as exc:
        assert "2-32 characters" in str(exc)
    else:
        assert name == text.strip().lower() and 2 <= len(name) <= 32 and name[0].isalpha()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.integers(min_value=4, max_value=20))
def test_any_secret_is_checked_against_the_minimum_length(secret, minimum):
    from sessionmon.accounts.hashing import check_secret

    try:
        assert check_secret(secret, minimum) == secret
    except ValueError as exc:
        assert len(secret) < minimum or secret != secret.strip(), str(exc)
    else:
        assert len(secret) >= minimum
