"""The alarm engine: conditions in, alarms, alarm log and audio state out.

Pure, clock-driven core code (no Qt, no threads). The runtime feeds it numerics
(:meth:`AlarmEngine.observe`), technical and protocol conditions (:meth:`AlarmEngine.set_condition`)
and calls :meth:`AlarmEngine.tick` about once a second; the console shows
:attr:`AlarmEngine.active_alarms` and plays :meth:`AlarmEngine.audio_state`.

Behaviour (IEC 60601-1-8 style):

* One condition has at most one alarm at a time. Its priority rises and falls with severity; the
  :class:`~sessionmon.model.AlarmRecord` keeps the highest priority reached and the log records
  each change.
* Condition delays: a stage of a rule must hold for its ``delay_s`` before it counts.
* Latching: a latched alarm keeps signalling after its condition clears (``CONDITION_CLEARED``)
  until acknowledged (then ``ENDED``), at the highest priority it reached and with the worst
  value (nadir or peak) in its message. Non-latched alarms end when the condition clears.
* Desaturation area (SatSeconds style): the %·s below the SpO2 low limit, see
  :class:`~sessionmon.alarms.profile.AreaRule`.
* Acknowledge silences an alarm's audio; if its priority rises later it sounds again.
* Audio pause (default 120 s) silences everything except rules that are not ``pausable``
  (``audio_unavailable``); a new high-priority alarm breaks through it.
* Escalation: an alarm left unacknowledged for ``escalate_after_s`` rises to ``escalate_to``;
  rules with ``escalate_while = "dose_active"`` count only from the dose
  (:meth:`AlarmEngine.set_dose_active`).
* Every change goes to ``on_record`` (the alarm record) and ``on_log`` (the alarm log entry), with
  the limits in force.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sessionmon.alarms.profile import (
    DISPLAY_UNITS,
    AlarmProfile,
    AreaRule,
    ConditionRule,
    Direction,
    EscalateWhile,
    LimitRule,
    RiseRule,
    Rule,
)
from sessionmon.clock import Clock
from sessionmon.model import (
    AlarmCategory,
    AlarmLogAction,
    AlarmLogEntry,
    AlarmPriority,
    AlarmRecord,
    Kind,
)

#: Measures that arrive continuously (about once a second) and go stale when they stop.
#: NIBP values are episodic: each holds until the next measurement.
CONTINUOUS_MEASURES = frozenset(
    {Kind.SPO2, Kind.HR, Kind.PI, Kind.RESP_RATE, Kind.ETCO2, Kind.FICO2}
)

#: Timing slack for comparing float seconds held in datetimes (microsecond resolution).
_EPSILON_S = 1e-6


@dataclass(frozen=True)
class ActiveAlarm:
    """An alarm as the console shows it.

    Attributes
    ----------
    alarm_id : uuid.UUID
        Same id as the :class:`~sessionmon.model.AlarmRecord`.
    condition : str
        Condition id, e.g. ``"spo2_low"``.
    priority : AlarmPriority
        Current priority (follows severity and escalation).
    highest_priority : AlarmPriority
        Highest priority reached.
    category : AlarmCategory
        Physiological, technical or protocol.
    started_at : datetime
        When the alarm started (after the condition delay).
    latched : bool
        Whether the alarm will keep signalling after its condition clears.
    acknowledged : bool
        Whether staff acknowledged it (its audio is silenced).
    condition_present : bool
        False for a latched alarm whose condition has cleared.
    message : str
        One line for the alarm bar.
    extreme : float or None
        The worst value while the condition held: the nadir of a low limit or desaturation, the
        peak of a high limit (None for conditions without a value).
    """

    alarm_id: uuid.UUID
    condition: str
    priority: AlarmPriority
    highest_priority: AlarmPriority
    category: AlarmCategory
    started_at: datetime
    latched: bool
    acknowledged: bool
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    condition_present: bool
    escalated: bool
    message: str
    detail: str
    value: float | None
    limits: dict[str, Any]
    extreme: float | None = None


@dataclass(frozen=True)
class AudioState:
    """What the loudspeaker should do now.

    Attributes
    ----------
    sounding : AlarmPriority or None
        The priority of the sound to play (highest unacknowledged alarm), None for silence.
    paused : bool
        Whether an audio pause is running.
    pause_remaining_s : float
        Seconds left of the pause (0 when not paused), for the countdown.
    pause_ends_at : datetime or None
        When the pause ends.
    silenced : tuple of str
        Conditions with an alarm that does not sound (acknowledged, or everything while paused).
    """

    sounding: AlarmPriority | None
    paused: bool
    pause_remaining_s: float
    pause_ends_at: datetime | None
    silenced: tuple[str, ...] = ()


@dataclass
class _Watch:
    """What the engine knows about one condition between alarms."""

    since: dict[AlarmPriority, datetime] = field(default_factory=dict)
    value: float | None = None
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    observed_at: datetime | None = None
    #: Desaturation area (AreaRule only), %·s, and the time of the value it was last fed.
    area: float = 0.0
    area_at: datetime | None = None


@dataclass
class _Alarm:
    condition: str
    rule: Rule
    category: AlarmCategory
    priority: AlarmPriority
    highest: AlarmPriority
    started_at: datetime
    limits: dict[str, Any]
    record: AlarmRecord
    latched: bool
    present: bool = True
    acknowledged: bool = False
    escalated: bool = False
    value: float | None = None
    detail: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    extreme: float | None = None


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _seconds(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds()


class AlarmEngine:
    """Turns numerics and conditions into alarms, the alarm log and the audio state.

    Parameters
    ----------
    profile : AlarmProfile
        Rules, limits, delays, latching and escalation.
    clock : Clock
        Used when a method is called without a time.
    session_id : uuid.UUID
        Written into every record and log entry.
    on_record : callable, optional
        Called with the new :class:`~sessionmon.model.AlarmRecord` on every change of an alarm
        (e.g. ``store.save_alarm``).
    on_log : callable, optional
        Called with each :class:`~sessionmon.model.AlarmLogEntry` (e.g. ``store.add_alarm_log``).
    """

    def __init__(
        self,
        profile: AlarmProfile,
        clock: Clock,
        session_id: uuid.UUID,
        on_record: Callable[[AlarmRecord], object] | None = None,
        on_log: Callable[[AlarmLogEntry], object] | None = None,
    ) -> None:
        self._profile = profile
        self._clock = clock
        self._session_id = session_id
        self._on_record = on_record
        self._on_log = on_log
        self._rules: dict[str, Rule] = {}
        self._all_ids: set[str] = set()
        self._by_measure: dict[Kind, list[tuple[str, LimitRule]]] = {}
        self._delays: dict[str, dict[AlarmPriority, float]] = {}
        self._index(profile)
        self._watches: dict[str, _Watch] = {cid: _Watch() for cid in self._rules}
        self._alarms: dict[str, _Alarm] = {}
        self._pause_until: datetime | None = None
        self._baseline: tuple[float, float] | None = None
        self._last_bp: dict[Kind, float] = {}
        self._dose_since: datetime | None = None

    # ------------------------------------------------------------------------------ inputs

    @property
    def profile(self) -> AlarmProfile:
        """The profile in force."""
        return self._profile

    def set_profile(self, profile: AlarmProfile, now: datetime | None = None) -> None:
        """Put a new profile in force mid-session (e.g. per-session adjusted limits).

        The latest values are judged again against the new limits: alarms whose condition no
        longer holds clear (latched ones stay until acknowledged), new conditions start their
        delays now, and alarms of rules that are now disabled end. Records keep the limits in
        force when they started; later log entries carry the new limits.
        """
        now = self._now(now)
        self._expire_pause(now)
        old_watches = self._watches
        self._index(profile)
        self._watches = {cid: old_watches.get(cid, _Watch()) for cid in self._rules}
        for alarm in self._sorted(self._alarms.values()):
            rule = self._rules.get(alarm.condition)
            if rule is None:
                self._end(alarm, now, "alarm rule disabled")
            else:
                alarm.rule = rule
                alarm.limits = self._limits(rule)
        for cid, rule in self._rules.items():
            watch = self._watches[cid]
            if isinstance(rule, LimitRule):
                if watch.observed_at is not None and watch.value is not None:
                    true = {p for p, stage in rule.stages() if stage.holds(watch.value)}
                    self._update_watch(cid, true, now, watch.value, watch.detail, watch.fields)
            elif isinstance(rule, ConditionRule) and watch.since:
                watch.since = {rule.priority: min(watch.since.values())}
        if isinstance(self._rules.get("nibp_rise"), RiseRule) and self._last_bp:
            self._observe_rise(now)
        for cid in self._rules:
            if self._watches[cid].since or cid in self._alarms:
                self._reconcile(cid, now)

    def set_baseline_bp(self, sys: float | None, dia: float | None = None) -> None:
        """Set the pre-dose baseline for ``nibp_rise`` (None clears it).

        The next NIBP measurement is compared with it.
        """
        if sys is None or dia is None:
            self._baseline = None
            return
        self._baseline = (float(sys), float(dia))

    def set_dose_active(self, active: bool, at: datetime | None = None) -> None:
        """Say whether a dose is active (given and the session not yet over).

        Rules with ``escalate_while = "dose_active"`` escalate only while it is, counting from the
        later of the alarm's start and ``at``.
        """
        at = self._now(at)
        if not active:
            self._dose_since = None
        elif self._dose_since is None:
            self._dose_since = at
        for cid in list(self._alarms):
            self._reconcile(cid, at)

    @property
    def dose_active(self) -> bool:
        """Whether a dose is active (see :meth:`set_dose_active`)."""
        return self._dose_since is not None

    @property
    def baseline_bp(self) -> tuple[float, float] | None:
        """The pre-dose (sys, dia) baseline, if set."""
        return self._baseline

    def observe(self, kind: Kind | str, value: float, at: datetime | None = None) -> None:
        """Feed one physiological numeric.

        Parameters
        ----------
        kind : Kind
            ``spo2``, ``hr``, ``nibp_sys``, ``nibp_dia``, ...; kinds with no rule are ignored.
        value : float
            The value, in the kind's unit.
        at : datetime, optional
            When it was received; defaults to the clock.

        Raises
        ------
        ValueError
            If ``value`` is not a finite number.
        """
        kind = Kind(kind)
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"{kind.value} value must be a finite number, got {value}")
        at = self._now(at)
        self._expire_pause(at)
        touched = self._observe_limits(kind, value, at)
        if kind is Kind.SPO2:
            touched += self._observe_areas(value, at)
        if kind in (Kind.NIBP_SYS, Kind.NIBP_DIA):
            self._last_bp[kind] = value
            touched += self._observe_rise(at)
        for cid in touched:
            self._reconcile(cid, at)

    def observe_bp(self, sys: float, dia: float, at: datetime | None = None) -> None:
        """Feed one NIBP measurement (systolic and diastolic together).

        Equivalent to two :meth:`observe` calls, except that the rise over baseline is judged once
        on the pair.
        """
        at = self._now(at)
        self._expire_pause(at)
        touched: list[str] = []
        for kind, value in ((Kind.NIBP_SYS, float(sys)), (Kind.NIBP_DIA, float(dia))):
            if not math.isfinite(value):
                raise ValueError(f"{kind.value} value must be a finite number, got {value}")
            touched += self._observe_limits(kind, value, at)
            self._last_bp[kind] = value
        touched += self._observe_rise(at)
        for cid in touched:
            self._reconcile(cid, at)

    def invalidate(self, kind: Kind | str, at: datetime | None = None, detail: str = "") -> None:
        """Forget the current value of ``kind`` (sensor off, device gone).

        Limit conditions on it stop holding: pending delays restart, non-latched alarms end and
        latched alarms show their condition as cleared.
        """
        kind = Kind(kind)
        at = self._now(at)
        self._expire_pause(at)
        detail = detail or f"no current {kind.value} value"
        for cid in self._limit_ids(kind) + self._area_ids(kind):
            self._forget(cid, detail)
            self._reconcile(cid, at)
        if kind in (Kind.NIBP_SYS, Kind.NIBP_DIA):
            self._last_bp.pop(kind, None)

    def set_condition(
        self,
        condition_id: str,
        active: bool,
        at: datetime | None = None,
        detail: str = "",
        value: float | None = None,
        priority: AlarmPriority | None = None,
    ) -> None:
        """Switch a technical or protocol condition on or off.

        Parameters
        ----------
        condition_id : str
            E.g. ``"oximeter_sensor_off"``, ``"nibp_failed"``, ``"bp_check_due"``.
        active : bool
            Whether the condition holds now.
        at : datetime, optional
            When it changed; defaults to the clock.
        detail : str
            Shown with the alarm and written to the log.
        value : float, optional
            A value that goes with it (e.g. the pre-dose systolic).
        priority : AlarmPriority, optional
            For a condition a device reports (``reported_by_device``): the priority the device
            gives it (a monitor's own alarm list); otherwise ignored, the rule's priority holds.

        Raises
        ------
        KeyError
            If the profile has no such condition (a disabled one is accepted and ignored).
        """
        if condition_id not in self._all_ids:
            raise KeyError(f"unknown alarm condition {condition_id!r}")
        rule = self._profile.rule(condition_id)
        if not isinstance(rule, ConditionRule):
            raise KeyError(f"{condition_id!r} is a limit rule; feed its values with observe()")
        at = self._now(at)
        self._expire_pause(at)
        if condition_id not in self._rules:
            return
        own = priority if priority is not None and rule.reported_by_device else rule.priority
        true = {own} if active else set()
        fields = {"value": _fmt(value), "detail": detail}
        self._update_watch(condition_id, true, at, value, detail, fields)
        self._reconcile(condition_id, at)

    def tick(self, now: datetime | None = None) -> None:
        """Advance time: condition delays, stale data, escalation and the end of a pause."""
        now = self._now(now)
        self._expire_pause(now)
        stale_after = self._profile.stale_after_s
        for measure, rules in self._by_measure.items():
            if measure not in CONTINUOUS_MEASURES:
                continue
            for cid, _ in rules:
                watch = self._watches[cid]
                if (
                    watch.observed_at is not None
                    and _seconds(now, watch.observed_at) > stale_after + _EPSILON_S
                ):
                    self._forget(cid, f"no {measure.value} value for {stale_after:g} s")
        for cid, _ in self._area_rules:
            watch = self._watches[cid]
            if (
                watch.observed_at is not None
                and _seconds(now, watch.observed_at) > stale_after + _EPSILON_S
            ):
                self._forget(cid, f"no spo2 value for {stale_after:g} s")
        for cid, watch in self._watches.items():
            if watch.since or cid in self._alarms:
                self._reconcile(cid, now)

    def acknowledge(
        self, by: str | None, now: datetime | None = None, condition: str | None = None
    ) -> list[str]:
        """Acknowledge one alarm or all of them.

        Acknowledging silences the alarm's audio; a latched alarm whose condition has already
        cleared ends.

        Parameters
        ----------
        by : str or None
            Who acknowledged.
        now : datetime, optional
            Defaults to the clock.
        condition : str, optional
            The condition to acknowledge; None for every alarm.

        Returns
        -------
        list of str
            The conditions acknowledged (already-acknowledged alarms are left out).
        """
        now = self._now(now)
        self._expire_pause(now)
        done = []
        for alarm in self._sorted(self._alarms.values()):
            if condition is not None and alarm.condition != condition:
                continue
            if alarm.acknowledged:
                continue
            alarm.acknowledged = True
            alarm.record = alarm.record.model_copy(
                update={"acknowledged_by": by, "acknowledged_at": now}
            )
            self._log(alarm, AlarmLogAction.ACKNOWLEDGED, now, by=by)
            self._emit_record(alarm)
            done.append(alarm.condition)
            if not alarm.present:
                self._end(alarm, now, "latched alarm ended by acknowledgement")
        return done

    def pause_audio(self, now: datetime | None = None) -> None:
        """Pause all alarm audio for ``profile.audio_pause_s`` (120 s); again restarts the count."""
        now = self._now(now)
        self._expire_pause(now)
        self._pause_until = now + timedelta(seconds=self._profile.audio_pause_s)
        self._log_audio(
            AlarmLogAction.AUDIO_PAUSED,
            now,
            f"audio paused for {self._profile.audio_pause_s:g} s",
        )

    def resume_audio(self, now: datetime | None = None) -> None:
        """End an audio pause early (staff cancelled it)."""
        now = self._now(now)
        self._expire_pause(now)
        if self._pause_until is not None:
            self._pause_until = None
            self._log_audio(AlarmLogAction.AUDIO_RESUMED, now, "audio pause cancelled")

    def close(self, now: datetime | None = None, detail: str = "session ended") -> None:
        """End every alarm (the session is over), so every record has an end time."""
        now = self._now(now)
        for alarm in self._sorted(self._alarms.values()):
            self._end(alarm, now, detail)
        for watch in self._watches.values():
            watch.since.clear()

    # ------------------------------------------------------------------------------ outputs

    @property
    def active_alarms(self) -> list[ActiveAlarm]:
        """Current alarms, highest priority first, then oldest first."""
        return [self._snapshot(a) for a in self._sorted(self._alarms.values())]

    def alarm(self, condition: str) -> ActiveAlarm | None:
        """The current alarm of ``condition``, if any."""
        alarm = self._alarms.get(condition)
        return None if alarm is None else self._snapshot(alarm)

    def unacknowledged_latched(self) -> list[str]:
        """Conditions whose alarm is latched and not yet acknowledged (these block discharge)."""
        return [
            a.condition
            for a in self._sorted(self._alarms.values())
            if a.latched and not a.acknowledged
        ]

    def audio_state(self, now: datetime | None = None) -> AudioState:
        """What the loudspeaker should play at ``now`` (does not change state).

        Returns
        -------
        AudioState
            The sounding priority (highest alarm that is not acknowledged; while paused, only
            alarms whose rule is not ``pausable`` sound), whether a pause runs and how long it
            has left.
        """
        now = self._now(now)
        remaining = 0.0
        if self._pause_until is not None:
            remaining = max(0.0, _seconds(self._pause_until, now))
        paused = remaining > 0
        audible = [
            a
            for a in self._alarms.values()
            if not a.acknowledged and not (paused and a.rule.pausable)
        ]
        sounding = None
        if audible:
            sounding = max((a.priority for a in audible), key=lambda p: p.rank)
        silenced = tuple(
            a.condition
            for a in self._sorted(self._alarms.values())
            if (paused and a.rule.pausable) or a.acknowledged
        )
        return AudioState(
            sounding=sounding,
            paused=paused,
            pause_remaining_s=remaining,
            pause_ends_at=self._pause_until if paused else None,
            silenced=silenced,
        )

    # ------------------------------------------------------------------------------ evaluation

    def _index(self, profile: AlarmProfile) -> None:
        """Put ``profile`` in force and precompute what the hot paths look up."""
        self._profile = profile
        self._rules = {cid: rule for cid, rule in profile.rules().items() if rule.enabled}
        self._all_ids = set(profile.rules())
        self._by_measure = {}
        self._delays = {}
        self._area_rules: list[tuple[str, AreaRule]] = []
        for cid, rule in self._rules.items():
            if isinstance(rule, AreaRule):
                self._area_rules.append((cid, rule))
            if isinstance(rule, LimitRule):
                self._by_measure.setdefault(rule.measure, []).append((cid, rule))
                self._delays[cid] = {p: stage.delay_s for p, stage in rule.stages()}
            elif getattr(rule, "reported_by_device", False):
                # a device's own alarm comes at the priority the device gives it
                self._delays[cid] = dict.fromkeys(AlarmPriority, getattr(rule, "delay_s", 0.0))
            else:
                self._delays[cid] = {rule.priority: getattr(rule, "delay_s", 0.0)}

    def _now(self, at: datetime | None) -> datetime:
        if at is None:
            return self._clock.now()
        if at.tzinfo is None:
            raise ValueError("alarm times must be timezone-aware (UTC)")
        return at

    def _limit_ids(self, kind: Kind) -> list[str]:
        return [cid for cid, _ in self._by_measure.get(kind, ())]

    def _observe_limits(self, kind: Kind, value: float, at: datetime) -> list[str]:
        touched = []
        for cid, rule in self._by_measure.get(kind, ()):
            true = set()
            if rule.medium is not None and rule.medium.holds(value):
                true.add(AlarmPriority.MEDIUM)
            if rule.high is not None and rule.high.holds(value):
                true.add(AlarmPriority.HIGH)
            watch = self._watches[cid]
            if not true and not watch.since and cid not in self._alarms:
                # Within limits and nothing pending or showing: only the freshness changes.
                watch.value = value
                watch.detail = ""
                watch.observed_at = at
                continue
            fields = {"value": _fmt(value), "unit": DISPLAY_UNITS[kind]}
            self._update_watch(cid, true, at, value, "", fields)
            self._watches[cid].observed_at = at
            touched.append(cid)
        return touched

    def _area_ids(self, kind: Kind) -> list[str]:
        return [cid for cid, _ in self._area_rules] if kind is Kind.SPO2 else []

    def _area_limit(self, rule: AreaRule) -> tuple[float, Any]:
        stage = self._profile.limits[rule.limit_rule].least_severe()[1]
        return stage.threshold, stage

    def _observe_areas(self, value: float, at: datetime) -> list[str]:
        """Integrate the points below the SpO2 low limit (SatSeconds style)."""
        touched = []
        for cid, rule in self._area_rules:
            threshold, stage = self._area_limit(rule)
            watch = self._watches[cid]
            if watch.area_at is None:
                step = 1.0  # the first value stands for one second (oximeters send 1 Hz)
            else:
                step = min(max(0.0, _seconds(at, watch.area_at)), self._profile.stale_after_s)
            below = stage.holds(value)
            if below:
                # Capped at the threshold (a full SatSeconds circle): after a long dip the area
                # drains in seconds once SpO2 is back, instead of re-alarming for minutes.
                watch.area = min(
                    rule.area_threshold, watch.area + max(0.0, threshold - value) * step
                )
            else:
                watch.area = max(0.0, watch.area - (value - threshold) * step)
            watch.area_at = at
            holds = below and watch.area + _EPSILON_S >= rule.area_threshold
            if not holds and not watch.since and cid not in self._alarms:
                watch.value = value
                watch.observed_at = at
                continue
            fields = {
                "value": _fmt(value),
                "unit": DISPLAY_UNITS[Kind.SPO2],
                "limit": f"{threshold:g}",
                "area": f"{watch.area:.0f}",
            }
            self._update_watch(cid, {rule.priority} if holds else set(), at, value, "", fields)
            watch.observed_at = at
            touched.append(cid)
        return touched

    def _observe_rise(self, at: datetime) -> list[str]:
        rule = self._rules.get("nibp_rise")
        if not isinstance(rule, RiseRule):
            return []
        sys = self._last_bp.get(Kind.NIBP_SYS)
        dia = self._last_bp.get(Kind.NIBP_DIA)
        true = {rule.priority} if rule.holds(sys, dia, self._baseline) else set()
        baseline = "" if self._baseline is None else "/".join(_fmt(v) for v in self._baseline)
        value_text = f"{_fmt(sys) or '-'}/{_fmt(dia) or '-'}"
        detail = ""
        if self._baseline is not None:
            rises = []
            if sys is not None:
                rises.append(f"systolic {sys - self._baseline[0]:+g}")
            if dia is not None:
                rises.append(f"diastolic {dia - self._baseline[1]:+g}")
            detail = ", ".join(rises) + f" mmHg over baseline {baseline}"
        fields = {"value": value_text, "baseline": baseline, "unit": "mmHg", "detail": detail}
        self._update_watch("nibp_rise", true, at, sys, detail, fields)
        return ["nibp_rise"]

    def _update_watch(
        self,
        cid: str,
        true: set[AlarmPriority],
        at: datetime,
        value: float | None,
        detail: str,
        fields: dict[str, str],
    ) -> None:
        watch = self._watches[cid]
        for priority in list(watch.since):
            if priority not in true:
                del watch.since[priority]
        for priority in true:
            watch.since.setdefault(priority, at)
        watch.value = value
        watch.detail = detail
        watch.fields = fields

    def _forget(self, cid: str, detail: str) -> None:
        watch = self._watches[cid]
        watch.since.clear()
        watch.observed_at = None
        watch.detail = detail
        watch.area = 0.0
        watch.area_at = None

    def _target(self, cid: str, now: datetime) -> AlarmPriority | None:
        """The priority the condition calls for now (stages that held for their delay)."""
        watch = self._watches[cid]
        if not watch.since:
            return None
        rule = self._rules[cid]
        if isinstance(rule, LimitRule) and any(
            other in self._watches and self._watches[other].since for other in rule.unless
        ):
            return None  # e.g. etCO2 low while the patient is apnoeic: the apnoea alarm says it
        delays = self._delays[cid]
        ready = [
            priority
            for priority, since in watch.since.items()
            if _seconds(now, since) + _EPSILON_S >= delays[priority]
        ]
        return max(ready, key=lambda p: p.rank) if ready else None

    def _reconcile(self, cid: str, now: datetime) -> None:
        rule = self._rules[cid]
        watch = self._watches[cid]
        target = self._target(cid, now)
        alarm = self._alarms.get(cid)
        if alarm is None:
            if target is not None:
                self._raise(cid, rule, target, now)
            return
        if target is None:
            if alarm.present:
                self._condition_cleared(alarm, now, watch.detail)
            return
        alarm.value = watch.value
        alarm.detail = watch.detail
        alarm.fields = dict(watch.fields)
        alarm.extreme = self._worse(alarm.rule, alarm.extreme, watch.value)
        if not alarm.present:
            alarm.present = True
        wanted = target
        if alarm.escalated and alarm.rule.escalate_to.rank > wanted.rank:
            wanted = alarm.rule.escalate_to
        if alarm.latched and not alarm.acknowledged and alarm.highest.rank > wanted.rank:
            wanted = alarm.highest  # a latched alarm keeps what it reached until acknowledged
        if wanted is not alarm.priority:
            self._change_priority(alarm, wanted, now, AlarmLogAction.PRIORITY_CHANGED)
        self._maybe_escalate(alarm, now)

    def _maybe_escalate(self, alarm: _Alarm, now: datetime) -> None:
        rule = alarm.rule
        since = alarm.started_at
        if rule.escalate_while is EscalateWhile.DOSE_ACTIVE:
            if self._dose_since is None:
                return
            since = max(since, self._dose_since)
        if (
            rule.escalate_after_s is None
            or alarm.escalated
            or alarm.acknowledged
            or not alarm.present
            or _seconds(now, since) + _EPSILON_S < rule.escalate_after_s
        ):
            return
        alarm.escalated = True
        if rule.escalate_to.rank > alarm.priority.rank:
            self._change_priority(
                alarm,
                rule.escalate_to,
                now,
                AlarmLogAction.ESCALATED,
                f"unacknowledged for {rule.escalate_after_s:g} s"
                + (
                    " while a dose is active"
                    if rule.escalate_while is EscalateWhile.DOSE_ACTIVE
                    else ""
                ),
            )

    # ------------------------------------------------------------------------------ changes

    def _limits(self, rule: Rule) -> dict[str, Any]:
        if isinstance(rule, LimitRule):
            return rule.limits()
        found: dict[str, Any] = {
            "priority": rule.priority.value,
            "delay_s": getattr(rule, "delay_s", 0.0),
        }
        if isinstance(rule, AreaRule):
            threshold, stage = self._area_limit(rule)
            found.update(
                {
                    "measure": Kind.SPO2.value,
                    "unit": "%",
                    "below": {"op": stage.op.value, "threshold": threshold},
                    "area_threshold": rule.area_threshold,
                }
            )
        if isinstance(rule, RiseRule):
            found.update(
                {
                    "systolic_rise": rule.systolic_rise,
                    "diastolic_rise": rule.diastolic_rise,
                    "baseline_sys": None if self._baseline is None else self._baseline[0],
                    "baseline_dia": None if self._baseline is None else self._baseline[1],
                }
            )
        if rule.escalate_after_s is not None:
            found["escalate_after_s"] = rule.escalate_after_s
            found["escalate_to"] = rule.escalate_to.value
        found["latching"] = rule.latching.value
        return found

    def _message(self, alarm: _Alarm) -> str:
        rule = alarm.rule
        fields = dict(alarm.fields)
        fields.setdefault("detail", alarm.detail)
        if isinstance(rule, LimitRule):
            stages = dict(rule.stages())
            stage = stages.get(alarm.priority) or rule.stages()[-1][1]
            fields["limit"] = stage.text
        elif isinstance(rule, RiseRule):
            fields["limit"] = rule.limit_text
        suffix = ""
        worst = alarm.extreme
        if worst is not None and isinstance(rule, LimitRule | AreaRule):
            word = "highest" if self._peak_rule(rule) else "lowest"
            if not alarm.present:
                fields["value"] = _fmt(worst)
                suffix = f" - {word} {_fmt(worst)}, condition cleared"
            elif alarm.value is not None and worst != alarm.value:
                suffix = f" - {word} {_fmt(worst)}"
        return rule.render(**fields) + suffix

    @staticmethod
    def _peak_rule(rule: Rule) -> bool:
        return isinstance(rule, LimitRule) and rule.direction is Direction.HIGH

    def _worse(self, rule: Rule, worst: float | None, value: float | None) -> float | None:
        """The nadir (low limits, desaturation) or peak (high limits) including ``value``."""
        if not isinstance(rule, LimitRule | AreaRule) or value is None:
            return worst
        if worst is None:
            return value
        return max(worst, value) if self._peak_rule(rule) else min(worst, value)

    def _category(self, rule: Rule) -> AlarmCategory:
        if isinstance(rule, ConditionRule):
            return rule.category
        return AlarmCategory.PHYSIOLOGICAL

    def _raise(self, cid: str, rule: Rule, priority: AlarmPriority, now: datetime) -> None:
        watch = self._watches[cid]
        category = self._category(rule)
        limits = self._limits(rule)
        record = AlarmRecord(
            session_id=self._session_id,
            condition=cid,
            priority=priority,
            category=category,
            start=now,
            limits=limits,
        )
        alarm = _Alarm(
            condition=cid,
            rule=rule,
            category=category,
            priority=priority,
            highest=priority,
            started_at=now,
            limits=limits,
            record=record,
            latched=rule.latching.latches(priority),
            value=watch.value,
            detail=watch.detail,
            fields=dict(watch.fields),
            extreme=self._worse(rule, None, watch.value),
        )
        alarm.record = record.model_copy(update={"message": self._message(alarm)})
        self._alarms[cid] = alarm
        self._log(alarm, AlarmLogAction.RAISED, now, detail=alarm.detail or None)
        self._emit_record(alarm)
        if priority is AlarmPriority.HIGH:
            self._break_through(alarm, now)
        self._maybe_escalate(alarm, now)

    def _change_priority(
        self,
        alarm: _Alarm,
        priority: AlarmPriority,
        now: datetime,
        action: AlarmLogAction,
        detail: str | None = None,
    ) -> None:
        rising = priority.rank > alarm.priority.rank
        old = alarm.priority
        alarm.priority = priority
        if alarm.rule.latching.latches(priority):
            alarm.latched = True
        notes = [detail] if detail else []
        notes.insert(0, f"{old.value} -> {priority.value}")
        if rising and alarm.acknowledged:
            alarm.acknowledged = False
            alarm.record = alarm.record.model_copy(
                update={"acknowledged_by": None, "acknowledged_at": None}
            )
            notes.append("acknowledgement cleared: the alarm sounds again")
        if priority.rank > alarm.highest.rank:
            alarm.highest = priority
            alarm.record = alarm.record.model_copy(
                update={"priority": priority, "message": self._message(alarm)}
            )
        self._log(alarm, action, now, detail="; ".join(notes))
        self._emit_record(alarm)
        if rising and priority is AlarmPriority.HIGH:
            self._break_through(alarm, now)

    def _condition_cleared(self, alarm: _Alarm, now: datetime, detail: str) -> None:
        if alarm.latched and not alarm.acknowledged:
            alarm.present = False
            self._log(
                alarm,
                AlarmLogAction.CONDITION_CLEARED,
                now,
                detail=detail or "condition cleared; latched until acknowledged",
            )
            return
        self._end(alarm, now, detail or "condition cleared")

    def _end(self, alarm: _Alarm, now: datetime, detail: str) -> None:
        if isinstance(alarm.rule, AreaRule) and alarm.condition in self._watches:
            # That desaturation was dealt with: a new alarm needs a new area below the limit.
            self._watches[alarm.condition].area = 0.0
        alarm.record = alarm.record.model_copy(update={"end": now})
        self._log(alarm, AlarmLogAction.ENDED, now, detail=detail)
        self._emit_record(alarm)
        del self._alarms[alarm.condition]

    # ------------------------------------------------------------------------------ audio pause

    def _paused(self, now: datetime) -> bool:
        return self._pause_until is not None and now < self._pause_until

    def _expire_pause(self, now: datetime) -> None:
        if self._pause_until is not None and now >= self._pause_until:
            ended = self._pause_until
            self._pause_until = None
            self._log_audio(
                AlarmLogAction.AUDIO_RESUMED,
                ended,
                f"audio pause of {self._profile.audio_pause_s:g} s ended",
            )

    def _break_through(self, alarm: _Alarm, now: datetime) -> None:
        if self._paused(now):
            self._pause_until = None
            self._log_audio(
                AlarmLogAction.AUDIO_RESUMED,
                now,
                f"audio pause broken by new high-priority alarm {alarm.condition}",
            )

    # ------------------------------------------------------------------------------ output

    def _sorted(self, alarms: Iterable[_Alarm]) -> list[_Alarm]:
        return sorted(alarms, key=lambda a: (-a.priority.rank, a.started_at, a.condition))

    def _snapshot(self, alarm: _Alarm) -> ActiveAlarm:
        return ActiveAlarm(
            alarm_id=alarm.record.id,
            condition=alarm.condition,
            priority=alarm.priority,
            highest_priority=alarm.highest,
            category=alarm.category,
            started_at=alarm.started_at,
            latched=alarm.latched,
            acknowledged=alarm.acknowledged,
            acknowledged_by=alarm.record.acknowledged_by,
            acknowledged_at=alarm.record.acknowledged_at,
            condition_present=alarm.present,
            escalated=alarm.escalated,
            message=self._message(alarm),
            detail=alarm.detail,
            value=alarm.value,
            limits=dict(alarm.limits),
            extreme=alarm.extreme,
        )

    def _emit_record(self, alarm: _Alarm) -> None:
        if self._on_record is not None:
            self._on_record(alarm.record)

    def _log(
        self,
        alarm: _Alarm,
        action: AlarmLogAction,
        at: datetime,
        by: str | None = None,
        detail: str | None = None,
    ) -> None:
        if self._on_log is None:
            return
        self._on_log(
            AlarmLogEntry(
                session_id=self._session_id,
                alarm_id=alarm.record.id,
                condition=alarm.condition,
                action=action,
                at=at,
                priority=alarm.priority,
                category=alarm.category,
                value=alarm.value,
                limits=alarm.limits,
                by=by,
                detail=detail or None,
            )
        )

    def _log_audio(self, action: AlarmLogAction, at: datetime, detail: str) -> None:
        if self._on_log is None:
            return
        self._on_log(
            AlarmLogEntry(session_id=self._session_id, action=action, at=at, detail=detail)
        )
