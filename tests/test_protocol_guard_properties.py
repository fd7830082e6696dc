"""Properties of the rules that keep wire faults out of the record.

- the SunTech plausibility rule: a reading only from a result that is a blood pressure;
- the resync guard of the checksum-less protocols: noise gives no value, a real stream is
  recovered after garbage;
- the value filter restarts on a new connection: the first frame gives its values;
- the frame rate guard: a real device's pace never trips it, a 10x stream always does.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionmon.devices.plausibility import DEFAULT_BP_PLAUSIBILITY
from sessionmon.devices.protocols import PROTOCOLS, cms50_legacy, nonin_df8, suntech
from sessionmon.devices.rate_guard import FrameRateGuard
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.model import Kind

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TC = TechnicalCondition


# ---------------------------------------------------------------------- SunTech plausibility

pressures = st.integers(0, 1000)


@FAST
@given(systolic=pressures, diastolic=pressures, map_=pressures, hr=st.integers(0, 255))
def test_suntech_result_gives_readings_only_when_it_is_a_blood_pressure(
    systolic, diastolic, map_, hr
):
    frame = suntech.bp_data_frame(suntech.BpResult(systolic, diastolic, map_, hr))
    items = suntech.SuntechReplyParser().feed(frame)
    values = {i.kind: i.value for i in items if isinstance(i, Reading)}
    problem = DEFAULT_BP_PLAUSIBILITY.problem(
        min(systolic, 0xFFFF), min(diastolic, 0xFFFF), min(map_, 0xFFFF)
    )
    if problem is not None:
        assert values == {}
        assert items == [Condition(TC.NIBP_FAILED, problem)]
        return
    assert values[Kind.NIBP_DIA] < values[Kind.NIBP_MAP] < values[Kind.NIBP_SYS]
    assert 40 <= values[Kind.NIBP_SYS] <= 300 and 10 <= values[Kind.NIBP_DIA] <= 250
    assert (Kind.NIBP_HR in values) == (20 <= hr <= 300)


def test_the_issue_results_are_refused():
    for sys_, dia, map_ in ((120, 0, 0), (80, 200, 150), (5, 3, 4)):
        assert DEFAULT_BP_PLAUSIBILITY.problem(sys_, dia, map_) is not None
    assert DEFAULT_BP_PLAUSIBILITY.problem(128, 84, 99) is None


# ---------------------------------------------------------------------- resync guard

GUARDED = {"cms50-legacy": cms50_legacy.CONFIRM_FRAMES, "nonin-df8": nonin_df8.CONFIRM_FRAMES}


def spo2_values(items):
    return [i.value for i in items if isinstance(i, Reading) and i.kind is Kind.SPO2]


def steady_stream(name: str, hr: int, spo2: int, frames: int) -> bytes:
    enc = PROTOCOLS[name].make_encoder()
    if name == "nonin-df8":
        return b"".join(enc.frames_for(hr, spo2) for _ in range(frames))
    return enc.frames_for(hr, spo2, [40 + i % 30 for i in range(frames)])


@FAST
@given(
    name=st.sampled_from(sorted(GUARDED)),
    garbage=st.binary(max_size=400),
    hr=st.integers(30, 200),
    spo2=st.integers(70, 100),
)
def test_a_real_stream_is_recovered_after_any_garbage(name, garbage, hr, spo2):
    parser = PROTOCOLS[name].make_parser(numerics_every=1)
    parser.feed(garbage)
    out = parser.feed(steady_stream(name, hr, spo2, 2 * GUARDED[name] + 1))
    assert spo2_values(out)[-1] == spo2


@FAST
@given(name=st.sampled_from(sorted(GUARDED)), seed=st.integers(0, 2**32 - 1))
def test_random_noise_gives_at_most_one_false_run(name, seed):
    """Noise confirms a run about once in 20 MB (Nonin #8) or never seen (CMS50 legacy)."""
    noise = random.Random(seed).randbytes(20_000)
    parser = PROTOCOLS[name].make_parser(numerics_every=1)
    assert len(spo2_values(parser.feed(noise))) <= GUARDED[name] + 1


def test_one_megabyte_of_noise_gives_no_value():
    noise = random.Random(2026).randbytes(1_000_000)
    for name in GUARDED:
        parser = PROTOCOLS[name].make_parser()
        out = parser.feed(noise)
        assert [i for i in out if isinstance(i, Reading) and i.kind is not Kind.PLETH] == []
        assert parser.stats.extra["unconfirmed_frames"] > 10_000


# ---------------------------------------------------------------------- value filter restart

GATED = ["cms50-legacy", "cms50-v7", "nonin-df2", "nonin-df7"]


@FAST
@given(name=st.sampled_from(GATED), hr=st.integers(40, 180), spo2=st.integers(80, 100))
def test_after_restart_the_first_frames_give_their_values(name, hr, spo2):
    spec = PROTOCOLS[name]
    parser = spec.make_parser()
    enc = spec.make_encoder()
    parser.feed(enc.frames_for(hr, spo2, [50] * 30))  # values seen before the cable came out
    parser.restart()
    frames = 25 if name.startswith("nonin") else cms50_legacy.CONFIRM_FRAMES
    out = parser.feed(spec.make_encoder().frames_for(hr, spo2, [50] * frames))
    assert spo2 in spo2_values(out)  # not held back as "unchanged" until a second passes


# ---------------------------------------------------------------------- frame rate guard


@FAST
@given(
    nominal=st.sampled_from([1.0, 3.0, 60.0, 75.0]),
    lags=st.lists(st.floats(0.0, 1.5), min_size=1, max_size=20),
)
def test_a_device_at_its_pace_never_trips_the_rate_guard(nominal, lags):
    """Frames sent at the nominal rate, delivered late by up to 1.5 s in bursts: all admitted."""
    guard = FrameRateGuard(nominal)
    frames = int(nominal * 20)
    sent = [i / nominal for i in range(frames)]
    lag_of = [lags[i * len(lags) // frames] for i in range(frames)]
    arrival = 0.0
    for t, lag in zip(sent, lag_of, strict=True):
        arrival = max(arrival, t + lag)  # buffering delays, never reorders
        assert guard.admit(arrival)
        assert not guard.check(arrival)


@settings(max_examples=20, deadline=None)
@given(nominal=st.sampled_from([1.0, 60.0, 75.0]), times=st.integers(10, 100))
def test_a_stream_many_times_too_fast_is_caught_and_bounded(nominal, times):
    guard = FrameRateGuard(nominal)
    admitted = 0
    seconds = 4.0 if nominal > 1 else 10.0
    frames = int(nominal * times * seconds)
    for i in range(frames):
        admitted += guard.admit(i / (nominal * times))
    assert guard.too_fast
    # the burst allowance (plus what refills while it drains), then nothing
    assert admitted <= guard.capacity * (1 + guard.factor / (times - guard.factor)) + 1
    assert admitted < frames / 4


# ---------------------------------------------------------------------- decode, as typed


def test_decode_prints_an_implausible_suntech_result_as_failed(tmp_path, capsys):
    import json

    from sessionmon.cli import main

    capture = tmp_path / "bp.hex"
    frames = [suntech.BpResult(120, 0, 0, 0), suntech.BpResult(128, 84, 99, 0)]
    capture.write_text(" ".join(suntech.bp_data_frame(r).hex() for r in frames))
    assert main(["decode", "--device", "suntech", "--hex", str(capture)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == {
        "kind": "condition",
        "value": "nibp_failed",
        "detail": "implausible result 120/0 mmHg, MAP 0: diastolic outside 10-250",
    }
    # the second result is a BP; its HR of 0 is no value, not a reading
    assert [(o["kind"], o["value"]) for o in lines[1:]] == [
        ("nibp_sys", 128),
        ("nibp_dia", 84),
        ("nibp_map", 99),
        ("condition", "invalid_value"),
    ]
