"""Nonin data format #7: 16-bit pleth, no start byte, checksum-based framing, splits."""

from dataclasses import astuple

from sessionmon.devices.protocols.nonin_df7 import NoninDf7Encoder, NoninDf7Parser, encode_frame
from sessionmon.devices.readings import Reading


def values(items):
    return [
        (i.kind.value, i.value) if isinstance(i, Reading) else (i.name.value, i.detail)
        for i in items
    ]


def packet(hr, spo2, pleth=0x1234, status_extra=0):
    floats = [0] * 25
    floats[0], floats[1], floats[2] = (hr >> 7) & 3, hr & 0x7F, spo2
    return b"".join(
        encode_frame(0x80 | 0x02 | status_extra | (1 if n == 0 else 0), pleth, floats[n])
        for n in range(25)
    )


def test_hand_built_frame_layout_and_checksum():
    frame = encode_frame(0x83, 0x1234, 0x05)
    assert frame == bytes((0x83, 0x12, 0x34, 0x05, (0x83 + 0x12 + 0x34 + 0x05) & 0xFF))


def test_16_bit_pleth_and_numerics():
    out = values(NoninDf7Parser().feed(packet(200, 93, pleth=40000)))
    assert [v for k, v in out if k == "pleth"] == [40000] * 25
    assert ("hr", 200) in out and ("spo2", 93) in out


def test_sentinels_and_artifact():
    out = values(NoninDf7Parser().feed(packet(511, 127, status_extra=0x20)))
    assert ("invalid_value", "hr") in out and ("invalid_value", "spo2") in out
    assert ("artifact", "artifact") in out
    assert not [k for k, v in out if k in ("hr", "spo2")]


def test_checksum_error_counted_then_next_frame_found_in_place():
    good = packet(75, 98)
    bad = bytearray(good)
    bad[5 * 4 + 4] ^= 0xFF  # checksum byte of frame 5
    parser = NoninDf7Parser(numerics_every=1)
    out = values(parser.feed(bytes(bad) + good))
    assert parser.stats.checksum_errors == 1
    assert parser.stats.resyncs == 0
    assert out.count(("hr", 75)) == 2


def test_resync_after_inserted_and_deleted_bytes():
    good = packet(75, 98)
    damaged = good[:12] + good[13:] + b"\x00\x7f"  # one byte lost mid-frame, junk after
    parser = NoninDf7Parser(numerics_every=1)
    out = values(parser.feed(damaged + good + good))
    assert out.count(("hr", 75)) >= 2
    assert parser.stats.resyncs >= 1


def test_encoder_round_trip():
    enc = NoninDf7Encoder()
    data = enc.frames_for(101, 99, [0, 30000, 65535] * 25, low_perfusion=True)
    out = values(NoninDf7Parser(numerics_every=1).feed(data))
    assert out.count(("hr", 101)) == 3
    assert [v for k, v in out if k == "pleth"][:3] == [0, 30000, 65535]
    assert ("low_perfusion", "perfusion red") in out


def test_split_feeds_at_every_byte_boundary_give_the_same_output():
    good = packet(75, 98)
    stream = b"\x90\x00" + good[:30] + good[31:] + good
    whole = NoninDf7Parser(numerics_every=1)
    expected = whole.feed(stream)
    for k in range(len(stream) + 1):
        parser = NoninDf7Parser(numerics_every=1)
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == expected
        assert astuple(parser.stats) == astuple(whole.stats)
