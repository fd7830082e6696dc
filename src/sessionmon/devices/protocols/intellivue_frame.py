"""IntelliVue MIB/RS232 fixed-baud framing: BOF/EOF, transparency and the FCS.

A frame on the wire is ``BOF (C0) | header | user data | FCS | EOF (C1)``. The 4-byte header is
the protocol id ``0x11``, the message type ``0x01`` (Data Export) and the user data length
(16-bit, big endian). The FCS is the PPP frame check sequence (RFC 1662 FCS-16: CRC-16/X.25,
initial value FFFF, ones' complement sent low byte first) over header and user data. Between BOF
and EOF, a byte equal to BOF, EOF or ESC (7D) is sent as ``7D`` followed by the byte XOR 0x20
(transparency); ``7D C1`` aborts the frame. The serial port runs at 115200 8-N-1.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass, field

BOF = 0xC0
EOF = 0xC1
ESC = 0x7D
XOR = 0x20
PROTOCOL_ID = 0x11
MSG_TYPE_DATA_EXPORT = 0x01
HEADER_LEN = 4
FCS_LEN = 2
#: Longest user data a frame may carry (the guide's maximum receive size is well below).
MAX_USER_DATA = 8192


def _fcs_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _fcs_table()


def fcs16_by_table(data: bytes | bytearray, crc: int = 0xFFFF) -> int:
    """The FCS-16 computed byte by byte with RFC 1662's table (the reference of :func:`fcs16`)."""
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


#: Every byte with its bits in reverse order.
_REVERSED = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _reverse16(value: int) -> int:
    return (_REVERSED[value & 0xFF] << 8) | _REVERSED[value >> 8]


def fcs16(data: bytes | bytearray, crc: int = 0xFFFF) -> int:
    """Return the running PPP FCS-16 of ``data`` (before the final ones' complement).

    The FCS is the bit-reflected form of CRC-CCITT (polynomial 0x1021), which
    :func:`binascii.crc_hqx` computes in C: on bytes with their bits reversed and with the
    register reversed in and out it gives the same value as the RFC 1662 table loop
    (:func:`fcs16_by_table`, checked against it in the tests).
    """
    return _reverse16(binascii.crc_hqx(bytes(data).translate(_REVERSED), _reverse16(crc)))


def fcs_bytes(data: bytes | bytearray) -> bytes:
    """Return the two FCS bytes sent after ``data`` (ones' complement, low byte first)."""
    value = fcs16(data) ^ 0xFFFF
    return bytes((value & 0xFF, value >> 8))


_SPECIAL = frozenset((BOF, EOF, ESC))
BOF_BYTE = bytes((BOF,))
EOF_BYTE = bytes((EOF,))


def escape(data: bytes) -> bytes:
    """Apply transparency: BOF, EOF and ESC become ``7D`` + byte XOR 0x20."""
    if not any(b in _SPECIAL for b in data):
        return data
    out = bytearray()
    for byte in data:
        if byte in _SPECIAL:
            out += bytes((ESC, byte ^ XOR))
        else:
            out.append(byte)
    return bytes(out)


def frame(user_data: bytes) -> bytes:
    """Return the RS232 frame carrying one Data Export message."""
    if len(user_data) > MAX_USER_DATA:
        raise ValueError(f"message of {len(user_data)} bytes is longer than a frame carries")
    body = bytes((PROTOCOL_ID, MSG_TYPE_DATA_EXPORT)) + len(user_data).to_bytes(2, "big")
    body += user_data
    return bytes((BOF,)) + escape(body + fcs_bytes(body)) + bytes((EOF,))


@dataclass(slots=True)
class DeframerStats:
    """What the deframer has seen."""

    frames: int = 0
    fcs_errors: int = 0
    aborted: int = 0
    malformed: int = 0
    skipped_bytes: int = 0


@dataclass(slots=True)
class Deframer:
    """Incremental RS232 deframer: bytes in, the user data of each good frame out.

    A frame that fails its FCS, whose header is wrong or whose length does not match is dropped
    and counted; bytes outside BOF ... EOF are skipped (counted). EOF never occurs inside a
    frame (transparency), so frames are cut at each EOF and start at the last BOF before it.
    """

    stats: DeframerStats = field(default_factory=DeframerStats)
    _body: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[bytes]:
        """Return the user data of every frame that ``data`` completed, in order."""
        out: list[bytes] = []
        buf = self._body
        fresh = len(buf)
        buf += data
        stats = self.stats
        # walk the buffer by position (one copy, then slices of it) and drop what was read
        # once at the end; the same cuts and counts as cutting the buffer at every EOF. The
        # kept buffer holds no EOF, so without one in ``data`` no frame can end here.
        whole = bytes(buf) if buf.find(EOF, fresh) >= 0 else b""
        find, rfind = whole.find, whole.rfind
        pos = 0
        while True:
            end = find(EOF_BYTE, pos)
            if end < 0:
                break
            start = rfind(BOF_BYTE, pos, end)
            if start < 0:
                stats.skipped_bytes += end - pos + 1
                pos = end + 1
                continue
            first = find(BOF_BYTE, pos, start)
            if first >= 0:
                stats.malformed += 1  # a frame started again before its EOF
                stats.skipped_bytes += first - pos
            else:
                stats.skipped_bytes += start - pos
            body = whole[start + 1 : end]
            pos = end + 1
            if body.endswith(b"\x7d"):
                stats.aborted += 1  # 7D C1: frame abort
                continue
            message = self._finish(_unescape(body))
            if message is not None:
                out.append(message)
        if pos:
            del buf[:pos]
        if len(buf) > MAX_USER_DATA + HEADER_LEN + FCS_LEN + 16:
            start = buf.rfind(BOF)
            keep = buf[start:] if start >= 0 and len(buf) - start < MAX_USER_DATA else b""
            stats.malformed += 1
            stats.skipped_bytes += len(buf) - len(keep)
            self._body = buf = bytearray(keep)
        return out

    def _finish(self, body: bytes) -> bytes | None:
        if len(body) < HEADER_LEN + FCS_LEN:
            self.stats.malformed += 1
            return None
        content = body[:-FCS_LEN]
        # the FCS as sent: ones' complement of the running FCS, low byte first
        if fcs16(content) ^ 0xFFFF != body[-2] | (body[-1] << 8):
            self.stats.fcs_errors += 1
            return None
        if content[0] != PROTOCOL_ID or (content[2] << 8 | content[3]) != len(content) - HEADER_LEN:
            self.stats.malformed += 1
            return None
        self.stats.frames += 1
        return content[HEADER_LEN:]


def _unescape(body: bytes) -> bytes:
    """Undo transparency: ``7D x`` is ``x ^ 0x20``."""
    if ESC not in body:
        return body
    parts = body.split(b"\x7d")
    out = bytearray(parts[0])
    for part in parts[1:]:
        if part:
            out.append(part[0] ^ XOR)
            out += part[1:]
    return bytes(out)
