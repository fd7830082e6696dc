"""Discharge criteria: may the patient leave now, and if not, every reason why."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import datetime

from sessionmon.protocol.config import ProtocolConfig
from sessionmon.protocol.schedule import ALDRETE, CADSS, MOAAS
from sessionmon.protocol.state import ProtocolState, after, minutes


@dataclass(frozen=True)
class Criterion:
    """One discharge criterion: its id, whether it is met, and a sentence saying why (not)."""

    id: str
    met: bool
    message: str


@dataclass(frozen=True)
class DischargeDecision:
    """The answer to "may the patient leave now?".

    Attributes
    ----------
    allowed : bool
        True when every criterion is met.
    blocking : list[str]
        One human sentence per unmet criterion, naming the values (empty when allowed).
    criteria : list[Criterion]
        Every criterion evaluated, met or not (for a checklist view).
    """

    allowed: bool
    blocking: list[str]
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def blocking_ids(self) -> list[str]:
        """Ids of the unmet criteria, e.g. ``["min_observation", "aldrete"]``."""
        return [c.id for c in self.criteria if not c.met]


def _mins(value: float) -> str:
    return f"{math.floor(value + 1e-9):d} min"


def _bp(sys: float, dia: float) -> str:
    return f"{sys:g}/{dia:g} mmHg"


def _min_observation(config: ProtocolConfig, begin: datetime, now: datetime) -> Criterion:
    elapsed = minutes(now - begin)
    needed = config.min_observation_min
    if elapsed + 1e-9 >= needed:
        return Criterion(
            "min_observation", True, f"{_mins(elapsed)} since the first dose ({needed:g} required)"
        )
    to_go = math.ceil(needed - elapsed - 1e-9)
    return Criterion(
        "min_observation",
        False,
        f"only {_mins(elapsed)} since the first dose; {needed:g} min required ({to_go} min to go)",
    )


def _peak_bp(config: ProtocolConfig, state: ProtocolState, dose: datetime, now: datetime):
    start = after(dose, config.peak_bp_window_start_min)
    end = after(dose, config.peak_bp_window_end_min)
    found = state.readings_between(start, end, now)
    at = f"{config.peak_bp_at_min:g}"
    window = f"{config.peak_bp_window_start_min:g}-{config.peak_bp_window_end_min:g} min"
    if found:
        r = found[0]
        return Criterion("peak_bp", True, f"BP at {at} min recorded: {_bp(r.sys, r.dia)}")
    if now < end:
        why = f"no BP at {at} min recorded yet (due {window} after the dose)"
        return Criterion("peak_bp", False, why)
    late = [r for r in state.readings(now) if r.at > end]
    if late:
        # The window was missed (the timeline keeps it as missed and bp_check_overdue was
        # raised), but a BP taken afterwards is what a clinic records as a late 40-min check.
        r = late[0]
        return Criterion(
            "peak_bp",
            True,
            f"BP at {at} min taken late: {_bp(r.sys, r.dia)} at {_mins(minutes(r.at - dose))} "
            f"after the dose (due {window})",
        )
    why = f"no BP recorded at {at} min ({window} after the dose): the check was missed"
    return Criterion("peak_bp", False, why)


def _discharge_bp(
    config: ProtocolConfig, state: ProtocolState, dose: datetime, now: datetime
) -> list[Criterion]:
    recent_min = config.discharge_bp_recent_min
    since_dose = [r for r in state.readings(now) if r.at >= dose]
    if not since_dose:
        return [Criterion("discharge_bp", False, "no BP recorded since the dose")]
    last = since_dose[-1]
    age = minutes(now - last.at)
    if age > recent_min + 1e-9:
        return [
            Criterion(
                "discharge_bp",
                False,
                f"no BP in the last {recent_min:g} min before discharge; latest was "
                f"{_bp(last.sys, last.dia)} at {_mins(minutes(last.at - dose))} after the dose "
                f"({_mins(age)} ago)",
            )
        ]
    reading = f"BP before discharge {_bp(last.sys, last.dia)}"
    result = [Criterion("discharge_bp", True, f"{reading} ({_mins(age)} ago)")]
    too_high = []
    if last.sys >= config.discharge_sys_limit:
        too_high.append(f"systolic {last.sys:g} ≥ {config.discharge_sys_limit:g}")
    if last.dia >= config.discharge_dia_limit:
        too_high.append(f"diastolic {last.dia:g} ≥ {config.discharge_dia_limit:g}")
    if too_high:
        result.append(
            Criterion("discharge_bp_level", False, f"{reading} is too high: {'; '.join(too_high)}")
        )
    else:
        result.append(Criterion("discharge_bp_level", True, f"{reading} is below the limits"))
    baseline = state.baseline(now)
    if baseline is not None:
        rise_sys, rise_dia = last.sys - baseline[0], last.dia - baseline[1]
        rises = []
        if rise_sys >= config.discharge_sys_rise:
            rises.append(f"systolic +{rise_sys:g} (limit +{config.discharge_sys_rise:g})")
        if rise_dia >= config.discharge_dia_rise:
            rises.append(f"diastolic +{rise_dia:g} (limit +{config.discharge_dia_rise:g})")
        base = _bp(*baseline)
        if rises:
            result.append(
                Criterion(
                    "discharge_bp_rise",
                    False,
                    f"{reading} is still well above the pre-dose baseline {base}: "
                    f"{', '.join(rises)}",
                )
            )
        else:
            result.append(
                Criterion("discharge_bp_rise", True, f"{reading} is near the baseline {base}")
            )
    return result


def _moaas(config: ProtocolConfig, state: ProtocolState, dose: datetime, now: datetime):
    needed = config.discharge_moaas
    entries = [e for e in state.entries(MOAAS, now) if e.at >= dose]
    if not entries:
        return Criterion("moaas", False, f"no MOAA/S recorded since the dose (needs {needed})")
    latest = entries[-1]
    when = _mins(minutes(latest.at - dose))
    since = after(dose, config.assessment_at_min)
    if latest.at < since:
        return Criterion(
            "moaas",
            False,
            f"no MOAA/S recorded since {config.assessment_at_min:g} min; latest is "
            f"{latest.total} at {when} after the dose (needs {needed})",
        )
    if latest.total < needed:
        return Criterion(
            "moaas",
            False,
            f"latest MOAA/S is {latest.total} at {when} after the dose (needs {needed})",
        )
    return Criterion("moaas", True, f"latest MOAA/S is {latest.total} at {when} after the dose")


def _aldrete(config: ProtocolConfig, state: ProtocolState, dose: datetime, now: datetime):
    needed = config.discharge_aldrete_min
    entries = [e for e in state.entries(ALDRETE, now) if e.at >= dose]
    if not entries:
        return Criterion(
            "aldrete",
            False,
            f"no modified Aldrete score recorded since the dose (needs ≥ {needed})",
        )
    latest = entries[-1]
    if latest.total < needed:
        return Criterion(
            "aldrete", False, f"latest modified Aldrete is {latest.total} (needs ≥ {needed})"
        )
    return Criterion("aldrete", True, f"latest modified Aldrete is {latest.total}")


def _cadss(state: ProtocolState, dose: datetime, now: datetime) -> Criterion:
    entries = [e for e in state.entries(CADSS, now) if e.at >= dose]
    if not entries:
        return Criterion("cadss", False, "no CADSS recorded since the dose")
    latest = entries[-1]
    if latest.scale_id == "cadss" and latest.total > 4:
        return Criterion(
            "cadss", False, f"latest CADSS is {latest.total}: dissociation not resolved (≤ 4)"
        )
    if latest.scale_id == "cadss6" and latest.total > 0:
        return Criterion(
            "cadss", False, f"latest CADSS-6 is {latest.total}: dissociative symptoms remain"
        )
    return Criterion("cadss", True, f"latest {latest.scale_id.upper()} is {latest.total}")


def _latched(state: ProtocolState) -> Criterion:
    latched = list(dict.fromkeys(state.unacknowledged_latched))
    if not latched:
        return Criterion("latched_alarms", True, "no unacknowledged latched alarm")
    if len(latched) == 1:
        text = f"unacknowledged latched alarm: {latched[0]} (acknowledge it first)"
    else:
        text = f"unacknowledged latched alarms: {', '.join(latched)} (acknowledge them first)"
    return Criterion("latched_alarms", False, text)


def criteria(
    config: ProtocolConfig,
    state: ProtocolState,
    now: datetime,
    include_min_observation: bool = True,
    include_latched: bool = True,
) -> list[Criterion]:
    """Evaluate every discharge criterion at ``now`` (entries after ``now`` are ignored)."""
    begin = state.observation_start
    dose = state.dose_at or begin
    if begin is None or dose is None or now < dose:
        result = [Criterion("dose", False, "no dose recorded yet; discharge counts from the dose")]
        if include_latched:
            result.append(_latched(state))
        return result
    result = []
    if include_min_observation:
        result.append(_min_observation(config, begin, now))
    if config.require_peak_bp:
        result.append(_peak_bp(config, state, dose, now))
    result += _discharge_bp(config, state, dose, now)
    result.append(_moaas(config, state, dose, now))
    if config.require_cadss_resolved:
        result.append(_cadss(state, dose, now))
    if include_latched:
        result.append(_latched(state))
    if config.require_aldrete:
        result.append(_aldrete(config, state, dose, now))
    return result


def evaluate_discharge(
    config: ProtocolConfig, state: ProtocolState, now: datetime
) -> DischargeDecision:
    """Decide whether the patient may be discharged now.

    Criteria (each editable in :class:`ProtocolConfig`): minimum observation since the first
    dose (120 min esketamine); a BP in the 40-min window (or, once the window has passed, a late
    one after it); a BP within the last 15 min that is
    below 160/100 and not 40/25 mmHg over the pre-dose baseline; latest MOAA/S (taken at or
    after 40 min) of 5; no unacknowledged latched alarm; latest modified Aldrete at least 9.

    Returns
    -------
    DischargeDecision
        ``blocking`` lists every unmet criterion as a sentence naming the values.
    """
    evaluated = criteria(config, state, now)
    blocking = [c.message for c in evaluated if not c.met]
    return DischargeDecision(not blocking, blocking, evaluated)


def minutes_until_ready(
    config: ProtocolConfig, state: ProtocolState, until: datetime
) -> float | None:
    """Minutes from the first dose until the patient would have been ready to leave had there
    been no minimum observation time (the REMS monitoring form field).

    The first moment, at or before ``until``, when every criterion other than the minimum time
    was met. Latched alarms are not part of the recorded history and are ignored. Criteria only
    become met when a reading or a checklist arrives, so those are the moments examined.

    Returns
    -------
    float or None
        Minutes after the first dose, or None if the criteria were never all met (or no dose).
    """
    begin = state.observation_start
    if begin is None or state.dose_at is None:
        return None
    moments = sorted(
        {r[0] for r in state.bp_readings if state.dose_at <= r[0] <= until}
        | {c[0] for c in state.checklists if state.dose_at <= c[0] <= until}
    )
    clean = dataclasses.replace(state, unacknowledged_latched=[])
    for moment in moments:
        evaluated = criteria(
            config, clean, moment, include_min_observation=False, include_latched=False
        )
        if all(c.met for c in evaluated):
            return max(0.0, minutes(moment - begin))
    return None
