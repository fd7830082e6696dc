"""Discharge criteria: may the patient leave now, and if not, every reason why.

The criteria judge the patient now: the current SpO2 and pulse inside the session's alarm
limits, no physiological alarm active and no oximetry technical alarm in the last minutes
(:mod:`~sessionmon.protocol.discharge_patient`), recent assessments and a recent BP before
discharge, the 40-minute BP taken in its window, and the minimum observation time.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from datetime import datetime

from sessionmon.protocol import discharge_patient
from sessionmon.protocol.config import ProtocolConfig
from sessionmon.protocol.criterion import Criterion, DischargeDecision
from sessionmon.protocol.patient_now import PatientNow
from sessionmon.protocol.schedule import ALDRETE, CADSS, MOAAS
from sessionmon.protocol.state import ChecklistEntry, ProtocolState, after, minutes

__all__ = [
    "Criterion",
    "DischargeDecision",
    "criteria",
    "evaluate_discharge",
    "minutes_until_ready",
]


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


def _peak_bp(config: ProtocolConfig, state: ProtocolState, first: datetime, now: datetime):
    """The 40-min BP counts only if taken in its acceptance window (30-60 min)."""
    at = f"{config.peak_bp_at_min:g}"
    due = f"{config.peak_bp_window_start_min:g}-{config.peak_bp_window_end_min:g} min"
    accept = f"{config.peak_bp_accept_start_min:g}-{config.peak_bp_accept_end_min:g} min"
    start = after(first, config.peak_bp_accept_start_min)
    end = after(first, config.peak_bp_accept_end_min)
    found = state.readings_between(start, end, now)
    if found:
        due_start = after(first, config.peak_bp_window_start_min)
        due_end = after(first, config.peak_bp_window_end_min)
        on_time = [r for r in found if due_start <= r.at <= due_end]
        r = on_time[0] if on_time else found[0]
        when = _mins(minutes(r.at - first))
        if on_time:
            return Criterion("peak_bp", True, f"BP at {at} min: {_bp(r.sys, r.dia)} at {when}")
        timing = "late" if r.at > due_end else "early"
        return Criterion(
            "peak_bp",
            True,
            f"BP at {at} min taken {timing}: {_bp(r.sys, r.dia)} at {when} after the dose "
            f"(due {due})",
        )
    if now < end:
        why = (
            f"no BP at {at} min recorded yet (due {due} after the dose; it counts until "
            f"{config.peak_bp_accept_end_min:g} min)"
        )
        return Criterion("peak_bp", False, why)
    return Criterion(
        "peak_bp",
        False,
        f"no BP at {at} min: none was taken {accept} after the dose "
        "(a later BP does not replace it)",
    )


def _predose_bp(state: ProtocolState, now: datetime) -> Criterion:
    baseline = state.baseline(now)
    if baseline is None:
        return Criterion(
            "predose_bp",
            False,
            "no pre-dose BP recorded: the rise over the baseline cannot be checked",
        )
    return Criterion("predose_bp", True, f"pre-dose BP {_bp(*baseline)}")


def _bp_level(config: ProtocolConfig, patient: PatientNow | None, sys: float, dia: float):
    reading = f"BP before discharge {_bp(sys, dia)}"
    outside = []
    if patient is not None and patient.limits:
        for measure, value in (("nibp_sys", sys), ("nibp_dia", dia)):
            for limit in patient.limits_for(measure):
                if limit.breached(value):
                    name = "systolic" if measure == "nibp_sys" else "diastolic"
                    outside.append(f"{name} {value:g} {limit.op} {limit.threshold:g}")
        source = "the session's alarm limits"
    else:
        if sys >= config.discharge_sys_limit:
            outside.append(f"systolic {sys:g} ≥ {config.discharge_sys_limit:g}")
        if dia >= config.discharge_dia_limit:
            outside.append(f"diastolic {dia:g} ≥ {config.discharge_dia_limit:g}")
        source = "the protocol's limits (no alarm limits known)"
    if outside:
        return Criterion(
            "discharge_bp_level", False, f"{reading} is outside {source}: {'; '.join(outside)}"
        )
    return Criterion("discharge_bp_level", True, f"{reading} is inside {source}")


def _bp_rise(
    config: ProtocolConfig,
    patient: PatientNow | None,
    sys: float,
    dia: float,
    baseline: tuple[float, float],
) -> Criterion:
    if patient is not None and patient.rise is not None:
        sys_limit, dia_limit = patient.rise
    else:
        sys_limit, dia_limit = config.discharge_sys_rise, config.discharge_dia_rise
    reading = f"BP before discharge {_bp(sys, dia)}"
    rise_sys, rise_dia = sys - baseline[0], dia - baseline[1]
    rises = []
    if sys_limit is not None and rise_sys >= sys_limit:
        rises.append(f"systolic +{rise_sys:g} (limit +{sys_limit:g})")
    if dia_limit is not None and rise_dia >= dia_limit:
        rises.append(f"diastolic +{rise_dia:g} (limit +{dia_limit:g})")
    base = _bp(*baseline)
    if rises:
        return Criterion(
            "discharge_bp_rise",
            False,
            f"{reading} is still well above the pre-dose baseline {base}: {', '.join(rises)}",
        )
    return Criterion("discharge_bp_rise", True, f"{reading} is near the pre-dose baseline {base}")


def _discharge_bp(
    config: ProtocolConfig, state: ProtocolState, dose: datetime, now: datetime
) -> list[Criterion]:
    recent_min = config.discharge_bp_recent_min
    result = [_predose_bp(state, now)]
    since_dose = [r for r in state.readings(now) if r.at >= dose]
    if not since_dose:
        return [Criterion("discharge_bp", False, "no BP recorded since the dose"), *result]
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
            ),
            *result,
        ]
    reading = f"BP before discharge {_bp(last.sys, last.dia)}"
    result.insert(0, Criterion("discharge_bp", True, f"{reading} ({_mins(age)} ago)"))
    result.append(_bp_level(config, state.patient, last.sys, last.dia))
    baseline = state.baseline(now)
    if baseline is not None:
        result.append(_bp_rise(config, state.patient, last.sys, last.dia, baseline))
    return result


def _recent(
    config: ProtocolConfig,
    state: ProtocolState,
    scales: frozenset[str],
    dose: datetime,
    now: datetime,
) -> tuple[ChecklistEntry | None, bool]:
    """The latest entry since the dose, and whether it is recent enough to count."""
    entries = [e for e in state.entries(scales, now) if e.at >= dose]
    if not entries:
        return None, False
    latest = entries[-1]
    return latest, minutes(now - latest.at) <= config.predischarge_assessment_window_min + 1e-9


def _taken(entry: ChecklistEntry, dose: datetime, now: datetime) -> str:
    return (
        f"{entry.total} at {_mins(minutes(entry.at - dose))} after the dose "
        f"({_mins(minutes(now - entry.at))} ago)"
    )


def _moaas(config: ProtocolConfig, state: ProtocolState, dose: datetime, now: datetime):
    needed = config.discharge_moaas
    window = config.predischarge_assessment_window_min
    latest, recent = _recent(config, state, MOAAS, dose, now)
    if latest is None:
        return Criterion("moaas", False, f"no MOAA/S recorded since the dose (needs {needed})")
    if not recent:
        return Criterion(
            "moaas",
            False,
            f"no MOAA/S in the last {window:g} min (needs {needed}); latest was "
            f"{_taken(latest, dose, now)}",
        )
    if latest.total < needed:
        return Criterion("moaas", False, f"MOAA/S is {_taken(latest, dose, now)}; needs {needed}")
    return Criterion("moaas", True, f"MOAA/S {_taken(latest, dose, now)}")


def _aldrete(config: ProtocolConfig, state: ProtocolState, dose: datetime, now: datetime):
    needed = config.discharge_aldrete_min
    window = config.predischarge_assessment_window_min
    latest, recent = _recent(config, state, ALDRETE, dose, now)
    if latest is None:
        return Criterion(
            "aldrete",
            False,
            f"no modified Aldrete score recorded since the dose (needs ≥ {needed})",
        )
    if not recent:
        return Criterion(
            "aldrete",
            False,
            f"no modified Aldrete in the last {window:g} min (needs ≥ {needed}); latest was "
            f"{_taken(latest, dose, now)}",
        )
    if latest.total < needed:
        return Criterion(
            "aldrete",
            False,
            f"modified Aldrete is {_taken(latest, dose, now)}; needs ≥ {needed}",
        )
    return Criterion("aldrete", True, f"modified Aldrete {_taken(latest, dose, now)}")


def _cadss_name(entry: ChecklistEntry) -> str:
    return "CADSS-6" if entry.scale_id == "cadss6" else "CADSS"


def _dissociated(config: ProtocolConfig, entry: ChecklistEntry) -> bool:
    if entry.scale_id == "cadss6":
        return entry.total > 0
    return entry.total > config.cadss_cutoff


def _cadss(config: ProtocolConfig, state: ProtocolState, dose: datetime, now: datetime):
    cut = config.cadss_cutoff
    window = config.predischarge_assessment_window_min
    entries = [e for e in state.entries(CADSS, now) if e.at >= dose]
    found = [e for e in entries if _dissociated(config, e)]
    if not found:
        if not entries:
            return Criterion("cadss", True, "no dissociation recorded (no CADSS taken)")
        return Criterion(
            "cadss",
            True,
            f"no dissociation recorded (latest {_cadss_name(entries[-1])} "
            f"{_taken(entries[-1], dose, now)})",
        )
    first = found[0]
    seen = f"{_cadss_name(first)} {first.total} at {_mins(minutes(first.at - dose))}"
    latest, recent = _recent(config, state, CADSS, dose, now)
    assert latest is not None
    name = _cadss_name(latest)
    if not recent:
        return Criterion(
            "cadss",
            False,
            f"dissociation recorded ({seen}) and no CADSS in the last {window:g} min to show "
            f"it has resolved; latest was {name} {_taken(latest, dose, now)}",
        )
    if latest.scale_id == "cadss6" and latest.total > 0:
        return Criterion(
            "cadss",
            False,
            f"{name} is {_taken(latest, dose, now)}: the 6-item form has no validated "
            "cut-off, so an item above 0 is for the clinician to judge (ask the clinician)",
        )
    if latest.scale_id != "cadss6" and latest.total > cut:
        return Criterion(
            "cadss",
            False,
            f"dissociation not resolved: {name} is {_taken(latest, dose, now)} (needs ≤ {cut})",
        )
    limit = "all items 0" if latest.scale_id == "cadss6" else f"≤ {cut}"
    return Criterion(
        "cadss",
        True,
        f"dissociation resolved: {name} {_taken(latest, dose, now)} ({limit}; {seen} earlier)",
    )


def _breathing(config: ProtocolConfig, state: ProtocolState, now: datetime) -> list[Criterion]:
    """Current RR and etCO2 within limits (only where a respiration source is in the session)."""
    if not state.respiration_monitored:
        return []
    found = []
    for key, label, unit, (low, high) in (
        ("resp_rate", "respiratory rate", "/min", config.discharge_resp_rate_range),
        ("etco2", "etCO2", "mmHg", config.discharge_etco2_range),
    ):
        if key not in state.breathing_kinds:
            continue
        latest = state.breathing.get(key)
        cid = f"discharge_{key}"
        if (
            latest is None
            or (now - latest[0]).total_seconds() > config.discharge_breathing_recent_s
        ):
            found.append(Criterion(cid, False, f"no current {label} from the capnograph"))
        elif not low <= latest[1] <= high:
            found.append(
                Criterion(cid, False, f"{label} {latest[1]:g} {unit} is outside {low:g}-{high:g}")
            )
        else:
            found.append(Criterion(cid, True, f"{label} {latest[1]:g} {unit}"))
    return found


def _latched(state: ProtocolState, physiological: set[str]) -> Criterion:
    latched = [c for c in dict.fromkeys(state.unacknowledged_latched) if c not in physiological]
    if not latched:
        return Criterion("latched_alarms", True, "no unacknowledged latched alarm")
    if len(latched) == 1:
        text = f"unacknowledged latched alarm: {latched[0]} (acknowledge it first)"
    else:
        text = f"unacknowledged latched alarms: {', '.join(latched)} (acknowledge them first)"
    return Criterion("latched_alarms", False, text)


def _patient_now(config: ProtocolConfig, state: ProtocolState, now: datetime) -> list[Criterion]:
    patient = state.patient
    return [
        discharge_patient.current_vital(patient, "spo2", now),
        discharge_patient.current_vital(patient, "hr", now),
        discharge_patient.physiological_alarms(patient, now),
        discharge_patient.oximetry_technical(config, patient, now),
    ]


def criteria(
    config: ProtocolConfig,
    state: ProtocolState,
    now: datetime,
    include_min_observation: bool = True,
    include_latched: bool = True,
    include_patient: bool = True,
) -> list[Criterion]:
    """Evaluate every discharge criterion at ``now`` (entries after ``now`` are ignored)."""
    begin = state.observation_start
    dose = state.dose_at or begin
    physiological = (
        {a.condition for a in state.patient.active_physiological(now)} if state.patient else set()
    )
    if begin is None or dose is None or now < dose:
        result = [Criterion("dose", False, "no dose recorded yet; discharge counts from the dose")]
        if include_latched:
            result.append(_latched(state, physiological))
        return result
    result = []
    if include_min_observation:
        result.append(_min_observation(config, begin, now))
    if include_patient:
        result += _patient_now(config, state, now)
    if config.require_peak_bp:
        result.append(_peak_bp(config, state, begin, now))
    result += _discharge_bp(config, state, dose, now)
    result += _breathing(config, state, now)
    result.append(_moaas(config, state, dose, now))
    if config.require_cadss_resolved:
        result.append(_cadss(config, state, dose, now))
    if include_latched:
        result.append(_latched(state, physiological))
    if config.require_aldrete:
        result.append(_aldrete(config, state, dose, now))
    return result


def evaluate_discharge(
    config: ProtocolConfig, state: ProtocolState, now: datetime
) -> DischargeDecision:
    """Decide whether the patient may be discharged now.

    Criteria (each setting editable in :class:`ProtocolConfig`): the minimum observation since
    the first dose (120 min esketamine); SpO2 and pulse current and inside the session's alarm
    limits; no physiological alarm active; no oximetry technical alarm in the last 10 min; a BP
    taken 30-60 min after the first dose; a pre-dose BP; a BP in the last 30 min inside the
    session's limits and not risen over the pre-dose BP beyond the ``nibp_rise`` thresholds;
    MOAA/S 5 and modified Aldrete at least 9, each in the last 30 min; where dissociation was
    recorded, a CADSS in the last 30 min back at the cut-off; no unacknowledged latched alarm;
    where a respiration source is in the session, current RR 8-30 /min and etCO2 15-50 mmHg.

    Returns
    -------
    DischargeDecision
        ``blocking`` lists every unmet criterion as a sentence naming the values.
    """
    evaluated = criteria(config, state, now)
    blocking = [c.message for c in evaluated if not c.met]
    return DischargeDecision(not blocking, blocking, evaluated)


def minutes_until_ready(
    config: ProtocolConfig,
    state: ProtocolState,
    until: datetime,
    patient_at: Callable[[datetime], PatientNow] | None = None,
    moments: Iterable[datetime] = (),
) -> float | None:
    """Minutes from the first dose until the patient would have been ready to leave had there
    been no minimum observation time (the REMS evaluation question, offered as a suggestion).

    The first moment, at or before ``until``, when every criterion other than the minimum time
    was met. Criteria become met when a reading, a checklist or an alarm's end arrives, so those
    moments (and ``moments``) are examined. With ``patient_at`` (the patient facts at a past
    moment, replayed from the record) the vital-sign and alarm criteria are judged too.

    Returns
    -------
    float or None
        Minutes after the first dose, or None if the criteria were never all met (or no dose).
    """
    begin = state.observation_start
    if begin is None or state.dose_at is None:
        return None
    candidates = sorted(
        {r[0] for r in state.bp_readings if state.dose_at <= r[0] <= until}
        | {c[0] for c in state.checklists if state.dose_at <= c[0] <= until}
        | {m for m in moments if state.dose_at <= m <= until}
    )
    for moment in candidates:
        clean = dataclasses.replace(
            state,
            unacknowledged_latched=[],
            respiration_monitored=False,  # breathing: current values only
            patient=patient_at(moment) if patient_at is not None else None,
        )
        evaluated = criteria(
            config,
            clean,
            moment,
            include_min_observation=False,
            include_latched=False,
            include_patient=patient_at is not None,
        )
        if all(c.met for c in evaluated):
            return max(0.0, minutes(moment - begin))
    return None
