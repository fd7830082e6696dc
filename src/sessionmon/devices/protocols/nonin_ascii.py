"""Nonin handheld ASCII output (2500, 8500, 9847...): one line a second, 9600 8-N-1.

``HH:MM:SS SPO2=XXX HR=YYY`` or ``SPO2=XXX HR=YYY`` (some models print a date before the time).
Missing values are ``---``. A ``*`` marks an event (flag ``"event_marker"``); a trailing ``F``
marks fast-responding values (flag ``"fast"``). See :mod:`.ascii_lines` for the device clock.
"""

from __future__ import annotations

import re
from datetime import datetime

from sessionmon.devices.protocols.ascii_lines import LineParser, device_clock, format_clock
from sessionmon.devices.protocols.base import clamp_int, value_or_invalid
from sessionmon.devices.protocols.encoding import OximeterEncoderBase, OximeterValues
from sessionmon.devices.readings import Decoded
from sessionmon.model import Kind

_SPO2 = re.compile(r"\bSPO2\s*=\s*([-\d]+)", re.IGNORECASE)
_HR = re.compile(r"\b(?:HR|PR|BPM)\s*=\s*([-\d]+)", re.IGNORECASE)
_FAST = re.compile(r"F[\s*]*$")


def _number(text: str) -> int | None:
    return int(text) if text.isdigit() else None


class NoninAsciiParser(LineParser):
    """Parser of the Nonin ASCII lines."""

    def parse_line(self, line: str) -> list[Decoded] | None:
        """Return the SpO2 and HR of one line, or ``None`` if it has neither."""
        spo2 = _SPO2.search(line)
        hr = _HR.search(line)
        if spo2 is None and hr is None:
            return None
        device_time, flags = device_clock(line)
        if _FAST.search(line):
            flags += ("fast",)
        if "*" in line:
            flags += ("event_marker",)
        out: list[Decoded] = []
        if spo2 is not None:
            out.append(value_or_invalid(Kind.SPO2, _number(spo2[1]), device_time, flags))
        if hr is not None:
            out.append(value_or_invalid(Kind.HR, _number(hr[1]), device_time, flags))
        return out


def encode_line(
    hr: int | None,
    spo2: int | None,
    *,
    device_time: datetime | None = None,
    fast: bool = False,
    event_marker: bool = False,
) -> bytes:
    """Return one line, e.g. ``b"12:00:01 SPO2=097 HR=072\\r\\n"`` (``---`` for ``None``)."""
    sat = "---" if spo2 is None else f"{clamp_int(spo2, 0, 999):03d}"
    rate = "---" if hr is None else f"{clamp_int(hr, 0, 999):03d}"
    marker = "*" if event_marker else ""
    suffix = "F" if fast else ""
    clock = format_clock(device_time, with_date=False)
    return f"{clock}SPO2={sat}{marker} HR={rate}{suffix}\r\n".encode("ascii")


class NoninAsciiEncoder(OximeterEncoderBase):
    """Wire encoder of the ASCII output: one line per call (see ``OximeterEncoder``).

    Sensor off is sent the way these units show it: both values ``---``.
    """

    def encode(self, values: OximeterValues) -> bytes:
        """Return one line with these values."""
        if values.sensor_off:
            return encode_line(None, None, device_time=values.device_time)
        return encode_line(values.hr, values.spo2, device_time=values.device_time)
