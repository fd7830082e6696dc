"""Errors raised by the session store, and translation of sqlite3 errors into clear messages."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sessionmon.errors import UserError


class StoreError(UserError):
    """The session database cannot do what was asked; the message says why in one line."""


def is_disk_full(exc: BaseException) -> bool:
    """Return whether ``exc`` is SQLite reporting a full disk (or a full database)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and code == getattr(sqlite3, "SQLITE_FULL", 13):
        return True
    return "database or disk is full" in str(exc)


def is_locked(exc: BaseException) -> bool:
    """Return whether ``exc`` is SQLite reporting that another connection holds a lock."""
    text = str(exc)
    return "database is locked" in text or "database table is locked" in text


def translate(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """Turn an sqlite3 error into a :class:`StoreError` with one clear line.

    Parameters
    ----------
    exc : sqlite3.Error
        The error SQLite raised.
    path : Path
        The database file, named in the message.
    doing : str
        What the store was doing, e.g. ``"saving the session"``.
    """
    if is_locked(exc):
        return StoreError(
            f"the session database {path} is locked by another program "
            f"(another sessionmon or a database tool); close it and try again ({doing})"
        )
    if is_disk_full(exc):
        return StoreError(f"the disk holding {path} is full; free some space ({doing})")
    text = str(exc)
    if "file is not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a readable sessionmon database ({text})")
    if "readonly" in text or "read-only" in text:
        return StoreError(f"the session database {path} is read-only; cannot write ({doing})")
    if "unable to open" in text:
        return StoreError(f"cannot open the session database {path} ({text})")
    return StoreError(f"session database error while {doing}: {text} ({path})")
