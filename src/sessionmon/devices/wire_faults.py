"""Timed faults for a simulated device on a pty: finger out, cable pulled.

A clinic trainer runs ``sessionmon simulate-device --fault sensor_off@30:20`` to show a finger
coming out of the sensor 30 s in, for 20 s, through the real driver and the real console. A fault
is written ``NAME@START[:DURATION]`` (seconds from the simulator's start; no duration: until the
simulator stops).

- ``sensor_off``: the simulated oximeter reports its finger-out flags and no values (each
  protocol says it its own way), then values again.
- ``unplug``: the pty's master is closed, as a pulled USB cable, and reopened when the fault ends
  (with ``--link`` the port keeps its name, as ``/dev/ttyUSB0`` does).
- ``noise``: random bytes instead of frames, as many as the device would send (a wrong baud
  rate, a loose connector).
- ``no_value``: frames keep coming, SpO2 and pulse as the device's "no value" marker, no flag.
- ``fast``: every frame sent 100 times (a capture replayed at full speed, a runaway driver).
- ``silent``: the device stops sending (an NIBP module stops answering its keep-alive).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sessionmon.errors import UserError

#: Fault name -> what the trainee sees.
FAULTS: dict[str, str] = {
    "sensor_off": "finger out of the sensor: the device sends its sensor-off flags, no values",
    "unplug": "cable pulled: the port closes, and comes back when the fault ends",
    "noise": "random bytes instead of frames (a wrong baud rate, a loose connector)",
    "no_value": "frames with SpO2 and pulse as 'no value' markers, no sensor flag",
    "fast": "every frame sent 100 times: the stream runs 100x too fast",
    "silent": "the device sends nothing (an NIBP module stops answering)",
    "refuse": "IntelliVue: the monitor refuses every association request",
    "invalid": "IntelliVue: numerics exported as invalid (NaN, state invalid)",
}

#: Faults that only an oximeter can show.
OXIMETER_ONLY = frozenset({"sensor_off", "no_value", "fast"})

#: Faults the simulator itself plays (the others act on the port).
WIRE_FAULTS = frozenset({"noise", "no_value", "fast", "silent"})

#: Faults that only the simulated IntelliVue monitor can show.
MONITOR_ONLY = frozenset({"refuse", "invalid"})

_SPEC = re.compile(r"(?P<name>[a-z_]+)@(?P<start>[0-9.]+)(?::(?P<duration>[0-9.]+))?")


@dataclass(frozen=True, slots=True)
class ScheduledFault:
    """One fault at a time after the simulator started.

    Attributes
    ----------
    name : str
        A key of :data:`FAULTS`.
    start_s : float
        Seconds after the start.
    duration_s : float or None
        How long it lasts (``None``: until the simulator stops).
    """

    name: str
    start_s: float
    duration_s: float | None = None

    @property
    def end_s(self) -> float:
        """When the fault ends (infinity if it does not)."""
        return math.inf if self.duration_s is None else self.start_s + self.duration_s

    def describe(self) -> str:
        """Return e.g. ``"sensor_off at 30 s for 20 s"``."""
        how_long = "until stopped" if self.duration_s is None else f"for {self.duration_s:g} s"
        return f"{self.name} at {self.start_s:g} s {how_long}"


def parse_fault(text: str) -> ScheduledFault:
    """Parse ``NAME@START[:DURATION]`` (seconds), e.g. ``sensor_off@30:20``.

    Raises
    ------
    UserError
        On a malformed text, an unknown fault or a duration that is not positive.
    """
    match = _SPEC.fullmatch(text.strip())
    if match is None:
        raise UserError(
            f"fault {text!r} is not NAME@START[:DURATION] in seconds, e.g. sensor_off@30:20"
        )
    name = match["name"]
    if name not in FAULTS:
        raise UserError(f"unknown fault {name!r}; use one of {', '.join(FAULTS)}")
    try:
        start = float(match["start"])
        duration = None if match["duration"] is None else float(match["duration"])
    except ValueError:
        raise UserError(f"fault {text!r}: start and duration must be numbers") from None
    if duration is not None and duration <= 0:
        raise UserError(f"fault {text!r}: the duration must be positive")
    return ScheduledFault(name, start, duration)


def check_overlaps(faults: Sequence[ScheduledFault]) -> None:
    """Refuse two faults of the same name at the same time (the second would be lost).

    Raises
    ------
    UserError
        Naming the two faults that overlap.
    """
    by_name: dict[str, list[ScheduledFault]] = {}
    for fault in faults:
        by_name.setdefault(fault.name, []).append(fault)
    for same in by_name.values():
        same.sort(key=lambda f: f.start_s)
        for first, second in itertools.pairwise(same):
            if second.start_s < first.end_s:
                raise UserError(f"faults overlap: {first.describe()} and {second.describe()}")


class FaultSchedule:
    """Says which faults start and end as time passes.

    Parameters
    ----------
    faults : sequence of ScheduledFault
        The faults, in any order (same-name faults must not overlap).
    """

    def __init__(self, faults: Sequence[ScheduledFault]) -> None:
        check_overlaps(faults)
        self._waiting = sorted(faults, key=lambda f: f.start_s)
        self._running: list[ScheduledFault] = []

    @property
    def done(self) -> bool:
        """Whether every fault has started and ended."""
        return not self._waiting and not self._running

    def advance(self, elapsed_s: float) -> list[tuple[ScheduledFault, bool]]:
        """Return the ``(fault, started)`` moves due by ``elapsed_s``: ends first, then starts."""
        moves: list[tuple[ScheduledFault, bool]] = []
        for fault in [f for f in self._running if f.end_s <= elapsed_s]:
            self._running.remove(fault)
            moves.append((fault, False))
        while self._waiting and self._waiting[0].start_s <= elapsed_s:
            fault = self._waiting.pop(0)
            moves.append((fault, True))
            if fault.end_s <= elapsed_s:
                moves.append((fault, False))
            else:
                self._running.append(fault)
        return moves


class FaultRunner:
    """Applies a :class:`FaultSchedule` to a :class:`WireSimulator` and its :class:`PtyPort`.

    Parameters
    ----------
    sim : WireSimulator
        The simulated device (``sensor_off`` goes to its oximeter).
    port : PtyPort
        The pty the device speaks on (``unplug`` closes and reopens it).
    faults : sequence of ScheduledFault
        What to do when.
    elapsed : callable
        Seconds since the start (the simulator's clock).
    report : callable, optional
        Told one line per fault start / end (the command prints it for the trainer).

    Raises
    ------
    UserError
        If a fault does not apply to this device (``sensor_off`` on an NIBP module).
    """

    def __init__(
        self,
        sim: Any,
        port: Any,
        faults: Sequence[ScheduledFault],
        elapsed: Callable[[], float],
        report: Callable[[str], None] | None = None,
    ) -> None:
        monitor = sim.protocol == "intellivue"
        for fault in faults:
            if fault.name in OXIMETER_ONLY and (sim.is_nibp or monitor):
                raise UserError(f"fault {fault.name} applies to oximeters, not to {sim.protocol}")
            if fault.name in MONITOR_ONLY and not monitor:
                raise UserError(f"fault {fault.name} applies to intellivue, not to {sim.protocol}")
            if monitor and fault.name == "noise":
                raise UserError("fault noise is not simulated for intellivue")
        self._monitor = monitor
        self._sim = sim
        self._port = port
        self._schedule = FaultSchedule(faults)
        self._elapsed = elapsed
        self._report = report or (lambda line: None)

    def tick(self) -> None:
        """Start and end whatever is due now."""
        for fault, started in self._schedule.advance(self._elapsed()):
            monitor_fault = fault.name in MONITOR_ONLY or (self._monitor and fault.name == "silent")
            if fault.name == "sensor_off" or monitor_fault:
                if started:
                    self._sim.inject_fault(fault.name)
                else:
                    self._sim.clear_fault(fault.name)
            elif fault.name == "unplug":
                if started:
                    self._port.unplug()
                else:
                    self._port.replug()
            elif fault.name in WIRE_FAULTS:
                self._sim.set_wire_fault(fault.name, started)
            state = "started" if started else "ended"
            where = f" (port {self._port.path})" if fault.name == "unplug" and not started else ""
            self._report(f"fault {fault.name} {state} at {self._elapsed():.1f} s{where}")
