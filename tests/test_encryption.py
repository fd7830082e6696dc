"""PHI at rest: the encrypted session database, its key, and ``sessionmon db encrypt``, as typed."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from sessionmon import cli
from sessionmon.clock import ManualClock
from sessionmon.model import Event, EventKind, Patient, SessionPhase
from sessionmon.store import SessionStore, audit, driver, encryption, keys
from sessionmon.store.errors import StoreError
from store_fixtures import make_measurement, make_session

SRC = str(Path(__file__).resolve().parents[1] / "src")
KEY = "5e" * 32  # a raw 256-bit key, as 'sessionmon db key new --print' makes
OTHER_KEY = "a7" * 32
NAME = "Adelheid Quernbach"


@pytest.fixture(autouse=True)
def no_key_configured(monkeypatch, tmp_path):
    """Each test starts with no key in the environment, and its own training database path."""
    monkeypatch.delenv(keys.KEY_ENV, raising=False)
    monkeypatch.setenv("SESSIONMON_TRAINING_DB", str(tmp_path / "training.db"))


def build(db: Path) -> None:
    """A signed session of a named patient: measurements, notes, sign-off, closed."""
    clock = ManualClock()
    with SessionStore.open(db, clock) as store:
        patient = Patient(pseudonym="PT-7", name=NAME, date_of_birth=date(1961, 3, 14))
        session = make_session(clock, patient=patient)
        store.create_session(session)
        for _ in range(30):
            clock.advance(0.05)
            store.append_measurement(make_measurement(session.id, clock.now()))
        store.flush()
        for n in range(5):
            store.add_event(
                Event(session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), text=f"{n}")
            )
        store.add_event(
            Event(session_id=session.id, kind=EventKind.SIGN_OFF, at=clock.now(), by="RN Kim")
        )
        closed = session.model_copy(update={"phase": SessionPhase.CLOSED, "signed_by": "RN Kim"})
        store.update_session(closed)


def keyed(db: Path, secret: str = KEY):
    """A connection to the encrypted ``db`` the way sessionmon opens it."""
    salt = driver.file_salt(db)
    assert salt is not None, "the file is not encrypted"
    return encryption.for_key(keys.DbKey(secret, "test"), salt).connect(db, 5.0)


def every_row(conn) -> dict[str, list[tuple]]:
    return {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
        for table in [*audit.AUDITED_COLUMNS, "audit"]
    }


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_new_clinic_database_is_encrypted_and_a_plain_reader_cannot_read_it(
    tmp_path, monkeypatch, capsys
):
    db = tmp_path / "clinic.db"
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    build(db)
    assert NAME.encode() not in db.read_bytes()  # the name is nowhere on disk in clear
    plain = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
        plain.execute("SELECT * FROM session_versions").fetchall()
    plain.close()
    code, out, _ = run(capsys, "--db", str(db), "sessions", "list")
    assert code == 0 and "PT-7" in out and "RN Kim" in out
    code, out, _ = run(capsys, "--db", str(db), "db", "status")
    assert "encrypted (SQLCipher)" in out and "from SESSIONMON_DB_KEY" in out


def test_durability_rules_hold_with_encryption(tmp_path, monkeypatch):
    """WAL, synchronous FULL, quick_check at open, and the writer thread's atomic commits."""
    db = tmp_path / "clinic.db"
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    with SessionStore.open(db, ManualClock()) as store:
        assert store.cipher.encrypted
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert store._conn.execute("PRAGMA cipher_version").fetchone()[0]
        store.create_session(make_session(ManualClock()))
        assert Path(f"{db}-wal").exists()  # commits go through the write-ahead log
        assert NAME.encode() not in Path(f"{db}-wal").read_bytes()


def test_the_wrong_key_is_refused_in_one_line_and_nothing_is_lost(tmp_path, monkeypatch, capsys):
    db = tmp_path / "clinic.db"
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    build(db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    monkeypatch.setenv(keys.KEY_ENV, OTHER_KEY)
    code, out, err = run(capsys, "--db", str(db), "sessions", "list")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "the database key from SESSIONMON_DB_KEY does not open it" in err
    assert "nothing was changed" in err
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    code, out, _ = run(capsys, "--db", str(db), "sessions", "verify")
    assert code == 0 and "audit trail intact" in out


def headless(db: Path, secret: str | None, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != keys.KEY_ENV}
    env["PYTHONPATH"] = SRC
    if secret is not None:
        env[keys.KEY_ENV] = secret
    result = subprocess.run(
        [sys.executable, "-m", "sessionmon", "--db", str(db), *argv],
        stdin=subprocess.DEVNULL,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_a_headless_command_reads_the_key_from_the_environment_and_never_prompts(
    tmp_path, monkeypatch, capsys
):
    db = tmp_path / "clinic.db"
    passphrase = "correct horse battery staple"  # a passphrase: stretched with scrypt
    monkeypatch.setenv(keys.KEY_ENV, passphrase)
    build(db)
    code, out, _ = run(capsys, "--db", str(db), "sessions", "list")
    assert code == 0 and "PT-7" in out
    without = headless(db, None, "sessions", "list")  # stdin is /dev/null: no terminal
    assert without.returncode == 2 and without.stdout == ""
    assert without.stderr.count("\n") == 1, without.stderr
    assert "is encrypted" in without.stderr and "no database key was found" in without.stderr
    assert "SESSIONMON_DB_KEY is not set" in without.stderr
    assert "standard input is not a terminal" in without.stderr
    assert "passphrase:" not in without.stderr


def test_db_encrypt_keeps_every_row_and_the_audit_chain_verifies(tmp_path, monkeypatch, capsys):
    db = tmp_path / "clinic.db"
    build(db)  # no key: a plain database, as before this version
    raw = sqlite3.connect(db)
    rows = every_row(raw)
    raw.close()
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    code, out, err = run(capsys, "--db", str(db), "db", "encrypt")
    assert code == 0, err
    total = sum(len(r) for t, r in rows.items() if t != "audit")
    assert f"is now encrypted (key from SESSIONMON_DB_KEY); {total} rows kept" in out
    assert "audit trail intact" in out and "keyed MAC checked" in out
    assert err == ""  # the new file was private from the start: no mode warning
    assert NAME.encode() not in db.read_bytes()
    conn = keyed(db)
    assert every_row(conn) == rows  # byte for byte, audit entries included
    conn.close()
    assert not list(tmp_path.glob("*.encrypting-*"))
    code, out, _ = run(capsys, "--db", str(db), "sessions", "verify")
    assert code == 0 and "audit trail intact" in out
    code, _, err = run(capsys, "--db", str(db), "db", "encrypt")
    assert code == 2 and "already encrypted" in err


def test_db_encrypt_of_an_old_schema_database_migrates_adopts_and_verifies(
    tmp_path, monkeypatch, capsys
):
    import shutil

    db = tmp_path / "old.db"
    shutil.copy(Path(__file__).parent / "data" / "main-before-courses.db", db)
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    code, out, err = run(capsys, "--db", str(db), "db", "encrypt")
    assert code == 0, err
    assert "audit trail intact" in out
    assert driver.file_salt(db) is not None


def test_db_encrypt_refuses_a_tampered_database_and_leaves_it_as_it_was(
    tmp_path, monkeypatch, capsys
):
    db = tmp_path / "clinic.db"
    build(db)
    raw = sqlite3.connect(db)
    with raw:
        raw.execute("DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)")
    before = every_row(raw)
    raw.close()
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    code, out, err = run(capsys, "--db", str(db), "db", "encrypt")
    assert code == 2 and out == ""
    assert "was not encrypted: its audit trail is not intact" in err
    assert "truncated chain" in err
    raw = sqlite3.connect(db)  # still plain, every row still there
    assert every_row(raw) == before
    raw.close()


def test_db_encrypt_without_a_key_or_terminal_says_where_it_looked(tmp_path, capsys):
    db = tmp_path / "clinic.db"
    build(db)
    code, _, err = run(capsys, "--db", str(db), "db", "encrypt")
    assert code == 2
    assert "no database key to encrypt" in err and "sessionmon db key new" in err
    assert driver.file_salt(db) is None


def test_db_key_new_prints_a_key_or_says_there_is_no_keyring(tmp_path, monkeypatch, capsys):
    code, out, _ = run(capsys, "db", "key", "new", "--print")
    assert code == 0 and len(out.strip()) == 64 and int(out.strip(), 16) >= 0
    if keys.keyring_problem() is None:
        pytest.fail("this test expects a machine without an OS keyring (as CI is)")
    code, _, err = run(capsys, "db", "key", "new")
    assert code == 2 and "no OS keyring is available" in err and "SESSIONMON_DB_KEY" in err


def test_the_training_database_stays_plain_with_a_key_configured(tmp_path, monkeypatch):
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    training = tmp_path / "training.db"
    with SessionStore.open(training, ManualClock()) as store:
        assert not store.cipher.encrypted
    assert training.read_bytes().startswith(driver.SQLITE_MAGIC)


def test_a_plain_clinic_database_warns_when_a_key_is_configured(tmp_path, monkeypatch):
    db = tmp_path / "clinic.db"
    build(db)
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    with SessionStore.open(db, ManualClock()) as store:
        assert not store.cipher.encrypted
        assert any("run 'sessionmon db encrypt'" in line for line in store.open_warnings)


def test_a_text_file_named_db_is_still_not_a_database(tmp_path, monkeypatch):
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a database at all\n" * 100)
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    with pytest.raises(StoreError, match="not a readable sessionmon database"):
        SessionStore.open(path, ManualClock())


def _read_until(fd: int, wanted: bytes, timeout_s: float = 30.0) -> bytes:
    import select
    import time

    seen = b""
    deadline = time.monotonic() + timeout_s
    while wanted not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"no {wanted!r} on the terminal; saw {seen!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_at_a_terminal_the_passphrase_is_asked_once_and_opens_the_database(tmp_path, monkeypatch):
    import pty

    db = tmp_path / "clinic.db"
    passphrase = KEY  # typed (or pasted) at the terminal; a raw key skips scrypt here
    monkeypatch.setenv(keys.KEY_ENV, passphrase)
    build(db)
    env = {k: v for k, v in os.environ.items() if k != keys.KEY_ENV}
    env["PYTHONPATH"] = SRC
    argv = [sys.executable, "-m", "sessionmon", "--db", str(db), "sessions", "list"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: the pty is its controlling terminal
        os.execve(sys.executable, argv, env)
    try:
        _read_until(fd, b"sessionmon database passphrase: ")
        os.write(fd, passphrase.encode() + b"\n")
        rest = _read_until(fd, b"RN Kim")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert b"PT-7" in rest and passphrase.encode() not in rest  # not echoed
    assert os.waitstatus_to_exitcode(status) == 0


class FileKeyring:
    """A keyring backend that keeps its entries in one JSON file (the machine has no OS keyring).

    Built on keyring's public backend API, so ``keyring.get_password``/``set_password`` and
    everything of sessionmon above them run as they would on Secret Service or KWallet.
    """

    def __new__(cls, path: Path):
        import json

        from keyring.backend import KeyringBackend

        class Backend(KeyringBackend):
            priority = 1

            def _entries(self) -> dict:
                return json.loads(path.read_text()) if path.exists() else {}

            def get_password(self, service, username):
                return self._entries().get(f"{service}/{username}")

            def set_password(self, service, username, password):
                entries = self._entries()
                entries[f"{service}/{username}"] = password
                path.write_text(json.dumps(entries))

            def delete_password(self, service, username):
                entries = self._entries()
                entries.pop(f"{service}/{username}", None)
                path.write_text(json.dumps(entries))

        return Backend()


@pytest.fixture
def file_keyring(tmp_path):
    """Install :class:`FileKeyring` as the keyring for one test."""
    import keyring

    before = keyring.get_keyring()
    backend = FileKeyring(tmp_path / "keyring.json")
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


def test_a_key_made_into_the_keyring_encrypts_new_databases_and_is_not_replaced(
    tmp_path, file_keyring, capsys
):
    code, out, err = run(capsys, "db", "key", "new")
    assert code == 0, err
    assert "a new database key is in the OS keyring" in out
    stored = file_keyring.get_password(keys.KEYRING_SERVICE, keys.KEYRING_USER)
    assert stored is not None and len(stored) == 64 and stored not in out
    db = tmp_path / "clinic.db"
    build(db)
    with SessionStore.open(db, ManualClock()) as store:
        assert store.cipher.encrypted and store.cipher.source == "the OS keyring"
    code, out, _ = run(capsys, "--db", str(db), "db", "status")
    assert "encrypted (SQLCipher)" in out and "from the OS keyring" in out
    code, _, err = run(capsys, "db", "key", "new")
    assert code == 2 and "already holds a sessionmon database key" in err
    assert file_keyring.get_password(keys.KEYRING_SERVICE, keys.KEYRING_USER) == stored
    conn = keyed(db, stored)
    assert conn.execute("SELECT count(*) FROM session_versions").fetchone()[0] == 2
    conn.close()


def test_without_sqlcipher_databases_stay_plain_and_an_encrypted_one_is_refused_by_name(
    tmp_path, monkeypatch
):
    """A platform where the wheel is missing: the module cannot be imported at all."""
    db = tmp_path / "clinic.db"
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    build(db)  # encrypted, here where SQLCipher exists
    script = (
        "import sys\n"
        "sys.modules['sqlcipher3'] = None\n"  # import sqlcipher3 now raises ImportError
        "sys.modules['sqlcipher3.dbapi2'] = None\n"
        "from sessionmon.cli import main\n"
        "for argv in (['db', 'status'], ['sessions', 'list'], ['--db', sys.argv[2], 'sessions', "
        "'list']):\n"
        "    print('rc', main(['--db', sys.argv[1], *argv] if argv[0] != '--db' else argv))\n"
    )
    env = dict(os.environ, PYTHONPATH=SRC)
    result = subprocess.run(
        [sys.executable, "-c", script, str(db), str(tmp_path / "new.db")],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "SQLCipher: not installed: databases stay plain" in result.stdout
    assert "this installation has no SQLCipher (the sqlcipher3 package)" in result.stderr
    assert result.stdout.count("rc 0") == 2 and "rc 2" in result.stdout  # status, new db; refused
    assert (tmp_path / "new.db").read_bytes().startswith(driver.SQLITE_MAGIC)
