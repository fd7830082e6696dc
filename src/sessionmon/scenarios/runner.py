"""Run a scenario headless: simulated patient and devices, the whole core, a recorded session.

The runner builds a :class:`~sessionmon.clock.ManualClock` at a fixed start, the simulated
physiology and devices from the scenario's seed, and a :class:`~sessionmon.runtime.SessionRuntime`;
it applies the steps at their times and ticks once per simulated second until the scenario ends.
The same scenario always gives the same record (apart from the random ids).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sessionmon.clock import Clock, ManualClock, SystemClock
from sessionmon.course.enrol import new_course_session
from sessionmon.errors import UserError
from sessionmon.model import EventKind, Patient, Treatment
from sessionmon.runtime import SessionRuntime
from sessionmon.scenarios.faults import apply_fault
from sessionmon.scenarios.model import Action, Device, Scenario, Step, format_hms
from sessionmon.sim import (
    Physiology,
    PhysiologyTargets,
    SimulatedCapnograph,
    SimulatedNibp,
    SimulatedOximeter,
)
from sessionmon.store import SessionStore

#: Simulated time at which every scenario starts (so records are reproducible).
SCENARIO_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

#: Simulated seconds between hand-overs of the buffered samples to the store's writer in a
#: headless run (without waiting). The store's own one-second rule runs on the store's clock,
#: which a run faster than real time may never move: without this an 8-hour run filled the
#: buffer and dropped its oldest samples.
HEADLESS_FLUSH_S = 60.0

#: Buffered rows past which a headless run waits for the store's commit before going on (a
#: fifth of the store's bound, so a run faster than the disk slows down instead of dropping).
HEADLESS_BACKLOG = 20_000

#: Simulated seconds between ticks.
TICK_S = 1.0


class _Pacer:
    """Keeps simulated time at ``speed`` times real time (for ``--speed N``)."""

    def __init__(self, speed: float, real_clock: Clock, sleep: Callable[[float], None]) -> None:
        if speed <= 0:
            raise UserError(f"speed must be positive, got {speed:g}")
        self._speed = speed
        self._real = real_clock
        self._sleep = sleep
        self._origin = real_clock.monotonic()

    def __call__(self, sim_elapsed_s: float) -> None:
        wait = self._origin + sim_elapsed_s / self._speed - self._real.monotonic()
        if wait > 0:
            self._sleep(wait)


class ScenarioRun:
    """One headless run of a scenario, step by step (``run_scenario`` does it all at once).

    Parameters
    ----------
    scenario : Scenario
        What to run.
    store : SessionStore
        Where the session is recorded.
    """

    def __init__(
        self, scenario: Scenario, store: SessionStore, start: datetime | None = None
    ) -> None:
        self.scenario = scenario
        self.origin = start or SCENARIO_START
        self.clock = ManualClock(self.origin)
        baseline = scenario.baseline
        self.physiology = Physiology(
            self.clock,
            baseline=PhysiologyTargets(
                hr=baseline.hr,
                spo2=baseline.spo2,
                sys=baseline.sys,
                dia=baseline.dia,
                resp_rate=baseline.resp_rate,
                etco2=baseline.etco2,
            ),
            seed=scenario.seed,
        )
        self.oximeter = SimulatedOximeter(self.clock, self.physiology, seed=scenario.seed + 1)
        self.nibp = SimulatedNibp(self.clock, self.physiology, seed=scenario.seed + 2)
        self.respiration = (
            SimulatedCapnograph(self.clock, self.physiology, seed=scenario.seed + 3)
            if scenario.devices.respiration
            else None
        )
        session = None
        if "patient" in scenario.model_fields_set:  # [patient] links the run to one course
            session = new_course_session(
                store,
                Patient(pseudonym=scenario.patient.pseudonym),
                scenario.treatment,
                self.origin,
                scenario.course.plan(),
                simulated=True,
                scenario=scenario.name,
            )
        self.runtime = SessionRuntime(
            store,
            self.clock,
            session=session,
            patient=Patient(pseudonym=scenario.patient.pseudonym),
            treatment=Treatment.for_protocol(scenario.treatment),
            oximeter=self.oximeter,
            nibp=self.nibp,
            respiration=self.respiration,
            nibp_interval_s=scenario.nibp.interval,
            protocol_nibp_requests=scenario.nibp.protocol_requests,
            simulated=True,
            scenario=scenario.name,
            flush_interval_s=HEADLESS_FLUSH_S,
        )
        self.store = store
        self.refused: list[dict[str, Any]] = []
        self._elapsed = 0.0
        self._handed_over_s = 0.0

    @property
    def elapsed_s(self) -> float:
        """Simulated seconds since the scenario start."""
        return self._elapsed

    def advance_to(self, t_s: float, pace: Callable[[float], None] | None = None) -> None:
        """Tick once per simulated second (and at ``t_s`` exactly) up to ``t_s``."""
        while self._elapsed < t_s - 1e-9:
            step = min(TICK_S, t_s - self._elapsed)
            self.clock.advance(step)
            self._elapsed += step
            if pace is not None:
                pace(self._elapsed)
            self.runtime.tick()
            if self._elapsed - self._handed_over_s >= HEADLESS_FLUSH_S:
                self._handed_over_s = self._elapsed
                if self.store.pending_count > HEADLESS_BACKLOG:
                    self.store.flush()  # the run outpaces the disk: wait for it, lose nothing
                else:
                    self.store.commit_soon()

    def apply(self, index: int, step: Step) -> None:
        """Carry out one step now; a refused intent is noted, not fatal."""
        try:
            if step.change is not None:
                self.physiology.set_targets(
                    at=self.clock.now(), over_s=step.over, **step.change.targets()
                )
            elif step.fault is not None:
                devices = {
                    Device.OXIMETER: self.oximeter,
                    Device.NIBP: self.nibp,
                    Device.RESPIRATION: self.respiration,
                }
                apply_fault(step, self.physiology, devices, self.clock.now())
                self.runtime.tick()
            else:
                self._act(step)
        except UserError as exc:
            what = step.action or step.fault or "change"
            self.refused.append(
                {
                    "t_s": _round(self._elapsed),
                    "step": index + 1,
                    "what": str(what),
                    "reason": str(exc),
                }
            )

    def _act(self, step: Step) -> None:
        rt = self.runtime
        action = step.action
        if action is Action.START_BASELINE:
            rt.start_baseline(by=step.by)
        elif action is Action.MEASURE_BP:
            rt.measure_bp(by=step.by)
        elif action is Action.DOSE:
            # A scenario scripts no safety checklist: its absence is confirmed (and recorded).
            rt.dose(
                by=step.by,
                text=step.text,
                weight_kg=step.weight_kg,
                mg_per_kg=step.mg_per_kg,
                confirm_unanswered=True,
            )
        elif action is Action.ACKNOWLEDGE:
            rt.acknowledge(by=step.by, condition=step.condition)
        elif action is Action.PAUSE_AUDIO:
            rt.pause_audio(by=step.by)
        elif action is Action.CHECKLIST:
            rt.record_checklist(str(step.scale), answers=step.items, total=step.score, by=step.by)
        elif action is Action.QUESTIONNAIRE:
            rt.record_questionnaire(
                str(step.scale), answers=step.items, total=step.score, by=step.by
            )
        elif action is Action.ANNOTATE:
            rt.annotate(str(step.text), by=step.by)
        elif action is Action.DISCHARGE:
            rt.attempt_discharge(by=step.by)
        elif action is Action.OVERRIDE_DISCHARGE:
            rt.override_discharge(step.by, str(step.text or ""))
        elif action is Action.SIGN:
            rt.sign(by=step.by)

    def run(self, pace: Callable[[float], None] | None = None) -> dict[str, Any]:
        """Run every step and tick to the end; return the summary."""
        self.runtime.start_baseline(by="scenario")
        for index, step in sorted(enumerate(self.scenario.steps), key=lambda p: p[1].at):
            self.advance_to(step.at, pace)
            self.apply(index, step)
        self.advance_to(self.scenario.duration, pace)
        summary = self.summary()
        summary["ending"] = self.end_unfinished()
        self.runtime.close()
        return summary

    def end_unfinished(self) -> str:
        """A session the scenario did not sign ends when it does (never left interrupted).

        Returns how the session ended (``discharged`` when the scenario signed it).
        """
        from sessionmon.lifecycle import ending_of, endings_for
        from sessionmon.model import SessionEnding

        rt = self.runtime
        if not rt.locked:
            how = SessionEnding.ENDED_EARLY
            if how not in endings_for(rt.phase):
                how = SessionEnding.DOSE_NOT_GIVEN
            rt.end_session(how, by="scenario", reason="the scenario ended before a sign-off")
        found = ending_of(rt.session)
        return found[0].value if found else ""

    def summary(self) -> dict[str, Any]:
        """The run as plain data: alarms, events, discharge attempts, times in seconds."""
        sid = self.runtime.session_id
        origin = self.origin

        def rel(t: datetime | None) -> float | None:
            return None if t is None else _round((t - origin).total_seconds())

        alarms = sorted(self.store.alarms(sid), key=lambda a: (a.start, a.condition))
        events = self.store.events(sid)
        return {
            "session_id": str(sid),
            "scenario": self.scenario.name,
            "treatment": self.scenario.treatment.value,
            "duration_s": _round(self.scenario.duration),
            "phase": self.runtime.phase.value,
            "alarms": [
                {
                    "condition": a.condition,
                    "priority": a.priority.value,
                    "category": a.category.value,
                    "start_s": rel(a.start),
                    "end_s": rel(a.end),
                    "ack_s": rel(a.acknowledged_at),
                }
                for a in alarms
            ],
            "events": [
                {
                    "t_s": rel(e.at),
                    "kind": e.kind.value,
                    "by": e.by,
                    "text": e.text,
                    "payload": e.payload,
                }
                for e in events
            ],
            "discharge": [
                {
                    "t_s": rel(e.at),
                    "allowed": bool(e.payload.get("allowed")),
                    "blocking": list(e.payload.get("blocking", [])),
                    **({"override": e.payload["override"]} if e.payload.get("override") else {}),
                }
                for e in events
                if e.kind is EventKind.DISCHARGE_ATTEMPT
            ],
            "refused": list(self.refused),
        }


def _round(seconds: float) -> float:
    return round(seconds, 3)


def run_scenario(
    scenario: Scenario,
    store: SessionStore,
    speed: float | None = None,
    *,
    real_clock: Clock | None = None,
    sleep: Callable[[float], None] | None = None,
    start: datetime | None = None,
    on_start: Callable[[ScenarioRun], None] | None = None,
) -> dict[str, Any]:
    """Run ``scenario`` headless and record it in ``store``.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (see :func:`~sessionmon.scenarios.load_scenario`).
    store : SessionStore
        The database to record the session in.
    speed : float, optional
        None runs as fast as possible; N paces the run at N times real time (for watching it).
    real_clock, sleep : optional
        The real clock and sleep used for pacing (default: the system's).
    start : datetime, optional
        When the simulated session starts (default :data:`SCENARIO_START`).
    on_start : callable, optional
        ``on_start(run)`` before the first step (e.g. to attach the central link).

    Returns
    -------
    dict
        ``{"session_id", "alarms": [{"condition", "priority", "category", "start_s", "end_s",
        "ack_s"}], "events": [...], "discharge": [{"t_s", "allowed", "blocking"}], ...}`` with
        times in seconds from the scenario start and None where not applicable.
    """
    pace = None
    if speed is not None:
        pace = _Pacer(speed, real_clock or SystemClock(), sleep or time.sleep)
    run = ScenarioRun(scenario, store, start=start)
    if on_start is not None:
        on_start(run)
    return run.run(pace)


def describe(summary: dict[str, Any]) -> str:
    """A readable multi-line account of a run summary."""
    lines = [
        f"session {summary['session_id']}: {summary['scenario']} ({summary['treatment']}, "
        f"{format_hms(summary['duration_s'])}), final phase {summary['phase']}"
        + (f", ended: {summary['ending'].replace('_', ' ')}" if summary.get("ending") else ""),
        f"alarms ({len(summary['alarms'])}):",
    ]
    for a in summary["alarms"]:
        end = format_hms(a["end_s"]) if a["end_s"] is not None else "still active"
        ack = f", acknowledged {format_hms(a['ack_s'])}" if a["ack_s"] is not None else ""
        lines.append(
            f"  {format_hms(a['start_s'])}-{end}  {a['condition']:<22} {a['priority']:<6} "
            f"{a['category']}{ack}"
        )
    lines.append("discharge attempts:")
    for d in summary["discharge"]:
        verdict = "allowed" if d["allowed"] else "refused: " + "; ".join(d["blocking"])
        lines.append(f"  {format_hms(d['t_s'])}  {verdict}")
    if not summary["discharge"]:
        lines.append("  none")
    for r in summary.get("refused", []):
        lines.append(
            f"  step {r['step']} ({r['what']}) at {format_hms(r['t_s'])} refused: {r['reason']}"
        )
    lines.append(f"events recorded: {len(summary['events'])}")
    return "\n".join(lines)
