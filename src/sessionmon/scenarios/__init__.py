"""Scripted scenarios: the TOML format, the built-ins, and the headless runner."""

from sessionmon.scenarios.loader import (
    BuiltinScenario,
    builtin_ids,
    list_builtin,
    load_scenario,
    parse_scenario,
)
from sessionmon.scenarios.model import Scenario, Step

__all__ = [
    "BuiltinScenario",
    "Scenario",
    "Step",
    "builtin_ids",
    "list_builtin",
    "load_scenario",
    "parse_scenario",
]
