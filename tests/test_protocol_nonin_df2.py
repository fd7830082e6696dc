"""Nonin data format #2: packet placement by SYNC, checksums, sentinels, flags, splits."""

from dataclasses import astuple

from sessionmon.devices.protocols.nonin_df2 import NoninDf2Encoder, NoninDf2Parser, encode_frame
from sessionmon.devices.protocols.nonin_packet import format_select_command
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition

TC = TechnicalCondition


def values(items):
    return [
        (i.kind.value, i.value) if isinstance(i, Reading) else (i.name.value, i.detail)
        for i in items
    ]


def packet(hr_msb, hr_lsb, spo2, stat2=0, status_extra=0, pleth=100):
    """25 hand-built frames: FLOAT per the reference table, green perfusion."""
    floats = [0] * 25
    floats[0], floats[1], floats[2], floats[7] = hr_msb, hr_lsb, spo2, stat2
    return b"".join(
        encode_frame(0x80 | 0x02 | status_extra | (1 if n == 0 else 0), pleth, floats[n])
        for n in range(25)
    )


def test_hr_from_frames_1_2_and_spo2_from_frame_3():
    out = values(NoninDf2Parser().feed(packet(0x01, 0x05, 95)))  # HR = (1 << 7) | 5 = 133
    assert ("hr", 133) in out
    assert ("spo2", 95) in out
    assert [v for k, v in out if k == "pleth"] == [100] * 25


def test_checksum_of_hand_built_frame():
    assert encode_frame(0x81, 0x10, 0x00) == bytes((0x01, 0x81, 0x10, 0x00, 0x92))


def test_missing_values_511_and_127_become_conditions():
    out = NoninDf2Parser().feed(packet(0x03, 0x7F, 127))
    assert not [i for i in out if isinstance(i, Reading) and i.kind.value in ("hr", "spo2")]
    assert ("invalid_value", "hr") in values(out)
    assert ("invalid_value", "spo2") in values(out)


def test_status_flags_and_low_battery_and_smartpoint():
    out = NoninDf2Parser().feed(packet(0, 72, 97, stat2=0x21, status_extra=0x08 | 0x10))
    names = {i.name for i in out if isinstance(i, Condition)}
    assert {TC.SENSOR_OFF, TC.ARTIFACT, TC.LOW_BATTERY} <= names
    spo2 = [i for i in out if isinstance(i, Reading) and i.kind.value == "spo2"]
    assert spo2[0].flags == ("smartpoint",)


def test_red_perfusion_is_low_perfusion():
    frame = encode_frame(0x80 | 0x04 | 0x01, 10, 0)
    assert TC.LOW_PERFUSION in {i.name for i in NoninDf2Parser().feed(frame) if hasattr(i, "name")}


def test_frames_before_first_sync_are_not_placed():
    full = packet(0, 80, 96)
    stream = full[5 * 20 :] + full  # last 5 frames of a packet, then a whole packet
    parser = NoninDf2Parser()
    out = values(parser.feed(stream))
    assert out.count(("hr", 80)) == 1
    assert parser.stats.extra["unplaced_frames"] == 5


def test_checksum_error_counted_and_frame_dropped():
    good = packet(0, 80, 96)
    bad = bytearray(good)
    bad[5 * 2 + 3] ^= 0x01  # corrupt the FLOAT of frame 3 (SpO2): checksum no longer holds
    parser = NoninDf2Parser()
    out = values(parser.feed(bytes(bad) + good))
    assert parser.stats.checksum_errors == 1
    assert parser.stats.resyncs == 0
    assert out.count(("spo2", 96)) == 1  # only from the second packet
    assert out.count(("hr", 80)) == 1  # frames 1-2 of the first packet still placed
    assert parser.stats.frames == 49


def test_resync_after_garbage_finds_a_valid_frame():
    good = packet(0, 80, 96)
    parser = NoninDf2Parser()
    out = values(parser.feed(b"\x01\x85\x00\x00\x00garbage" + good))
    assert ("hr", 80) in out
    assert parser.stats.resyncs == 1


def test_encoder_round_trip_keeps_packet_position_between_calls():
    enc = NoninDf2Encoder()
    data = b"".join(enc.frames_for(66, 94, [i] * 10) for i in range(10))  # 100 frames
    out = values(NoninDf2Parser(numerics_every=1).feed(data))
    assert out.count(("hr", 66)) == 4
    assert out.count(("spo2", 94)) == 4
    sensor_off = enc.frames_for(None, None, [0] * 25, sensor_off=True, low_battery=True)
    out = values(NoninDf2Parser().feed(data + sensor_off))
    assert ("sensor_off", "sensor alarm") in out and ("low_battery", "low battery") in out


def test_split_feeds_at_every_byte_boundary_give_the_same_output():
    good = packet(0, 80, 96)
    bad = bytearray(good)
    bad[13] ^= 0x40
    stream = b"\x01\x01\x99" + good[7:] + bytes(bad) + good
    whole = NoninDf2Parser(numerics_every=1)
    expected = whole.feed(stream)
    for k in range(len(stream) + 1):
        parser = NoninDf2Parser(numerics_every=1)
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == expected
        assert astuple(parser.stats) == astuple(whole.stats)


def test_format_select_command():
    assert format_select_command(2) == bytes.fromhex("02 70 02 02 02 03")
    assert format_select_command(0x0D) == bytes.fromhex("02 70 02 02 0D 03")
