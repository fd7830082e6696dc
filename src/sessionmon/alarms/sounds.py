"""Alarm sounds in the IEC 60601-1-8 style, generated at run time with numpy.

* high: a 10-pulse burst (3 + 2 pulses, a pause, 3 + 2 pulses), repeated about every 10 s;
* medium: 3 pulses, repeated about every 25 s;
* low: 1 pulse, played once when the alarm starts.

Each pulse is a tone with a fundamental between 150 and 1000 Hz and four harmonics (2nd to 5th),
shaped with short raised-cosine attack and decay ramps so it does not click. The console plays the
bursts through QtMultimedia; this module only makes the samples (no Qt).
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sessionmon.model import AlarmPriority

if TYPE_CHECKING:  # numpy is imported where a tone is made: exports read alarm limits, not sound
    import numpy as np


@dataclass(frozen=True)
class PulsePattern:
    """The timing and pitch of one priority's burst.

    Attributes
    ----------
    fundamental_hz : float
        Pulse tone fundamental.
    pulse_s : float
        Duration of one pulse, ramps included.
    ramp_s : float
        Attack and decay time of each pulse.
    onsets_s : tuple of float
        Start of each pulse from the start of the burst.
    repeat_s : float or None
        Start-to-start interval of bursts; None to play once.
    """

    fundamental_hz: float
    pulse_s: float
    ramp_s: float
    onsets_s: tuple[float, ...]
    repeat_s: float | None

    @property
    def duration_s(self) -> float:
        """Length of one burst."""
        return self.onsets_s[-1] + self.pulse_s


def _onsets(gaps: list[float], pulse_s: float) -> tuple[float, ...]:
    """Pulse start times given the silent gap after each pulse but the last."""
    onsets = [0.0]
    for gap in gaps:
        onsets.append(onsets[-1] + pulse_s + gap)
    return tuple(round(t, 6) for t in onsets)


_HIGH_PULSE = 0.1
_HIGH_GAP = 0.07  # between pulses of a group
_HIGH_GROUP_GAP = 0.25  # between pulse 3 and pulse 4, and 8 and 9
_HIGH_HALF_GAP = 0.6  # between pulse 5 and pulse 6
_HIGH_HALF = [_HIGH_GAP, _HIGH_GAP, _HIGH_GROUP_GAP, _HIGH_GAP]  # gaps inside 3 + 2 pulses
_MEDIUM_PULSE = 0.18
_MEDIUM_GAP = 0.12

#: The burst of each priority.
PATTERNS: dict[AlarmPriority, PulsePattern] = {
    AlarmPriority.HIGH: PulsePattern(
        fundamental_hz=880.0,
        pulse_s=_HIGH_PULSE,
        ramp_s=0.015,
        onsets_s=_onsets(
            [*_HIGH_HALF, _HIGH_HALF_GAP, *_HIGH_HALF],
            _HIGH_PULSE,
        ),
        repeat_s=10.0,
    ),
    AlarmPriority.MEDIUM: PulsePattern(
        fundamental_hz=660.0,
        pulse_s=_MEDIUM_PULSE,
        ramp_s=0.02,
        onsets_s=_onsets([_MEDIUM_GAP, _MEDIUM_GAP], _MEDIUM_PULSE),
        repeat_s=25.0,
    ),
    AlarmPriority.LOW: PulsePattern(
        fundamental_hz=520.0,
        pulse_s=0.2,
        ramp_s=0.02,
        onsets_s=(0.0,),
        repeat_s=None,
    ),
}

#: Relative amplitude of the fundamental and harmonics 2 to 5.
HARMONIC_AMPLITUDES: tuple[float, ...] = (1.0, 0.7, 0.5, 0.4, 0.3)

#: Peak sample value of a burst (about -3 dBFS).
_PEAK = 0.7 * 32767


def _pulse(pattern: PulsePattern, sample_rate: int) -> np.ndarray:
    import numpy as np

    n = round(pattern.pulse_s * sample_rate)
    t = np.arange(n) / sample_rate
    tone = np.zeros(n)
    for harmonic, amplitude in enumerate(HARMONIC_AMPLITUDES, start=1):
        tone += amplitude * np.sin(2 * np.pi * harmonic * pattern.fundamental_hz * t)
    ramp_n = max(1, round(pattern.ramp_s * sample_rate))
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, ramp_n))
    envelope = np.ones(n)
    envelope[:ramp_n] = ramp
    envelope[-ramp_n:] = ramp[::-1]
    return tone * envelope


def burst_samples(priority: AlarmPriority | str, sample_rate: int = 44100) -> np.ndarray:
    """Return one burst of the alarm sound of ``priority`` as mono 16-bit samples.

    Parameters
    ----------
    priority : AlarmPriority
        ``high``, ``medium`` or ``low``.
    sample_rate : int
        Samples per second; at least 12 kHz so the 5th harmonic of the high tone fits.

    Returns
    -------
    numpy.ndarray
        ``int16`` samples of one burst (play again after :func:`repeat_interval_s`).
    """
    import numpy as np

    pattern = PATTERNS[AlarmPriority(priority)]
    if sample_rate < 12000:
        raise ValueError(f"sample rate {sample_rate} Hz is too low for the alarm tones")
    pulse = _pulse(pattern, sample_rate)
    out = np.zeros(round(pattern.duration_s * sample_rate) + 1)
    for onset in pattern.onsets_s:
        start = round(onset * sample_rate)
        out[start : start + pulse.size] += pulse
    out *= _PEAK / np.max(np.abs(out))
    return np.round(out).astype(np.int16)


def burst_wav_bytes(priority: AlarmPriority | str, sample_rate: int = 44100) -> bytes:
    """Return one burst as a mono 16-bit PCM WAV file in memory."""
    samples = burst_samples(priority, sample_rate)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def repeat_interval_s(priority: AlarmPriority | str) -> float | None:
    """Start-to-start interval of bursts: 10 s high, 25 s medium, None for low (play once)."""
    return PATTERNS[AlarmPriority(priority)].repeat_s
