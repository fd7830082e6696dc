"""The clinic's alarm settings file (TOML): read, validate, write.

A settings file changes the default profile: whatever it gives replaces the default, tables merge,
so a clinic may keep a short file (``[limits.hr_high.high] threshold = 150``) or a complete one as
:func:`save_profile` writes it. Every error names the file, the field and what is wrong.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sessionmon.alarms.profile import (
    OFF,
    AlarmProfile,
    deep_merge,
    default_profile,
    describe_errors,
)
from sessionmon.alarms.toml_writer import dumps
from sessionmon.errors import UserError

_HEADER = """sessionmon alarm settings
Each [limits.*] rule has a medium and/or high stage: op ("<", "<=", ">", ">="), threshold, delay_s.
latching: "never", "high" (latch once high priority) or "always". Priorities: low, medium, high.
Leave out anything you do not change: missing settings take the "ketamine session" defaults.
Write "off" to remove an optional setting (a medium or high stage, a rise, escalate_after_s)."""


def load_profile(path: str | os.PathLike[str]) -> AlarmProfile:
    """Read a clinic's alarm settings file over the default profile.

    Parameters
    ----------
    path : path-like
        A TOML file.

    Returns
    -------
    AlarmProfile
        The validated profile.

    Raises
    ------
    UserError
        If the file cannot be read, is not TOML, or holds an invalid setting; the message names
        the file, the field and what is wrong.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: alarm settings file not found") from None
    except UnicodeDecodeError as exc:
        raise UserError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read alarm settings ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    merged = deep_merge(default_profile().to_dict(), data)
    try:
        return AlarmProfile.model_validate(merged)
    except ValidationError as exc:
        raise UserError(f"{path}: {describe_errors(exc)}") from None


def profile_toml(profile: AlarmProfile) -> str:
    """Return the complete settings file text for ``profile``."""
    return dumps(_none_to_off(profile.to_dict()), header=_HEADER)


def _none_to_off(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: OFF if value is None else _none_to_off(value) if isinstance(value, dict) else value
        for key, value in data.items()
    }


def save_profile(profile: AlarmProfile, path: str | os.PathLike[str]) -> None:
    """Write ``profile`` as a complete TOML settings file, atomically.

    Parameters
    ----------
    profile : AlarmProfile
        The profile to write.
    path : path-like
        Destination; replaced only once the new file is fully written.

    Raises
    ------
    UserError
        If the file cannot be written.
    """
    path = Path(path)
    text = profile_toml(profile)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserError(f"{path}: cannot write alarm settings ({exc.strerror})") from None
