"""A patient-physiology model that simulated devices sample.

The model holds a target for each vital sign (heart rate, SpO2, systolic and diastolic pressure,
respiratory rate, end-tidal CO2). A scenario changes targets over time with
:meth:`Physiology.set_targets`: each target ramps linearly from its value at the time of the
change to the new value. On top of the targets the model adds natural variability: a slow random
walk and respiratory sinus arrhythmia on the heart rate, jitter on SpO2 and a slow swing of the
blood pressure.

The variability is a smooth function of time drawn once from the seed, so
:meth:`Physiology.state_at` gives the same answer for the same time however often, and in whatever
order, it is asked.

Breathing drives a capnogram (:meth:`Physiology.co2_at_s`): CO2 near zero while breathing in,
then a fast expiratory upstroke to a plateau that reaches the end-tidal CO2 at the end of the
breath. An apnoea (:meth:`Physiology.set_apnea`) stops the breathing: the respiratory phase holds
still, the capnogram stays flat at zero.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sessionmon.clock import Clock
from sessionmon.errors import UserError

#: Names of the physiology parameters a scenario can change.
PARAMETERS: tuple[str, ...] = ("hr", "spo2", "sys", "dia", "resp_rate", "etco2")


#: Fractions of a breath cycle: inspiration, its CO2 downstroke, and the expiratory upstroke
#: (as a fraction of expiration).
_INSPIRATION = 0.4
_DOWNSTROKE = 0.04
_UPSTROKE = 0.15


class PhysiologyTargets(BaseModel):
    """Target values of the vital signs (what the patient tends towards, without variability).

    Parameters
    ----------
    hr : float
        Heart rate, /min (20-250).
    spo2 : float
        Oxygen saturation, % (50-100).
    sys, dia : float
        Arterial systolic and diastolic pressure, mmHg; ``dia`` must be below ``sys``.
    resp_rate : float
        Respiratory rate, /min (2-60); drives the respiratory sinus arrhythmia.
    etco2 : float
        End-tidal CO2, mmHg (5-120); the plateau of the capnogram.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    hr: float = Field(ge=20, le=250)
    spo2: float = Field(ge=50, le=100)
    sys: float = Field(ge=50, le=280)
    dia: float = Field(ge=20, le=200)
    resp_rate: float = Field(default=14.0, ge=2, le=60)
    etco2: float = Field(default=38.0, ge=5, le=120)

    @model_validator(mode="after")
    def _diastolic_below_systolic(self) -> PhysiologyTargets:
        if self.dia >= self.sys:
            raise ValueError(f"dia ({self.dia:g}) must be below sys ({self.sys:g})")
        return self


@dataclass(frozen=True, slots=True)
class PhysiologyState:
    """The patient's vital signs at one instant, variability included.

    Attributes
    ----------
    hr : float
        Heart rate, /min.
    spo2 : float
        Oxygen saturation, % (never above 100).
    sys, dia, map : float
        Arterial pressures, mmHg; ``map`` is ``dia + (sys - dia) / 3``.
    resp_rate : float
        Respiratory rate, /min (0 during an apnoea).
    etco2 : float
        End-tidal CO2 of the breath, mmHg.
    """

    hr: float
    spo2: float
    sys: float
    dia: float
    map: float
    resp_rate: float
    etco2: float = 38.0


class _Track:
    """One parameter's target over time: piecewise linear, constant outside its knots."""

    def __init__(self, baseline: float) -> None:
        self._baseline = baseline
        self._changes: list[tuple[float, int, float, float]] = []  # start, order, over, target
        self._xs: list[float] = []
        self._ys: list[float] = []
        self._cum: list[float] = []  # integral from xs[0] to xs[i]

    def change(self, start: float, over: float, target: float) -> None:
        self._changes.append((start, len(self._changes), over, target))
        self._changes.sort()
        xs: list[float] = []
        ys: list[float] = []
        for change_start, _, change_over, change_target in self._changes:
            begin = self._eval(xs, ys, change_start)
            while xs and xs[-1] >= change_start:
                xs.pop()
                ys.pop()
            xs += [change_start, change_start + change_over]
            ys += [begin, change_target]
        self._xs, self._ys = xs, ys
        cum = [0.0]
        for i in range(1, len(xs)):
            cum.append(cum[-1] + (xs[i] - xs[i - 1]) * (ys[i] + ys[i - 1]) / 2)
        self._cum = cum

    def _eval(self, xs: list[float], ys: list[float], t: float) -> float:
        if not xs:
            return self._baseline
        i = bisect_right(xs, t)
        if i == 0:
            return ys[0]  # the first knot holds the baseline
        if i == len(xs):
            return ys[-1]
        x0, x1 = xs[i - 1], xs[i]
        return ys[i - 1] + (ys[i] - ys[i - 1]) * (t - x0) / (x1 - x0)

    def value(self, t: float) -> float:
        """The target at ``t`` seconds."""
        return self._eval(self._xs, self._ys, t)

    def _antiderivative(self, t: float) -> float:
        xs, ys = self._xs, self._ys
        if not xs:
            return self._baseline * t
        i = bisect_right(xs, t)
        if i == 0:
            return ys[0] * (t - xs[0])
        return self._cum[i - 1] + (t - xs[i - 1]) * (ys[i - 1] + self.value(t)) / 2

    def integral(self, t: float) -> float:
        """Integral of the target from 0 to ``t`` seconds."""
        return self._antiderivative(t) - self._antiderivative(0.0)


class _SmoothNoise:
    """A smooth, bounded random function of time: a sum of sinusoids with seeded phases."""

    def __init__(
        self, rng: np.random.Generator, std: float, periods_s: tuple[float, float], parts: int = 5
    ) -> None:
        low, high = periods_s
        periods = np.exp(rng.uniform(math.log(low), math.log(high), parts))
        omegas = [float(w) for w in 2 * math.pi / periods]
        phases = [float(p) for p in rng.uniform(0, 2 * math.pi, parts)]
        self._terms = tuple(zip(omegas, phases, strict=True))
        self._amplitude = std * math.sqrt(2.0 / parts)

    def __call__(self, t: float) -> float:
        total = 0.0
        sin = math.sin
        for omega, phase in self._terms:
            total += sin(omega * t + phase)
        return self._amplitude * total


class Physiology:
    """The simulated patient: vital-sign targets that can ramp, plus natural variability.

    Parameters
    ----------
    clock : Clock
        Time source; ``clock.now()`` at construction is the model's time zero.
    baseline : PhysiologyTargets
        The targets at the start.
    seed : int
        Seed of the variability; the same seed and the same calls give the same values.

    Examples
    --------
    >>> phys = Physiology(clock, PhysiologyTargets(hr=74, spo2=98, sys=126, dia=80), seed=7)
    >>> phys.set_targets(at=clock.now(), over_s=480.0, sys=186, dia=114)
    >>> phys.state_at(clock.now()).sys  # still about 126, reaches about 186 after 8 minutes
    """

    #: Amplitude of the respiratory sinus arrhythmia on the heart rate, /min.
    RSA_AMPLITUDE = 1.0

    def __init__(self, clock: Clock, baseline: PhysiologyTargets, seed: int = 0) -> None:
        self._clock = clock
        self._origin = clock.now()
        self._baseline = baseline
        self._seed = seed
        rng = np.random.default_rng(seed)
        self._tracks = {name: _Track(float(getattr(baseline, name))) for name in PARAMETERS}
        self._noise = {
            "hr": _SmoothNoise(rng, 0.8, (20.0, 300.0)),
            "spo2": _SmoothNoise(rng, 0.45, (6.0, 120.0)),
            "sys": _SmoothNoise(rng, 2.5, (15.0, 400.0)),
            "dia": _SmoothNoise(rng, 1.5, (15.0, 400.0)),
            "resp_rate": _SmoothNoise(rng, 0.5, (30.0, 300.0)),
            "etco2": _SmoothNoise(rng, 0.6, (20.0, 300.0)),
        }
        self._apneas: list[tuple[float, float]] = []  # (start, end) seconds, sorted
        self._rsa_phase = float(rng.uniform(0, 2 * math.pi))
        self._revision = 0

    @property
    def origin(self) -> datetime:
        """The model's time zero (the clock's time at construction)."""
        return self._origin

    @property
    def baseline(self) -> PhysiologyTargets:
        """The targets at the start."""
        return self._baseline

    @property
    def seed(self) -> int:
        """The variability seed."""
        return self._seed

    @property
    def revision(self) -> int:
        """Counts calls to :meth:`set_targets`; a device that computed ahead recomputes."""
        return self._revision

    def seconds(self, t: datetime) -> float:
        """Convert a time to seconds since :attr:`origin`."""
        return (t - self._origin).total_seconds()

    def set_targets(self, at: datetime, over_s: float = 0.0, **targets: float) -> None:
        """Change some targets, ramping linearly from their value at ``at`` over ``over_s``.

        Parameters
        ----------
        at : datetime
            When the change starts (usually ``clock.now()``; a later time schedules it).
        over_s : float
            Ramp duration in seconds; 0 is a step.
        **targets : float
            New targets by name: any of ``hr``, ``spo2``, ``sys``, ``dia``, ``resp_rate``,
            ``etco2``.

        Raises
        ------
        UserError
            An unknown parameter, a value out of range, a negative ramp, or a final diastolic
            pressure not below the systolic one.
        """
        unknown = sorted(set(targets) - set(PARAMETERS))
        if unknown:
            raise UserError(
                f"unknown physiology parameter {', '.join(unknown)}; "
                f"use any of {', '.join(PARAMETERS)}"
            )
        if not math.isfinite(over_s) or over_s < 0:
            raise UserError(f"a physiology ramp cannot last {over_s} s")
        start = self.seconds(at)
        final = {name: self._tracks[name].value(math.inf) for name in PARAMETERS}
        final.update(targets)
        try:
            PhysiologyTargets.model_validate(final)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "targets"
            raise UserError(f"bad physiology target {where}: {first['msg']}") from None
        for name, value in targets.items():
            self._tracks[name].change(start, float(over_s), float(value))
        self._revision += 1

    def targets_at(self, t: datetime) -> PhysiologyTargets:
        """The targets (ramps applied, no variability) at ``t``."""
        s = self.seconds(t)
        return PhysiologyTargets.model_construct(
            **{name: self._tracks[name].value(s) for name in PARAMETERS}
        )

    def value_at_s(self, name: str, s: float) -> float:
        """One vital sign, variability included, at ``s`` seconds after :attr:`origin`.

        Parameters
        ----------
        name : str
            ``hr``, ``spo2``, ``sys``, ``dia``, ``resp_rate`` or ``etco2`` (``map`` is derived, see
            :meth:`state_at_s`).
        s : float
            Seconds since :attr:`origin`.
        """
        base = self._tracks[name].value(s) + self._noise[name](s)
        if name == "hr":
            rsa = self.RSA_AMPLITUDE * math.sin(self.respiratory_phase_at_s(s))
            return min(250.0, max(20.0, base + rsa))
        if name == "spo2":
            return min(100.0, max(40.0, base))
        if name == "sys":
            return min(290.0, max(40.0, base))
        if name == "dia":
            return min(self.value_at_s("sys", s) - 10.0, max(15.0, base))
        if name == "etco2":
            return min(120.0, max(3.0, base))
        return min(60.0, max(2.0, base))

    def respiratory_phase_at_s(self, s: float) -> float:
        """Phase of breathing (radians, growing without bound) at ``s`` seconds after origin.

        Inspiration is near phase 0 (mod 2π); the heart rate peaks there (sinus arrhythmia).
        The phase holds still during an apnoea.
        """
        track = self._tracks["resp_rate"]
        breaths = track.integral(s)
        for start, end in self._apneas:
            if start >= s:
                break
            breaths -= track.integral(min(end, s)) - track.integral(start)
        return 2 * math.pi * breaths / 60.0 + self._rsa_phase

    # ------------------------------------------------------------------ breathing

    def set_apnea(self, at: datetime, duration_s: float | None = None) -> None:
        """Stop the breathing from ``at`` for ``duration_s`` seconds (None: until resumed).

        Raises
        ------
        UserError
            A duration that is not a positive number of seconds.
        """
        if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
            raise UserError(f"an apnoea must last a positive number of seconds, not {duration_s}")
        start = self.seconds(at)
        end = math.inf if duration_s is None else start + duration_s
        self.resume_breathing(at)
        self._apneas.append((start, end))
        self._apneas.sort()
        self._revision += 1

    def resume_breathing(self, at: datetime) -> None:
        """End an apnoea in force at ``at`` (does nothing if the patient breathes)."""
        s = self.seconds(at)
        self._apneas = [(a, min(b, s)) if a <= s < b else (a, b) for a, b in self._apneas]
        self._apneas = [(a, b) for a, b in self._apneas if b > a]
        self._revision += 1

    def apneic_at_s(self, s: float) -> bool:
        """Whether the patient is not breathing at ``s`` seconds after origin."""
        return any(a <= s < b for a, b in self._apneas)

    def breathing_rate_at_s(self, s: float) -> float:
        """Respiratory rate at ``s`` (variability included), 0 during an apnoea."""
        return 0.0 if self.apneic_at_s(s) else self.value_at_s("resp_rate", s)

    def co2_at_s(self, s: float) -> float:
        """The capnogram: airway CO2 in mmHg at ``s`` seconds after origin (see
        :meth:`co2_block`)."""
        return float(self.co2_block(s, s, 1)[0])

    def co2_block(self, s0: float, s1: float, count: int) -> np.ndarray:
        """The capnogram at ``count`` evenly spaced times from ``s0`` to ``s1`` (mmHg).

        Each breath is inspiration (first 40 % of the cycle, CO2 about 0) and expiration: a fast
        upstroke to 85 % of the end-tidal value, then a slowly rising plateau that reaches it at
        the end of the breath, then the inspiratory downstroke. Flat at 0 during an apnoea.
        """
        times = np.linspace(s0, s1, count) if count > 1 else np.array([s0], dtype=np.float64)
        # Phase and end-tidal value at knots a second apart, interpolated in between.
        knots = np.linspace(s0, s1, max(2, math.ceil(s1 - s0) + 1))
        phases = [self.respiratory_phase_at_s(k) - self._rsa_phase for k in knots.tolist()]
        peaks = [self.value_at_s("etco2", k) for k in knots.tolist()]
        cycles = np.interp(times, knots, phases) / (2 * math.pi)
        frac = cycles - np.floor(cycles)
        peak = np.interp(times, knots, peaks)
        into = np.clip((frac - _INSPIRATION) / (1.0 - _INSPIRATION), 0.0, 1.0)
        x = np.clip(into / _UPSTROKE, 0.0, 1.0)
        expiring = np.where(
            into < _UPSTROKE,
            0.85 * (3 * x * x - 2 * x * x * x),
            0.85 + 0.15 * (into - _UPSTROKE) / (1.0 - _UPSTROKE),
        )
        downstroke = np.clip(1.0 - frac / _DOWNSTROKE, 0.0, 1.0)
        co2 = peak * np.where(frac < _INSPIRATION, downstroke, expiring)
        for start, end in self._apneas:
            co2[(times >= start) & (times < end)] = 0.0
        return co2

    def state_at_s(self, s: float) -> PhysiologyState:
        """The vital signs at ``s`` seconds after :attr:`origin`."""
        systolic = self.value_at_s("sys", s)
        diastolic = self.value_at_s("dia", s)
        return PhysiologyState(
            hr=self.value_at_s("hr", s),
            spo2=self.value_at_s("spo2", s),
            sys=systolic,
            dia=diastolic,
            map=diastolic + (systolic - diastolic) / 3.0,
            resp_rate=self.breathing_rate_at_s(s),
            etco2=self.value_at_s("etco2", s),
        )

    def state_at(self, t: datetime) -> PhysiologyState:
        """The vital signs at time ``t``, variability included."""
        return self.state_at_s(self.seconds(t))
