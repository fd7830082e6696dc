"""CMS50 V7 9-byte protocol: the reference example, sentinels, other packets, resync, splits."""

from dataclasses import astuple

from sessionmon.devices.protocols import cms50_v7
from sessionmon.devices.protocols.cms50_v7 import Cms50V7Parser, encode_packet
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.model import Kind

TC = TechnicalCondition
EXAMPLE = bytes.fromhex("01 E0 85 D5 9A BD E3 FF FF")


def values(items):
    return [
        (i.kind.value, i.value) if isinstance(i, Reading) else (i.name.value, i.detail)
        for i in items
    ]


def test_reference_example_decodes_to_pleth_pr_spo2_and_invalid_pi():
    parser = Cms50V7Parser()
    assert values(parser.feed(EXAMPLE)) == [
        ("pleth", 0x55),
        ("hr", 61),
        ("spo2", 99),
        ("invalid_value", "pi"),
    ]
    assert parser.stats.frames == 1
    assert parser.stats.resyncs == 0


def test_restore_gives_signal_and_bargraph_of_the_example():
    data = cms50_v7.restore(EXAMPLE)
    assert data[0] & 0x0F == 5  # signal
    assert data[2] & 0x0F == 10  # bargraph
    assert data[2] & 0x10  # PI invalid


def test_bit7_restored_for_pulse_above_127_and_pi_value():
    packet = encode_packet(180, 97, 100, 12.34)
    out = values(Cms50V7Parser().feed(packet))
    assert out == [("pleth", 100), ("hr", 180), ("spo2", 97), ("pi", 12.34)]
    assert all(b & 0x80 for b in packet[1:])


def test_sentinels_become_invalid_value_conditions_never_numbers():
    packet = bytes.fromhex("01 F8 80 C0 90 FF FF FF FF")  # PR 0xFF, SpO2 0x7F, PI 0xFFFF
    out = Cms50V7Parser().feed(packet)
    assert not [i for i in out if isinstance(i, Reading) and i.kind != Kind.PLETH]
    assert {i.detail for i in out if isinstance(i, Condition)} == {"hr", "spo2", "pi"}


def test_probe_error_and_searching_bits_are_conditions():
    out = Cms50V7Parser().feed(encode_packet(None, None, 0x40, probe_error=True, searching=True))
    names = {i.name for i in out if isinstance(i, Condition)}
    assert {TC.SENSOR_OFF, TC.SEARCHING} <= names


def test_other_packet_types_are_skipped_without_resync():
    stop_reply = bytes.fromhex("0C 80 80")
    stream = EXAMPLE + stop_reply + bytes.fromhex("0B 81 81") + EXAMPLE
    parser = Cms50V7Parser(numerics_every=1)
    out = values(parser.feed(stream))
    assert out.count(("hr", 61)) == 2
    assert parser.stats.frames == 2
    assert parser.stats.resyncs == 0
    assert parser.stats.extra["other_packets"] == 2


def test_resync_after_garbage_and_truncated_packet():
    stream = b"\xff\xfe\x13" + EXAMPLE[:5] + EXAMPLE + EXAMPLE
    parser = Cms50V7Parser(numerics_every=1)
    out = values(parser.feed(stream))
    assert out.count(("hr", 61)) == 2
    assert parser.stats.resyncs == 1
    assert parser.stats.checksum_errors == 0  # V7 has no checksum


def test_numerics_are_thinned_to_changes_and_about_one_a_second():
    parser = Cms50V7Parser(numerics_every=60)
    stream = b"".join(encode_packet(70, 98, i % 128, 2.5) for i in range(120))
    stream += encode_packet(71, 98, 5, 2.5)
    out = parser.feed(stream)
    hrs = [i.value for i in out if isinstance(i, Reading) and i.kind == Kind.HR]
    assert hrs == [70, 70, 71]
    assert len([i for i in out if isinstance(i, Reading) and i.kind == Kind.PLETH]) == 121


def test_commands_are_byte_exact():
    assert cms50_v7.start_stream() == bytes.fromhex("7D 81 A1 80 80 80 80 80 80")
    assert cms50_v7.stop_stream() == bytes.fromhex("7D 81 A2 80 80 80 80 80 80")
    assert cms50_v7.keep_alive() == bytes.fromhex("7D 81 AF 80 80 80 80 80 80")
    assert cms50_v7.command(0xAA, [0x05]) == bytes.fromhex("7D 81 AA 85 80 80 80 80 80")
    assert cms50_v7.command(0xA1, [0x85]) == bytes.fromhex("7D 83 A1 85 80 80 80 80 80")


def test_encoder_round_trip():
    enc = cms50_v7.Cms50V7Encoder()
    data = enc.frames_for(88, 95, [10, 20, 30], 4.0)
    out = values(Cms50V7Parser().feed(data))
    assert out[:4] == [("pleth", 10), ("hr", 88), ("spo2", 95), ("pi", 4.0)]
    assert [v for k, v in out if k == "pleth"] == [10, 20, 30]


def test_split_feeds_at_every_byte_boundary_give_the_same_output():
    stream = (
        b"\x99\x01"
        + EXAMPLE
        + bytes.fromhex("0C 80")
        + encode_packet(None, 90, 3, None)
        + EXAMPLE[:4]
        + encode_packet(150, 85, 127, 0.5, probe_error=True)
    )
    whole = Cms50V7Parser(numerics_every=2)
    expected = whole.feed(stream)
    for k in range(len(stream) + 1):
        parser = Cms50V7Parser(numerics_every=2)
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == expected
        assert astuple(parser.stats) == astuple(whole.stats)
    bytewise = Cms50V7Parser(numerics_every=2)
    assert [i for b in stream for i in bytewise.feed(bytes([b]))] == expected
