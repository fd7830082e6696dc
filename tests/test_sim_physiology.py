"""The simulated patient: target ramps, natural variability, determinism."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sessionmon.clock import ManualClock
from sessionmon.errors import UserError
from sessionmon.sim import Physiology, PhysiologyState, PhysiologyTargets

BASELINE = PhysiologyTargets(hr=74, spo2=98, sys=126, dia=80)


def make(seed: int = 7) -> tuple[ManualClock, Physiology]:
    clock = ManualClock()
    return clock, Physiology(clock, BASELINE, seed=seed)


def test_ramp_starts_from_the_value_at_the_change_and_reaches_the_target_on_time() -> None:
    clock, phys = make()
    start = clock.now() + timedelta(minutes=35)
    phys.set_targets(at=start, over_s=480.0, sys=186, dia=114)
    assert phys.targets_at(start - timedelta(seconds=1)).sys == pytest.approx(126)
    assert phys.targets_at(start).sys == pytest.approx(126)
    assert phys.targets_at(start + timedelta(seconds=240)).sys == pytest.approx(156)
    assert phys.targets_at(start + timedelta(seconds=240)).dia == pytest.approx(97)
    assert phys.targets_at(start + timedelta(seconds=480)).sys == pytest.approx(186)
    assert phys.targets_at(start + timedelta(hours=1)).dia == pytest.approx(114)
    # untouched targets stay where they were
    assert phys.targets_at(start + timedelta(hours=1)).hr == pytest.approx(74)


def test_a_change_during_a_ramp_starts_from_where_the_ramp_had_got_to() -> None:
    clock, phys = make()
    t0 = clock.now()
    phys.set_targets(at=t0, over_s=100.0, hr=124)
    phys.set_targets(at=t0 + timedelta(seconds=50), over_s=50.0, hr=74)
    assert phys.targets_at(t0 + timedelta(seconds=50)).hr == pytest.approx(99)
    assert phys.targets_at(t0 + timedelta(seconds=75)).hr == pytest.approx(86.5)
    assert phys.targets_at(t0 + timedelta(seconds=100)).hr == pytest.approx(74)


def test_a_step_change_applies_at_once() -> None:
    clock, phys = make()
    clock.advance(60)
    phys.set_targets(at=clock.now(), spo2=84)
    assert phys.targets_at(clock.now()).spo2 == pytest.approx(84)
    state = phys.state_at(clock.now() + timedelta(seconds=1))
    assert abs(state.spo2 - 84) <= 1.6


def test_variability_is_natural_and_bounded() -> None:
    clock, phys = make()
    states = [phys.state_at(clock.now() + timedelta(seconds=s)) for s in range(0, 3600, 2)]
    hrs = [s.hr for s in states]
    assert max(hrs) - min(hrs) > 2.0  # the heart rate is not a flat line
    assert all(abs(h - 74) <= 4.5 for h in hrs)
    assert all(abs(s.spo2 - 98) <= 1.6 and s.spo2 <= 100 for s in states)
    assert all(abs(s.sys - 126) <= 8 and abs(s.dia - 80) <= 5 for s in states)
    assert all(s.map == pytest.approx(s.dia + (s.sys - s.dia) / 3) for s in states)


def test_spo2_never_exceeds_100() -> None:
    clock = ManualClock()
    phys = Physiology(clock, PhysiologyTargets(hr=70, spo2=100, sys=120, dia=70), seed=3)
    values = [phys.state_at(clock.now() + timedelta(seconds=s)).spo2 for s in range(600)]
    assert max(values) == 100.0
    assert min(values) < 100.0


def test_heart_rate_follows_breathing() -> None:
    """Respiratory sinus arrhythmia: HR swings with the breathing cycle."""
    clock, phys = make()
    resp_period = 60.0 / BASELINE.resp_rate
    t = clock.now()
    swings = []
    for k in range(20):
        window = [
            phys.state_at(t + timedelta(seconds=k * resp_period + i * 0.25)).hr
            for i in range(int(resp_period * 4))
        ]
        swings.append(max(window) - min(window))
    assert min(swings) > 1.0


def test_same_seed_same_values_other_seed_other_values() -> None:
    clock_a, a = make(seed=11)
    _clock_b, b = make(seed=11)
    _, c = make(seed=12)
    for phys in (a, b, c):
        phys.set_targets(at=clock_a.now() + timedelta(seconds=30), over_s=60, hr=100)
    times = [clock_a.now() + timedelta(seconds=s * 7.3) for s in range(50)]
    assert [a.state_at(t) for t in times] == [b.state_at(t) for t in times]
    assert [a.state_at(t) for t in times] != [c.state_at(t) for t in times]
    # asking in a different order gives the same answers
    assert [a.state_at(t) for t in reversed(times)] == [b.state_at(t) for t in times][::-1]
    assert isinstance(a.state_at(times[0]), PhysiologyState)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"pulse": 80}, "unknown physiology parameter pulse"),
        ({"sys": 400}, "sys"),
        ({"dia": 130}, "dia (130) must be below sys (126)"),
        ({"spo2": 120}, "spo2"),
    ],
)
def test_bad_targets_are_refused_with_a_clear_message(targets: dict, message: str) -> None:
    clock, phys = make()
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace(")", r"\)")):
        phys.set_targets(at=clock.now(), **targets)
    assert phys.targets_at(clock.now() + timedelta(hours=1)) == BASELINE


def test_negative_ramp_is_refused() -> None:
    clock, phys = make()
    with pytest.raises(UserError, match="ramp"):
        phys.set_targets(at=clock.now(), over_s=-1, hr=80)


def test_capnogram_has_breaths_at_the_rate_and_plateaus_at_etco2():
    from datetime import UTC, datetime

    from sessionmon.clock import ManualClock
    from sessionmon.sim import Physiology, PhysiologyTargets

    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    phys = Physiology(
        clock, PhysiologyTargets(hr=70, spo2=98, sys=120, dia=80, resp_rate=12, etco2=40), seed=3
    )
    wave = phys.co2_block(0.0, 60.0, 1501)
    rises = ((wave[1:] >= 4) & (wave[:-1] < 4)).sum()
    assert 11 <= rises <= 13  # 12 breaths a minute
    assert 36 <= wave.max() <= 44
    assert wave.min() == 0.0
    phys.set_apnea(clock.now(), 30.0)
    assert phys.co2_block(1.0, 29.0, 100).max() == 0.0
    assert phys.state_at_s(10.0).resp_rate == 0.0
    phase = phys.respiratory_phase_at_s
    assert phase(5.0) == phase(25.0)  # breathing holds still during the apnoea
    assert phase(40.0) > phase(29.0)
