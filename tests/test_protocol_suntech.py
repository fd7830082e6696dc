"""SunTech Advantage: host commands byte-exact, module replies, errors, emulator exchanges."""

from dataclasses import astuple

from sessionmon.devices.protocols import suntech
from sessionmon.devices.protocols.suntech import (
    Ack,
    BpResult,
    CuffPressure,
    SuntechModuleEmulator,
    SuntechReplyParser,
)
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition


def hexb(text):
    return bytes.fromhex(text)


def test_host_commands_are_byte_exact():
    assert suntech.start_adult() == hexb("3A 20 A6")
    assert suntech.get_cuff_pressure() == hexb("3A 79 05 00 48")
    assert suntech.get_bp_data() == hexb("3A 79 03 00 4A")
    assert suntech.abort() == hexb("3A 79 01 00 4C")


def test_reference_cuff_pressure_reply_is_258_mmhg():
    parser = SuntechReplyParser()
    assert parser.feed_replies(hexb("3E 05 02 01 BA")) == [CuffPressure(258)]
    assert parser.feed(hexb("3E 05 02 01 BA")) == [Reading.of("cuff_pressure", 258)]


def test_ack_frames():
    parser = SuntechReplyParser()
    data = b"".join(suntech.ack_frame(c) for c in "OKAB")
    assert data[:4] == hexb("3E 04 4F 6F")
    assert parser.feed_replies(data) == [Ack("O"), Ack("K"), Ack("A"), Ack("B")]
    assert parser.feed(suntech.ack_frame("O")) == []


def test_error_ack_is_nibp_failed():
    out = SuntechReplyParser().feed(suntech.ack_frame("E"))
    assert out[0].name is TechnicalCondition.NIBP_FAILED


def hand_built_bp_data(sys_, dia, map_, hr, error):
    body = bytes(
        (0x3E, 0x18, sys_ & 0xFF, sys_ >> 8, dia & 0xFF, dia >> 8, 12, 0)
        + (0,) * 8
        + (hr, 0, map_ & 0xFF, map_ >> 8, error, 0, 0)
    )
    return body + bytes(((0x100 - sum(body)) & 0xFF,))


def test_bp_data_reply_layout():
    frame = hand_built_bp_data(0x102, 80, 95, 66, 0)  # systolic 258 (16-bit LE)
    assert len(frame) == 24
    parser = SuntechReplyParser()
    (result,) = parser.feed_replies(frame)
    assert (result.systolic, result.diastolic, result.map, result.hr) == (258, 80, 95, 66)
    assert result.beats == 12 and result.ok
    out = SuntechReplyParser().feed(frame)
    assert [(i.kind.value, i.value) for i in out] == [
        ("nibp_sys", 258),
        ("nibp_dia", 80),
        ("nibp_map", 95),
        ("nibp_hr", 66),
    ]
    assert suntech.bp_data_frame(result) == frame


def test_error_code_becomes_nibp_failed_with_meaning():
    out = SuntechReplyParser().feed(hand_built_bp_data(0, 0, 0, 0, 0x57))
    assert out == [Condition(TechnicalCondition.NIBP_FAILED, "57 loose cuff or leak")]
    assert suntech.error_text(0x5A) == "5A hardware"
    assert suntech.error_text(0x77) == "77 unknown error"


def test_zero_values_without_error_are_invalid_not_numbers():
    out = SuntechReplyParser().feed(hand_built_bp_data(0, 0, 0, 0, 0))
    assert all(isinstance(i, Condition) for i in out)


def test_checksum_error_counted_and_resync_on_marker_and_len_sanity():
    good = hexb("3E 05 02 01 BA")
    bad = hexb("3E 05 02 01 BB")
    parser = SuntechReplyParser()
    replies = parser.feed_replies(bad + b"\x3e\xff\x3e\x01junk" + good + good)
    assert replies == [CuffPressure(258), CuffPressure(258)]
    assert parser.stats.checksum_errors == 1
    assert parser.stats.resyncs == 1
    assert parser.stats.frames == 2


def test_emulator_full_measurement_exchange_byte_by_byte():
    emu = SuntechModuleEmulator()
    assert emu.feed(hexb("3A 20 A6")) == hexb("3E 04 4F 6F")  # O: received
    assert emu.measuring
    assert emu.feed(hexb("3A 20 A6")) == suntech.ack_frame("B")  # busy
    emu.set_cuff_pressure(258)
    assert emu.feed(hexb("3A 79 05 00 48")) == hexb("3E 05 02 01 BA")
    assert emu.feed(hexb("3A 79 03 00 4A")) == suntech.ack_frame("B")
    assert emu.finish(120, 80, hr=70) == suntech.ack_frame("K")
    reply = emu.feed(hexb("3A 79 03 00 4A"))
    assert len(reply) == 24 and reply[:2] == hexb("3E 18")
    (result,) = SuntechReplyParser().feed_replies(reply)
    assert (result.systolic, result.diastolic, result.map, result.hr) == (120, 80, 93, 70)


def test_emulator_abort_split_commands_and_bad_checksum():
    emu = SuntechModuleEmulator()
    emu.feed(suntech.start_adult())
    command = suntech.abort()
    assert emu.feed(command[:2]) == b""
    assert emu.feed(command[2:]) == hexb("3E 04 41 7D")  # A: aborted
    assert not emu.measuring
    (result,) = SuntechReplyParser().feed_replies(emu.feed(suntech.get_bp_data()))
    assert result.error == "56 user abort"
    assert emu.feed(hexb("3A 79 05 00 47")) == b""
    assert emu.checksum_errors == 1
    assert emu.feed(suntech.host_frame(0x11)) == suntech.ack_frame("E")


def test_emulator_failure_result():
    emu = SuntechModuleEmulator()
    emu.feed(suntech.start_adult())
    emu.fail(0x57)
    out = SuntechReplyParser().feed(emu.feed(suntech.get_bp_data()))
    assert out == [Condition(TechnicalCondition.NIBP_FAILED, "57 loose cuff or leak")]


def test_split_feeds_at_every_byte_boundary_give_the_same_output():
    emu = SuntechModuleEmulator()
    stream = b"\x00>" + emu.feed(suntech.start_adult())
    emu.set_cuff_pressure(150)
    stream += emu.feed(suntech.get_cuff_pressure()) + hexb("3E 05 02 01 00")
    emu.finish(131, 85, hr=77)
    stream += emu.feed(suntech.get_bp_data())
    whole = SuntechReplyParser()
    expected = whole.feed(stream)
    assert [type(r) for r in SuntechReplyParser().feed_replies(stream)] == [
        Ack,
        CuffPressure,
        BpResult,
    ]
    for k in range(len(stream) + 1):
        parser = SuntechReplyParser()
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == expected
        assert astuple(parser.stats) == astuple(whole.stats)
