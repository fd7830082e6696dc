"""Shared machinery of the protocol parsers: buffering, frame accounting, value checks.

Every parser in this package is pure and incremental: :meth:`FrameParser.feed` takes whatever
bytes arrived, keeps any partial frame for the next call and returns what the complete frames
said. The output never depends on how the byte stream was split into calls.

Counting rules shared by all parsers (kept in :class:`~sessionmon.devices.readings.ParserStats`):

- ``frames``: frames (packets, lines, replies) decoded.
- ``resyncs``: a frame was found somewhere other than right after the previous one, i.e. bytes
  had to be skipped to regain framing (garbage at the very start counts once).
- ``checksum_errors``: a frame stood where the next frame was expected, had the right shape, but
  failed its checksum. It is dropped; the parser looks for the next good frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import chain
from typing import Any, Protocol, runtime_checkable

from sessionmon.devices.protocols.encoding import OximeterValues
from sessionmon.devices.protocols.value_gates import RowGate as RowGate  # re-exported
from sessionmon.devices.protocols.value_gates import ValueGate as ValueGate  # re-exported
from sessionmon.devices.readings import (
    Condition,
    Decoded,
    ParserStats,
    Reading,
    TechnicalCondition,
)
from sessionmon.devices.source import DeviceRole
from sessionmon.model import Kind

TC = TechnicalCondition


@runtime_checkable
class Parser(Protocol):
    """An incremental, pure protocol parser."""

    stats: ParserStats

    def feed(self, data: bytes) -> list[Decoded]:
        """Decode ``data``; keep any partial frame for the next call."""
        ...


class FrameParser:
    """Base of the parsers: a byte buffer, absolute offsets and per-frame output.

    Subclasses implement :meth:`_scan`, which decodes the complete frames in ``self._buf``,
    appends one list of items per frame to ``frames`` and returns how many leading bytes of the
    buffer are finished with (decoded or skipped). They call :meth:`_accept` for every good
    frame and :meth:`_checksum_failed` for a frame that failed its checksum.

    Attributes
    ----------
    stats : ParserStats
        Counters: frames, checksum errors, resyncs, bytes in and protocol extras.
    """

    def __init__(self) -> None:
        self.stats = ParserStats()
        self._buf = bytearray()
        self._base = 0  # absolute stream offset of self._buf[0]
        self._expected = 0  # absolute offset where the next frame should start

    def feed(self, data: bytes) -> list[Decoded]:
        """Decode ``data`` and return the readings and conditions it completed, in order.

        Parameters
        ----------
        data : bytes
            Bytes as they came from the device (any split).

        Returns
        -------
        list of Reading or Condition
            Pleth samples are one :class:`Reading` each; invalid sentinels and device flags are
            :class:`Condition` objects.
        """
        return list(chain.from_iterable(self.feed_frames(data)))

    def feed_frames(self, data: bytes) -> list[list[Decoded]]:
        """Like :meth:`feed` but grouped by frame: one (possibly empty) list per decoded frame.

        A per-frame flag (finger out, artifact...) is absent from a frame's list when the frame
        did not set it, which is how a caller notices that a condition ended.
        """
        self.stats.bytes_in += len(data)
        self._buf += data
        frames: list[list[Decoded]] = []
        consumed = self._scan(frames)
        if consumed:
            del self._buf[:consumed]
            self._base += consumed
        return frames

    def restart(self) -> None:
        """Start afresh on a new connection: drop a partial frame and the value filters.

        The counters in :attr:`stats` are kept. After a re-plug the first complete frame gives
        its values at once instead of waiting for a value filter (:class:`ValueGate`) that still
        remembers the values from before the cable was pulled.
        """
        self._base += len(self._buf)
        self._buf.clear()
        self._expected = self._base
        self._restart_filters()

    # ------------------------------------------------------------------ for subclasses

    def _restart_filters(self) -> None:
        """Forget value filters and frame-run state (override where a parser keeps some)."""

    def _scan(self, frames: list[list[Decoded]]) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def _accept(self, start: int, end: int) -> bool:
        """Record a good frame at buffer positions ``start:end``; return whether it was in place.

        A frame not where the previous one ended means bytes were skipped: a resync.
        """
        in_place = self._base + start == self._expected
        if not in_place:
            self.stats.resyncs += 1
        self._expected = self._base + end
        self.stats.frames += 1
        return in_place

    def _checksum_failed(self, start: int, end: int) -> bool:
        """Record a checksum failure at ``start:end`` if a frame was expected there.

        Returns whether it was counted (a failure where no frame was expected is just noise
        met while searching for the sync marker).
        """
        if self._base + start != self._expected:
            return False
        self.stats.checksum_errors += 1
        self._expected = self._base + end  # assume in-place corruption: next frame follows
        return True

    def _count(self, name: str, n: int = 1) -> None:
        extra = self.stats.extra
        extra[name] = extra.get(name, 0) + n


# ---------------------------------------------------------------------- value helpers


def value_or_invalid(
    kind: Kind,
    value: float | None,
    device_time: datetime | None = None,
    flags: tuple[str, ...] = (),
) -> Decoded:
    """Return a :class:`Reading`, or ``INVALID_VALUE`` if ``value`` is missing or out of range.

    Parameters
    ----------
    kind : Kind
        What the value measures.
    value : float or None
        ``None`` when the device sent its "no value" sentinel.
    device_time, flags
        Passed to :meth:`Reading.of`.
    """
    if value is not None:
        reading = Reading.of(kind, value, device_time, flags)
        if reading is not None:
            return reading
    return Condition(TC.INVALID_VALUE, detail=kind.value)


class ResyncGuard:
    """Holds frames of a checksum-less protocol after a resync until a run of them agrees.

    Without a checksum any byte pattern that looks like a frame decodes, so random noise (a wrong
    baud rate, a loose connector) turns into plausible readings. After a resync (a frame that
    did not start where the previous one ended, or the first frame of a connection) frames are
    held back until ``run`` consecutive frames have arrived in place, each agreeing with the one
    before (``agree``); then all of the held frames are released, in order. A frame out of place
    or disagreeing starts a new run; frames of an abandoned run are dropped and counted in
    ``stats.extra["unconfirmed_frames"]``. Once confirmed, frames pass until the next resync.

    The guard holds raw frames; the parser decodes only what it releases, so value filters
    never see a frame that turns out to be noise.

    Parameters
    ----------
    run : int
        Consecutive agreeing frames that confirm framing (1: no holding).
    agree : callable
        ``agree(previous_key, key)``: whether two consecutive frames' keys are consistent.
    stats : ParserStats
        Where abandoned frames are counted.
    """

    def __init__(self, run: int, agree: Callable[[Any, Any], bool], stats: ParserStats) -> None:
        self.run = max(1, run)
        self._agree = agree
        self._stats = stats
        self._confirmed = False
        self._held: list[tuple[Any, bytes]] = []

    @property
    def confirmed(self) -> bool:
        """Whether frames pass now (framing confirmed since the last resync)."""
        return self._confirmed

    def reset(self) -> None:
        """Forget the framing: the next frame starts a new run (a new connection)."""
        self._drop()
        self._confirmed = False

    def frame(self, in_place: bool, key: Any, raw: bytes) -> list[bytes]:
        """Take one frame's raw bytes; return the raw frames released by it (oldest first)."""
        if not in_place:
            self.reset()
        if self._confirmed:
            return [raw]
        if self._held and not self._agree(self._held[-1][0], key):
            self._drop()
        self._held.append((key, raw))
        if len(self._held) < self.run:
            return []
        self._confirmed = True
        released = [held for _, held in self._held]
        self._held = []
        return released

    def _drop(self) -> None:
        if self._held:
            extra = self._stats.extra
            extra["unconfirmed_frames"] = extra.get("unconfirmed_frames", 0) + len(self._held)
            self._held = []


def conditions_of(flags: Sequence[tuple[bool, TechnicalCondition, str]]) -> list[Condition]:
    """Return one :class:`Condition` per condition name whose flag is set (first detail wins)."""
    seen: dict[TechnicalCondition, str] = {}
    for is_set, name, detail in flags:
        if is_set and name not in seen:
            seen[name] = detail
    return [Condition(name, detail) for name, detail in seen.items()]


# ---------------------------------------------------------------------- registry types


def parity_letter(value: str) -> str:
    """Return pyserial's parity letter for ``"none"``/``"even"``/``"odd"`` or a letter (any case).

    Anything else comes back upper-cased, for the caller to reject.
    """
    return {"NONE": "N", "EVEN": "E", "ODD": "O"}.get(value.upper(), value.upper())


@dataclass(frozen=True, slots=True)
class PortSettings:
    """How to open a device's serial port: the registry's defaults, consumed by the link layer.

    The one definition: :class:`~sessionmon.devices.link.SerialLink` opens ports with it,
    device profiles override it per installation and ``decode --port`` reads with it.

    Attributes
    ----------
    baud : int
        Bits per second.
    parity : str
        ``"N"``, ``"E"``, ``"O"``, ``"M"`` or ``"S"`` (pyserial's letters).
    bytesize : int
        Data bits, 5-8.
    stopbits : float
        1, 1.5 or 2.
    xonxoff, rtscts : bool
        Software / hardware flow control.
    """

    baud: int = 9600
    parity: str = "N"
    bytesize: int = 8
    stopbits: float = 1
    xonxoff: bool = False
    rtscts: bool = False

    def with_changes(self, **changes: Any) -> PortSettings:
        """Return a copy with ``changes`` applied (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def serial_kwargs(self) -> dict[str, Any]:
        """Return keyword arguments for :class:`serial.Serial`."""
        return {
            "baudrate": self.baud,
            "parity": self.parity,
            "bytesize": self.bytesize,
            "stopbits": self.stopbits,
            "xonxoff": self.xonxoff,
            "rtscts": self.rtscts,
        }

    def describe(self) -> str:
        """Return the usual short form, e.g. ``"9600 8-N-1"``."""
        stop = int(self.stopbits) if float(self.stopbits).is_integer() else self.stopbits
        flow = " xon/xoff" if self.xonxoff else ""
        flow += " rts/cts" if self.rtscts else ""
        return f"{self.baud} {self.bytesize}-{self.parity}-{stop}{flow}"


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    """One supported device protocol: how to open its port, parse it and imitate it.

    Attributes
    ----------
    name : str
        CLI name, e.g. ``"cms50-v7"``.
    description : str
        One line for humans.
    role : DeviceRole
        Oximeter or NIBP.
    port_settings : PortSettings
        Defaults from the reference; override per installation.
    parser_factory : callable
        Returns a fresh parser (also available as :meth:`make_parser`).
    encoder_factory : callable
        Returns a fresh wire encoder for the simulator (:meth:`make_encoder`).
    pleth_rate_hz : float or None
        Nominal pleth samples per second (``None``: no pleth in this protocol).
    pleth_max : int or None
        Full scale of the protocol's pleth samples (encoders take samples in 0..pleth_max).
    frame_rate_hz : float
        Nominal frames per second the device sends (NIBP: 0, it only answers).
    start_command, stop_command, keepalive_command : bytes
        What the host sends after opening / before closing / periodically (empty: nothing).
    keepalive_s : float or None
        Keep-alive period.
    numerics_every_default : int or None
        How the parser thins numerics repeated in every frame: an unchanged value is emitted
        once every this many frames (about once a second), changes always. ``None``: the
        protocol sends each value once and every one is emitted.
    flag_hold_frames : int
        Frames a flag condition may be absent before it counts as ended (25 for Nonin #2/#7,
        whose low-battery flag is in one frame of each packet; 3 for the 60 frames/s CMS50
        streams; 1 elsewhere). The link layer and ``decode`` both use it.
    alternative_settings : tuple of PortSettings
        Other settings units of this family are reported to use.
    roles : tuple of DeviceRole
        Every role one device fills when it is more than ``role`` (a multiparameter monitor:
        oximeter, NIBP and respiration); empty for single-role devices.
    """

    name: str
    description: str
    role: DeviceRole
    port_settings: PortSettings
    parser_factory: Callable[[], FrameParser]
    encoder_factory: Callable[[], Any]
    pleth_rate_hz: float | None = None
    pleth_max: int | None = None
    frame_rate_hz: float = 1.0
    start_command: bytes = b""
    stop_command: bytes = b""
    keepalive_command: bytes = b""
    keepalive_s: float | None = None
    numerics_every_default: int | None = None
    flag_hold_frames: int = 1
    alternative_settings: tuple[PortSettings, ...] = field(default=())
    roles: tuple[DeviceRole, ...] = field(default=())

    @property
    def all_roles(self) -> tuple[DeviceRole, ...]:
        """Every role one device of this protocol fills (a monitor: several)."""
        return self.roles or (self.role,)

    def make_parser(self, numerics_every: int | None = None) -> FrameParser:
        """Return a fresh parser.

        Parameters
        ----------
        numerics_every : int, optional
            For streams that repeat HR / SpO2 in every frame (``numerics_every_default`` is
            set): emit an unchanged value once every this many frames; 1 emits every frame.
            Ignored by protocols that send each value once.
        """
        if numerics_every is not None and self.numerics_every_default is not None:
            return self.parser_factory(numerics_every=numerics_every)  # type: ignore[call-arg]
        return self.parser_factory()

    def make_encoder(self) -> Any:
        """Return a fresh wire encoder (:class:`OximeterEncoder` or the SunTech emulator)."""
        return self.encoder_factory()


class OximeterEncoder(Protocol):
    """Turns values into the exact bytes an oximeter of one protocol sends (for the simulator).

    ``encode`` takes the values of one stretch of time, one
    :class:`~sessionmon.devices.protocols.encoding.OximeterValues` (``frames_for`` takes its
    fields as arguments). Pleth-streaming protocols
    (CMS50, Nonin #2/#7) send one frame per pleth sample, every frame carrying the given
    numerics (or, for Nonin, the packet slot they fall into; the encoder remembers its place in
    the packet between calls); with no samples they send nothing. Once-a-second protocols
    (Nonin #8, ASCII, Masimo) send one record per call and ignore ``pleth_samples``.
    ``None`` for hr / spo2 / pi sends the device's "no value" sentinel. Flags a protocol cannot
    express are ignored.
    """

    def encode(self, values: OximeterValues) -> bytes:
        """Return the wire bytes for ``values``."""
        ...

    def frames_for(self, *args: Any, **kwargs: Any) -> bytes:
        """Return the wire bytes for ``OximeterValues(*args, **kwargs)``."""
        ...


def clamp_int(value: float, low: int, high: int) -> int:
    """Round ``value`` and clamp it into ``low..high``."""
    return max(low, min(high, round(value)))
