"""Masimo ASCII 1: parse by KEY= token, dashes, EXC / ALARM bits, device clock, trend lines."""

from dataclasses import astuple
from datetime import UTC, datetime

from sessionmon.devices.protocols.masimo_ascii import MasimoAsciiEncoder, MasimoAsciiParser
from sessionmon.devices.readings import Condition, Reading

RADICAL7 = (
    b"12/01/05 11:56:29 SN=0123456789 SPO2=098% BPM=240 PI=20.00% SPCO=01.0% SPMET=00.5% "
    b"DESAT=01 PIDELTA=-02 PVI=027 ALARM=0000 EXC=000820\r\n"
)
RADICAL5 = b"09/15/10 15:10:29 SPO2=097% BPM=064 PI=11.82% ALARM=20 EXC=800\r\n"


def values(items):
    return [
        (i.kind.value, i.value) if isinstance(i, Reading) else (i.name.value, i.detail)
        for i in items
    ]


def test_radical7_reference_line():
    out = MasimoAsciiParser().feed(RADICAL7)
    assert values(out) == [
        ("sensor_off", "sensor off"),
        ("spo2", 98),
        ("hr", 240),
        ("pi", 20.0),
    ]
    assert out[1].device_time == datetime(2005, 12, 1, 11, 56, 29, tzinfo=UTC)


def test_radical5_reference_line_with_alarm_silenced_flag():
    out = MasimoAsciiParser().feed(RADICAL5)
    assert values(out) == [("spo2", 97), ("hr", 64), ("pi", 11.82)]
    assert all("alarm_silenced" in i.flags for i in out)
    assert out[0].device_time == datetime(2010, 9, 15, 15, 10, 29, tzinfo=UTC)


def test_dashes_keep_width_and_become_invalid_values():
    line = b"09/15/10 15:10:30 SN=---------- SPO2=---% BPM=--- PI=--.--% SPCO=--.-% EXC=000001\r\n"
    out = MasimoAsciiParser().feed(line)
    assert not [i for i in out if isinstance(i, Reading)]
    assert values(out) == [
        ("sensor_off", "no sensor"),
        ("invalid_value", "spo2"),
        ("invalid_value", "hr"),
        ("invalid_value", "pi"),
    ]


def test_every_exc_bit_maps_to_a_condition():
    out = MasimoAsciiParser().feed(b"SPO2=097% BPM=070 EXC=0007FF ALARM=0040\r\n")
    names = {i.name.value for i in out if isinstance(i, Condition)}
    assert names == {
        "sensor_off",
        "sensor_fault",
        "low_perfusion",
        "searching",
        "artifact",
        "low_battery",
        "low_signal",
    }


def test_fields_in_any_order_and_extra_keys():
    out = MasimoAsciiParser().feed(b"PVI=010 BPM=059 FOO=1 SPO2=099%\n")
    assert values(out) == [("spo2", 99), ("hr", 59)]


def test_space_padded_value_and_empty_value():
    out = MasimoAsciiParser().feed(b"SPO2= 97% BPM= PI=01.50%\r\n")
    assert values(out) == [("spo2", 97), ("pi", 1.5)]


def test_trend_format_zeros_are_missing():
    parser = MasimoAsciiParser()
    out = parser.feed(b"09/21/08 09:56:12 SpO2=097 PR=069 PI=04.69 EXC=800:SET\r\n")
    assert values(out) == [("spo2", 97), ("hr", 69), ("pi", 4.69)]
    out = parser.feed(b"09/21/08 09:56:14 SpO2=000 PR=000 PI=00.00 EXC=020:SET\r\n")
    assert [k for k, _ in values(out)] == ["sensor_off", "invalid_value"] + ["invalid_value"] * 2


def test_blank_lines_nuls_and_garbage():
    parser = MasimoAsciiParser()
    out = parser.feed(b"\x00\x00\r\n\r\n#@!noise\r\n" + RADICAL5 + b"\r\n")
    assert ("spo2", 97) in values(out)
    assert parser.stats.frames == 1
    assert parser.stats.resyncs == 1


def test_impossible_date_keeps_raw_clock():
    out = MasimoAsciiParser().feed(b"13/45/05 11:56:29 SPO2=098% BPM=070\r\n")
    assert out[0].device_time is None
    assert out[0].flags == ("device_clock=13/45/05 11:56:29",)


def test_encoder_round_trip():
    clock = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    enc = MasimoAsciiEncoder()
    data = enc.frames_for(72, 96, [], 3.25, device_time=clock, low_perfusion=True)
    assert data.startswith(b"05/06/26 07:08:09 SN=")
    out = MasimoAsciiParser().feed(data)
    assert values(out) == [
        ("low_perfusion", "low perfusion"),
        ("spo2", 96),
        ("hr", 72),
        ("pi", 3.25),
    ]
    assert out[1].device_time == clock
    off = values(MasimoAsciiParser().feed(enc.frames_for(72, 96, sensor_off=True)))
    assert ("sensor_off", "sensor off") in off and ("invalid_value", "spo2") in off


def test_split_feeds_at_every_byte_boundary_give_the_same_output():
    stream = b"\x00" + RADICAL7 + b"noise\r\n" + RADICAL5
    whole = MasimoAsciiParser()
    expected = whole.feed(stream)
    for k in range(len(stream) + 1):
        parser = MasimoAsciiParser()
        assert parser.feed(stream[:k]) + parser.feed(stream[k:]) == expected
        assert astuple(parser.stats) == astuple(whole.stats)
