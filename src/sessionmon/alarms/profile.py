"""Alarm profiles: which conditions raise alarms, at which limits, priorities and delays.

A profile is plain data, validated with pydantic. The clinic keeps one in a TOML settings file
(:mod:`sessionmon.alarms.settings`); each session may adjust it with
:meth:`AlarmProfile.with_overrides`, which validates the result again. :func:`default_profile` is
the "ketamine session" profile the console ships with.

Three kinds of rule:

* :class:`LimitRule` - a physiological limit on one measure (SpO2, pulse rate, NIBP), with a
  medium and/or a high stage, each with its own comparison, threshold and condition delay.
* :class:`RiseRule` - the NIBP rise over the pre-dose baseline (``nibp_rise``).
* :class:`AreaRule` - the depth and length of a desaturation, SatSeconds style: the area below
  a low limit in %·s (``spo2_desat``).
* :class:`ConditionRule` - a technical or protocol condition that the runtime switches on and off
  (sensor off, disconnected, BP check overdue, ...).

The parts: :mod:`~sessionmon.alarms.rule_terms` (units, comparisons, stages),
:mod:`~sessionmon.alarms.alarm_rules` (the rule kinds), :mod:`~sessionmon.alarms.profile_model`
(:class:`AlarmProfile`) and :mod:`~sessionmon.alarms.profile_defaults` (the shipped profile);
this module gathers them under their old import path.
"""

from __future__ import annotations

from sessionmon.alarms.alarm_rules import (
    AreaRule,
    ConditionRule,
    LimitRule,
    RiseRule,
    Rule,
)
from sessionmon.alarms.profile_defaults import (
    DEFAULT_SOURCES,
    breathing_limits,
    default_profile,
)
from sessionmon.alarms.profile_model import (
    AlarmProfile,
    deep_merge,
    describe_errors,
)
from sessionmon.alarms.rule_terms import (
    DISPLAY_UNITS,
    LIMIT_MEASURES,
    OFF,
    Comparison,
    Direction,
    EscalateWhile,
    LatchMode,
    LimitStage,
    Optional,
)

__all__ = [
    "DEFAULT_SOURCES",
    "DISPLAY_UNITS",
    "LIMIT_MEASURES",
    "OFF",
    "AlarmProfile",
    "AreaRule",
    "Comparison",
    "ConditionRule",
    "Direction",
    "EscalateWhile",
    "LatchMode",
    "LimitRule",
    "LimitStage",
    "Optional",
    "RiseRule",
    "Rule",
    "breathing_limits",
    "deep_merge",
    "default_profile",
    "describe_errors",
]
