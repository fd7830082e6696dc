"""Shared machinery of the line-oriented (ASCII) protocols: line framing and device clocks.

Lines end in CR, LF or both; NUL bytes (some units send them as padding) and blank lines are
ignored. A line that cannot be parsed, or that runs past :data:`MAX_LINE` bytes without an end,
is dropped and counted as a resync (``stats.extra["unparsed_lines"]`` counts them too).

Device clocks: the Masimo and Nonin lines carry the device's own wall clock, with no time zone.
A full ``MM/DD/YY HH:MM:SS`` stamp becomes ``Reading.device_time`` holding exactly those digits
labelled UTC (nothing is converted, so the raw device clock is kept); a time-only ``HH:MM:SS``
stamp cannot be a datetime and is kept as the flag ``"device_clock=HH:MM:SS"``. The host's
receive time is added downstream, so both clocks are recorded.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sessionmon.devices.protocols.base import FrameParser
from sessionmon.devices.readings import Decoded

MAX_LINE = 512
#: Raw lines whose parse each line parser keeps (see :class:`LineParser`).
LINE_CACHE_MAX = 4096
#: What a blank line (only spaces and NULs) says (not ``()``: a data line may say nothing),
#: and a look-up miss.
_BLANK: Any = object()
_UNSEEN: Any = object()
_EOL = re.compile(rb"[\r\n]")

#: Optional ``MM/DD/YY`` date and ``HH:MM:SS`` time at the start of a line.
CLOCK = re.compile(
    r"^\s*(?:(?P<mon>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{2}|\d{4})\s+)?"
    r"(?P<h>\d{1,2}):(?P<m>\d{2}):(?P<s>\d{2})(?!\d)"
)


def device_clock(line: str) -> tuple[datetime | None, tuple[str, ...]]:
    """Return the device clock at the start of ``line`` as (device_time, flags).

    A dated stamp gives an aware datetime with the device's digits (labelled UTC); a time-only
    stamp gives ``(None, ("device_clock=HH:MM:SS",))``; no stamp or an impossible one gives
    ``(None, ())`` or the raw text as a ``device_clock=`` flag.
    """
    match = CLOCK.match(line)
    if match is None:
        return None, ()
    hms = f"{int(match['h']):02d}:{match['m']}:{match['s']}"
    if match["year"] is None:
        if int(match["h"]) > 23 or int(match["m"]) > 59 or int(match["s"]) > 59:
            return None, ()
        return None, (f"device_clock={hms}",)
    year = int(match["year"])
    year = year + 2000 if year < 100 else year
    try:
        stamp = datetime(
            year,
            int(match["mon"]),
            int(match["day"]),
            int(match["h"]),
            int(match["m"]),
            int(match["s"]),
            tzinfo=UTC,
        )
    except ValueError:
        raw = match.group(0).strip()
        return None, (f"device_clock={raw}",)
    return stamp, ()


class LineParser(FrameParser):
    """Base of the ASCII parsers: frames are lines; subclasses implement :meth:`parse_line`.

    :meth:`parse_line` must be a pure function of the line's text: what it said is kept per
    raw line (:data:`LINE_CACHE_MAX` lines per parser, cleared when full), so a device that
    repeats a line costs one look-up. Lines with a device clock differ every second and are
    parsed each time.
    """

    def __init__(self) -> None:
        super().__init__()
        self._overlong = False
        self._said: dict[bytes, tuple[Decoded, ...] | None] = {}

    def parse_line(self, line: str) -> list[Decoded] | None:  # pragma: no cover - abstract
        """Return what one non-blank line says, or ``None`` if it is not a data line."""
        raise NotImplementedError

    def _scan(self, frames: list[list[Decoded]]) -> int:
        buf = self._buf
        end = max(buf.rfind(b"\r"), buf.rfind(b"\n"))  # the last complete line ends here
        if end >= 0:
            said = self._said
            lines = 0
            for raw in _EOL.split(bytes(buf[:end])):
                if self._overlong:
                    self._overlong = False  # the end of a line already rejected
                    continue
                if not raw:
                    continue
                items = said.get(raw, _UNSEEN)
                if items is _UNSEEN:
                    if len(raw) > MAX_LINE:
                        self._reject()
                        continue
                    items = self._parse_raw(raw)
                    if len(said) >= LINE_CACHE_MAX:
                        said.clear()
                    said[raw] = items
                if items is None:
                    self._reject()
                elif items is not _BLANK:
                    lines += 1
                    frames.append(list(items))
            self.stats.frames += lines
        pos = end + 1
        if len(buf) - pos > MAX_LINE:
            if not self._overlong:
                self._reject()
            self._overlong = True
            return len(buf)
        return pos

    def _parse_raw(self, raw: bytes) -> tuple[Decoded, ...] | None:
        """What one raw line (no end of line) says: items, ``None`` (rejected) or blank."""
        if b"\x00" in raw:
            raw = raw.replace(b"\x00", b"")
        text = raw.decode("ascii", "replace").strip()
        if not text:
            return _BLANK
        items = self.parse_line(text)
        return None if items is None else tuple(items)

    def _reject(self) -> None:
        self.stats.resyncs += 1
        self._count("unparsed_lines")


def format_clock(device_time: datetime | None, *, with_date: bool = True) -> str:
    """Return ``"MM/DD/YY HH:MM:SS "`` (or ``"HH:MM:SS "``) for a line prefix, or ``""``."""
    if device_time is None:
        return ""
    if with_date:
        return device_time.strftime("%m/%d/%y %H:%M:%S ")
    return device_time.strftime("%H:%M:%S ")
