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
from collections.abc import Callable
from datetime import datetime, timedelta

from sessionmon.alarms.alarm_changes import AlarmChanges
from sessionmon.alarms.alarm_evaluation import ConditionEvaluation
from sessionmon.alarms.alarm_state import (
    CONTINUOUS_MEASURES,
    EPSILON_S,
    ActiveAlarm,
    AudioState,
    ConditionWatch,
    RaisedAlarm,
    format_value,
    seconds_between,
)
from sessionmon.alarms.profile import (
    AlarmProfile,
    ConditionRule,
    LimitRule,
    RiseRule,
    Rule,
)
from sessionmon.clock import Clock
from sessionmon.model import (
    AlarmLogAction,
    AlarmLogEntry,
    AlarmPriority,
    AlarmRecord,
    Kind,
)

__all__ = ["CONTINUOUS_MEASURES", "ActiveAlarm", "AlarmEngine", "AudioState"]


class AlarmEngine(ConditionEvaluation, AlarmChanges):
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
        self._watches: dict[str, ConditionWatch] = {cid: ConditionWatch() for cid in self._rules}
        self._alarms: dict[str, RaisedAlarm] = {}
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
        self._watches = {cid: old_watches.get(cid, ConditionWatch()) for cid in self._rules}
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
        fields = {"value": format_value(value), "detail": detail}
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
                    and seconds_between(now, watch.observed_at) > stale_after + EPSILON_S
                ):
                    self._forget(cid, f"no {measure.value} value for {stale_after:g} s")
        for cid, _ in self._area_rules:
            watch = self._watches[cid]
            if (
                watch.observed_at is not None
                and seconds_between(now, watch.observed_at) > stale_after + EPSILON_S
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
            remaining = max(0.0, seconds_between(self._pause_until, now))
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
