"""Files and folders under fault, through the CLI as typed: modes, killed exports, bad databases."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from export_fixtures import build_session

KILLED_EXPORT = textwrap.dedent(
    """
    import os, signal, sys
    # SIGKILL at the moment the finished export is moved out of its scratch folder.
    os.replace = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGKILL)
    from sessionmon.cli import main
    main(sys.argv[1:])
    """
)


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sessionmon", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def signed_db(tmp_path) -> Path:
    built = build_session(tmp_path / "sessions.db")
    built.store.close()
    return built.path


def test_exports_are_private_and_a_killed_exports_scratch_folder_goes_next_time(
    signed_db, tmp_path
):
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    typed = ["--db", str(signed_db), "export", "--format", "json", "--out"]
    typed += [str(out_dir / "record.json"), "--quiet"]
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_EXPORT, *typed],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -9, killed.stderr
    left = [p for p in out_dir.iterdir() if p.name.startswith(".sessionmon-export-")]
    assert len(left) == 1 and (left[0] / "record.json").exists() and mode(left[0]) == 0o700
    assert not (out_dir / "record.json").exists()
    for fmt in ("json", "pdf", "csv"):
        out = out_dir / f"record.{fmt}"
        result = cli("--db", str(signed_db), "export", "--format", fmt, "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert mode(out) == 0o600, fmt
    assert sorted(p.name for p in out_dir.iterdir()) == ["record.csv", "record.json", "record.pdf"]


def test_a_world_readable_database_is_made_private_with_a_warning(signed_db):
    os.chmod(signed_db, 0o644)
    result = cli("--db", str(signed_db), "sessions", "list")
    assert result.returncode == 0, result.stderr
    assert f"warning: {signed_db} was readable by other users (mode 0644)" in result.stderr
    assert mode(signed_db) == 0o600
    for journal in ("-wal", "-shm"):
        extra = signed_db.with_name(signed_db.name + journal)
        assert not extra.exists() or mode(extra) == 0o600
    again = cli("--db", str(signed_db), "sessions", "list")
    assert again.returncode == 0 and "warning" not in again.stderr


def test_the_data_folder_is_created_private_and_tightened(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    env.pop("SESSIONMON_DB", None)
    assert cli("sessions", "list", env=env).returncode == 0
    folder = tmp_path / "xdg" / "sessionmon"
    assert mode(folder) == 0o700 and mode(folder / "sessions.db") == 0o600
    os.chmod(folder, 0o755)
    assert cli("sessions", "list", env=env).returncode == 0
    assert mode(folder) == 0o700


def test_a_zero_length_database_is_refused_not_treated_as_new(tmp_path):
    empty = tmp_path / "sessions.db"
    empty.write_bytes(b"")
    result = cli("--db", str(empty), "sessions", "list")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "is empty (0 bytes), not a session database" in result.stderr
    assert empty.stat().st_size == 0  # untouched


def test_a_damaged_page_is_named_at_open(signed_db):
    size = signed_db.stat().st_size
    assert size > 64 * 4096
    with open(signed_db, "r+b") as handle:  # scribble over pages in the middle of the file
        handle.seek((size // 4096 // 2) * 4096)
        handle.write(bytes(range(256)) * 64)
    result = cli("--db", str(signed_db), "sessions", "verify")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1
    assert f"{signed_db} is damaged (" in result.stderr
    assert "will not write to it" in result.stderr
