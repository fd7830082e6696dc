"""SunTech Medical Advantage OEM NIBP module: command / response, 9600 8-N-1.

Host frame ``':' (0x3A) CMD [DATA...] CHK`` and module frame ``'>' (0x3E) LEN DATA... CHK``
(LEN counts every byte including ``>`` and CHK); both use ``CHK = (0x100 - sum(preceding)) &
0xFF``, so a whole frame sums to 0 modulo 256.

Module replies, told apart by length:

- ``3E 04 c CHK``: acknowledge, ``c`` = ``O`` received, ``K`` done, ``A`` aborted, ``B`` busy,
  other letters are errors;
- ``3E 05 lo hi CHK``: cuff pressure in mmHg (16-bit little endian);
- ``3E 18 ...`` (24 bytes): BP data: systolic, diastolic (16-bit LE), beats, BP status, 8 test
  codes, heart rate, spare, MAP (16-bit LE), error code, 2 spare, CHK.

:class:`SuntechReplyParser` yields typed replies (:meth:`~SuntechReplyParser.feed_replies`) for
the driver, or readings and conditions (:meth:`~SuntechReplyParser.feed`) like every parser.
:class:`SuntechModuleEmulator` answers host commands byte-exactly, for the simulator and tests.
The reply types and their decoding live in :mod:`.suntech_replies` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from sessionmon.devices.protocols.base import FrameParser, clamp_int
from sessionmon.devices.protocols.fast_runs import LazyTable, good_run
from sessionmon.devices.protocols.suntech_replies import ACK_LEN as ACK_LEN
from sessionmon.devices.protocols.suntech_replies import ACK_MEANINGS as ACK_MEANINGS
from sessionmon.devices.protocols.suntech_replies import BP_DATA_LEN as BP_DATA_LEN
from sessionmon.devices.protocols.suntech_replies import CUFF_LEN as CUFF_LEN
from sessionmon.devices.protocols.suntech_replies import ERROR_CODES as ERROR_CODES
from sessionmon.devices.protocols.suntech_replies import MODULE_SOF as MODULE_SOF
from sessionmon.devices.protocols.suntech_replies import Ack as Ack
from sessionmon.devices.protocols.suntech_replies import BpResult as BpResult
from sessionmon.devices.protocols.suntech_replies import CuffPressure as CuffPressure
from sessionmon.devices.protocols.suntech_replies import Reply as Reply
from sessionmon.devices.protocols.suntech_replies import UnknownReply as UnknownReply
from sessionmon.devices.protocols.suntech_replies import decode_reply as decode_reply
from sessionmon.devices.protocols.suntech_replies import decoded_of as decoded_of
from sessionmon.devices.protocols.suntech_replies import error_text as error_text
from sessionmon.devices.readings import Decoded, Reading

HOST_SOF = 0x3A  # ':'
CMD_START_ADULT = 0x20
CMD_DATA = 0x79
SUB_ABORT = 0x01
SUB_BP_DATA = 0x03
SUB_CUFF_PRESSURE = 0x05
#: Reply lengths the parser accepts. A LEN byte outside this set means we are not on a frame:
#: a wider set would let a stray ``>`` stall the parser while it waits for bytes that a
#: command/response device only sends when asked.
REPLY_LENGTHS = frozenset((ACK_LEN, CUFF_LEN, BP_DATA_LEN))


def checksum(body: Iterable[int]) -> int:
    """Return ``(0x100 - sum(body)) & 0xFF``."""
    return (0x100 - sum(body)) & 0xFF


# ---------------------------------------------------------------------- host commands


def host_frame(cmd: int, data: Sequence[int] = ()) -> bytes:
    """Return a host frame ``3A CMD DATA... CHK``."""
    body = (HOST_SOF, cmd, *data)
    return bytes((*body, checksum(body)))


def start_adult() -> bytes:
    """Return the start-adult-measurement command ``3A 20 A6``."""
    return host_frame(CMD_START_ADULT)


def get_cuff_pressure() -> bytes:
    """Return the get-cuff-pressure command ``3A 79 05 00 48``."""
    return host_frame(CMD_DATA, (SUB_CUFF_PRESSURE, 0x00))


def get_bp_data() -> bytes:
    """Return the get-BP-data command ``3A 79 03 00 4A``."""
    return host_frame(CMD_DATA, (SUB_BP_DATA, 0x00))


def abort() -> bytes:
    """Return the abort command ``3A 79 01 00 4C`` (deflates the cuff)."""
    return host_frame(CMD_DATA, (SUB_ABORT, 0x00))


class SuntechReplyParser(FrameParser):
    """Incremental parser of module frames: resyncs on ``>`` with a known LEN and checksum.

    Parameters
    ----------
    reply_lengths : frozenset of int
        LEN values taken as frames (default: acknowledge, cuff pressure, BP data). Add a length
        to receive replies of other commands as :class:`UnknownReply`.
    """

    def __init__(self, reply_lengths: frozenset[int] = REPLY_LENGTHS) -> None:
        super().__init__()
        self._lengths = reply_lengths
        self._replies: list[Reply] = []

    def feed_replies(self, data: bytes) -> list[Reply]:
        """Decode ``data`` and return the typed replies it completed, in order."""
        self.feed_frames(data)
        replies, self._replies = self._replies, []
        return replies

    def feed_frames(self, data: bytes) -> list[list[Decoded]]:
        """Decode ``data``; one list of readings / conditions per reply (see ``FrameParser``)."""
        self._replies = []
        return super().feed_frames(data)

    def _scan(self, frames: list[list[Decoded]]) -> int:
        buf = self._buf
        n = len(buf)
        pos = 0
        lengths = self._lengths
        known = _KNOWN_FRAMES
        replies = self._replies
        stats = self.stats
        cuff_runs = CUFF_LEN in lengths
        while True:
            if (
                cuff_runs
                and self._base + pos == self._expected
                and buf[pos : pos + 2] == _CUFF_HEAD
                and buf[pos + CUFF_LEN : pos + CUFF_LEN + 2] == _CUFF_HEAD
            ):
                pos = self._cuff_run(frames, pos)  # in step: a run of cuff replies at once
            start = buf.find(MODULE_SOF, pos)
            if start < 0:
                return n
            if start + 2 > n:
                return start
            length = buf[start + 1]
            if length not in lengths:
                pos = start + 1
                continue
            end = start + length
            if end > n:
                return start
            raw = bytes(buf[start:end])
            said = known.get(raw)
            if said is None:
                said = _judge(raw)
                if len(known) >= _KNOWN_MAX:
                    known.clear()
                known[raw] = said
            if said is _BAD_CHECKSUM:
                self._checksum_failed(start, end)
                pos = start + 1
                continue
            reply, items = said
            if self._base + start != self._expected:  # as _accept: a frame out of place
                stats.resyncs += 1
            self._expected = self._base + end
            stats.frames += 1
            if type(reply) is UnknownReply:
                self._count("unknown_replies")
            replies.append(reply)
            frames.append(list(items))
            pos = end

    def _cuff_run(self, frames: list[list[Decoded]], pos: int) -> int:
        """Decode the run of cuff-pressure replies at ``pos`` of a stream in step; its end.

        While the cuff inflates and deflates the driver polls its pressure again and again:
        consecutive 5-byte replies, checked in one numpy pass (start byte, LEN, checksum) and
        looked up by pressure. What the frame-by-frame search gives there (see
        :mod:`.fast_runs`).
        """
        ahead = good_run(self._buf, pos, CUFF_LEN, _good_cuff)
        if ahead is None:
            return pos
        run = len(ahead)
        end = pos + run * CUFF_LEN
        self.stats.frames += run
        self._expected = self._base + end
        pressures = ahead[:, 2] | (ahead[:, 3].astype(np.intp) << 8)
        self._replies += _CUFF_REPLIES.take(pressures)
        frames += [[item] for item in _CUFF_ITEMS.take(pressures)]
        return end


def _good_cuff(frames: np.ndarray) -> np.ndarray:
    """Which frames of a (k, 5) array are cuff-pressure replies (``>``, LEN 5, checksum)."""
    good = (frames[:, 0] == MODULE_SOF) & (frames[:, 1] == CUFF_LEN)
    return good & ((frames.sum(axis=1, dtype=np.uint32) & 0xFF) == 0)


def _cuff_item(mmhg: int) -> Decoded:
    """The one item a cuff-pressure reply stands for (see :func:`decoded_of`)."""
    (item,) = decoded_of(CuffPressure(mmhg))
    return item


#: How a cuff-pressure reply starts (``>``, LEN 5).
_CUFF_HEAD = bytes((MODULE_SOF, CUFF_LEN))
#: Cuff-pressure replies and their items by pressure, made on first use.
_CUFF_REPLIES = LazyTable(1 << 16, CuffPressure)
_CUFF_ITEMS = LazyTable(1 << 16, _cuff_item)


def _judge(raw: bytes) -> tuple[Reply, tuple[Decoded, ...]] | object:
    """A complete module frame's reply and items, or :data:`_BAD_CHECKSUM`."""
    if sum(raw) & 0xFF:
        return _BAD_CHECKSUM
    reply = decode_reply(raw)
    return reply, tuple(decoded_of(reply))


#: What a module frame said, by its bytes (replies and readings are immutable; the decoding
#: and the plausibility rule are pure): a cuff-pressure poll repeats a few hundred frames.
#: Cleared when full.
_KNOWN_MAX = 4096
_KNOWN_FRAMES: dict[bytes, Any] = {}
_BAD_CHECKSUM = object()


# ---------------------------------------------------------------------- module side


def module_frame(data: Sequence[int]) -> bytes:
    """Return a module frame ``3E LEN DATA... CHK``."""
    body = (MODULE_SOF, len(data) + 3, *data)
    return bytes((*body, checksum(body)))


def ack_frame(code: str) -> bytes:
    """Return the acknowledge frame for ``code`` (e.g. ``"O"``)."""
    return module_frame((ord(code),))


def cuff_pressure_frame(mmhg: float) -> bytes:
    """Return the cuff-pressure reply, e.g. ``3E 05 02 01 BA`` for 258 mmHg."""
    value = clamp_int(mmhg, 0, 0xFFFF)
    return module_frame((value & 0xFF, value >> 8))


def bp_data_frame(result: BpResult) -> bytes:
    """Return the 24-byte BP data reply for ``result``."""
    sys_, dia, map_ = (
        clamp_int(v, 0, 0xFFFF) for v in (result.systolic, result.diastolic, result.map)
    )
    data = (
        sys_ & 0xFF,
        sys_ >> 8,
        dia & 0xFF,
        dia >> 8,
        result.beats & 0xFF,
        result.status & 0xFF,
        *result.test_codes[:8].ljust(8, b"\x00"),
        clamp_int(result.hr, 0, 255),
        0,
        map_ & 0xFF,
        map_ >> 8,
        result.error_code & 0xFF,
        0,
        0,
    )
    return module_frame(data)


class SuntechModuleEmulator:
    """A byte-exact stand-in for the module: feed it host bytes, send back what it returns.

    The caller drives the measurement (the emulator has no clock): :meth:`set_cuff_pressure`
    while inflating / deflating, then :meth:`finish` or :meth:`fail`.

    Behaviour: start while idle -> ``O`` and measuring; start while measuring -> ``B``;
    cuff pressure -> the current pressure; BP data while measuring -> ``B``, else the last
    result (all zeros before the first); abort -> ``A``, deflated, result error 56 (user abort)
    if a measurement was running; an unknown but well-formed command -> ``E`` (an error ack);
    a frame with a bad checksum is ignored (counted in ``checksum_errors``).

    Attributes
    ----------
    measuring : bool
        Whether a measurement is running.
    cuff_pressure : int
        Current cuff pressure, mmHg.
    result : BpResult or None
        Last result.
    commands : list of bytes
        Every well-formed host frame received, in order.
    checksum_errors : int
        Host frames dropped for a bad checksum.
    """

    def __init__(self) -> None:
        self.measuring = False
        self.cuff_pressure = 0
        self.result: BpResult | None = None
        self.commands: list[bytes] = []
        self.checksum_errors = 0
        self._buf = bytearray()

    def feed(self, data: bytes) -> bytes:
        """Take host bytes; return the module's replies to the complete commands in them."""
        self._buf += data
        out = bytearray()
        buf = self._buf
        while True:
            start = buf.find(HOST_SOF)
            if start < 0:
                buf.clear()
                break
            del buf[:start]
            if len(buf) < 2:
                break
            length = _host_length(buf)
            if length is None:
                if len(buf) < 5:
                    break
                del buf[:1]  # not a command we can frame
                self.checksum_errors += 1
                continue
            if len(buf) < length:
                break
            frame = bytes(buf[:length])
            del buf[:length]
            if sum(frame) & 0xFF:
                self.checksum_errors += 1
                continue
            self.commands.append(frame)
            out += self._answer(frame)
        return bytes(out)

    def set_cuff_pressure(self, mmhg: float) -> None:
        """Set the pressure reported by the next cuff-pressure reply."""
        self.cuff_pressure = clamp_int(mmhg, 0, 0xFFFF)

    def finish(self, systolic: int, diastolic: int, map: int | None = None, hr: int = 0) -> bytes:
        """End the measurement with a result; return the unsolicited ``K`` (done) frame.

        ``map`` defaults to ``dia + (sys - dia) / 3``.
        """
        if map is None:
            map = round(diastolic + (systolic - diastolic) / 3)
        self.result = BpResult(systolic, diastolic, map, hr, beats=max(hr // 6, 1))
        self.measuring = False
        self.cuff_pressure = 0
        return ack_frame("K")

    def fail(self, error_code: int) -> bytes:
        """End the measurement with an error code (e.g. 0x57); return the ``K`` frame."""
        self.result = BpResult(0, 0, 0, 0, error_code=error_code)
        self.measuring = False
        self.cuff_pressure = 0
        return ack_frame("K")

    def _answer(self, frame: bytes) -> bytes:
        cmd = frame[1]
        if cmd == CMD_START_ADULT:
            if self.measuring:
                return ack_frame("B")
            self.measuring = True
            self.cuff_pressure = 0
            return ack_frame("O")
        if cmd == CMD_DATA:
            sub = frame[2]
            if sub == SUB_CUFF_PRESSURE:
                return cuff_pressure_frame(self.cuff_pressure)
            if sub == SUB_BP_DATA:
                if self.measuring:
                    return ack_frame("B")
                return bp_data_frame(self.result or BpResult(0, 0, 0, 0))
            if sub == SUB_ABORT:
                if self.measuring:
                    self.result = BpResult(0, 0, 0, 0, error_code=0x56)
                self.measuring = False
                self.cuff_pressure = 0
                return ack_frame("A")
        return ack_frame("E")


def _host_length(buf: bytearray) -> int | None:
    """Return the length of the host frame at the start of ``buf`` (``None``: cannot tell)."""
    cmd = buf[1]
    if cmd == CMD_START_ADULT:
        return 3
    if cmd == CMD_DATA:
        return 5
    for length in (3, 4, 5):  # other commands: the shortest length whose checksum holds
        if len(buf) >= length and not sum(buf[:length]) & 0xFF:
            return length
    return None


# ---------------------------------------------------------------------- sanity of readings


def readings_of(result: BpResult) -> list[Reading]:
    """Return only the readings of a successful result (empty for a failed one)."""
    return [item for item in decoded_of(result) if isinstance(item, Reading)]
