"""Nonin handheld ASCII lines: values, dashes, clock, F and * flags, garbage lines, splits."""

from dataclasses import astuple
from datetime import UTC, datetime

from sessionmon.devices.protocols.nonin_ascii import (
    NoninAsciiEncoder,
    NoninAsciiParser,
    encode_line,
)
from sessionmon.devices.readings import Condition, Reading


def values(items):
    return [
        (i.kind.value, i.value) if isinstance(i, Reading) else (i.name.value, i.detail)
        for i in items
    ]


def test_line_with_time_keeps_device_clock_as_flag():
    out = NoninAsciiParser().feed(b"12:34:56 SPO2=097 HR=072\r\n")
    assert values(out) == [("spo2", 97), ("hr", 72)]
    assert out[0].device_time is None
    assert out[0].flags == ("device_clock=12:34:56",)


def test_line_without_time():
    out = NoninAsciiParser().feed(b"SPO2=100 HR=180\r\n")
    assert values(out) == [("spo2", 100), ("hr", 180)]
    assert out[0].flags == ()


def test_dated_line_gives_device_time():
    out = NoninAsciiParser().feed(b"03/04/24 23:59:01 SPO2=095 HR=061\n")
    assert out[0].device_time == datetime(2024, 3, 4, 23, 59, 1, tzinfo=UTC)


def test_dashes_become_invalid_value_conditions():
    out = NoninAsciiParser().feed(b"SPO2=--- HR=---\r\n")
    assert out == [Condition("invalid_value", "spo2"), Condition("invalid_value", "hr")]


def test_fast_and_event_marker_flags():
    out = NoninAsciiParser().feed(b"SPO2=093* HR=088F\r\n")
    assert all(set(i.flags) == {"fast", "event_marker"} for i in out)


def test_garbage_lines_are_dropped_and_counted():
    parser = NoninAsciiParser()
    out = parser.feed(b"\x00\x00\xfe garbage\r\n\r\nSPO2=098 HR=060\r\n" + b"x" * 600 + b"\n")
    assert values(out) == [("spo2", 98), ("hr", 60)]
    assert parser.stats.frames == 1
    assert parser.stats.resyncs == 2


def test_out_of_range_value_is_never_a_number():
    out = NoninAsciiParser().feed(b"SPO2=150 HR=999\r\n")
    assert all(isinstance(i, Condition) for i in out)


def test_encoder_round_trip():
    clock = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    data = NoninAsciiEncoder().frames_for(64, 96, device_time=clock)
    assert data == b"03:04:05 SPO2=096 HR=064\r\n"
    assert values(NoninAsciiParser().feed(data)) == [("spo2", 96), ("hr", 64)]
    assert encode_line(None, 90, fast=True, event_marker=True) == b"SPO2=090* HR=---F\r\n"


def test_split_feeds_at_every_byte_boundary_give_the_same_output():
    stream = b"junk\r\n10:00:00 SPO2=097 HR=072\r\nSPO2=--- HR=070F\n\x00SPO2=098 HR=071\r\n"
    whole = NoninAsciiParser()
    expected = whole.feed(stream)
    for k in range(len(stream) + 1):
        parser = NoninAsciiParser()
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == expected
        assert astuple(parser.stats) == astuple(whole.stats)
