"""A simulated oscillometric NIBP module: a 20-40 s measurement with cuff pressure meanwhile.

A measurement inflates the cuff to about 30 mmHg above the patient's systolic pressure, deflates it
in steps of about 8 mmHg past the diastolic pressure, then dumps it. Cuff pressure is reported every
0.5-1 s (the cadence is drawn per measurement). At the end the module reports systolic, diastolic
and mean pressure and the pulse rate of the patient at that moment, with measurement noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sessionmon.clock import Clock
from sessionmon.devices.readings import TechnicalCondition
from sessionmon.devices.source import DeviceRole
from sessionmon.errors import UserError
from sessionmon.model import Kind
from sessionmon.sim.device import SimulatedDevice
from sessionmon.sim.physiology import Physiology

#: Detail of the ``nibp_failed`` condition the ``nibp_error`` fault produces (SunTech code 57).
LEAK_ERROR = "57 loose cuff or leak"

MIN_DURATION_S = 20.0
MAX_DURATION_S = 40.0
MIN_AUTO_INTERVAL_S = 60.0
_DUMP_S = 1.5
_DEFLATE_STEP_MMHG = 8.0


@dataclass(slots=True)
class _Measurement:
    start: float
    end: float
    reports: list[tuple[float, float]]  # (time, cuff pressure), ascending
    next_report: int
    noise: tuple[float, float, float, float]  # sys, dia, map, hr
    leaking: bool


def _clipped_normal(rng: np.random.Generator, sd: float, limit: float) -> float:
    return float(min(limit, max(-limit, rng.normal(0.0, sd))))


class SimulatedNibp(SimulatedDevice):
    """A non-invasive blood-pressure module that measures a :class:`Physiology`.

    Implements :class:`VitalsSource` and :class:`NibpControl`.

    Parameters
    ----------
    clock : Clock
        Time source.
    physiology : Physiology
        The patient.
    seed : int
        Seed of the module's randomness (duration, cadence, measurement noise).
    device_id : str
        Id reported to the runtime.

    Notes
    -----
    Faults: ``nibp_error`` reports ``nibp_failed`` with detail ``"57 loose cuff or leak"`` at
    once (a running measurement is abandoned); with a duration every measurement ending within
    it fails as well and the failure clears when it ends; otherwise it clears with the next
    successful measurement;
    ``disconnect`` (a running measurement is lost) and ``reconnect``.
    A request while disconnected, stopped or already measuring is ignored.
    """

    DEVICE_FAULTS = ("nibp_error",)

    def __init__(
        self,
        clock: Clock,
        physiology: Physiology,
        seed: int = 0,
        device_id: str = "nibp:simulated",
    ) -> None:
        super().__init__(clock, seed, device_id, DeviceRole.NIBP)
        self._phys = physiology
        self._phys_offset = (self._origin - physiology.origin).total_seconds()
        self._measurement: _Measurement | None = None
        self._auto_interval: float | None = None
        self._next_auto = math.inf

    # ------------------------------------------------------------------ NibpControl

    @property
    def measuring(self) -> bool:
        """Whether a measurement is in progress now."""
        self._advance_to(self._now_s())
        return self._measurement is not None

    @property
    def auto_interval_s(self) -> float | None:
        """The automatic measurement cycle in seconds, or ``None`` when off."""
        return self._auto_interval

    def request_measurement(self) -> None:
        """Start one measurement now (ignored while one runs or the link is down)."""
        now = self._now_s()
        self._advance_to(now)
        if self._running and self.connected and self._measurement is None:
            self._begin(now)

    def abort(self) -> None:
        """Abort the running measurement and deflate the cuff (reports cuff pressure 0)."""
        now = self._now_s()
        self._advance_to(now)
        if self._measurement is not None:
            self._measurement = None
            if self.connected:
                self._emit_reading(now, Kind.CUFF_PRESSURE, 0.0)

    def set_auto_interval(self, seconds: float | None) -> None:
        """Measure automatically every ``seconds`` from now on (first one after one interval).

        Parameters
        ----------
        seconds : float or None
            The cycle, at least 60 s; ``None`` turns the automatic cycle off. A cycle that comes
            due while a measurement runs or the link is down is skipped.
        """
        now = self._now_s()
        self._advance_to(now)
        if seconds is None:
            self._auto_interval = None
            self._next_auto = math.inf
            return
        if not (math.isfinite(seconds) and seconds >= MIN_AUTO_INTERVAL_S):
            raise UserError(
                f"NIBP auto interval must be at least {MIN_AUTO_INTERVAL_S:g} s, got {seconds}"
            )
        self._auto_interval = float(seconds)
        self._next_auto = now + float(seconds)

    # ------------------------------------------------------------------ measurement

    def _begin(self, s: float) -> None:
        rng = self._rng
        duration = float(rng.uniform(MIN_DURATION_S, MAX_DURATION_S))
        cadence = float(rng.uniform(0.5, 1.0))
        inflate_s = float(rng.uniform(5.0, 8.0))
        state = self._phys.state_at_s(s + self._phys_offset)
        leaking = "nibp_error" in self._fault_ends
        if leaking:
            peak = float(rng.uniform(40.0, 70.0))  # cannot hold pressure
            floor = 5.0
        else:
            peak = min(300.0, state.sys + 30.0 + float(rng.uniform(0.0, 10.0)))
            floor = max(20.0, state.dia - 20.0)
        deflate_s = duration - inflate_s - _DUMP_S
        steps = max(1, math.ceil((peak - floor) / _DEFLATE_STEP_MMHG))
        step_s = deflate_s / steps
        step_mmhg = (peak - floor) / steps
        reports: list[tuple[float, float]] = []
        u = cadence
        while u < duration:
            if u < inflate_s:
                pressure = peak * u / inflate_s
            elif u < inflate_s + deflate_s:
                pressure = peak - step_mmhg * math.floor((u - inflate_s) / step_s)
            else:
                pressure = floor * (duration - u) / _DUMP_S
            pressure += float(rng.normal(0.0, 0.7))
            reports.append((s + u, float(min(350, max(0, round(pressure))))))
            u += cadence
        noise = (
            _clipped_normal(rng, 2.5, 5.0),
            _clipped_normal(rng, 2.5, 5.0),
            _clipped_normal(rng, 2.0, 4.0),
            _clipped_normal(rng, 1.5, 3.0),
        )
        self._measurement = _Measurement(s, s + duration, reports, 0, noise, leaking)

    def _finish(self, m: _Measurement) -> None:
        self._measurement = None
        failing = m.leaking or "nibp_error" in self._fault_ends
        if self._fault_ends.get("nibp_error") == math.inf and failing:
            del self._fault_ends["nibp_error"]  # a one-off error fails one measurement
        if failing:
            self._set_condition(m.end, TechnicalCondition.NIBP_FAILED, True, LEAK_ERROR)
            return
        self._set_condition(m.end, TechnicalCondition.NIBP_FAILED, False)
        state = self._phys.state_at_s(m.end + self._phys_offset)
        sys_noise, dia_noise, map_noise, hr_noise = m.noise
        systolic = round(state.sys + sys_noise)
        diastolic = min(systolic - 5, round(state.dia + dia_noise))
        mean = min(systolic - 1, max(diastolic + 1, round(state.map + map_noise)))
        self._emit_reading(m.end, Kind.NIBP_SYS, float(systolic))
        self._emit_reading(m.end, Kind.NIBP_DIA, float(diastolic))
        self._emit_reading(m.end, Kind.NIBP_MAP, float(mean))
        self._emit_reading(m.end, Kind.NIBP_HR, float(round(state.hr + hr_noise)))

    # ------------------------------------------------------------------ hooks

    def _next_event(self) -> float:
        m = self._measurement
        if m is None:
            return self._next_auto
        due = m.reports[m.next_report][0] if m.next_report < len(m.reports) else m.end
        return min(due, self._next_auto)

    def _handle_event(self, s: float) -> None:
        m = self._measurement
        if m is not None:
            while m.next_report < len(m.reports) and m.reports[m.next_report][0] <= s:
                at, pressure = m.reports[m.next_report]
                self._emit_reading(at, Kind.CUFF_PRESSURE, pressure)
                m.next_report += 1
            if m.next_report == len(m.reports) and m.end <= s:
                self._finish(m)
        if self._next_auto <= s and self._auto_interval is not None:
            due = self._next_auto
            self._next_auto += self._auto_interval
            if self.connected and self._measurement is None:
                self._begin(due)

    def _restart(self, s: float) -> None:
        if self._auto_interval is not None and self._next_auto < s:
            self._next_auto = s + self._auto_interval

    def _on_disconnect(self, s: float) -> None:
        self._measurement = None  # the module's result never reaches the host

    def _on_stop(self, s: float) -> None:
        self._measurement = None

    def _start_fault(self, name: str, s: float) -> None:
        """``nibp_error``: the module reports the failure at once.

        A running measurement is abandoned (the cuff is dumped). A one-off error (no duration)
        is then spent, so the next measurement may succeed; with a duration every measurement
        until it ends fails too.
        """
        if name != "nibp_error":
            return
        if self._measurement is not None:
            self._measurement = None
            self._emit_reading(s, Kind.CUFF_PRESSURE, 0.0)
        self._set_condition(s, TechnicalCondition.NIBP_FAILED, True, LEAK_ERROR)
        if self._fault_ends.get("nibp_error") == math.inf:
            del self._fault_ends["nibp_error"]

    def _end_fault(self, name: str, s: float) -> None:
        """``nibp_error`` with a duration: measurements stop failing and, unless one is
        running, the failure clears now (like the end of any other timed fault)."""
        if name == "nibp_error" and self._measurement is None:
            self._set_condition(s, TechnicalCondition.NIBP_FAILED, False)
