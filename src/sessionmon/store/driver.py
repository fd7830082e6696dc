"""Connections to the session database: plain SQLite, or SQLCipher when the file is encrypted.

A plain database is opened with Python's :mod:`sqlite3`. An encrypted one (or a new one to be
encrypted) is opened with ``sqlcipher3`` (SQLCipher 4: AES-256 pages, an HMAC-SHA512 per page, a
random 16-byte salt at the start of the file) and keyed with a raw 256-bit key, so SQLCipher's own
passphrase derivation does not run on every connection (:mod:`sessionmon.store.keys` derives the
key once per process). Both modules raise their own exception classes: catch :data:`ERRORS`.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

try:  # the wheel is a dependency; a platform without it keeps plain databases only
    import sqlcipher3.dbapi2 as _sqlcipher
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    _sqlcipher = None

#: What a plain SQLite file starts with; an SQLCipher file starts with its random salt.
SQLITE_MAGIC = b"SQLite format 3\x00"

#: Every database error either driver raises.
ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,) + (
    (_sqlcipher.Error,) if _sqlcipher is not None else ()
)

#: Every "database error" (damaged file, not a database) either driver raises.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError,) + (
    (_sqlcipher.DatabaseError,) if _sqlcipher is not None else ()
)


class WrongKeyError(Exception):
    """The key does not open this encrypted database (or the file is not a database)."""


def available() -> bool:
    """Return whether SQLCipher is installed (encrypted databases can be opened)."""
    return _sqlcipher is not None


def cipher_version() -> str | None:
    """Return the SQLCipher version (e.g. ``"4.19.0 community"``), or None without SQLCipher."""
    if _sqlcipher is None:
        return None
    conn = _sqlcipher.connect(":memory:")
    try:
        row = conn.execute("PRAGMA cipher_version").fetchone()
    finally:
        conn.close()
    return None if row is None else str(row[0])


def file_salt(path: Path) -> bytes | None:
    """Return the salt of an encrypted database file, or None if it is plain, empty or missing.

    An SQLCipher file begins with its 16-byte salt where a plain file has ``SQLite format 3``,
    and is a whole number of pages (at least 512 bytes each): any other file (a text file
    named ``.db``) is no database at all, and the plain open reports it as such.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
            size = os.fstat(handle.fileno()).st_size
    except OSError:
        return None
    if len(head) < 16 or head == SQLITE_MAGIC or size % 512:
        return None
    return head


def connect(
    path: Path,
    timeout: float,
    key: bytes | None = None,
    salt: bytes | None = None,
    *,
    via_sqlcipher: bool = False,
) -> Any:
    """Open a connection in autocommit mode, usable from any thread.

    Parameters
    ----------
    path : Path
        The database file.
    timeout : float
        How long a statement waits for another connection's lock (seconds).
    key : bytes, optional
        The 32-byte raw database key: the file is (or becomes) encrypted with it.
    salt : bytes, optional
        The 16-byte salt a new encrypted file is written with (an existing file keeps its own).
    via_sqlcipher : bool
        Open a plain file (no key) with SQLCipher anyway (to attach an encrypted copy).

    Raises
    ------
    WrongKeyError
        If ``key`` does not open the existing file.
    RuntimeError
        If a key is given but SQLCipher is not installed.
    """
    if key is None and not via_sqlcipher:
        return sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    if _sqlcipher is None:
        raise RuntimeError("SQLCipher (the sqlcipher3 package) is not installed")
    conn = _sqlcipher.connect(
        str(path), timeout=timeout, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our message, not stderr
    if key is None:
        return conn
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}{salt.hex() if salt else ''}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except _sqlcipher.DatabaseError as exc:
        conn.close()
        if "not a database" in str(exc):
            raise WrongKeyError(str(exc)) from None
        raise
    return conn


__all__ = [
    "DATABASE_ERRORS",
    "ERRORS",
    "SQLITE_MAGIC",
    "WrongKeyError",
    "available",
    "cipher_version",
    "connect",
    "file_salt",
]
