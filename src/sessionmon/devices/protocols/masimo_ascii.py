"""Masimo Rad-8 / Radical-7 / Rad-97 serial "ASCII 1": one line a second, 9600 8-N-1.

Lines are parsed by ``KEY=`` token, never by column, because field sets differ by model::

    12/01/05 11:56:29 SN=0123456789 SPO2=098% BPM=240 PI=20.00% ... ALARM=0000 EXC=000820

Read: ``SPO2`` -> spo2, ``BPM`` (or ``PR``) -> hr, ``PI`` -> pi, ``EXC`` and ``ALARM`` (hex bit
fields) -> conditions and flags. A missing value keeps its width filled with dashes
(``SPO2=---%``) and becomes an ``INVALID_VALUE`` condition. Trend-download lines
(``SpO2=097 PR=069 PI=04.69 EXC=800:SET``) use zeros for missing values; a line with ``PR=`` and
no ``BPM=`` is read that way. See :mod:`.ascii_lines` for the device clock.

EXC bits: 001 no sensor and 020 sensor off -> SENSOR_OFF; 002 defective and 080 unrecognised
sensor -> SENSOR_FAULT; 004 low perfusion; 008 pulse search -> SEARCHING; 010 interference and
040 ambient light -> ARTIFACT; 400 low signal IQ -> LOW_SIGNAL; 800 (Masimo SET) is information.
ALARM bits (not Masimo-confirmed): 0040 low battery -> LOW_BATTERY; the others become flags on
the readings (``spo2_high``, ``spo2_low``, ``pr_high``, ``pr_low``, ``alarm_active``,
``alarm_silenced``).
"""

from __future__ import annotations

import re
from datetime import datetime

from sessionmon.devices.protocols.ascii_lines import LineParser, device_clock, format_clock
from sessionmon.devices.protocols.base import TC, clamp_int, conditions_of, value_or_invalid
from sessionmon.devices.protocols.encoding import OximeterEncoderBase, OximeterValues
from sessionmon.devices.readings import Condition, Decoded
from sessionmon.model import Kind

#: ``KEY=VALUE``; a space after ``=`` is tolerated (space-padded values), a value never
#: swallows the next key.
_FIELD = re.compile(r"([A-Za-z][\w]*)=\s*([^\s=]+)(?![\w=])")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_HEX = re.compile(r"^[0-9A-Fa-f]{1,8}$")

EXC_NO_SENSOR = 0x001
EXC_DEFECTIVE_SENSOR = 0x002
EXC_LOW_PERFUSION = 0x004
EXC_PULSE_SEARCH = 0x008
EXC_INTERFERENCE = 0x010
EXC_SENSOR_OFF = 0x020
EXC_AMBIENT_LIGHT = 0x040
EXC_UNRECOGNISED_SENSOR = 0x080
EXC_LOW_SIGNAL_IQ = 0x400
EXC_MASIMO_SET = 0x800

ALARM_LOW_BATTERY = 0x0040
_ALARM_FLAGS = (
    (0x0001, "spo2_high", Kind.SPO2),
    (0x0002, "spo2_low", Kind.SPO2),
    (0x0004, "pr_high", Kind.HR),
    (0x0008, "pr_low", Kind.HR),
    (0x0010, "alarm_active", None),
    (0x0020, "alarm_silenced", None),
)


def _value(text: str, *, zero_is_missing: bool) -> float | None:
    text = text.rstrip("%")
    if not _NUMBER.match(text):
        return None
    value = float(text)
    if zero_is_missing and value == 0:
        return None
    return value


def _hex(text: str) -> int | None:
    text = text.split(":", 1)[0]
    return int(text, 16) if _HEX.match(text) else None


def exc_conditions(exc: int) -> list[Condition]:
    """Return the conditions set in an EXC bit field."""
    return conditions_of(
        (
            (bool(exc & EXC_NO_SENSOR), TC.SENSOR_OFF, "no sensor"),
            (bool(exc & EXC_SENSOR_OFF), TC.SENSOR_OFF, "sensor off"),
            (bool(exc & EXC_DEFECTIVE_SENSOR), TC.SENSOR_FAULT, "defective sensor"),
            (bool(exc & EXC_UNRECOGNISED_SENSOR), TC.SENSOR_FAULT, "unrecognised sensor"),
            (bool(exc & EXC_LOW_PERFUSION), TC.LOW_PERFUSION, "low perfusion"),
            (bool(exc & EXC_PULSE_SEARCH), TC.SEARCHING, "pulse search"),
            (bool(exc & EXC_INTERFERENCE), TC.ARTIFACT, "interference"),
            (bool(exc & EXC_AMBIENT_LIGHT), TC.ARTIFACT, "ambient light"),
            (bool(exc & EXC_LOW_SIGNAL_IQ), TC.LOW_SIGNAL, "low signal IQ"),
        )
    )


class MasimoAsciiParser(LineParser):
    """Parser of Masimo ASCII 1 lines (and trend-download lines)."""

    def parse_line(self, line: str) -> list[Decoded] | None:
        """Return the readings and conditions of one line, or ``None`` if it has no known key."""
        fields: dict[str, str] = {}
        for key, value in _FIELD.findall(line):
            fields.setdefault(key.upper(), value)
        if not fields.keys() & {"SPO2", "BPM", "PR", "PI", "EXC", "ALARM"}:
            return None
        device_time, clock_flags = device_clock(line)
        trend = "PR" in fields and "BPM" not in fields
        exc = _hex(fields.get("EXC", ""))
        alarm = _hex(fields.get("ALARM", ""))
        out: list[Decoded] = []
        if exc is not None:
            out += exc_conditions(exc)
        if alarm is not None and alarm & ALARM_LOW_BATTERY:
            out.append(Condition(TC.LOW_BATTERY, "low battery"))
        for key, kind in (("SPO2", Kind.SPO2), ("BPM", Kind.HR), ("PR", Kind.HR), ("PI", Kind.PI)):
            if key not in fields or (key == "PR" and not trend):
                continue
            flags = clock_flags + _alarm_flags(alarm, kind)
            value = _value(fields[key], zero_is_missing=trend)
            out.append(value_or_invalid(kind, value, device_time, flags))
        return out


def _alarm_flags(alarm: int | None, kind: Kind) -> tuple[str, ...]:
    if not alarm:
        return ()
    return tuple(name for bit, name, about in _ALARM_FLAGS if alarm & bit and about in (None, kind))


def encode_line(
    hr: int | None,
    spo2: int | None,
    pi: float | None = None,
    *,
    device_time: datetime | None = None,
    exc: int = EXC_MASIMO_SET,
    alarm: int = 0,
    serial_number: str = "0123456789",
) -> bytes:
    """Return one Radical-7 style ASCII 1 line; ``None`` values are sent as dashes."""
    sat = "---" if spo2 is None else f"{clamp_int(spo2, 0, 100):03d}"
    rate = "---" if hr is None else f"{clamp_int(hr, 0, 999):03d}"
    perf = "--.--" if pi is None else f"{min(max(pi, 0.0), 99.99):05.2f}"
    return (
        f"{format_clock(device_time)}SN={serial_number} SPO2={sat}% BPM={rate} PI={perf}% "
        f"SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- PVI=--- "
        f"ALARM={alarm & 0xFFFF:04X} EXC={exc & 0xFFFFFF:06X}\r\n"
    ).encode("ascii")


class MasimoAsciiEncoder(OximeterEncoderBase):
    """Wire encoder of ASCII 1: one line per call (see ``OximeterEncoder``)."""

    def encode(self, values: OximeterValues) -> bytes:
        """Return one line; flags go into EXC / ALARM, sensor off sends dashes."""
        exc = EXC_MASIMO_SET
        exc |= EXC_SENSOR_OFF if values.sensor_off else 0
        exc |= EXC_PULSE_SEARCH if values.searching else 0
        exc |= EXC_INTERFERENCE if values.artifact else 0
        exc |= EXC_LOW_PERFUSION if values.low_perfusion else 0
        hr, spo2, pi = (
            (None, None, None) if values.sensor_off else (values.hr, values.spo2, values.pi)
        )
        alarm = ALARM_LOW_BATTERY if values.low_battery else 0
        return encode_line(hr, spo2, pi, device_time=values.device_time, exc=exc, alarm=alarm)
