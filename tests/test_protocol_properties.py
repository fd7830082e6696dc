"""Properties every parser keeps: random or damaged bytes never raise and never give a value
outside the physiological range of its kind; output never depends on how bytes are split."""

import itertools
import random
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionmon.devices.protocols import PROTOCOLS, suntech
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.model import VALID_RANGES, in_valid_range

NAMES = sorted(PROTOCOLS)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_items(items):
    for item in items:
        if isinstance(item, Reading):
            assert in_valid_range(item.kind, item.value), item
            assert VALID_RANGES[item.kind]
        else:
            assert isinstance(item, Condition)
            assert isinstance(item.name, TechnicalCondition)


def valid_stream(name, values):
    """Wire bytes of a device of protocol ``name`` sending ``values`` (one tuple per second)."""
    spec = PROTOCOLS[name]
    if name == "suntech":
        emu = spec.make_encoder()
        out = bytearray()
        for hr, spo2, _pi, failed in values:
            out += emu.feed(suntech.start_adult())
            emu.set_cuff_pressure((spo2 or 0) * 3)
            out += emu.feed(suntech.get_cuff_pressure())
            if failed:
                emu.fail(0x57)
            else:
                emu.finish((spo2 or 0) + 60, spo2 or 0, hr=hr or 0)  # plausible if spo2 > 9
            out += emu.feed(suntech.get_bp_data())
        return bytes(out)
    enc = spec.make_encoder()
    clock = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    out = bytearray()
    for second, (hr, spo2, pi, off) in enumerate(values):
        pleth = [(second * 7 + i * 13) % ((spec.pleth_max or 1) + 1) for i in range(30)]
        out += enc.frames_for(hr, spo2, pleth, pi, sensor_off=off, device_time=clock)
    return bytes(out)


value_sets = st.lists(
    st.tuples(
        st.none() | st.integers(0, 400),
        st.none() | st.integers(0, 127),
        st.none() | st.floats(0, 30, allow_nan=False),
        st.booleans(),
    ),
    min_size=1,
    max_size=3,
)


def mutate(data, ops):
    buf = bytearray(data)
    for kind, where, byte in ops:
        if not buf:
            break
        i = where % len(buf)
        if kind == 0:
            buf[i] ^= 1 << (byte % 8)
        elif kind == 1:
            buf.insert(i, byte)
        else:
            del buf[i]
    return bytes(buf)


mutations = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 255)), max_size=8
)


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(data=st.binary(max_size=600))
def test_random_bytes_never_raise_or_leave_range(name, data):
    check_items(PROTOCOLS[name].make_parser().feed(data))


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(values=value_sets, ops=mutations)
def test_mutated_valid_frames_never_raise_or_leave_range(name, values, ops):
    check_items(PROTOCOLS[name].make_parser().feed(mutate(valid_stream(name, values), ops)))


@pytest.mark.parametrize("name", NAMES)
@FAST
@given(values=value_sets, ops=mutations, cuts=st.lists(st.integers(0, 10**6), max_size=6))
def test_output_does_not_depend_on_how_bytes_are_split(name, values, ops, cuts):
    data = mutate(valid_stream(name, values), ops)
    whole = PROTOCOLS[name].make_parser()
    expected = whole.feed(data)
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    parser = PROTOCOLS[name].make_parser()
    got = []
    for a, b in itertools.pairwise(points):
        got += parser.feed(data[a:b])
    assert got == expected
    assert parser.stats == whole.stats


@pytest.mark.parametrize("name", NAMES)
def test_clean_stream_round_trips_without_errors(name):
    values = [(72, 97, 2.5, False), (None, None, None, False), (180, 88, 0.4, True)]
    parser = PROTOCOLS[name].make_parser()
    items = parser.feed(valid_stream(name, values))
    check_items(items)
    assert parser.stats.checksum_errors == 0
    assert parser.stats.resyncs == 0
    assert parser.stats.frames > 0
    readings = {(i.kind.value, i.value) for i in items if isinstance(i, Reading)}
    assert readings & {("hr", 72), ("spo2", 97), ("nibp_sys", 72), ("nibp_dia", 97)}


@pytest.mark.parametrize("name", NAMES)
def test_one_megabyte_of_random_bytes(name):
    data = random.Random(f"{name}-1MB").randbytes(1 << 20)
    parser = PROTOCOLS[name].make_parser()
    for start in range(0, len(data), 8192):
        check_items(parser.feed(data[start : start + 8192]))
    assert parser.stats.bytes_in == 1 << 20
    assert len(parser._buf) < 4096  # nothing piles up
