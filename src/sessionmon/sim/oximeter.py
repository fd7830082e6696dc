"""A simulated pulse oximeter: PPG pleth at the patient's heart rate, averaged HR, SpO2 and PI.

The pleth is built beat by beat. Each beat lasts ``60 / HR`` seconds (HR taken from the physiology
at the beat's onset, with a little beat-to-beat variability) and is shaped as a fast systolic
upstroke and run-off (an asymmetric Gaussian) followed by a smaller diastolic wave, which leaves a
dicrotic notch between them. Samples are computed with numpy for a whole block at once.

Numerics are reported once a second the way a bedside oximeter does: HR averaged over about four
beats, SpO2 over about eight seconds (exponential averaging), both rounded to integers; PI to one
decimal.
"""

from __future__ import annotations

import math

import numpy as np

from sessionmon.clock import Clock
from sessionmon.devices.readings import TechnicalCondition
from sessionmon.devices.source import DeviceRole, WaveformBlock
from sessionmon.model import Kind
from sessionmon.sim.device import SimulatedDevice
from sessionmon.sim.physiology import Physiology

# Beat shape, in fractions of the beat period.
_SYSTOLIC_PEAK = 0.17
_SYSTOLIC_RISE = 0.055
_SYSTOLIC_FALL = 0.11
_DIASTOLIC_PEAK = 0.47
_DIASTOLIC_WIDTH = 0.09
_DIASTOLIC_HEIGHT = 0.42
_BEAT_REACH = 1.2  # a beat's wave is negligible beyond this many periods after its onset
_TABLE_SIZE = 1200
_CHUNK_S = 10.0  # pleth is computed this far ahead (again if the physiology targets change)


def _beat_shape(phase: np.ndarray) -> np.ndarray:
    """One beat's pulse for phases in periods since its onset (0 outside [0, reach))."""
    width = np.where(phase < _SYSTOLIC_PEAK, _SYSTOLIC_RISE, _SYSTOLIC_FALL)
    wave = np.exp(-0.5 * ((phase - _SYSTOLIC_PEAK) / width) ** 2)
    wave += _DIASTOLIC_HEIGHT * np.exp(-0.5 * ((phase - _DIASTOLIC_PEAK) / _DIASTOLIC_WIDTH) ** 2)
    wave[(phase <= 0.0) | (phase >= _BEAT_REACH)] = 0.0
    return wave


#: The beat shape sampled finely; the last entry (and the first) is 0 so clipped indexes vanish.
_BEAT_TABLE = _beat_shape(np.arange(_TABLE_SIZE + 1) * (_BEAT_REACH / _TABLE_SIZE))

_PLETH_FLOOR = 12.0
_PLETH_SPAN = 70.0
_HR_BEATS_AVERAGED = 4.0
_SPO2_TIME_CONSTANT_S = 8.0
_SPO2_STEP = 1.0 - math.exp(-1.0 / _SPO2_TIME_CONSTANT_S)  # one second's share of a change


class SimulatedOximeter(SimulatedDevice):
    """A pulse oximeter that follows a :class:`Physiology` (a :class:`VitalsSource`).

    Parameters
    ----------
    clock : Clock
        Time source.
    physiology : Physiology
        The patient.
    seed : int
        Seed of the device's randomness (beat-to-beat variability, signal noise, perfusion).
    sample_rate_hz : float
        Pleth sample rate.
    device_id : str
        Id reported to the runtime.

    Notes
    -----
    Faults: ``sensor_off`` (finger out: a ``sensor_off`` condition, a flat pleth and no
    numerics until it ends), ``disconnect`` and ``reconnect``. Each pleth block covers at most one
    second and is stamped with the time of its first sample; numerics are stamped on whole seconds
    since the device was built.
    """

    DEVICE_FAULTS = ("sensor_off",)

    def __init__(
        self,
        clock: Clock,
        physiology: Physiology,
        seed: int = 0,
        sample_rate_hz: float = 75.0,
        device_id: str = "oximeter:simulated",
    ) -> None:
        if not (math.isfinite(sample_rate_hz) and 1.0 <= sample_rate_hz <= 1000.0):
            raise ValueError(f"pleth sample rate must be 1-1000 Hz, got {sample_rate_hz}")
        super().__init__(clock, seed, device_id, DeviceRole.OXIMETER)
        self._phys = physiology
        self._phys_offset = (self._origin - physiology.origin).total_seconds()
        self._rate = float(sample_rate_hz)
        self._next_sample = 0  # index of the next pleth sample; sample n is at n / rate
        self._next_numeric = 0  # whole second of the next numerics
        self._onsets: list[float] = []
        self._periods: list[float] = []
        self._heights: list[float] = []
        self._beats_averaged = 0  # beats already folded into the HR average
        self._next_onset = 0.0
        self._hr_avg: float | None = None
        self._spo2_avg: float | None = None
        self._pi_baseline = float(self._rng.uniform(2.0, 5.0))
        self._sensor_off = False
        self._breath_depth = float(self._rng.uniform(1.5, 3.0))
        self._pleth = np.zeros(0)  # samples computed ahead, from index _pleth_start
        self._pleth_start = 0
        self._pleth_revision = physiology.revision

    @property
    def physiology(self) -> Physiology:
        """The patient this oximeter reads."""
        return self._phys

    @property
    def sample_rate_hz(self) -> float:
        """Pleth samples per second."""
        return self._rate

    # ------------------------------------------------------------------ hooks

    def _restart(self, s: float) -> None:
        self._next_sample = math.floor(s * self._rate + 1e-9) + 1
        self._next_numeric = math.floor(s + 1e-9) + 1
        self._onsets.clear()
        self._periods.clear()
        self._heights.clear()
        self._beats_averaged = 0
        self._next_onset = s + float(self._rng.uniform(0.0, 0.6))
        self._hr_avg = None
        self._spo2_avg = None
        self._pleth = self._pleth[:0]
        self._pleth_start = self._next_sample
        self._pleth_revision = self._phys.revision

    def _start_fault(self, name: str, s: float) -> None:
        self._sensor_off = True
        self._set_condition(s, TechnicalCondition.SENSOR_OFF, True, "simulated finger out")

    def _end_fault(self, name: str, s: float) -> None:
        if self._sensor_off:
            self._sensor_off = False
            self._hr_avg = None
            self._spo2_avg = None
            self._set_condition(s, TechnicalCondition.SENSOR_OFF, False)

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
                self._emit_pleth(self._next_sample, block_end)
                self._next_sample = block_end + 1
            if not numeric_due:
                break
            self._emit_numerics(float(self._next_numeric))
            self._next_numeric += 1

    # ------------------------------------------------------------------ pleth

    def _make_beats_until(self, s: float) -> None:
        """Lay down beat onsets up to ``s`` seconds."""
        rng = self._rng
        while self._next_onset <= s:
            onset = self._next_onset
            hr = self._phys.value_at_s("hr", onset + self._phys_offset)
            period = 60.0 / hr * (1.0 + 0.012 * float(rng.standard_normal()))
            self._onsets.append(onset)
            self._periods.append(period)
            self._heights.append(1.0 + 0.035 * float(rng.standard_normal()))
            self._next_onset = onset + period

    def _forget_beats_before(self, s: float) -> None:
        """Drop beats whose wave ends before ``s`` (keeping those not yet averaged)."""
        drop = 0
        while (
            drop < len(self._onsets) - 1
            and drop < self._beats_averaged
            and self._onsets[drop] + _BEAT_REACH * self._periods[drop] < s
        ):
            drop += 1
        if drop:
            del self._onsets[:drop], self._periods[:drop], self._heights[:drop]
            self._beats_averaged -= drop

    def _emit_pleth(self, first: int, last: int) -> None:
        t0 = first / self._rate
        if self._sensor_off:
            self._ensure_pleth(first, last)  # the heart keeps beating; the probe sees nothing
            self._emit(t0, WaveformBlock((0.0,) * (last - first + 1), self._rate))
            return
        block = self._ensure_pleth(first, last)
        self._emit(t0, WaveformBlock(tuple(block.tolist()), self._rate))

    def _ensure_pleth(self, first: int, last: int) -> np.ndarray:
        """Samples ``first..last``, computed ahead in chunks (again if the targets changed)."""
        if self._pleth_revision != self._phys.revision or first < self._pleth_start:
            self._discard_pleth_from(first)
        offset = first - self._pleth_start
        while self._pleth_start + len(self._pleth) <= last:
            chunk = self._compute_pleth(self._pleth_start + len(self._pleth), _CHUNK_S)
            self._pleth = np.concatenate((self._pleth[offset:], chunk))
            self._pleth_start = first
            offset = 0
        return self._pleth[offset : last - self._pleth_start + 1]

    def _discard_pleth_from(self, first: int) -> None:
        """Forget samples from ``first`` on, and the beats laid down after them."""
        self._pleth = self._pleth[:0]
        self._pleth_start = first
        self._pleth_revision = self._phys.revision
        cut = first / self._rate
        keep = len(self._onsets)
        while keep > max(1, self._beats_averaged) and self._onsets[keep - 1] > cut:
            keep -= 1
        if keep < len(self._onsets):
            self._next_onset = self._onsets[keep]
            del self._onsets[keep:], self._periods[keep:], self._heights[keep:]

    def _compute_pleth(self, first: int, seconds: float) -> np.ndarray:
        """Compute ``seconds`` of pleth from sample ``first`` with numpy."""
        count = max(1, round(seconds * self._rate))
        t0 = first / self._rate
        t1 = (first + count - 1) / self._rate
        self._make_beats_until(t1)
        self._forget_beats_before(t0)
        offsets = np.arange(count, dtype=np.float64) / self._rate  # seconds from t0
        # Phase of every sample in every beat, as an index into the beat-shape table.
        scale = _TABLE_SIZE / _BEAT_REACH
        onsets = np.asarray(self._onsets) - t0
        inverse_periods = scale / np.asarray(self._periods)
        index = ((offsets[:, None] - onsets) * inverse_periods).astype(np.intp)
        signal = np.take(_BEAT_TABLE, index, mode="clip") @ np.asarray(self._heights)
        mid = 0.5 * (t0 + t1) + self._phys_offset
        signal *= _PLETH_SPAN * self._perfusion_at(mid)
        signal += _PLETH_FLOOR
        # Breathing moves the baseline: follow the patient's respiratory phase.
        phase0 = self._phys.respiratory_phase_at_s(t0 + self._phys_offset)
        phase1 = self._phys.respiratory_phase_at_s(t1 + self._phys_offset)
        step = (phase1 - phase0) / max(1, count - 1)
        signal += self._breath_depth * np.sin(phase0 + step * np.arange(count))
        signal += self._rng.normal(0.0, 0.4, count)
        np.rint(signal, out=signal)
        np.maximum(signal, 0.0, out=signal)
        np.minimum(signal, 100.0, out=signal)
        return signal

    def _perfusion_at(self, phys_s: float) -> float:
        """Pulse amplitude relative to normal: falls as the arterial pressure falls."""
        systolic = self._phys.value_at_s("sys", phys_s)
        return min(1.3, max(0.25, (systolic - 40.0) / 80.0))

    # ------------------------------------------------------------------ numerics

    def _emit_numerics(self, s: float) -> None:
        self._make_beats_until(s)
        while self._beats_averaged < len(self._onsets) and self._onsets[self._beats_averaged] <= s:
            beat_hr = 60.0 / self._periods[self._beats_averaged]
            if self._sensor_off:
                pass  # no signal: the beat is not counted
            elif self._hr_avg is None:
                self._hr_avg = beat_hr
            else:
                self._hr_avg += (beat_hr - self._hr_avg) / _HR_BEATS_AVERAGED
            self._beats_averaged += 1
        phys_s = s + self._phys_offset
        if self._sensor_off:
            return
        spo2 = self._phys.value_at_s("spo2", phys_s)
        if self._spo2_avg is None:
            self._spo2_avg = spo2
        else:
            self._spo2_avg += (spo2 - self._spo2_avg) * _SPO2_STEP
        if self._hr_avg is not None:
            self._emit_reading(s, Kind.HR, float(round(self._hr_avg)))
        self._emit_reading(s, Kind.SPO2, float(min(100, round(self._spo2_avg))))
        pi = self._pi_baseline * self._perfusion_at(phys_s)
        self._emit_reading(s, Kind.PI, round(max(0.1, pi), 1))
