"""How the alarm engine changes alarms: raise, priority change, clear, end, audio pause, output.

:class:`AlarmChanges` is the part of :class:`~sessionmon.alarms.AlarmEngine` that creates and
moves :class:`~sessionmon.alarms.alarm_state.RaisedAlarm` objects, writes each change to the alarm
record and the alarm log (with the limits in force), handles the audio pause and builds the
:class:`~sessionmon.alarms.alarm_state.ActiveAlarm` snapshots the console shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sessionmon.alarms.alarm_state import (
    ActiveAlarm,
    RaisedAlarm,
    format_value,
)
from sessionmon.alarms.profile import (
    AreaRule,
    ConditionRule,
    Direction,
    LimitRule,
    RiseRule,
    Rule,
)
from sessionmon.model import (
    AlarmCategory,
    AlarmLogAction,
    AlarmLogEntry,
    AlarmPriority,
    AlarmRecord,
    Kind,
)


class AlarmChanges:
    """Alarm changes, audio pause and output (a mixin of :class:`AlarmEngine`)."""

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

    def _message(self, alarm: RaisedAlarm) -> str:
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
                fields["value"] = format_value(worst)
                suffix = f" - {word} {format_value(worst)}, condition cleared"
            elif alarm.value is not None and worst != alarm.value:
                suffix = f" - {word} {format_value(worst)}"
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
        alarm = RaisedAlarm(
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
        alarm: RaisedAlarm,
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

    def _condition_cleared(self, alarm: RaisedAlarm, now: datetime, detail: str) -> None:
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

    def _end(self, alarm: RaisedAlarm, now: datetime, detail: str) -> None:
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

    def _break_through(self, alarm: RaisedAlarm, now: datetime) -> None:
        if self._paused(now):
            self._pause_until = None
            self._log_audio(
                AlarmLogAction.AUDIO_RESUMED,
                now,
                f"audio pause broken by new high-priority alarm {alarm.condition}",
            )

    # ------------------------------------------------------------------------------ output

    def _sorted(self, alarms: Iterable[RaisedAlarm]) -> list[RaisedAlarm]:
        return sorted(alarms, key=lambda a: (-a.priority.rank, a.started_at, a.condition))

    def _snapshot(self, alarm: RaisedAlarm) -> ActiveAlarm:
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

    def _emit_record(self, alarm: RaisedAlarm) -> None:
        if self._on_record is not None:
            self._on_record(alarm.record)

    def _log(
        self,
        alarm: RaisedAlarm,
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
