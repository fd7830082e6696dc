"""Parsers against bytes recorded from (or documented for) real devices, not our own encoders.

Each capture under ``tests/captures/real_*.hex`` names its source in its header; the expected
values below are what those devices showed (or what the source documents), checked by hand.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

from sessionmon.cli import main
from sessionmon.commands.decode import parse_hex
from sessionmon.devices.protocols import get_protocol
from sessionmon.devices.protocols.suntech import BpResult, CuffPressure, SuntechReplyParser
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.model import Kind

CAPTURES = Path(__file__).parent / "captures"
TC = TechnicalCondition


def capture(name: str) -> bytes:
    return parse_hex((CAPTURES / name).read_text())


def decode(device: str, data: bytes):
    parser = get_protocol(device).make_parser(numerics_every=1)
    return parser, parser.feed(data)


def values(items, kind: Kind) -> list[float]:
    return [i.value for i in items if isinstance(i, Reading) and i.kind is kind]


def conditions(items) -> list[tuple[TechnicalCondition, str]]:
    return [(i.name, i.detail) for i in items if isinstance(i, Condition)]


def test_cms50_v7_headrotor_capture_skips_replies_and_reads_stream():
    parser, items = decode("cms50-v7", capture("real_cms50-v7_headrotor.hex"))
    assert values(items, Kind.PLETH) == [51, 48, 46, 44, 43, 42, 42]
    assert values(items, Kind.HR) == [65] * 7
    assert values(items, Kind.SPO2) == [97] * 7
    assert values(items, Kind.PI) == []  # this CMS50D+ has no PI: 0xFFFF with the invalid bit
    assert conditions(items) == [(TC.INVALID_VALUE, "pi")] * 7
    stats = parser.stats
    assert (stats.frames, stats.checksum_errors, stats.resyncs) == (7, 0, 0)
    assert stats.extra["other_packets"] == 11


def test_cms50_v7_reference_example_and_finger_out_state():
    # MarkMLl/Contec_cms50dplus consoleapp.pas: "Nominal operation: 01 e0 85 d5 9a bd e3 ff ff".
    _, items = decode("cms50-v7", bytes.fromhex("01 e0 85 d5 9a bd e3 ff ff"))
    assert (values(items, Kind.PLETH), values(items, Kind.HR), values(items, Kind.SPO2)) == (
        [85],
        [61],
        [99],
    )
    # headrotor/contec_data: high byte 0xE1 = "pulse and SpO2 not valid" (finger out), 0xE2 = no
    # valid data (searching); the numerics then carry the sentinels FF / 7F.
    _, items = decode("cms50-v7", bytes.fromhex("01 e1 80 c0 90 ff ff ff ff"))  # pulse reads 7F
    assert values(items, Kind.HR) == values(items, Kind.SPO2) == []
    assert (TC.SENSOR_OFF, "finger out") in conditions(items)
    assert {(TC.INVALID_VALUE, k) for k in ("hr", "spo2", "pi")} <= set(conditions(items))
    _, items = decode("cms50-v7", bytes.fromhex("01 e2 80 c0 90 ff ff ff ff"))
    assert (TC.SEARCHING, "searching") in conditions(items)


def test_cms50_v7_capture_starting_mid_packet():
    data = capture("real_cms50-v7_headrotor.hex")
    start = data.index(bytes.fromhex("01 e0 85 b3")) + 4  # cut inside the first data packet
    parser, items = decode("cms50-v7", data[start:])
    assert values(items, Kind.PLETH) == [48, 46, 44, 43, 42, 42]
    assert parser.stats.resyncs == 1


def test_masimo_rad8_capture_with_blank_lines_and_no_sensor_line(capsys):
    parser, items = decode("masimo-ascii", capture("real_masimo-ascii_rad8.hex"))
    assert values(items, Kind.SPO2) == [98] * 5
    assert values(items, Kind.HR) == [97, 96, 96, 96, 97]
    assert values(items, Kind.PI) == [3.6, 3.95, 4.25, 3.19, 2.41]
    times = [i.device_time for i in items if isinstance(i, Reading) and i.kind is Kind.HR]
    assert times[0] == datetime(2016, 2, 22, 22, 47, 45, tzinfo=UTC)
    assert conditions(items) == [
        (TC.SENSOR_OFF, "no sensor"),
        (TC.INVALID_VALUE, "spo2"),
        (TC.INVALID_VALUE, "hr"),
    ]
    assert (parser.stats.frames, parser.stats.resyncs) == (6, 0)


def test_masimo_leading_nuls_crlf_and_extra_fields_in_one_byte_chunks():
    line = (
        b"12/01/05 11:56:29 SN=0123456789 SPO2=098% BPM=240 PI=20.00% SPCO=01.0% SPMET=00.5% "
        b"DESAT=01 PIDELTA=-02 PVI=027 ALARM=0000 EXC=000820\r\n"
    )
    data = b"\x00\x00\x00" + line + b"\r\n\x00" + line.replace(b"SPO2=098%", b"SPO2=---%")
    parser = get_protocol("masimo-ascii").make_parser()
    items = [item for i in range(len(data)) for item in parser.feed(data[i : i + 1])]
    assert values(items, Kind.SPO2) == [98]
    assert values(items, Kind.HR) == [240, 240]
    assert values(items, Kind.PI) == [20.0, 20.0]
    assert (TC.SENSOR_OFF, "sensor off") in conditions(items)  # EXC 020
    assert (TC.INVALID_VALUE, "spo2") in conditions(items)
    assert parser.stats.resyncs == 0


def test_suntech_documented_replies():
    parser = SuntechReplyParser()
    replies = parser.feed_replies(capture("real_suntech_documented.hex"))
    assert replies[0] == CuffPressure(258)
    assert replies[1].code == "K"
    result = replies[2]
    assert isinstance(result, BpResult) and result.ok
    assert (result.systolic, result.diastolic, result.map, result.hr) == (115, 74, 88, 85)
    assert (result.beats, result.status, result.test_codes[6:]) == (30, 1, b"\x31\x07")
    assert parser.stats.checksum_errors == 1  # the same cuff frame with checksum B1


def test_decode_cli_prints_every_real_packet(capsys):
    code = main(
        ["decode", "--device", "cms50-v7", "--hex", str(CAPTURES / "real_cms50-v7_headrotor.hex")]
    )
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [o["value"] for o in out if o["kind"] == "hr"] == [65] * 7
    assert {"kind": "spo2", "value": 97, "unit": "%"} in out
