"""The schedule of checks of a session: timeline, protocol conditions, NIBP auto-cycle requests.

All functions are pure: settings, state and the current time in, answers out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from sessionmon.protocol.config import ProtocolConfig
from sessionmon.protocol.state import ProtocolState, after

MOAAS = frozenset({"moaas"})
CADSS = frozenset({"cadss", "cadss6"})
ALDRETE = frozenset({"aldrete"})


class CheckState(StrEnum):
    """Where a scheduled check stands."""

    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"
    MISSED = "missed"


@dataclass(frozen=True)
class CheckStatus:
    """One check on the session timeline.

    Attributes
    ----------
    id : str
        Stable id, e.g. ``bp_predose``, ``bp_40``, ``moaas_peak``, ``bp_discharge``.
    label : str
        What the nurse reads, e.g. "BP at 40 min".
    due_at : datetime or None
        When it is due (None before the dose is given).
    window_start, window_end : datetime or None
        The window in which it counts (None = open-ended).
    status : CheckState
        upcoming, due, overdue (window passed, nothing since), done, or missed (window passed,
        a later reading exists but it is not this check).
    done_at : datetime or None
        When it was done.
    kind : str
        ``bp``, ``assessment`` or ``observation``.
    """

    id: str
    label: str
    due_at: datetime | None
    window_start: datetime | None
    window_end: datetime | None
    status: CheckState
    done_at: datetime | None = None
    kind: str = "bp"


@dataclass(frozen=True)
class BpSlot:
    """A scheduled BP reading: minutes after the dose, with its window."""

    at_min: float
    start_min: float
    end_min: float
    label: str

    @property
    def id(self) -> str:
        """``bp_40``, ``bp_55`` ... (the minute, rounded)."""
        return f"bp_{round(self.at_min):d}"


def bp_slots(config: ProtocolConfig) -> list[BpSlot]:
    """The scheduled BP readings after the dose (computed once per setting).

    Esketamine: one at ``peak_bp_at_min`` (40) with window 35-45. IV ketamine: every
    ``bp_interval_infusion_min`` (10) through the infusion, then every ``bp_interval_after_min``
    (15) for ``bp_after_infusion_min`` (30); each window reaches half an interval either side,
    except the reading at the peak minute, which keeps the peak window.
    """
    return list(_bp_slots(config))


@lru_cache(maxsize=32)
def _bp_slots(config: ProtocolConfig) -> tuple[BpSlot, ...]:
    return tuple(_compute_bp_slots(config))


def _compute_bp_slots(config: ProtocolConfig) -> list[BpSlot]:
    """Build the slots of :func:`bp_slots` (uncached)."""
    peak = BpSlot(
        config.peak_bp_at_min,
        config.peak_bp_window_start_min,
        config.peak_bp_window_end_min,
        f"BP at {config.peak_bp_at_min:g} min",
    )
    if not config.is_infusion:
        return [peak]
    slots: list[BpSlot] = []
    step = config.bp_interval_infusion_min
    n = 1
    while n * step <= config.infusion_min + 1e-9:
        minute = n * step
        slots.append(
            BpSlot(minute, minute - step / 2, minute + step / 2, f"BP at {minute:g} min (infusion)")
        )
        n += 1
    step = config.bp_interval_after_min
    minute = config.infusion_min + step
    while minute <= config.infusion_min + config.bp_after_infusion_min + 1e-9:
        slots.append(
            BpSlot(
                minute,
                minute - step / 2,
                minute + step / 2,
                f"BP at {minute:g} min (after infusion)",
            )
        )
        minute += step
    result = [peak if math.isclose(s.at_min, peak.at_min) else s for s in slots]
    if not any(math.isclose(s.at_min, peak.at_min) for s in result) and config.require_peak_bp:
        result.append(peak)
    return sorted(result, key=lambda s: s.at_min)


def _window_status(
    now: datetime,
    start: datetime,
    end: datetime,
    in_window: list[datetime],
    after_window: list[datetime],
) -> tuple[CheckState, datetime | None]:
    if in_window:
        return CheckState.DONE, in_window[0]
    if now < start:
        return CheckState.UPCOMING, None
    if now < end:
        return CheckState.DUE, None
    return (CheckState.MISSED if after_window else CheckState.OVERDUE), None


def _predose_check(state: ProtocolState, now: datetime) -> CheckStatus:
    before = state.predose_readings(now)
    if before:
        status, done_at = CheckState.DONE, before[-1].at
    elif state.dose_at is None or now < state.dose_at:
        status, done_at = CheckState.DUE, None
    else:
        status, done_at = CheckState.MISSED, None
    return CheckStatus(
        "bp_predose", "BP before dose", state.dose_at, None, state.dose_at, status, done_at
    )


def _slot_check(state: ProtocolState, slot: BpSlot, now: datetime) -> CheckStatus:
    if state.dose_at is None:
        return CheckStatus(slot.id, slot.label, None, None, None, CheckState.UPCOMING)
    start, end = after(state.dose_at, slot.start_min), after(state.dose_at, slot.end_min)
    readings = state.readings(now)
    in_window = [r.at for r in readings if start <= r.at <= end]
    later = [r.at for r in readings if r.at > end]
    status, done_at = _window_status(now, start, end, in_window, later)
    return CheckStatus(
        slot.id, slot.label, after(state.dose_at, slot.at_min), start, end, status, done_at
    )


def _assessment_check(
    config: ProtocolConfig,
    state: ProtocolState,
    now: datetime,
    check_id: str,
    label: str,
    scales: frozenset[str],
) -> CheckStatus:
    if state.dose_at is None:
        return CheckStatus(
            check_id, label, None, None, None, CheckState.UPCOMING, kind="assessment"
        )
    start = after(state.dose_at, config.assessment_window_start_min)
    end = after(state.dose_at, config.assessment_window_end_min)
    entries = state.entries(scales, now)
    in_window = [e.at for e in entries if start <= e.at <= end]
    later = [e.at for e in entries if e.at > end]
    status, done_at = _window_status(now, start, end, in_window, later)
    due = after(state.dose_at, config.assessment_at_min)
    return CheckStatus(check_id, label, due, start, end, status, done_at, kind="assessment")


def _predischarge_check(
    config: ProtocolConfig,
    state: ProtocolState,
    now: datetime,
    check_id: str,
    label: str,
    times: list[datetime],
    window_min: float,
    kind: str,
) -> CheckStatus:
    begin = state.observation_start
    if begin is None:
        return CheckStatus(check_id, label, None, None, None, CheckState.UPCOMING, kind=kind)
    due = after(begin, config.min_observation_min)
    start = after(due, -window_min)
    done = [t for t in times if t >= start]
    if done:
        status, done_at = CheckState.DONE, done[-1]
    else:
        status = CheckState.UPCOMING if now < start else CheckState.DUE
        done_at = None
    return CheckStatus(check_id, label, due, start, None, status, done_at, kind=kind)


def checks(config: ProtocolConfig, state: ProtocolState, now: datetime) -> list[CheckStatus]:
    """The session timeline: every scheduled check with its status at ``now``.

    Parameters
    ----------
    config : ProtocolConfig
        The protocol settings.
    state : ProtocolState
        The session facts; entries after ``now`` are ignored.
    now : datetime
        The current time.

    Returns
    -------
    list[CheckStatus]
        Pre-dose BP first, then the checks in due order (undated checks last).
    """
    result = [_predose_check(state, now)]
    result += [_slot_check(state, slot, now) for slot in bp_slots(config)]
    result.append(_assessment_check(config, state, now, "moaas_peak", "MOAA/S at 40 min", MOAAS))
    result.append(_assessment_check(config, state, now, "cadss_peak", "CADSS at 40 min", CADSS))
    begin = state.observation_start
    min_obs = f"Minimum observation ({config.min_observation_min:g} min)"
    if begin is None:
        result.append(
            CheckStatus("min_observation", min_obs, None, None, None, CheckState.UPCOMING)
        )
    else:
        ends = after(begin, config.min_observation_min)
        done = now >= ends
        result.append(
            CheckStatus(
                "min_observation",
                min_obs,
                ends,
                begin,
                ends,
                CheckState.DONE if done else CheckState.UPCOMING,
                ends if done else None,
                kind="observation",
            )
        )
    bp_times = [r.at for r in state.readings(now)]
    window = config.predischarge_assessment_window_min
    result.append(
        _predischarge_check(
            config,
            state,
            now,
            "bp_discharge",
            "BP before discharge",
            bp_times,
            config.discharge_bp_recent_min,
            "bp",
        )
    )
    for check_id, label, scales in (
        ("moaas_discharge", "MOAA/S before discharge", MOAAS),
        ("cadss_discharge", "CADSS before discharge", CADSS),
        ("aldrete_discharge", "Modified Aldrete before discharge", ALDRETE),
    ):
        times = [e.at for e in state.entries(scales, now)]
        result.append(
            _predischarge_check(config, state, now, check_id, label, times, window, "assessment")
        )
    if not config.require_aldrete:
        result = [c for c in result if c.id != "aldrete_discharge"]
    head, rest = result[0], result[1:]
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rest.sort(key=lambda c: c.due_at or far)
    return [head, *rest]


def predose_bp_elevated(config: ProtocolConfig, state: ProtocolState, now: datetime) -> bool:
    """Whether the last pre-dose BP is above the limit (default > 140 systolic or > 90 diastolic).

    Only before the dose: once the dose is given the condition no longer applies.
    """
    if state.dose_at is not None and now >= state.dose_at:
        return False
    before = state.predose_readings(now)
    if not before:
        return False
    last = before[-1]
    return last.sys > config.predose_sys_above or last.dia > config.predose_dia_above


def active_conditions(config: ProtocolConfig, state: ProtocolState, now: datetime) -> set[str]:
    """Protocol alarm conditions active at ``now``.

    ``predose_bp_elevated``: see :func:`predose_bp_elevated`. ``bp_check_due``: a scheduled BP is
    at or past its minute (40 min) and no BP has been taken in its window, until the window ends
    (45 min). ``bp_check_overdue``: a scheduled BP's window has ended with no BP in it, from the
    window's end until any BP is taken.
    """
    conditions: set[str] = set()
    if predose_bp_elevated(config, state, now):
        conditions.add("predose_bp_elevated")
    if state.dose_at is None:
        return conditions
    readings = state.readings(now)
    for slot in bp_slots(config):
        due = after(state.dose_at, slot.at_min)
        start = after(state.dose_at, slot.start_min)
        end = after(state.dose_at, slot.end_min)
        if now < due:
            continue
        if any(start <= r.at <= end for r in readings):
            continue
        if now < end:
            conditions.add("bp_check_due")
        elif not any(r.at > end for r in readings):
            conditions.add("bp_check_overdue")
    return conditions


def _request_slots(config: ProtocolConfig, now_min: float) -> list[tuple[float, float]]:
    """(slot minute, satisfied-from minute) pairs of automatic NIBP requests up to ``now_min``."""
    tolerance = config.nibp_slot_tolerance_min
    if not config.is_infusion:
        return [(config.peak_bp_at_min, config.peak_bp_window_start_min)]
    pairs = [(s.at_min, s.at_min - tolerance) for s in bp_slots(config)]
    # After the scheduled period, keep the 15-min cadence until the session ends.
    last = pairs[-1][0] if pairs else config.infusion_min
    minute = last + config.bp_interval_after_min
    while minute <= now_min:
        pairs.append((minute, minute - tolerance))
        minute += config.bp_interval_after_min
    return pairs


def nibp_due(
    config: ProtocolConfig,
    state: ProtocolState,
    now: datetime,
    last_request_at: datetime | None,
) -> bool:
    """Whether the console should ask the NIBP module for a measurement now.

    IV ketamine: at every scheduled minute (every 10 min through the infusion, every 15 min
    after, continuing until the session ends) unless a BP was taken or requested since shortly
    before it (``nibp_slot_tolerance_min``). Esketamine: at 40 min unless a BP was taken or
    requested since the window opened (35 min). Both: when discharge has been asked for and there
    is no BP within ``discharge_bp_recent_min`` and no request since the discharge was asked.

    Parameters
    ----------
    last_request_at : datetime or None
        When the console last requested a measurement (None if never).
    """
    if state.dose_at is None or now < state.dose_at:
        return False
    activity = [r.at for r in state.readings(now)]
    if last_request_at is not None and last_request_at <= now:
        activity.append(last_request_at)
    asked = state.discharge_requested_at
    if asked is not None and asked <= now:
        recent = after(now, -config.discharge_bp_recent_min)
        has_recent = any(r.at >= recent for r in state.readings(now))
        requested_since = last_request_at is not None and asked <= last_request_at <= now
        if not has_recent and not requested_since:
            return True
    now_min = (now - state.dose_at).total_seconds() / 60.0
    passed = [p for p in _request_slots(config, now_min) if p[0] <= now_min + 1e-9]
    if not passed:
        return False
    _slot, satisfied_from = passed[-1]
    threshold = after(state.dose_at, satisfied_from)
    return not any(t >= threshold for t in activity)
