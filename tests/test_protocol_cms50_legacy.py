"""CMS50 legacy 5-byte stream: layout, sentinels, flags, resync, splits, encoder round trip."""

from dataclasses import astuple

from sessionmon.devices.protocols.cms50_legacy import (
    CONFIRM_FRAMES,
    Cms50LegacyEncoder,
    Cms50LegacyParser,
    encode_frame,
)
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition

TC = TechnicalCondition


def values(items):
    return [
        (i.kind.value, i.value) if isinstance(i, Reading) else (i.name.value, i.detail)
        for i in items
    ]


def last_frame(parser, frame: bytes):
    """Feed ``frame`` as often as the resync guard needs and return the last frame's items."""
    frames = parser.feed_frames(frame * CONFIRM_FRAMES)
    assert len(frames) == CONFIRM_FRAMES
    return frames[-1]


def test_hand_built_frame_decodes_per_reference_layout():
    # sync|signal 5, pleth 0x33, bargraph 4 with PR bit 7 set, PR low 7 bits 0x05, SpO2 96
    frame = bytes((0x85, 0x33, 0x44, 0x05, 96))
    parser = Cms50LegacyParser(numerics_every=1)
    assert values(last_frame(parser, frame)) == [("pleth", 0x33), ("hr", 133), ("spo2", 96)]


def test_no_checksum_so_frames_wait_for_a_confirming_run():
    frame = bytes((0x85, 0x33, 0x44, 0x05, 96))
    parser = Cms50LegacyParser()
    assert parser.feed(frame * (CONFIRM_FRAMES - 1)) == []  # held, not yet trusted
    out = values(parser.feed(frame))
    assert out.count(("pleth", 0x33)) == CONFIRM_FRAMES  # all released, in order
    # a frame that disagrees after a resync starts a new run; the held frames are dropped
    parser = Cms50LegacyParser()
    other = bytes((0x85, 0x33, 0x44, 0x05, 90))  # SpO2 jumps 6
    assert parser.feed(frame * 2 + other) == []
    assert parser.stats.extra["unconfirmed_frames"] == 2


def test_hr_0_with_finger_in_is_no_value():
    frame = bytes((0x85, 0x33, 0x04, 0x00, 96))
    out = values(last_frame(Cms50LegacyParser(numerics_every=1), frame))
    assert ("invalid_value", "hr") in out and ("spo2", 96) in out


def test_flags_become_conditions_in_every_frame_they_are_set():
    frame = bytes((0x80 | 0x10, 0x40, 0x10 | 0x20, 0, 0))
    parser = Cms50LegacyParser()
    frames = parser.feed_frames(frame * CONFIRM_FRAMES)
    assert len(frames) == CONFIRM_FRAMES
    for frame_items in frames:
        names = {i.name for i in frame_items if isinstance(i, Condition)}
        assert {TC.SENSOR_OFF, TC.SENSOR_FAULT, TC.SEARCHING} <= names


def test_sentinels_are_conditions_not_numbers():
    stream = encode_frame(None, None, 10) * CONFIRM_FRAMES + bytes((0x80, 1, 0, 0, 0))
    out = Cms50LegacyParser().feed(stream)
    numbers = [i for i in out if isinstance(i, Reading) and i.kind.value != "pleth"]
    assert numbers == []
    assert ("invalid_value", "hr") in values(out)
    assert ("invalid_value", "spo2") in values(out)


def test_resync_on_bit7_byte_after_garbage_and_broken_frame():
    good = encode_frame(70, 97, 50)
    stream = b"\x01\x02" + good[:3] + good * CONFIRM_FRAMES
    parser = Cms50LegacyParser(numerics_every=1)
    out = values(parser.feed(stream))
    assert out.count(("hr", 70)) == CONFIRM_FRAMES
    assert parser.stats.frames == CONFIRM_FRAMES
    assert parser.stats.resyncs == 1
    assert parser.stats.checksum_errors == 0


def test_encoder_round_trip_with_finger_out():
    data = Cms50LegacyEncoder().frames_for(64, 99, [0, 64, 127, 1, 2], sensor_off=True)
    out = values(Cms50LegacyParser().feed(data))
    assert [v for k, v in out if k == "pleth"] == [0, 64, 127, 1, 2]
    # with the finger out the device shows no value, whatever the HR / SpO2 bytes hold
    assert ("hr", 64) not in out and ("spo2", 99) not in out
    assert ("invalid_value", "hr") in out and ("invalid_value", "spo2") in out
    assert ("sensor_off", "finger out") in out


def test_split_feeds_at_every_byte_boundary_give_the_same_output():
    enc = Cms50LegacyEncoder()
    stream = (
        b"\x00\x7f\xff"
        + enc.frames_for(60, 97, [1, 2, 3, 4, 5, 6])
        + b"\x81\x05"
        + enc.frames_for(None, 96, [4, 5, 6, 7, 8, 9], searching=True)
    )
    whole = Cms50LegacyParser(numerics_every=2)
    expected = whole.feed(stream)
    for k in range(len(stream) + 1):
        parser = Cms50LegacyParser(numerics_every=2)
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == expected
        assert astuple(parser.stats) == astuple(whole.stats)
    bytewise = Cms50LegacyParser(numerics_every=2)
    assert [i for b in stream for i in bytewise.feed(bytes([b]))] == expected
