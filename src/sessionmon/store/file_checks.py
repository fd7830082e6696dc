"""Checks of the database file at open: permissions, an empty file, a damaged file.

* The database and its ``-wal``/``-shm`` files hold patient records: a file readable by others
  (e.g. 0644 after a copy) is tightened to 0600, with a warning in the log.
* An existing zero-length file is refused: it is a truncated or failed copy far more often than
  a new database, and opening it as new would hide that every session is gone.
* ``PRAGMA quick_check`` runs at open: a damaged page is reported in one line instead of writes
  that slow to a crawl or fail later in the middle of a session.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path

from sessionmon.store.driver import DATABASE_ERRORS
from sessionmon.store.errors import StoreError

log = logging.getLogger(__name__)

#: Mode of the database file and its journal files.
DB_MODE = 0o600


def tighten_mode(path: Path) -> list[str]:
    """Make the database and its journal files private; return a warning line per file changed."""
    warnings = []
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077 == 0:
            continue
        try:
            os.chmod(candidate, mode & 0o700 | DB_MODE)
        except OSError as exc:
            line = (
                f"warning: {candidate} is readable by other users (mode {mode:04o}) and could "
                f"not be made private: {exc.strerror or exc}"
            )
        else:
            line = (
                f"warning: {candidate} was readable by other users (mode {mode:04o}); "
                f"it is now private ({mode & 0o700 | DB_MODE:04o})"
            )
        log.warning(line)
        warnings.append(line)
    return warnings


def refuse_empty(path: Path) -> None:
    """Refuse an existing database file of zero bytes."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if size == 0:
        raise StoreError(
            f"{path} is empty (0 bytes), not a session database: it may be a failed copy or a "
            "truncated file; restore it from a backup, or delete it to start a new database"
        )


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """Run ``PRAGMA quick_check(1)`` (stops at the first problem); refuse a damaged database.

    quick_check reads every page once without the index-to-row cross-check of integrity_check,
    so it costs about one sequential read of the file (the figure is in the README).
    """
    try:
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except DATABASE_ERRORS as exc:
        problems = [str(exc)]
    else:
        problems = [str(r[0]) for r in rows if str(r[0]).lower() != "ok"]
    if problems:
        raise StoreError(
            f"{path} is damaged ({problems[0]}); sessionmon will not write to it: restore it "
            "from a backup, or recover it with 'sqlite3 FILE .recover'"
        )
