"""A simulated sidestream capnograph: the CO2 wave, respiratory rate, etCO2 and FiCO2.

The CO2 wave is the patient's capnogram (:meth:`Physiology.co2_at_s`) sampled at the device's
rate with a little noise. The device detects breaths on its own wave the way a capnograph does:
a breath is an expiratory upstroke crossing :data:`BREATH_THRESHOLD_MMHG`. Numerics once a
second: respiratory rate from the intervals of the last few breaths, etCO2 as the peak of the
last breath, FiCO2 as the lowest CO2 of the last breath. When no breath has been detected for
:data:`NO_BREATH_FACTOR` times the last breath interval (at least :data:`NO_BREATH_MIN_S`), the
device reports a respiratory rate of 0 and an etCO2 of 0: "no breath detected". The apnoea alarm
is the runtime's (``apnea``: RR below 1 /min for its delay), not the device's.
"""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np

from sessionmon.clock import Clock
from sessionmon.devices.readings import TechnicalCondition
from sessionmon.devices.source import DeviceRole, WaveformBlock
from sessionmon.model import Kind
from sessionmon.sim.device import SimulatedDevice
from sessionmon.sim.physiology import Physiology

#: CO2 (mmHg) a rising wave must cross to count as a breath.
BREATH_THRESHOLD_MMHG = 4.0
#: A breath is overdue after this many times the last breath interval ...
NO_BREATH_FACTOR = 1.5
#: ... and never sooner than this many seconds after the last breath.
NO_BREATH_MIN_S = 6.0
#: Breath intervals averaged into the respiratory rate.
_INTERVALS_AVERAGED = 4
#: The CO2 wave is computed this far ahead (again if the physiology targets change).
_CHUNK_S = 10.0


class SimulatedCapnograph(SimulatedDevice):
    """A capnograph that follows a :class:`Physiology` (a :class:`VitalsSource`).

    Parameters
    ----------
    clock : Clock
        Time source.
    physiology : Physiology
        The patient.
    seed : int
        Seed of the signal noise.
    sample_rate_hz : float
        CO2 wave sample rate.
    device_id : str
        Id reported to the runtime.

    Notes
    -----
    Faults: ``line_blocked`` (the sampling line is occluded: a ``line_blocked`` condition, a flat
    wave and no numerics until it ends), ``disconnect`` and ``reconnect``.
    """

    DEVICE_FAULTS = ("line_blocked",)

    def __init__(
        self,
        clock: Clock,
        physiology: Physiology,
        seed: int = 0,
        sample_rate_hz: float = 25.0,
        device_id: str = "respiration:simulated",
    ) -> None:
        if not (math.isfinite(sample_rate_hz) and 1.0 <= sample_rate_hz <= 200.0):
            raise ValueError(f"CO2 sample rate must be 1-200 Hz, got {sample_rate_hz}")
        super().__init__(clock, seed, device_id, DeviceRole.RESPIRATION)
        self._phys = physiology
        self._phys_offset = (self._origin - physiology.origin).total_seconds()
        self._rate = float(sample_rate_hz)
        self._blocked = False
        self._restart(0.0)

    @property
    def sample_rate_hz(self) -> float:
        """CO2 wave samples per second."""
        return self._rate

    # ------------------------------------------------------------------ hooks

    def _restart(self, s: float) -> None:
        self._next_sample = math.floor(s * self._rate + 1e-9) + 1
        self._next_numeric = math.floor(s + 1e-9) + 1
        self._previous = math.inf  # the first crossing must be a real upstroke
        self._breaths: list[float] = []
        self._peak = 0.0
        self._trough = 0.0
        self._last_peak: float | None = None
        self._last_trough = 0.0
        self._wave = np.zeros(0)
        self._wave_start = self._next_sample
        self._wave_revision = self._phys.revision

    def _start_fault(self, name: str, s: float) -> None:
        self._blocked = True
        self._set_condition(s, TechnicalCondition.LINE_BLOCKED, True, "simulated line occluded")

    def _end_fault(self, name: str, s: float) -> None:
        if self._blocked:
            self._blocked = False
            self._restart(s)
            self._set_condition(s, TechnicalCondition.LINE_BLOCKED, False)

    def _skip(self, start: float, end: float) -> None:
        self._restart(end)

    def _produce(self, start: float, end: float) -> None:
        last_sample = math.floor(end * self._rate + 1e-9)
        last_numeric = math.floor(end + 1e-9)
        while True:
            numeric_due = self._next_numeric <= last_numeric
            block_end = (
                min(last_sample, math.floor(self._next_numeric * self._rate + 1e-9))
                if numeric_due
                else last_sample
            )
            if block_end >= self._next_sample:
                self._emit_wave(self._next_sample, block_end)
                self._next_sample = block_end + 1
            if not numeric_due:
                break
            self._emit_numerics(float(self._next_numeric))
            self._next_numeric += 1

    # ------------------------------------------------------------------ wave and breaths

    def _emit_wave(self, first: int, last: int) -> None:
        count = last - first + 1
        if self._blocked:
            self._emit(first / self._rate, WaveformBlock((0.0,) * count, self._rate, Kind.CO2))
            return
        s0 = first / self._rate
        wave = self._ensure_wave(first, last).tolist()
        self._detect(s0, wave)
        self._emit(s0, WaveformBlock(tuple(wave), self._rate, Kind.CO2))

    def _ensure_wave(self, first: int, last: int) -> np.ndarray:
        """Samples ``first..last``, computed ahead in chunks (again if the physiology changed)."""
        if (
            self._wave_revision != self._phys.revision
            or first < self._wave_start
            or first > self._wave_start + len(self._wave)
        ):
            self._wave = self._wave[:0]
            self._wave_start = first
            self._wave_revision = self._phys.revision
        while self._wave_start + len(self._wave) <= last:
            start = self._wave_start + len(self._wave)
            count = max(1, round(_CHUNK_S * self._rate))
            s0 = start / self._rate + self._phys_offset
            s1 = (start + count - 1) / self._rate + self._phys_offset
            chunk = self._phys.co2_block(s0, s1, count)
            chunk += self._rng.normal(0.0, 0.25, count)
            np.maximum(chunk, 0.0, out=chunk)
            keep = first - self._wave_start
            self._wave = np.concatenate((self._wave[keep:], np.round(chunk, 1)))
            self._wave_start = first
        offset = first - self._wave_start
        return self._wave[offset : last - self._wave_start + 1]

    def _detect(self, s0: float, wave: list[float]) -> None:
        """Find breaths (upward threshold crossings) in a block starting at ``s0``.

        Plain Python on the block's samples: a block is a second (25 samples), too short for
        numpy's per-call cost to pay off.
        """
        threshold = BREATH_THRESHOLD_MMHG
        onsets = []
        was_above = self._previous >= threshold
        for i, value in enumerate(wave):
            above = value >= threshold
            if above and not was_above:
                onsets.append(i)
            was_above = above
        start = 0
        for index in [*onsets, len(wave)]:
            if start < index and self._breaths:
                segment = wave[start:index]
                self._peak = max(self._peak, max(segment))
                self._trough = min(self._trough, min(segment))
            if index < len(wave):
                if self._breaths:
                    self._last_peak = self._peak
                    self._last_trough = self._trough
                self._breaths.append(s0 + index / self._rate)
                del self._breaths[: -(_INTERVALS_AVERAGED + 1)]
                self._peak = float(wave[index])
                self._trough = float(wave[index])
                start = index + 1
        self._previous = float(wave[-1])

    def _emit_numerics(self, s: float) -> None:
        if self._blocked:
            return
        breaths = self._breaths
        if len(breaths) < 2:
            if breaths and s - breaths[-1] > NO_BREATH_MIN_S * 3:
                self._emit_reading(s, Kind.RESP_RATE, 0.0)
                self._emit_reading(s, Kind.ETCO2, 0.0)
            return  # still learning the breathing
        intervals = [b - a for a, b in pairwise(breaths)]
        overdue = max(NO_BREATH_MIN_S, NO_BREATH_FACTOR * intervals[-1])
        if s - breaths[-1] > overdue:
            self._emit_reading(s, Kind.RESP_RATE, 0.0)
            self._emit_reading(s, Kind.ETCO2, 0.0)
            self._emit_reading(s, Kind.FICO2, float(round(max(0.0, self._trough))))
            return
        rate = 60.0 * len(intervals) / sum(intervals)
        self._emit_reading(s, Kind.RESP_RATE, float(round(rate)))
        if self._last_peak is not None:
            self._emit_reading(s, Kind.ETCO2, float(round(self._last_peak)))
            self._emit_reading(s, Kind.FICO2, float(round(max(0.0, self._last_trough))))
