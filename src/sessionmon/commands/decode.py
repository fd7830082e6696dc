"""``sessionmon decode``: decode a device capture or a live serial port to JSON Lines.

One JSON object per reading (``{"kind": "spo2", "value": 98, "unit": "%"}`` plus
``device_time`` and ``flags`` when the device gives them), every value the device sent: fast
streams repeat HR / SpO2 / PI in each frame and each repetition is printed, so the output
matches a frame-by-frame reading of the capture (``--thin`` prints an unchanged value about
once a second instead, as the live driver records it); a technical condition is printed
once when it starts (``{"kind": "condition", "value": "sensor_off", "detail": ...}``). A
summary (frames, checksum errors, resyncs, bytes) goes to stderr. With ``--port`` it reads a
live serial port, which is how a clinic checks a cable and a device setting.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import IO, Any

from sessionmon.errors import UserError

_CHUNK = 4096


def register(subparsers: Any) -> None:
    """Add the ``decode`` sub-command."""
    parser = subparsers.add_parser(
        "decode",
        help="decode a device capture or a live serial port to JSON Lines",
        description="Decode bytes of a supported device (from a capture file or a live serial "
        "port) and print one JSON object per reading, every value the device sent, frame by "
        "frame (a diagnostic tool: compare it with the device's display); --thin prints "
        "repeated values about once a second instead. A technical condition is printed when "
        "it starts. A summary goes to stderr.",
    )
    parser.add_argument(
        "--device",
        required=True,
        metavar="NAME",
        help="protocol: cms50-legacy, cms50-v7, nonin-df2, nonin-df7, nonin-df8, nonin-ascii, "
        "masimo-ascii, suntech, intellivue (--port udp:HOST[:PORT] for its LAN interface)",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="capture file ('-' = stdin)")
    parser.add_argument("--port", help="read this serial port live instead of a file")
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds to read the port (default 10; suntech: 90 or until the result)",
    )
    parser.add_argument(
        "--hex", action="store_true", help="the input is hex text (whitespace and 0x optional)"
    )
    numerics = parser.add_mutually_exclusive_group()
    numerics.add_argument(
        "--thin",
        action="store_true",
        help="fast streams (CMS50 60/s, Nonin #2/#7 3 packets/s) repeat HR/SpO2/PI in every "
        "frame: print a value only when it changes and about once a second, as the live "
        "console records it (default: every value the device sent, frame by frame)",
    )
    numerics.add_argument(
        "--every-frame",
        action="store_true",
        help="print HR/SpO2/PI from every frame (the default; kept for old scripts)",
    )
    parser.add_argument("--baud", type=int, help="override the protocol's baud rate")
    parser.add_argument("--parity", help="override the protocol's parity: N, E or O")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run ``sessionmon decode``."""
    from sessionmon.devices import identify
    from sessionmon.devices.protocols import get_protocol

    spec = get_protocol(args.device)
    if (args.file is None) == (args.port is None):
        raise UserError("give either a capture FILE or --port PORT")
    if args.port is not None and args.hex:
        raise UserError("--hex applies to capture files, not to --port")
    if args.duration is not None and not args.duration > 0:
        raise UserError("--duration must be a positive number of seconds")
    parser = spec.make_parser(numerics_every=None if args.thin else 1)
    printer = ReadingPrinter(sys.stdout, hold_frames=spec.flag_hold_frames)
    sample = bytearray()  # the first bytes, to tell which protocol they look like
    try:
        if args.file is not None:
            for chunk in _file_chunks(args.file, args.hex):
                _keep_sample(sample, chunk)
                printer.print_frames(parser.feed_frames(chunk))
        else:
            duration = args.duration
            if duration is None:
                duration = 90.0 if spec.name == "suntech" else 10.0
            _read_port(spec, args, duration, parser, printer, sample)
    except UserError:
        if parser.stats.bytes_in:  # e.g. the port went away: say what was read before
            _print_summary(spec.name, parser.stats, printer.lines)
        raise
    _print_summary(spec.name, parser.stats, printer.lines)
    fit = identify.stats_fit(spec.name, parser.stats)
    message = identify.wrong_protocol(fit, parser.stats.bytes_in, bytes(sample))
    if message is not None:
        raise UserError(message, exit_code=WRONG_PROTOCOL_EXIT)
    return 0


#: Exit code when the bytes do not look like the chosen protocol.
WRONG_PROTOCOL_EXIT = 3


def _keep_sample(sample: bytearray, chunk: bytes) -> None:
    from sessionmon.devices.identify import SAMPLE_BYTES

    room = SAMPLE_BYTES - len(sample)
    if room > 0:
        sample += chunk[:room]


def _print_summary(name: str, stats: Any, lines: int) -> None:
    extras = "".join(f", {v} {k.replace('_', ' ')}" for k, v in sorted(stats.extra.items()))
    print(
        f"{name}: {stats.frames} frames decoded, {stats.checksum_errors} checksum errors, "
        f"{stats.resyncs} resyncs, {stats.bytes_in} bytes, {lines} lines printed{extras}",
        file=sys.stderr,
    )


def _parity(value: str | None) -> str | None:
    if value is None:
        return None
    from sessionmon.devices.protocols.base import parity_letter

    letter = parity_letter(value)
    if letter not in ("N", "E", "O"):
        raise UserError(f"parity must be N, E or O, not {value!r}")
    return letter


# ---------------------------------------------------------------------- input


def _file_chunks(name: str, as_hex: bool) -> Iterator[bytes]:
    if as_hex:
        yield parse_hex(_read_text(name), name)
        return
    if name == "-":
        stream = sys.stdin.buffer
        while chunk := stream.read(_CHUNK):
            yield chunk
        return
    try:
        with Path(name).open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk
    except OSError as exc:
        raise UserError(f"cannot read {name}: {exc.strerror or exc}") from None


def _read_text(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise UserError(f"cannot read {name}: {exc.strerror or exc}") from None


_HEX_TOKEN = re.compile(r"(?:0[xX])?([0-9A-Fa-f]+)")


def parse_hex(text: str, name: str = "input") -> bytes:
    """Return the bytes written as hex in ``text``.

    Whitespace, commas, colons and ``0x`` prefixes are optional; ``#`` starts a comment that
    runs to the end of the line.

    Raises
    ------
    UserError
        On a character that is not hex, or an odd number of digits in a run.
    """
    out = bytearray()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0]
        for token in re.split(r"[\s,:;]+", line):
            if not token:
                continue
            match = _HEX_TOKEN.fullmatch(token)
            if match is None:
                if not token.isprintable() or not token.isascii():
                    raise UserError(
                        f"{name}: line {number}: not hex text (a binary capture? leave out --hex)"
                    )
                raise UserError(f"{name}: line {number}: not hex: {token[:20]!r}")
            digits = match[1]
            if len(digits) % 2:
                raise UserError(f"{name}: line {number}: odd number of hex digits in {token!r}")
            out += bytes.fromhex(digits)
    return bytes(out)


# ---------------------------------------------------------------------- live port


def _read_port(
    spec: Any,
    args: argparse.Namespace,
    duration: float,
    parser: Any,
    printer: ReadingPrinter,
    sample: bytearray,
) -> None:
    """Read ``args.port`` for ``duration`` real seconds through the core's source factory.

    The driver a session would use talks to the device (start, keep-alive and stop commands;
    the SunTech exchange: one measurement, cuff pressure meanwhile, then the result); the
    bytes it reads are also decoded here, frame by frame, and printed.
    """
    import queue

    from sessionmon.clock import SystemClock
    from sessionmon.devices.factory import device_config, start_checked

    overrides = {"baud": args.baud, "parity": _parity(args.parity)}
    config = device_config(
        spec.name, args.port, **{k: v for k, v in overrides.items() if v is not None}
    )
    chunks: queue.SimpleQueue[bytes] = queue.SimpleQueue()
    nibp = spec.name == "suntech"
    options: dict[str, Any] = {"idle_poll_s": None} if nibp else {}
    clock = SystemClock()
    tap = chunks.put
    if spec.name == "intellivue" and args.port.lower().startswith("udp:"):
        from sessionmon.devices.protocols.intellivue_frame import frame

        def tap(datagram: bytes) -> None:  # one datagram is one message: frame it to decode
            chunks.put(frame(datagram))

    source = start_checked(config, clock, tap=tap, **options)
    settings = source.link.settings.describe()
    print(f"reading {args.port} at {settings} for {duration:g} s", file=sys.stderr)
    watch = _PortWatch(source, args.port, nibp)
    try:
        if nibp:
            source.request_measurement()
        start = clock.monotonic()
        while clock.monotonic() - start < duration and not watch.finished:
            try:
                data = chunks.get(timeout=0.05)
            except queue.Empty:
                data = b""
            if data:
                _keep_sample(sample, data)
                watch.printed(_print_chunk(spec, parser, printer, data))
            watch.check()
        if nibp and not watch.finished:
            watch.abort()
    finally:
        source.stop()
        while not chunks.empty():
            data = chunks.get()
            _keep_sample(sample, data)
            _print_chunk(spec, parser, printer, data)


def _print_chunk(spec: Any, parser: Any, printer: ReadingPrinter, data: bytes) -> list[Any]:
    """Decode and print one chunk; return the SunTech replies it held (else ``[]``)."""
    if spec.name != "suntech":
        printer.print_frames(parser.feed_frames(data))
        return []
    from sessionmon.devices.protocols import suntech

    replies = parser.feed_replies(data)
    printer.print_frames(suntech.decoded_of(reply) for reply in replies)
    return replies


class _PortWatch:
    """Follows the driver: a lost port ends the read; a SunTech result or failure ends it too."""

    def __init__(self, source: Any, port: str, nibp: bool) -> None:
        self._source = source
        self._port = port
        self._nibp = nibp
        self.finished = False

    def printed(self, replies: list[Any]) -> None:
        from sessionmon.devices.protocols import suntech

        if any(isinstance(r, suntech.BpResult) for r in replies):
            self.finished = True

    def check(self) -> None:
        from sessionmon.devices.source import ConditionChange, LinkState, LinkStateChange

        for output in self._source.poll():
            item = output.item
            if isinstance(item, LinkStateChange) and item.new is LinkState.RECONNECTING:
                raise UserError(f"lost {self._port}: {item.detail}")
            if (
                self._nibp
                and isinstance(item, ConditionChange)
                and item.active
                and item.condition.value == "nibp_failed"
            ):
                print(f"measurement failed: {item.detail}", file=sys.stderr)
                self.finished = True

    def abort(self) -> None:
        """Abort the measurement still running and wait (briefly) for the abort to go out."""
        import threading

        source = self._source
        source.abort()
        pause = threading.Event()
        for _ in range(100):
            if source.phase.value not in ("measuring", "reading"):
                break
            pause.wait(0.01)
        print("measurement not finished: sent abort", file=sys.stderr)


# ---------------------------------------------------------------------- output


class ReadingPrinter:
    """Prints decoded frames as JSON Lines; conditions only when they start.

    A flag condition (finger out, artifact...) starts when a frame has it and none of the
    previous ``hold_frames`` frames did (1: the previous frame; Nonin #2/#7 carry some flags in
    one frame of each 25-frame packet). An ``invalid_value`` condition starts when a value of
    its kind turns invalid after a valid one (or first), since values do not come in every
    frame.
    """

    def __init__(self, out: IO[str], hold_frames: int = 1) -> None:
        self._out = out
        self._hold = max(1, hold_frames)
        self._last_seen: dict[tuple[str, str], int] = {}
        self._frame = 0
        self._invalid: set[str] = set()
        self._line_of: dict[int, str] = {}
        self._held: list[Any] = []  # keeps the objects whose ids key _line_of alive
        self.lines = 0

    def print_frames(self, frames: Iterable[Iterable[Any]]) -> None:
        """Print every frame's readings and newly started conditions."""
        from sessionmon.devices.readings import Condition, TechnicalCondition

        if not isinstance(frames, list):
            frames = list(frames)
        if not self._invalid:
            # the usual case: readings printed before, no condition and no invalid kind to
            # clear, so each item's line is found by identity, all at once
            known = list(map(self._line_of.get, map(id, chain.from_iterable(frames))))
            if None not in known:
                self._frame += len(frames)
                self.lines += len(known)
                self._out.write("".join(known))
                self._out.flush()
                return
        lines: list[str] = []
        write = lines.append
        line_of = self._line_of
        invalid = self._invalid
        for frame in frames:
            self._frame += 1
            for item in frame:
                line = line_of.get(id(item))
                if line is not None:  # a reading printed before (conditions are not kept)
                    if invalid:
                        invalid.discard(item.kind.value)
                    write(line)
                    continue
                if isinstance(item, Condition):
                    if item.name is TechnicalCondition.INVALID_VALUE:
                        if item.detail in self._invalid:
                            continue
                        self._invalid.add(item.detail)
                    else:
                        key = (item.name.value, item.detail)
                        last = self._last_seen.get(key)
                        self._last_seen[key] = self._frame
                        if last is not None and self._frame - last <= self._hold:
                            continue
                elif self._invalid:
                    self._invalid.discard(item.kind.value)
                write(self._line(item))
        self.lines += len(lines)
        self._out.write("".join(lines))
        self._out.flush()

    def _line(self, item: Any) -> str:
        """Return the JSON line of ``item``; a reading's is kept while the reading is (bounded).

        Parsers share their readings (a capture repeats few of them), so the line is found
        again by the object's identity; the object is held with it, so that identity cannot
        pass to another object. Conditions are not kept: whether one prints depends on the
        frames before it.
        """
        from sessionmon.devices.readings import Condition

        if isinstance(item, Condition):
            return json.dumps(condition_json(item)) + "\n"
        line = json.dumps(reading_json(item)) + "\n"
        if len(self._line_of) >= _LINES_KEPT:
            self._line_of.clear()
            self._held.clear()
        self._line_of[id(item)] = line
        self._held.append(item)
        return line


#: JSON lines kept per reading or condition object.
_LINES_KEPT = 1 << 16


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def reading_json(reading: Any) -> dict[str, Any]:
    """Return the JSON object of one reading."""
    obj: dict[str, Any] = {
        "kind": reading.kind.value,
        "value": _number(reading.value),
        "unit": reading.unit,
    }
    flags = list(reading.flags)
    clock = [f for f in flags if f.startswith("device_clock=")]
    if reading.device_time is not None:
        obj["device_time"] = reading.device_time.replace(tzinfo=None).isoformat()
    elif clock:
        obj["device_time"] = clock[0].split("=", 1)[1]
    flags = [f for f in flags if not f.startswith("device_clock=")]
    if flags:
        obj["flags"] = flags
    return obj


def condition_json(condition: Any) -> dict[str, Any]:
    """Return the JSON object of one condition."""
    obj: dict[str, Any] = {"kind": "condition", "value": condition.name.value}
    if condition.detail:
        obj["detail"] = condition.detail
    return obj
