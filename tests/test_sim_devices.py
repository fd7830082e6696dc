"""Simulated oximeter and NIBP module: the VitalsSource contract, signals, averaging, faults."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pytest

from sessionmon.clock import ManualClock
from sessionmon.devices.readings import Reading, TechnicalCondition
from sessionmon.devices.source import (
    ConditionChange,
    DeviceRole,
    LinkState,
    LinkStateChange,
    NibpControl,
    SourceOutput,
    VitalsSource,
    WaveformBlock,
)
from sessionmon.errors import UserError
from sessionmon.model import VALID_RANGES, Kind
from sessionmon.sim import (
    LEAK_ERROR,
    Physiology,
    PhysiologyTargets,
    SimulatedCapnograph,
    SimulatedNibp,
    SimulatedOximeter,
)

BASELINE = PhysiologyTargets(hr=74, spo2=98, sys=126, dia=80)


def setup(
    baseline: PhysiologyTargets = BASELINE, seed: int = 7
) -> tuple[ManualClock, Physiology, SimulatedOximeter, SimulatedNibp]:
    clock = ManualClock()
    phys = Physiology(clock, baseline, seed=seed)
    return clock, phys, SimulatedOximeter(clock, phys, seed=seed), SimulatedNibp(clock, phys, seed)


def run(clock: ManualClock, device, seconds: float, step: float = 1.0) -> list[SourceOutput]:
    out: list[SourceOutput] = []
    for _ in range(round(seconds / step)):
        clock.advance(step)
        out += device.poll()
    return out


def readings(out: list[SourceOutput], kind: Kind) -> list[tuple[float, float]]:
    """(seconds since the first output's day start, value) of each reading of a kind."""
    return [(o.at.timestamp(), o.item.value) for o in out if _is_reading(o, kind)]


def _is_reading(o: SourceOutput, kind: Kind) -> bool:
    return isinstance(o.item, Reading) and o.item.kind is kind


def pleth(out: list[SourceOutput]) -> np.ndarray:
    blocks = [o.item.samples for o in out if isinstance(o.item, WaveformBlock)]
    return np.concatenate(blocks) if blocks else np.zeros(0)


def events(out: list[SourceOutput]) -> list[object]:
    return [o.item for o in out if isinstance(o.item, ConditionChange | LinkStateChange)]


def count_beats(samples: np.ndarray) -> int:
    """Count pulse upstrokes with hysteresis (the dicrotic wave must not count)."""
    low, high = np.percentile(samples, [5, 95])
    rise, fall = low + 0.65 * (high - low), low + 0.3 * (high - low)
    beats, armed = 0, False
    for value in samples:
        if armed and value > rise:
            beats, armed = beats + 1, False
        elif value < fall:
            armed = True
    return beats


# --------------------------------------------------------------------------- contract

DEVICES: dict[str, Callable[[], tuple[ManualClock, object]]] = {
    "oximeter": lambda: (lambda c, p, o, n: (c, o))(*setup()),
    "nibp": lambda: (lambda c, p, o, n: (c, n))(*setup()),
    "respiration": lambda: (lambda c, p, o, n: (c, SimulatedCapnograph(c, p, seed=4)))(*setup()),
}


@pytest.mark.parametrize("name", DEVICES)
def test_every_simulated_device_satisfies_the_source_contract(name: str) -> None:
    clock, device = DEVICES[name]()
    assert isinstance(device, VitalsSource)
    assert device.role is DeviceRole(name)
    assert device.device_id == f"{name}:simulated"
    assert device.state is LinkState.DISCONNECTED
    assert device.poll() == []  # nothing before start
    device.start()
    assert device.state is LinkState.STREAMING
    started = device.poll()
    assert events(started) == [
        LinkStateChange(LinkState.DISCONNECTED, LinkState.STREAMING, started[0].item.detail)
    ]
    if name == "nibp":
        assert isinstance(device, NibpControl)
        device.request_measurement()
    out = run(clock, device, 45, step=0.7)
    assert out, "a streaming device produces output"
    times = [o.at for o in out]
    assert times == sorted(times), "outputs come oldest first"
    assert all(t <= clock.now() for t in times), "nothing from the future"
    device.stop()
    stopped = device.poll()
    assert LinkStateChange(
        LinkState.STREAMING, LinkState.DISCONNECTED, "simulated device stopped"
    ) in events(stopped)
    device.stop()  # idempotent
    clock.advance(10)
    assert device.poll() == []
    assert device.state is LinkState.DISCONNECTED
    assert device.active_conditions == frozenset()


@pytest.mark.parametrize("name", DEVICES)
def test_unknown_fault_is_refused_by_name(name: str) -> None:
    _, device = DEVICES[name]()
    device.start()
    with pytest.raises(UserError, match="has no fault 'smoke'; use one of"):
        device.inject_fault("smoke")
    with pytest.raises(UserError, match="positive"):
        device.inject_fault("disconnect", duration_s=0)


# --------------------------------------------------------------------------- oximeter signals


@pytest.mark.parametrize("hr", [60, 120])
def test_pleth_beats_at_the_heart_rate_and_at_the_sample_rate(hr: int) -> None:
    clock, _, ox, _ = setup(PhysiologyTargets(hr=hr, spo2=98, sys=126, dia=80))
    ox.start()
    out = run(clock, ox, 60.0)
    samples = pleth(out)
    assert len(samples) == 75 * 60
    assert abs(count_beats(samples) - hr) <= 3
    assert samples.min() >= 0 and samples.max() <= 100
    assert samples.max() - samples.min() > 40, "a clear pulse"
    blocks = [o for o in out if isinstance(o.item, WaveformBlock)]
    assert all(b.item.sample_rate_hz == 75.0 for b in blocks)
    for before, after in itertools.pairwise(blocks):  # contiguous, no gap or overlap
        gap = (after.at - before.at).total_seconds()
        assert gap == pytest.approx(len(before.item.samples) / 75.0, abs=1e-6)


def test_pleth_is_the_same_however_the_device_is_polled() -> None:
    clock_a, _, ox_a, _ = setup()
    clock_b, _, ox_b, _ = setup()
    ox_a.start()
    ox_b.start()
    a = pleth(run(clock_a, ox_a, 30.0, step=1.0))
    b = pleth(run(clock_b, ox_b, 30.0, step=0.25))
    assert len(a) == len(b) == 75 * 30
    assert count_beats(a) == count_beats(b)


def test_pleth_follows_a_heart_rate_change() -> None:
    clock, phys, ox, _ = setup(PhysiologyTargets(hr=60, spo2=98, sys=126, dia=80))
    ox.start()
    run(clock, ox, 30.0)
    phys.set_targets(at=clock.now(), hr=120)
    out = run(clock, ox, 60.0)
    assert abs(count_beats(pleth(out)) - 120) <= 3
    hr_values = [v for _, v in readings(out, Kind.HR)]
    assert all(abs(v - 120) <= 5 for v in hr_values[10:])


def test_numerics_once_a_second_rounded_like_a_device() -> None:
    clock, _, ox, _ = setup()
    ox.start()
    out = run(clock, ox, 120.0)
    for kind in (Kind.HR, Kind.SPO2, Kind.PI):
        values = readings(out, kind)
        assert len(values) == 120
        steps = np.diff([t for t, _ in values])
        assert np.allclose(steps, 1.0)
    hrs = [v for _, v in readings(out, Kind.HR)]
    spo2s = [v for _, v in readings(out, Kind.SPO2)]
    assert all(v == int(v) for v in hrs + spo2s)
    assert all(abs(v - 74) <= 5 for v in hrs)
    assert all(96 <= v <= 100 for v in spo2s)
    assert len(set(hrs)) > 1, "natural variability shows"


def test_spo2_averaging_lags_a_sudden_desaturation() -> None:
    clock, phys, ox, _ = setup()
    ox.start()
    run(clock, ox, 60.0)
    phys.set_targets(at=clock.now(), spo2=82)
    out = run(clock, ox, 60.0)
    spo2 = [v for _, v in readings(out, Kind.SPO2)]
    assert spo2[1] >= 92, "the first seconds still show the averaged, older value"
    assert spo2[4] > 85
    first_low = next(i for i, v in enumerate(spo2) if v <= 85)
    assert 6 <= first_low <= 25
    assert all(abs(v - 82) <= 2 for v in spo2[40:])


# --------------------------------------------------------------------------- oximeter faults


def test_sensor_off_flattens_pleth_and_stops_numerics_until_it_ends() -> None:
    clock, _, ox, _ = setup()
    ox.start()
    ox.poll()
    run(clock, ox, 10.5, step=0.5)
    off_at = clock.now()
    ox.inject_fault("sensor_off", duration_s=40.0)
    assert ox.active_conditions == {TechnicalCondition.SENSOR_OFF}
    during = run(clock, ox, 40.0)
    assert events(during)[0] == ConditionChange(
        TechnicalCondition.SENSOR_OFF, True, "simulated finger out"
    )
    assert during[0].at == off_at
    on_at = off_at + timedelta(seconds=40)
    assert events(during)[1] == ConditionChange(TechnicalCondition.SENSOR_OFF, False)
    assert [o.at for o in during if isinstance(o.item, ConditionChange)][1] == on_at
    numerics_during = [o for o in during if isinstance(o.item, Reading) and o.at < on_at]
    assert numerics_during == []
    flat = pleth([o for o in during if isinstance(o.item, WaveformBlock) and o.at < on_at])
    assert len(flat) >= 39 * 75 and set(flat.tolist()) == {0.0}
    assert ox.active_conditions == frozenset()
    after = run(clock, ox, 10.0)
    assert len(readings(after, Kind.SPO2)) == 10 and len(readings(after, Kind.HR)) >= 9
    assert pleth(after).max() > 50


def test_disconnect_stops_everything_until_the_cable_comes_back() -> None:
    clock, _, ox, _ = setup()
    ox.start()
    run(clock, ox, 20.0)
    ox.inject_fault("disconnect", duration_s=30.0)
    assert ox.state is LinkState.DISCONNECTED
    assert TechnicalCondition.DISCONNECTED in ox.active_conditions
    out = run(clock, ox, 40.0)
    link = [o for o in out if not isinstance(o.item, Reading | WaveformBlock)]
    assert [o.item for o in link] == [
        LinkStateChange(LinkState.STREAMING, LinkState.DISCONNECTED, "simulated cable pulled"),
        ConditionChange(TechnicalCondition.DISCONNECTED, True),
        LinkStateChange(LinkState.DISCONNECTED, LinkState.STREAMING, "simulated cable reconnected"),
        ConditionChange(TechnicalCondition.DISCONNECTED, False),
    ]
    pulled, back = link[0].at, link[2].at
    assert (back - pulled).total_seconds() == pytest.approx(30.0)
    data_times = [o.at for o in out if isinstance(o.item, Reading | WaveformBlock)]
    assert not any(pulled <= t < back for t in data_times), "nothing while unplugged"
    assert len([t for t in data_times if t > back]) > 10
    assert ox.state is LinkState.STREAMING
    assert ox.active_conditions == frozenset()


def test_reconnect_ends_an_open_ended_disconnect() -> None:
    clock, _, ox, _ = setup()
    ox.start()
    run(clock, ox, 5.0)
    ox.inject_fault("disconnect")
    assert len(ox.poll()) == 2  # link down, disconnected condition
    assert run(clock, ox, 300.0) == []
    ox.inject_fault("reconnect")
    out = ox.poll() + run(clock, ox, 5.0)
    assert out[0].item == LinkStateChange(
        LinkState.DISCONNECTED, LinkState.STREAMING, "simulated cable reconnected"
    )
    assert len(readings(out, Kind.SPO2)) == 5


def test_a_sensor_that_came_back_while_unplugged_is_reported_on_reconnect() -> None:
    clock, _, ox, _ = setup()
    ox.start()
    run(clock, ox, 5.0)
    ox.inject_fault("sensor_off", duration_s=10.0)
    ox.inject_fault("disconnect", duration_s=20.0)
    out = run(clock, ox, 30.0)
    assert events(out) == [
        ConditionChange(TechnicalCondition.SENSOR_OFF, True, "simulated finger out"),
        LinkStateChange(LinkState.STREAMING, LinkState.DISCONNECTED, "simulated cable pulled"),
        ConditionChange(TechnicalCondition.DISCONNECTED, True),
        LinkStateChange(LinkState.DISCONNECTED, LinkState.STREAMING, "simulated cable reconnected"),
        ConditionChange(TechnicalCondition.DISCONNECTED, False),
        ConditionChange(TechnicalCondition.SENSOR_OFF, False),
    ]


def test_same_seed_and_calls_give_the_same_outputs() -> None:
    def session(seed: int) -> list[SourceOutput]:
        clock, phys, ox, bp = setup(seed=seed)
        ox.start()
        bp.start()
        out = []
        for second in range(200):
            clock.advance(1.0)
            if second == 30:
                phys.set_targets(at=clock.now(), over_s=60, hr=110, sys=160)
                bp.request_measurement()
            if second == 100:
                ox.inject_fault("sensor_off", duration_s=12.5)
            out += ox.poll() + bp.poll()
        return out

    assert session(5) == session(5)
    assert session(5) != session(6)


# --------------------------------------------------------------------------- NIBP


def measure(seed: int, baseline: PhysiologyTargets = BASELINE):
    clock, phys, _, bp = setup(baseline, seed=seed)
    bp.start()
    bp.poll()
    clock.advance(3.0)
    start = clock.now()
    bp.request_measurement()
    assert bp.measuring
    out = run(clock, bp, 45.0, step=0.5)
    return start, phys, bp, out


@pytest.mark.parametrize("seed", range(8))
def test_nibp_measurement_takes_20_to_40_s_reporting_cuff_pressure(seed: int) -> None:
    start, phys, bp, out = measure(seed)
    assert not bp.measuring
    results = [
        o for o in out if isinstance(o.item, Reading) and o.item.kind is not Kind.CUFF_PRESSURE
    ]
    assert [r.item.kind for r in results] == [
        Kind.NIBP_SYS,
        Kind.NIBP_DIA,
        Kind.NIBP_MAP,
        Kind.NIBP_HR,
    ]
    end = results[0].at
    assert 20.0 <= (end - start).total_seconds() <= 40.0
    cuff = [o for o in out if _is_reading(o, Kind.CUFF_PRESSURE)]
    gaps = np.diff([o.at.timestamp() for o in cuff])
    assert np.all((gaps >= 0.5 - 1e-6) & (gaps <= 1.0 + 1e-6))
    assert cuff[-1].at < end
    pressures = [o.item.value for o in cuff]
    truth = phys.state_at(end)
    assert truth.sys + 25 <= max(pressures) <= truth.sys + 45, "inflates above systolic"
    peak = pressures.index(max(pressures))
    assert all(b <= a + 3 for a, b in zip(pressures[peak:], pressures[peak + 1 :], strict=False))
    sys_, dia, mean, hr = (r.item.value for r in results)
    assert abs(sys_ - truth.sys) <= 5.5 and abs(dia - truth.dia) <= 5.5
    assert abs(mean - truth.map) <= 4.5 and abs(hr - truth.hr) <= 3.5
    assert dia < mean < sys_


def test_nibp_reads_the_pressure_of_the_moment() -> None:
    high = PhysiologyTargets(hr=90, spo2=97, sys=186, dia=114)
    _start, _phys, _, out = measure(3, high)
    sys_ = readings(out, Kind.NIBP_SYS)[0][1]
    assert 180 <= sys_ <= 192


def test_request_while_measuring_is_ignored_and_abort_deflates() -> None:
    clock, _, _, bp = setup()
    bp.start()
    bp.request_measurement()
    run(clock, bp, 10.0)
    bp.request_measurement()  # ignored
    bp.abort()
    assert not bp.measuring
    out = bp.poll()
    assert [o.item.value for o in out] == [0.0]
    assert readings(run(clock, bp, 60.0), Kind.NIBP_SYS) == []


def test_nibp_error_is_reported_at_once_and_cleared_by_a_good_measurement() -> None:
    clock, _, _, bp = setup()
    bp.start()
    clock.advance(3.0)
    bp.poll()
    injected_at = clock.now()
    bp.inject_fault("nibp_error")
    out = bp.poll()
    assert [(o.at, o.item) for o in out] == [
        (injected_at, ConditionChange(TechnicalCondition.NIBP_FAILED, True, LEAK_ERROR))
    ]
    assert LEAK_ERROR == "57 loose cuff or leak"
    assert bp.active_conditions == {TechnicalCondition.NIBP_FAILED}
    bp.request_measurement()  # a one-off error is spent: this one succeeds
    ok = run(clock, bp, 45.0)
    assert events(ok) == [ConditionChange(TechnicalCondition.NIBP_FAILED, False)]
    cleared_at = next(o.at for o in ok if isinstance(o.item, ConditionChange))
    assert readings(ok, Kind.NIBP_SYS)[0][0] == cleared_at.timestamp()
    assert bp.active_conditions == frozenset()


def test_timed_nibp_error_fails_measurements_until_it_ends() -> None:
    clock, _, _, bp = setup()
    bp.start()
    bp.poll()
    bp.inject_fault("nibp_error", duration_s=120.0)
    bp.request_measurement()
    failed = run(clock, bp, 45.0)
    assert events(failed) == [ConditionChange(TechnicalCondition.NIBP_FAILED, True, LEAK_ERROR)]
    assert readings(failed, Kind.NIBP_SYS) == []
    assert max(v for _, v in readings(failed, Kind.CUFF_PRESSURE)) < 90, "a leaking cuff"
    rest = run(clock, bp, 80.0)
    assert events(rest) == [ConditionChange(TechnicalCondition.NIBP_FAILED, False)]
    cleared_at = next(o.at for o in rest if isinstance(o.item, ConditionChange))
    assert (cleared_at - failed[0].at).total_seconds() == pytest.approx(120.0)


def test_nibp_error_during_a_measurement_fails_that_measurement() -> None:
    clock, _, _, bp = setup()
    bp.start()
    bp.request_measurement()
    run(clock, bp, 5.0)
    bp.inject_fault("nibp_error")
    out = run(clock, bp, 40.0)
    assert readings(out, Kind.NIBP_SYS) == []
    assert ConditionChange(TechnicalCondition.NIBP_FAILED, True, LEAK_ERROR) in events(out)


def test_auto_interval_measures_on_a_cycle() -> None:
    clock, _, _, bp = setup()
    bp.start()
    with pytest.raises(UserError, match="at least 60 s"):
        bp.set_auto_interval(10)
    bp.set_auto_interval(300)
    assert bp.auto_interval_s == 300
    out = run(clock, bp, 21 * 60)
    starts = [t for t, _ in readings(out, Kind.CUFF_PRESSURE)]
    results = [t for t, _ in readings(out, Kind.NIBP_SYS)]
    assert len(results) == 4
    origin = clock.now().timestamp() - 21 * 60
    for k, result in enumerate(results, start=1):
        assert 300 * k + 20 <= result - origin <= 300 * k + 40
    assert min(starts) - origin >= 300
    bp.set_auto_interval(None)
    assert readings(run(clock, bp, 15 * 60), Kind.NIBP_SYS) == []


def test_nibp_disconnect_loses_the_measurement_and_ignores_requests() -> None:
    clock, _, _, bp = setup()
    bp.start()
    bp.request_measurement()
    run(clock, bp, 5.0)
    bp.inject_fault("disconnect", duration_s=60.0)
    assert not bp.measuring
    bp.request_measurement()
    assert not bp.measuring
    out = run(clock, bp, 61.0)
    assert [type(e).__name__ for e in events(out)] == [
        "LinkStateChange",
        "ConditionChange",
        "LinkStateChange",
        "ConditionChange",
    ]
    assert [o for o in out if isinstance(o.item, Reading)] == []
    bp.request_measurement()
    assert len(readings(run(clock, bp, 45.0), Kind.NIBP_SYS)) == 1


# --------------------------------------------------------------------------- ranges


def test_every_value_stays_in_its_valid_range_even_at_extremes() -> None:
    clock, phys, ox, bp = setup(PhysiologyTargets(hr=30, spo2=99, sys=90, dia=50), seed=2)
    ox.start()
    bp.start()
    bp.set_auto_interval(120)
    plan = [
        {"hr": 245, "spo2": 100, "sys": 280, "dia": 200},
        {"hr": 20, "spo2": 50, "sys": 50, "dia": 20},
        {"hr": 160, "spo2": 70, "sys": 220, "dia": 60},
    ]
    out = []
    for targets in plan:
        phys.set_targets(at=clock.now(), over_s=120, **targets)
        for _ in range(600):
            clock.advance(1.0)
            out += ox.poll() + bp.poll()
    values = [o.item for o in out if isinstance(o.item, Reading)]
    assert {r.kind for r in values} >= {
        Kind.HR,
        Kind.SPO2,
        Kind.PI,
        Kind.NIBP_SYS,
        Kind.CUFF_PRESSURE,
    }
    for r in values:
        low, high = VALID_RANGES[r.kind]
        assert low <= r.value <= high, r
    samples = pleth(out)
    assert samples.min() >= 0 and samples.max() <= 100
