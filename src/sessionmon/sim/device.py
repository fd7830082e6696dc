"""What every simulated device shares: the link state, timed faults and the generation loop.

A simulated device generates, on each :meth:`SimulatedDevice.poll`, everything its clock says has
happened since the last poll. Times inside a device are float seconds since the device was built;
outputs are stamped with real datetimes. Subclasses produce continuous output (a waveform, periodic
numerics) in :meth:`SimulatedDevice._produce` and react to discrete events (a cuff-pressure report,
the end of a fault) in :meth:`SimulatedDevice._handle_event`.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from sessionmon.clock import Clock
from sessionmon.devices.readings import Reading, TechnicalCondition
from sessionmon.devices.source import (
    ConditionChange,
    DeviceRole,
    LinkState,
    LinkStateChange,
    SourceOutput,
)
from sessionmon.errors import UserError
from sessionmon.model import Kind

_LINK_FAULTS = ("disconnect", "reconnect")


class SimulatedDevice:
    """Base of the simulated oximeter and NIBP module (a :class:`VitalsSource`).

    Parameters
    ----------
    clock : Clock
        Time source.
    seed : int
        Seed of the device's own randomness.
    device_id : str
        Stable id reported to the runtime.
    role : DeviceRole
        Oximeter or NIBP.
    """

    #: Fault names this device accepts, besides ``disconnect`` and ``reconnect``.
    DEVICE_FAULTS: tuple[str, ...] = ()

    def __init__(self, clock: Clock, seed: int, device_id: str, role: DeviceRole) -> None:
        self._clock = clock
        self._rng = np.random.default_rng(seed)
        self._device_id = device_id
        self._role = role
        self._origin = clock.now()
        self._state = LinkState.DISCONNECTED
        self._running = False
        self._cursor = 0.0
        self._pending: list[SourceOutput] = []
        self._conditions: dict[TechnicalCondition, str] = {}
        self._reported: set[TechnicalCondition] = set()
        self._fault_ends: dict[str, float] = {}
        self._at_s = 0.0
        self._at_time = self._origin

    # ------------------------------------------------------------------ VitalsSource

    @property
    def device_id(self) -> str:
        """Stable id, e.g. ``"oximeter:simulated"``."""
        return self._device_id

    @property
    def role(self) -> DeviceRole:
        """Oximeter or NIBP."""
        return self._role

    @property
    def state(self) -> LinkState:
        """``streaming`` once started, ``disconnected`` when stopped or the cable is 'pulled'."""
        return self._state

    @property
    def active_conditions(self) -> frozenset[TechnicalCondition]:
        """Technical conditions in force now (after generating up to the clock's time)."""
        self._advance_to(self._now_s())
        return frozenset(self._conditions)

    @property
    def fault_names(self) -> tuple[str, ...]:
        """Every fault :meth:`inject_fault` accepts on this device."""
        return (*self.DEVICE_FAULTS, *_LINK_FAULTS)

    def start(self) -> None:
        """Connect: the device streams from now on. Does nothing if already started."""
        if self._running:
            return
        now = self._now_s()
        self._running = True
        self._cursor = now
        self._restart(now)
        self._set_link(now, LinkState.STREAMING, "simulated device started")

    def stop(self) -> None:
        """Generate up to now, then disconnect and clear every condition; idempotent."""
        if not self._running:
            return
        now = self._now_s()
        self._advance_to(now)
        self._running = False
        self._fault_ends.clear()
        self._on_stop(now)
        self._set_link(now, LinkState.DISCONNECTED, "simulated device stopped")
        for condition in sorted(self._reported):
            self._pending.append(SourceOutput(self._at(now), ConditionChange(condition, False)))
        self._conditions.clear()
        self._reported.clear()

    def poll(self) -> list[SourceOutput]:
        """Everything generated between the last poll and ``clock.now()``, oldest first."""
        self._advance_to(self._now_s())
        out, self._pending = self._pending, []
        return out

    # ------------------------------------------------------------------ faults

    def inject_fault(self, name: str, duration_s: float | None = None) -> None:
        """Simulate a fault from now on.

        Parameters
        ----------
        name : str
            ``disconnect`` (cable pulled: link down, nothing else until it ends), ``reconnect``
            (ends a disconnection now), or a device fault (see :attr:`fault_names`).
        duration_s : float, optional
            How long the fault lasts; ``None`` lasts until cleared (``reconnect``,
            :meth:`clear_fault`). Ignored by ``reconnect``.

        Raises
        ------
        UserError
            The fault is not one this device has, the duration is not positive, or the device
            has not been started.
        """
        if name not in self.fault_names:
            raise UserError(
                f"{self._device_id} has no fault {name!r}; use one of {', '.join(self.fault_names)}"
            )
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise UserError(f"a fault must last a positive number of seconds, not {duration_s}")
        if not self._running:
            raise UserError(f"{self._device_id} is not started; start it before injecting faults")
        now = self._now_s()
        self._advance_to(now)
        end = math.inf if duration_s is None else now + duration_s
        if name == "reconnect":
            self._end_disconnect(now)
        elif name == "disconnect":
            self._fault_ends["disconnect"] = end
            if self._state is not LinkState.DISCONNECTED:
                self._set_link(now, LinkState.DISCONNECTED, "simulated cable pulled")
                self._on_disconnect(now)
                self._set_condition(now, TechnicalCondition.DISCONNECTED, True)
        else:
            self._fault_ends[name] = end
            self._start_fault(name, now)

    def clear_fault(self, name: str) -> None:
        """End a fault now (``clear_fault("disconnect")`` is the same as ``reconnect``)."""
        if name not in self.fault_names:
            raise UserError(
                f"{self._device_id} has no fault {name!r}; use one of {', '.join(self.fault_names)}"
            )
        if not self._running:
            return
        now = self._now_s()
        self._advance_to(now)
        if name in ("disconnect", "reconnect"):
            self._end_disconnect(now)
        elif name in self._fault_ends:
            del self._fault_ends[name]
            self._end_fault(name, now)

    # ------------------------------------------------------------------ helpers for subclasses

    @property
    def connected(self) -> bool:
        """Whether the link is up (started and not disconnected)."""
        return self._state is LinkState.STREAMING

    def _now_s(self) -> float:
        return (self._clock.now() - self._origin).total_seconds()

    def _at(self, s: float) -> datetime:
        # The numerics of one second share their time stamp: computed once for all of them.
        if s != self._at_s:
            self._at_s = s
            self._at_time = self._origin + timedelta(seconds=s)
        return self._at_time

    def _emit(self, s: float, item: object) -> None:
        self._pending.append(SourceOutput(self._at(s), item))  # type: ignore[arg-type]

    def _emit_reading(self, s: float, kind: Kind, value: float) -> None:
        reading = Reading.of(kind, value)
        if reading is not None:
            self._pending.append(SourceOutput(self._at(s), reading))

    def _set_condition(
        self, s: float, condition: TechnicalCondition, active: bool, detail: str = ""
    ) -> None:
        """Record a condition; report it now if the link is up (else when it comes back)."""
        if active:
            self._conditions[condition] = detail
        else:
            self._conditions.pop(condition, None)
        if self.connected or condition is TechnicalCondition.DISCONNECTED:
            self._report(s, condition)

    def _report(self, s: float, condition: TechnicalCondition) -> None:
        active = condition in self._conditions
        if active == (condition in self._reported):
            return
        if active:
            self._reported.add(condition)
        else:
            self._reported.discard(condition)
        detail = self._conditions.get(condition, "")
        self._emit(s, ConditionChange(condition, active, detail))

    def _set_link(self, s: float, new: LinkState, detail: str) -> None:
        old, self._state = self._state, new
        if old is not new:
            self._emit(s, LinkStateChange(old, new, detail))

    def _end_disconnect(self, s: float) -> None:
        self._fault_ends.pop("disconnect", None)
        if self._state is not LinkState.DISCONNECTED:
            return
        self._set_link(s, LinkState.STREAMING, "simulated cable reconnected")
        self._set_condition(s, TechnicalCondition.DISCONNECTED, False)
        for condition in sorted(set(self._conditions) | self._reported):
            self._report(s, condition)
        self._restart(s)

    def _advance_to(self, target: float) -> None:
        """Generate everything in (cursor, target], handling events in time order."""
        if not self._running:
            return
        while True:
            fault_end = min(self._fault_ends.values(), default=math.inf)
            event = self._next_event()
            when = min(fault_end, event)
            if when > target:
                break
            when = max(when, self._cursor)
            self._produce_span(self._cursor, when)
            self._cursor = when
            if fault_end <= event:
                name = min(self._fault_ends, key=self._fault_ends.__getitem__)
                del self._fault_ends[name]
                if name == "disconnect":
                    self._end_disconnect(when)
                else:
                    self._end_fault(name, when)
            else:
                self._handle_event(when)
        if target > self._cursor:
            self._produce_span(self._cursor, target)
            self._cursor = target

    def _produce_span(self, start: float, end: float) -> None:
        if end <= start:
            return
        if self.connected:
            self._produce(start, end)
        else:
            self._skip(start, end)

    # ------------------------------------------------------------------ subclass hooks

    def _restart(self, s: float) -> None:
        """The link came up at ``s`` (start or reconnect): resume generating from there."""

    def _on_disconnect(self, s: float) -> None:
        """The link went down at ``s``."""

    def _on_stop(self, s: float) -> None:
        """The device is being stopped at ``s``."""

    def _produce(self, start: float, end: float) -> None:
        """Emit continuous output for times in (start, end]."""

    def _skip(self, start: float, end: float) -> None:
        """Time (start, end] passes with the link down."""

    def _next_event(self) -> float:
        """Time of the next discrete event the subclass wants handled, or ``inf``."""
        return math.inf

    def _handle_event(self, s: float) -> None:
        """Handle the event due at ``s`` (as announced by :meth:`_next_event`)."""

    def _start_fault(self, name: str, s: float) -> None:
        """A device fault starts at ``s``."""

    def _end_fault(self, name: str, s: float) -> None:
        """A device fault ends at ``s``."""
