"""Nonin data format #8: 4-byte frames once a second."""

from dataclasses import astuple

from sessionmon.devices.protocols.nonin_df8 import (
    CONFIRM_FRAMES,
    NoninDf8Encoder,
    NoninDf8Parser,
    encode_frame,
)
from sessionmon.devices.readings import Reading


def last(frame: bytes):
    """Feed ``frame`` as often as the resync guard needs; return the last frame's items."""
    frames = NoninDf8Parser().feed_frames(frame * CONFIRM_FRAMES)
    assert len(frames) == CONFIRM_FRAMES
    return frames[-1]


def values(items):
    return [
        (i.kind.value, i.value) if isinstance(i, Reading) else (i.name.value, i.detail)
        for i in items
    ]


def test_hand_built_frame():
    # STATUS: HR bits 8-7 = 01; HR low = 0x10 -> 144; SpO2-D 97; STATUS2 SmartPoint
    out = last(bytes((0x81, 0x10, 97, 0x20)))
    assert values(out) == [("hr", 144), ("spo2", 97)]
    assert out[1].flags == ("smartpoint",)


def test_every_status_bit_maps_to_its_condition():
    frame = bytes((0x80 | 0x20 | 0x10 | 0x04, 70, 96, 0x08 | 0x01))
    names = {k for k, _ in values(last(frame))}
    assert {"artifact", "low_perfusion", "sensor_off", "low_battery"} <= names


def test_marginal_perfusion_alone_is_not_a_condition():
    assert values(last(bytes((0x88, 70, 96, 0)))) == [("hr", 70), ("spo2", 96)]


def test_sentinels():
    out = values(last(encode_frame(None, None, sensor_off=True)))
    assert out == [
        ("sensor_off", "sensor alarm"),
        ("invalid_value", "hr"),
        ("invalid_value", "spo2"),
    ]


def test_hr_0_is_not_a_reading():
    out = values(last(bytes((0x80, 0x00, 97, 0x20))))
    assert out == [("invalid_value", "hr"), ("spo2", 97)]


def test_resync_after_garbage():
    parser = NoninDf8Parser()
    frames = encode_frame(60, 99) + encode_frame(61, 98) + encode_frame(62, 98)
    out = values(parser.feed(b"\x80\x80\x95" + frames))
    assert out == [("hr", 60), ("spo2", 99), ("hr", 61), ("spo2", 98), ("hr", 62), ("spo2", 98)]
    assert parser.stats.resyncs == 1
    assert parser.stats.frames == 3


def test_frames_after_a_resync_wait_for_three_agreeing_frames_in_place():
    parser = NoninDf8Parser()
    assert parser.feed(encode_frame(60, 99) + encode_frame(61, 98)) == []  # held
    assert parser.feed(b"\x01" + encode_frame(62, 98)) == []  # out of place: a new run
    assert parser.stats.extra["unconfirmed_frames"] == 2
    assert parser.feed(encode_frame(90, 98)) == []  # HR jumps 28: a new run
    out = values(parser.feed(encode_frame(91, 97) + encode_frame(92, 97)))
    assert out == [("hr", 90), ("spo2", 98), ("hr", 91), ("spo2", 97), ("hr", 92), ("spo2", 97)]
    assert values(parser.feed(encode_frame(40, 80))) == [("hr", 40), ("spo2", 80)]  # in sync


def test_encoder_round_trip():
    enc = NoninDf8Encoder()
    data = b"".join(
        enc.frames_for(300, 85, [1, 2, 3], artifact=True, low_battery=True)
        for _ in range(CONFIRM_FRAMES)
    )
    out = values(NoninDf8Parser().feed(data))
    assert ("hr", 300) in out and ("spo2", 85) in out
    assert ("artifact", "artifact") in out and ("low_battery", "low battery") in out


def test_split_feeds_at_every_byte_boundary_give_the_same_output():
    stream = b"\xff\x00" + encode_frame(60, 99) * 3 + b"\x81"
    stream += encode_frame(None, 97, low_battery=True) * 3
    whole = NoninDf8Parser()
    expected = whole.feed(stream)
    for k in range(len(stream) + 1):
        parser = NoninDf8Parser()
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == expected
        assert astuple(parser.stats) == astuple(whole.stats)
