"""Shared helpers of the black-box acceptance tests: run scenario TOML headless, read the record."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sessionmon.model import AlarmLogEntry, Kind
from sessionmon.scenarios import parse_scenario
from sessionmon.scenarios.runner import SCENARIO_START, run_scenario
from sessionmon.store import SessionStore

HEAD = """\
name = "{name}"
treatment = "{treatment}"
duration = "{duration}"
seed = {seed}
[baseline]
hr = 74
spo2 = 98
sys = {sys}
dia = {dia}
"""


def scenario_text(
    steps: str,
    *,
    name: str = "acceptance",
    treatment: str = "esketamine-84",
    duration: str = "00:10:00",
    seed: int = 3,
    sys: int = 126,
    dia: int = 80,
    nibp: str | None = '"off"',
) -> str:
    """A scenario in the issue's format: header, baseline, optional [nibp], then ``steps``."""
    text = HEAD.format(
        name=name, treatment=treatment, duration=duration, seed=seed, sys=sys, dia=dia
    )
    if nibp is not None:
        text += f"[nibp]\ninterval = {nibp}\n"
    return text + steps


def bp_then_dose(bp_at: str, dose_at: str) -> str:
    """The steps most sessions start with: a pre-dose BP at ``bp_at``, then the dose."""
    return (
        f'[[step]]\nat = "{bp_at}"\naction = "measure_bp"\n'
        f'[[step]]\nat = "{dose_at}"\naction = "dose"\n'
    )


def run_text(store: SessionStore, text: str) -> dict[str, Any]:
    """Run scenario ``text`` headless into ``store`` and return the JSON summary."""
    return run_scenario(parse_scenario(text, "acceptance.toml"), store)


def alarms(summary: dict[str, Any], condition: str) -> list[dict[str, Any]]:
    """The summary's alarms of one condition."""
    return [a for a in summary["alarms"] if a["condition"] == condition]


def only(summary: dict[str, Any], condition: str) -> dict[str, Any]:
    """The one alarm of ``condition`` (fails if there is not exactly one)."""
    found = alarms(summary, condition)
    assert len(found) == 1, (condition, summary["alarms"])
    return found[0]


def session_id(summary: dict[str, Any]) -> uuid.UUID:
    """The id of the session the summary reports on."""
    return uuid.UUID(summary["session_id"])


def seconds_from_start(at: datetime) -> float:
    """``at`` as seconds from the scenario start (to the millisecond)."""
    return round((at - SCENARIO_START).total_seconds(), 3)


def values(store: SessionStore, summary: dict[str, Any], kind: Kind) -> list[tuple[float, float]]:
    """(seconds from scenario start, value) of every recorded value of ``kind``."""
    return [
        (seconds_from_start(m.received_at), m.value)
        for m in store.measurements(session_id(summary), kinds=[kind])
    ]


def alarm_log(store: SessionStore, summary: dict[str, Any]) -> list[AlarmLogEntry]:
    """The stored alarm log of the summary's session."""
    return store.alarm_log(session_id(summary))


def first_time(series: list[tuple[float, float]], test, after: float = 0.0) -> float:
    """The first time at or after ``after`` whose value passes ``test``."""
    return next(t for t, v in series if t >= after and test(v))


def first_run_held(
    series: list[tuple[float, float]], test, hold_s: float, after: float = 0.0
) -> float:
    """The first time ``test`` has held on every value for ``hold_s`` seconds (condition delay)."""
    since = None
    for t, v in series:
        if t < after:
            continue
        if test(v):
            since = t if since is None else since
            if t - since >= hold_s - 1e-6:
                return since + hold_s
        else:
            since = None
    raise AssertionError("the condition never held long enough")
