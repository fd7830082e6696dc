"""Training playback: a scenario's physiology changes and device faults, applied live.

In training the trainee does the nurse's actions; the scenario supplies only what happens to the
patient and the equipment. The scenario's own nurse actions are kept as the expected responses
(for the debrief), not performed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sessionmon.clock import Clock
from sessionmon.scenarios.faults import apply_fault
from sessionmon.ui.sources import SimulatedDevices


class ScenarioPlayback:
    """Applies the ``change`` and ``fault`` steps of a scenario when their time comes.

    Parameters
    ----------
    scenario : Scenario
        The loaded scenario.
    devices : SimulatedDevices
        The simulated patient and devices of the training session.
    clock : Clock
        The session clock; step times count from ``start``.
    start : datetime
        The scenario start.
    """

    def __init__(
        self, scenario: Any, devices: SimulatedDevices, clock: Clock, start: datetime
    ) -> None:
        self.scenario = scenario
        self._devices = devices
        self._clock = clock
        self._start = start
        self._pending = [s for s in scenario.ordered_steps() if s.action is None]
        self.expected_actions = [s for s in scenario.ordered_steps() if s.action is not None]
        self.applied: list[Any] = []

    @property
    def elapsed_s(self) -> float:
        """Seconds since the scenario start."""
        return (self._clock.now() - self._start).total_seconds()

    @property
    def finished(self) -> bool:
        """Whether every step has been applied."""
        return not self._pending

    def advance(self) -> list[Any]:
        """Apply every step whose time has come; return them."""
        elapsed = self.elapsed_s
        done = []
        while self._pending and self._pending[0].at <= elapsed:
            step = self._pending.pop(0)
            at = self._clock.now()
            if step.change is not None:
                self._devices.physiology.set_targets(
                    at=at, over_s=step.over, **step.change.targets()
                )
            elif step.fault is not None:
                apply_fault(step, self._devices.physiology, self._devices.by_device(), at)
            done.append(step)
        self.applied.extend(done)
        return done
