"""Training in the console controller: simulated sessions and scenarios, simulated time, device
faults and the simulated patient's vital signs, training sessions a crash left open, the debrief."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sessionmon.accounts.model import Role
from sessionmon.errors import UserError
from sessionmon.model import Session
from sessionmon.ui.debrief import Debrief, build_debrief
from sessionmon.ui.forms import NewSessionForm, session_from_form
from sessionmon.ui.sources import simulated_devices

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.controller_wiring import ControllerWiring

    _Base = ControllerWiring
else:
    _Base = object

#: The controller's logger: records keep the name they had before the split.
log = logging.getLogger("sessionmon.ui.controller")

#: Far enough ahead that every physiology ramp has ended (reads the final targets).
_FAR_FUTURE = timedelta(days=3650)


class TrainingControls(_Base):
    """Runs training sessions and the trainer's controls."""

    __slots__ = ()  # the controller keeps the state; a mixin adds no instance layout

    def start_simulated_session(
        self,
        pseudonym: str = "SIM-0001",
        treatment: str = "esketamine-84",
        baseline: dict[str, float] | None = None,
        scenario: Any | None = None,
        seed: int = 7,
        respiration: bool | None = None,
    ) -> Session:
        """Start a training session with a simulated patient (optionally playing a scenario).

        ``respiration`` adds the simulated capnograph (default: yes, unless the scenario's
        ``[devices] respiration = false``)."""
        form = NewSessionForm(
            pseudonym=pseudonym,
            date_of_birth="1980-01-01",
            sex="unknown",
            treatment=treatment,
            dose_mg={"esketamine-56": "56", "esketamine-84": "84"}.get(treatment, "35"),
            lot_number="TRAINING",
            monitoring_provider="Training",
        )
        session = session_from_form(form, self.clock.now(), simulated=True)
        if scenario is not None:
            session = session.model_copy(update={"scenario": scenario.name})
        if respiration is None:
            respiration = bool(getattr(getattr(scenario, "devices", None), "respiration", True))
        devices = simulated_devices(self.clock, baseline, seed, respiration=respiration)
        interval = getattr(getattr(scenario, "nibp", None), "interval", None)
        self._start_runtime(session, devices=devices, nibp_interval_s=interval)
        if scenario is not None:
            from sessionmon.ui.training import ScenarioPlayback

            self.playback = ScenarioPlayback(scenario, devices, self.clock, self.clock.now())
        return session

    def run_scenario(self, scenario_id: str) -> Session | None:
        """Start a new training session that plays the built-in scenario ``scenario_id``."""
        refusal = self.user.refusal(Role.TRAINER, doing="run training scenarios")
        if refusal:
            self._refused(refusal)
            return None
        from sessionmon.scenarios.loader import load_scenario

        try:
            scenario = load_scenario(scenario_id)
        except UserError as exc:
            self.error.emit(str(exc))
            return None
        if self._refuse_leaving_patient():
            return None
        self._close_runtime()
        base = scenario.baseline
        try:
            return self.start_simulated_session(
                pseudonym=scenario.patient.pseudonym,
                treatment=scenario.treatment.value,
                baseline={
                    "hr": base.hr,
                    "spo2": base.spo2,
                    "sys": base.sys,
                    "dia": base.dia,
                    "resp_rate": base.resp_rate,
                    "etco2": base.etco2,
                },
                scenario=scenario,
                seed=scenario.seed,
            )
        except UserError as exc:
            self.error.emit(str(exc))
            return None

    def end_interrupted_training(self) -> int:
        """Training sessions a crash left interrupted end (the simulator never resumes them).

        Returns how many were ended; the status line says so.
        """
        from sessionmon.runtime.unmonitored_ending import end_recorded_session

        ended = 0
        for summary in self.interrupted_sessions():
            if not summary.simulated:
                continue
            how = "ended_early" if summary.dose_at else "dose_not_given"
            why = "the training console stopped without closing this session"
            try:
                end_recorded_session(self.store, self.clock, summary.id, how, "trainer", why)
            except UserError as exc:
                log.warning("interrupted training session not ended: %s", exc)
                continue
            ended += 1
        if ended:
            self.info.emit(f"Ended {ended} training session(s) left open by an earlier crash.")
        return ended

    def set_speed(self, speed: float) -> None:
        """Run simulated time at ``speed`` x (ScaledClock only)."""
        if hasattr(self.clock, "set_speed"):
            self.clock.set_speed(float(speed))

    def set_paused(self, paused: bool) -> None:
        """Pause or resume simulated time (ScaledClock only)."""
        if paused and hasattr(self.clock, "pause"):
            self.clock.pause()
        elif not paused and hasattr(self.clock, "resume"):
            self.clock.resume()

    def inject_fault(self, device: str, fault: str) -> None:
        """Inject a device fault in the simulated session (``clear:<fault>`` ends one)."""
        if self.devices is None:
            self.error.emit("Faults can only be injected into a simulated session.")
            return
        target = {
            "oximeter": self.devices.oximeter,
            "nibp": self.devices.nibp,
            "respiration": self.devices.respiration,
        }.get(device)
        if target is None:
            self.error.emit(f"There is no simulated {device} in this session.")
            return
        try:
            if fault.startswith("clear:"):
                target.clear_fault(fault.removeprefix("clear:"))
            else:
                target.inject_fault(fault)
        except (ValueError, UserError) as exc:
            self.error.emit(str(exc))
            return
        self.info.emit(f"Injected {fault} on the {device}")

    def change_physiology(self, targets: dict[str, float], over_s: float) -> None:
        """Ramp the simulated patient's vital signs to ``targets`` over ``over_s`` seconds."""
        if self.devices is None:
            self.error.emit("Physiology can only be changed in a simulated session.")
            return
        try:
            self.devices.physiology.set_targets(at=self.clock.now(), over_s=over_s, **targets)
        except (ValueError, UserError) as exc:
            self.error.emit(str(exc))

    def physiology_targets(self) -> dict[str, float] | None:
        """The simulated patient's targets once every ramp has finished (None: no simulation)."""
        physiology = self.devices.physiology if self.devices is not None else None
        if physiology is None:
            return None
        final = physiology.targets_at(self.clock.now() + _FAR_FUTURE)
        return {name: float(getattr(final, name)) for name in ("hr", "spo2", "sys", "dia")}

    def _publish_physiology(self) -> None:
        physiology = self.devices.physiology if self.devices is not None else None
        seen = (id(physiology), physiology.revision) if physiology is not None else None
        if seen == self._physiology_seen:
            return
        self._physiology_seen = seen
        targets = self.physiology_targets()
        if targets is not None:
            self.physiology_changed.emit(targets)

    def debrief(self) -> Debrief | None:
        """Alarm response times and check timeliness of the current session."""
        session = self.runtime.session if self.runtime else self.read_only_session
        if session is None:
            self.error.emit("Start a session first.")
            return None
        checks = self.runtime.snapshot().checks if self.runtime else ()
        try:
            alarms = self.store.alarms(session.id)
        except UserError as exc:
            self.error.emit(str(exc))
            return None
        return build_debrief(alarms, checks, session.created_at)
