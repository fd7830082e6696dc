"""The keyed audit-head sidecar of an encrypted database: rewriting it is named by verify."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sessionmon import cli
from sessionmon.clock import ManualClock
from sessionmon.store import SessionStore, driver, encryption, keys
from sessionmon.store.anchor import Anchor, Head, chain_head, head_path, read_anchor, write_anchor
from store_fixtures import make_measurement, make_session
from test_tamper_evidence import WRITER, build

SRC = str(Path(__file__).resolve().parents[1] / "src")
KEY = "3c" * 32


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    monkeypatch.setenv("SESSIONMON_TRAINING_DB", str(tmp_path / "training.db"))
    path = tmp_path / "clinic.db"
    build(path)
    assert driver.file_salt(path) is not None
    return path


def keyed(db: Path, secret: str = KEY):
    return encryption.for_key(keys.DbKey(secret, "test"), driver.file_salt(db)).connect(db, 5.0)


def verify(capsys, db: Path) -> tuple[int, str]:
    code = cli.main(["--db", str(db), "sessions", "verify"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


def truncate(db: Path, newest: int) -> Head:
    """Delete the newest audit entries with the key (a database tool); return the new head."""
    conn = keyed(db)
    conn.execute(f"DELETE FROM audit WHERE seq > (SELECT MAX(seq) - {newest} FROM audit)")
    head = chain_head(conn)
    conn.close()
    return head


def test_an_honest_encrypted_database_verifies_with_its_mac(db, capsys):
    assert read_anchor(head_path(db)).mac is not None
    code, out = verify(capsys, db)
    assert code == 0 and "audit trail intact" in out and "(its keyed MAC checked)" in out


def test_truncation_with_the_sidecar_left_alone_is_a_truncated_chain(db, capsys):
    truncate(db, 3)
    code, out = verify(capsys, db)
    assert code == 1 and "truncated chain: the newest 3 audit entries" in out


def test_rewriting_the_database_and_an_unkeyed_sidecar_is_a_forged_anchor(db, capsys):
    head = truncate(db, 3)
    head_path(db).write_text(
        json.dumps({"head": {"seq": head.seq, "sha256": head.sha256}, "previous": None})
    )
    code, out = verify(capsys, db)
    assert code == 1
    assert "forged anchor: clinic.db.audit-head carries no MAC" in out
    assert "audit trail intact" not in out


def test_rewriting_the_sidecar_with_a_guessed_key_is_a_forged_anchor(db, capsys):
    head = truncate(db, 1)
    guessed = keys.DbKey("00" * 32, "attacker").mac_key(driver.file_salt(db))
    write_anchor(head_path(db), Anchor(head), mac_key=guessed)
    code, out = verify(capsys, db)
    assert code == 1
    assert "forged anchor: the MAC of clinic.db.audit-head is not the one" in out


def test_a_sidecar_copied_from_another_database_of_the_same_key_is_a_forged_anchor(
    db, tmp_path, capsys
):
    other = tmp_path / "other.db"
    with SessionStore.open(other, ManualClock()) as store:  # same key, its own salt
        session = make_session(ManualClock())
        store.create_session(session)
    head_path(db).write_bytes(head_path(other).read_bytes())  # a valid MAC, of another db
    code, out = verify(capsys, db)
    assert code == 1 and "forged anchor: the MAC of clinic.db.audit-head" in out


def test_an_encrypted_database_killed_mid_write_verifies_intact(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(keys.KEY_ENV, KEY)
    db = tmp_path / "killed.db"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([SRC, str(Path(__file__).parent)]))
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout.readline().strip() == "ready"
    conn = keyed(db)
    start = chain_head(conn).seq
    while chain_head(conn).seq < start + 20:
        pass  # commits land every few milliseconds; kill in the middle of them
    conn.close()
    child.send_signal(signal.SIGKILL)
    child.wait()
    code, out = verify(capsys, db)
    assert code == 0, out
    assert "audit trail intact" in out and "keyed MAC checked" in out
    with SessionStore.open(db, ManualClock()) as store:  # and it goes on being written
        session = store.list_sessions()[0]
        store.append_measurement(make_measurement(session.id, ManualClock().now()))
        store.flush()
        assert store.verify_audit().ok


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_later_commit_does_not_hide_a_truncation(tmp_path, monkeypatch, capsys, encrypted):
    """Entries deleted, then the console writes again: the sidecar is kept as evidence."""
    import sqlite3

    from sessionmon.model import Event, EventKind

    if encrypted:
        monkeypatch.setenv(keys.KEY_ENV, KEY)
    else:
        monkeypatch.delenv(keys.KEY_ENV, raising=False)
    db = tmp_path / "clinic.db"
    build(db)
    conn = keyed(db) if encrypted else sqlite3.connect(db, isolation_level=None)
    conn.execute("DELETE FROM audit WHERE seq > (SELECT MAX(seq) - 2 FROM audit)")
    conn.close()
    clock = ManualClock()
    with SessionStore.open(db, clock) as store:
        session = store.list_sessions()[0]
        store.add_event(
            Event(session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), text="later")
        )
        assert store._anchor.frozen is not None
    code, out = verify(capsys, db)
    assert code == 1, out
    assert "truncated chain: the newest 1 audit entry" in out  # 2 deleted, 1 written since
