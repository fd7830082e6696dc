"""Alarm sounds: pulse counts and grouping from the envelope, tone spectra by FFT, WAV output."""

from __future__ import annotations

import io
import itertools
import wave

import numpy as np
import pytest

from sessionmon.alarms import burst_samples, burst_wav_bytes, repeat_interval_s
from sessionmon.model import AlarmPriority

RATE = 44100
HIGH, MEDIUM, LOW = AlarmPriority.HIGH, AlarmPriority.MEDIUM, AlarmPriority.LOW


def _envelope(samples: np.ndarray, window_s: float = 0.004) -> np.ndarray:
    """Peak amplitude in consecutive windows, normalised to 1."""
    n = round(window_s * RATE)
    trimmed = np.abs(samples[: samples.size // n * n].astype(float)).reshape(-1, n)
    peaks = trimmed.max(axis=1)
    return peaks / peaks.max()


def _pulses(samples: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) in seconds of every stretch where the envelope is above 20 %."""
    window_s = 0.004
    on = _envelope(samples, window_s) > 0.2
    edges = np.diff(np.concatenate([[0], on.astype(int), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(s * window_s, e * window_s) for s, e in zip(starts, ends, strict=True)]


@pytest.mark.parametrize("priority, count", [(HIGH, 10), (MEDIUM, 3), (LOW, 1)])
def test_burst_has_the_iec_pulse_count(priority, count):
    samples = burst_samples(priority, RATE)
    assert samples.dtype == np.int16
    assert len(_pulses(samples)) == count


def test_high_burst_is_three_plus_two_pulses_twice():
    pulses = _pulses(burst_samples(HIGH, RATE))
    gaps = [later[0] - earlier[1] for earlier, later in itertools.pairwise(pulses)]
    short = min(gaps)
    # gap after pulse 3 and 8 (between the 3 and the 2) is longer than inside a group,
    # and the gap after pulse 5 (between the halves) is the longest
    longer = [i for i, gap in enumerate(gaps) if gap > short * 1.8]
    assert longer == [2, 4, 7]
    assert gaps[4] > gaps[2] * 1.5 and gaps[4] > gaps[7] * 1.5
    assert pulses[-1][1] < 4.0, "the burst is much shorter than its 10 s repeat"


@pytest.mark.parametrize("priority", [HIGH, MEDIUM, LOW])
def test_pulses_have_short_attack_and_decay(priority):
    samples = burst_samples(priority, RATE)
    envelope = _envelope(samples, 0.001)
    above = np.flatnonzero(envelope > 0.05)
    first, _ = above[0], above[-1]
    reach_90 = np.flatnonzero(envelope[first:] > 0.9)[0]
    assert 3 <= reach_90 <= 40, f"attack of {reach_90} ms"
    assert envelope[0] < 0.05, "a pulse starts from silence, without a click"
    assert abs(int(samples[-1])) < 0.05 * 32767


@pytest.mark.parametrize("priority", [HIGH, MEDIUM, LOW])
def test_pulse_tone_has_fundamental_in_range_and_four_harmonics(priority):
    samples = burst_samples(priority, RATE).astype(float)
    start, end = _pulses(burst_samples(priority, RATE))[0]
    segment = samples[round(start * RATE) : round(end * RATE)]
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(segment.size), n=1 << 16))
    freqs = np.fft.rfftfreq(1 << 16, 1 / RATE)
    audible = freqs > 50
    fundamental = freqs[audible][np.argmax(spectrum[audible] * (freqs[audible] < 1000))]
    assert 150 <= fundamental <= 1000
    f0_level = spectrum[np.argmin(abs(freqs - fundamental))]
    assert spectrum[freqs < fundamental * 0.7].max() < f0_level * 0.05, "nothing below f0"
    harmonics = 0
    for k in range(2, 8):
        near = abs(freqs - k * fundamental) < fundamental * 0.05
        if near.any() and spectrum[near].max() > f0_level * 10 ** (-15 / 20):
            harmonics += 1
    assert harmonics >= 4, "IEC 60601-1-8 asks for at least 4 harmonics within 15 dB"


def test_priorities_differ_in_pitch():
    def pitch(priority):
        samples = burst_samples(priority, RATE).astype(float)
        spectrum = np.abs(np.fft.rfft(samples, n=1 << 16))
        freqs = np.fft.rfftfreq(1 << 16, 1 / RATE)
        return freqs[np.argmax(spectrum * (freqs < 1000))]

    assert len({round(pitch(p)) for p in (HIGH, MEDIUM, LOW)}) == 3


def test_repeat_intervals():
    assert repeat_interval_s(HIGH) == pytest.approx(10.0)
    assert repeat_interval_s(MEDIUM) == pytest.approx(25.0)
    assert repeat_interval_s("low") is None


def test_wav_bytes_are_a_playable_mono_16_bit_file():
    data = burst_wav_bytes(MEDIUM)
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 44100)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    assert np.array_equal(frames, burst_samples(MEDIUM))
    peak = np.abs(frames).max()
    assert 0.5 * 32767 < peak < 32767, "loud, without clipping"


def test_other_sample_rates_and_bad_input():
    samples = burst_samples(HIGH, 22050)
    assert samples.size == pytest.approx(burst_samples(HIGH, 44100).size / 2, abs=2)
    with pytest.raises(ValueError, match="too low"):
        burst_samples(HIGH, 8000)
    with pytest.raises(ValueError):
        burst_samples("urgent")
