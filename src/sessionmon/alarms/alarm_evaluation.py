"""How the alarm engine evaluates conditions: limits, desaturation area, rise, delays, escalation.

:class:`ConditionEvaluation` is the part of :class:`~sessionmon.alarms.AlarmEngine` that turns
observed values into condition stages held for their delays and reconciles each condition with
its alarm. It works on the engine's state (``_profile``, ``_rules``, ``_watches``,
``_alarms``...) and raises, changes and ends alarms through
:class:`~sessionmon.alarms.alarm_changes.AlarmChanges`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sessionmon.alarms.alarm_state import (
    EPSILON_S,
    RaisedAlarm,
    format_value,
    seconds_between,
)
from sessionmon.alarms.profile import (
    DISPLAY_UNITS,
    AlarmProfile,
    AreaRule,
    EscalateWhile,
    LimitRule,
    RiseRule,
)
from sessionmon.model import (
    AlarmLogAction,
    AlarmPriority,
    Kind,
)


class ConditionEvaluation:
    """Condition evaluation of the alarm engine (a mixin of :class:`AlarmEngine`)."""

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
            fields = {"value": format_value(value), "unit": DISPLAY_UNITS[kind]}
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
                step = min(
                    max(0.0, seconds_between(at, watch.area_at)), self._profile.stale_after_s
                )
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
            holds = below and watch.area + EPSILON_S >= rule.area_threshold
            if not holds and not watch.since and cid not in self._alarms:
                watch.value = value
                watch.observed_at = at
                continue
            fields = {
                "value": format_value(value),
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
        baseline = (
            "" if self._baseline is None else "/".join(format_value(v) for v in self._baseline)
        )
        value_text = f"{format_value(sys) or '-'}/{format_value(dia) or '-'}"
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
            if seconds_between(now, since) + EPSILON_S >= delays[priority]
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

    def _maybe_escalate(self, alarm: RaisedAlarm, now: datetime) -> None:
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
            or seconds_between(now, since) + EPSILON_S < rule.escalate_after_s
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
