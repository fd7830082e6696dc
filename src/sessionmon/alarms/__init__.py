"""The alarm system: profiles and settings file, the alarm engine, and alarm sounds (no Qt)."""

from sessionmon.alarms.engine import CONTINUOUS_MEASURES, ActiveAlarm, AlarmEngine, AudioState
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
