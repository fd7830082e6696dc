"""Where sessionmon keeps its files (platformdirs user folders, overridable)."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

import platformdirs

APP_NAME = "sessionmon"
DB_ENV = "SESSIONMON_DB"
TRAINING_DB_ENV = "SESSIONMON_TRAINING_DB"
CONFIG_ENV = "SESSIONMON_CONFIG_DIR"


def data_dir() -> Path:
    """Return the per-user data folder (created 0700 if missing; made 0700 if it was not)."""
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o700)  # it holds the session records
    return path


def config_dir() -> Path:
    """Return the settings folder (``$SESSIONMON_CONFIG_DIR`` if set), created if missing."""
    override = os.environ.get(CONFIG_ENV)
    path = (
        Path(override)
        if override
        else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    """Return ``$SESSIONMON_DB`` if set, else ``sessions.db`` in the user data folder."""
    override = os.environ.get(DB_ENV)
    if override:
        return Path(override)
    return data_dir() / "sessions.db"


def training_db_path() -> Path:
    """Return ``$SESSIONMON_TRAINING_DB`` if set, else ``training.db`` in the user data folder.

    Simulator sessions (``--simulator``, ``simulate``) go here by default, never into the
    patient record.
    """
    override = os.environ.get(TRAINING_DB_ENV)
    if override:
        return Path(override)
    return data_dir() / "training.db"
