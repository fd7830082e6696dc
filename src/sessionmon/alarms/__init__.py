"""The alarm system: profiles and settings file, the alarm engine, and alarm sounds (no Qt).

The names below are imported from their modules on first use (module ``__getattr__``), so a
process that reads only a profile (an export) does not import the engine or the sounds.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers and readers
    from sessionmon.alarms.engine import (
        CONTINUOUS_MEASURES,
        ActiveAlarm,
        AlarmEngine,
        AudioState,
    )
    from sessionmon.alarms.profile import (
        AlarmProfile,
        Comparison,
        ConditionRule,
        Direction,
        LatchMode,
        LimitRule,
        LimitStage,
        RiseRule,
        default_profile,
    )
    from sessionmon.alarms.settings import load_profile, profile_toml, save_profile
    from sessionmon.alarms.sounds import burst_samples, burst_wav_bytes, repeat_interval_s

#: Each public name and the module it comes from.
_HOMES: dict[str, str] = {
    **dict.fromkeys(("CONTINUOUS_MEASURES", "ActiveAlarm", "AlarmEngine", "AudioState"), "engine"),
    **dict.fromkeys(
        (
            "AlarmProfile",
            "Comparison",
            "ConditionRule",
            "Direction",
            "LatchMode",
            "LimitRule",
            "LimitStage",
            "RiseRule",
            "default_profile",
        ),
        "profile",
    ),
    **dict.fromkeys(("load_profile", "profile_toml", "save_profile"), "settings"),
    **dict.fromkeys(("burst_samples", "burst_wav_bytes", "repeat_interval_s"), "sounds"),
}

__all__ = [
    "CONTINUOUS_MEASURES",
    "ActiveAlarm",
    "AlarmEngine",
    "AlarmProfile",
    "AudioState",
    "Comparison",
    "ConditionRule",
    "Direction",
    "LatchMode",
    "LimitRule",
    "LimitStage",
    "RiseRule",
    "burst_samples",
    "burst_wav_bytes",
    "default_profile",
    "load_profile",
    "profile_toml",
    "repeat_interval_s",
    "save_profile",
]


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
