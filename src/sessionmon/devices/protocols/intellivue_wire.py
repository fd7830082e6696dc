"""IntelliVue Data Export on the wire: session and ROSE constants, a byte reader, value codecs.

What the message builders (:mod:`.intellivue_builders`) and the parser (:mod:`.intellivue_parse`)
share: the session-layer bytes, remote-operation types and commands, the protocol option bits,
:class:`ByteReader` (big-endian fields with bounds checks, :class:`MessageError` when short) and
the codecs of AbsoluteTime and String values.
"""

from __future__ import annotations

from datetime import UTC, datetime

# ---------------------------------------------------------------------- session layer

CN_SPDU_SI = 0x0D  # association request
AC_SPDU_SI = 0x0E  # association accept
RF_SPDU_SI = 0x0C  # refuse
FN_SPDU_SI = 0x09  # release request
DN_SPDU_SI = 0x0A  # release result
AB_SPDU_SI = 0x19  # abort
DATA_EXPORT_SPDU = b"\xe1\x00\x00\x02"  # session id E1 00, presentation context 00 02

ROIV_APDU = 1
RORS_APDU = 2
ROER_APDU = 3
RORLS_APDU = 5

CMD_EVENT_REPORT = 0
CMD_CONFIRMED_EVENT_REPORT = 1
CMD_GET = 3
CMD_CONFIRMED_ACTION = 7

#: Session data of the association messages (both directions).
SESSION_DATA = bytes.fromhex("05 08 13 01 00 16 01 02 80 00 14 02 00 02")
#: Presentation header of the association request, up to the user data length byte.
AARQ_PRESENTATION = bytes.fromhex(
    "31 80 a0 80 80 01 01 00 00 a2 80 a0 03 00 00 01 a4 80 30 80 02 01 01 06 04 52 01 00 01"
    " 30 80 06 02 51 01 00 00 00 00 30 80 02 01 02 06 0c 2a 86 48 ce 14 02 01 00 00 00 01 01"
    " 30 80 06 0c 2a 86 48 ce 14 02 01 00 00 00 02 01 00 00 00 00 00 00 61 80 30 80 02 01 01"
    " a0 80 60 80 a1 80 06 0c 2a 86 48 ce 14 02 01 00 00 00 03 01 00 00 be 80 28 80 06 0c 2a"
    " 86 48 ce 14 02 01 00 00 00 01 01 02 01 02 81"
)
#: Presentation header of the association accept, up to the user data length byte.
AARE_PRESENTATION = bytes.fromhex(
    "31 80 a0 80 80 01 01 00 00 a2 80 a0 03 00 00 01 a5 80 30 80 80 01 00 81 02 51 01 00 00"
    " 30 80 80 01 00 81 0c 2a 86 48 ce 14 02 01 00 00 00 02 01 00 00 00 00 61 80 30 80 02 01"
    " 01 a0 80 61 80 a1 80 06 0c 2a 86 48 ce 14 02 01 00 00 00 03 01 00 00 a2 03 02 01 00 a3"
    " 05 a1 03 02 01 00 be 80 28 80 02 01 02 81"
)
PRESENTATION_TRAILER = bytes(16)
#: Release request / result and abort bodies after their session byte.
RELEASE_REQUEST = bytes.fromhex(
    "09 18 c1 16 61 80 30 80 02 01 01 a0 80 62 80 80 01 00 00 00 00 00 00 00 00 00"
)
RELEASE_RESULT = bytes.fromhex(
    "0a 18 c1 16 61 80 30 80 02 01 01 a0 80 63 80 80 01 00 00 00 00 00 00 00 00 00"
)
ABORT = bytes.fromhex(
    "19 2e 11 01 03 c1 29 a0 80 a0 80 30 80 02 01 01 06 02 51 01 00 00 00 00 61 80 30 80 02"
    " 01 01 a0 80 64 80 80 01 01 00 00 00 00 00 00 00 00 00 00"
)
#: Refuse (no user data): session header, reason "rejected by the responder".
REFUSE = bytes.fromhex("0c 05 32 01 00 0a 00")

# MDSE user info values
MDDL_VERSION1 = 0x80000000
NOMEN_VERSION = 0x40000000
SYST_CLIENT = 0x80000000
SYST_SERVER = 0x00800000
HOT_START = 0x20000000
POLL_PROFILE_REV_0 = 0x80000000
P_OPT_DYN_CREATE_OBJECTS = 0x40000000
P_OPT_DYN_DELETE_OBJECTS = 0x20000000
POLL_EXT_PERIOD_NU_1SEC = 0x80000000
POLL_EXT_PERIOD_RTSA = 0x08000000
POLL_EXT_ENUM = 0x04000000

#: Relative time runs in 1/8 ms.
RELATIVE_TICKS_PER_S = 8000


class MessageError(ValueError):
    """A message too short or inconsistent to decode."""


class ByteReader:
    """Big-endian fields of ``data[pos:end]``; :class:`MessageError` when one runs short."""

    __slots__ = ("data", "end", "pos")

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        if self.end > len(data):
            raise MessageError("length field runs past the end of the message")

    def u8(self) -> int:
        if self.pos + 1 > self.end:
            raise MessageError("truncated")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def u16(self) -> int:
        pos = self.pos  # read once: every field of every poll result comes through here
        if pos + 2 > self.end:
            raise MessageError("truncated")
        self.pos = pos + 2
        data = self.data
        return (data[pos] << 8) | data[pos + 1]

    def u32(self) -> int:
        if self.pos + 4 > self.end:
            raise MessageError("truncated")
        value = int.from_bytes(self.data[self.pos : self.pos + 4], "big")
        self.pos += 4
        return value

    def take(self, n: int) -> bytes:
        pos = self.pos
        if pos + n > self.end:
            raise MessageError("truncated")
        self.pos = pos + n
        return self.data[pos : pos + n]

    def sub(self, n: int) -> ByteReader:
        if self.pos + n > self.end:
            raise MessageError("length field runs past its container")
        reader = ByteReader(self.data, self.pos, self.pos + n)
        self.pos += n
        return reader

    @property
    def left(self) -> int:
        return self.end - self.pos


def absolute_time(raw: bytes) -> datetime | None:
    """Decode an 8-byte BCD AbsoluteTime (century, year, month, day, hour, minute, second,
    hundredths); ``None`` for the "not set" value (all FF) or an impossible date."""
    if len(raw) != 8 or raw[:4] == b"\xff\xff\xff\xff":
        return None

    def bcd(byte: int) -> int:
        high, low = byte >> 4, byte & 0x0F
        if high > 9 or low > 9:
            raise ValueError("not BCD")
        return high * 10 + low

    try:
        year = bcd(raw[0]) * 100 + bcd(raw[1])
        return datetime(
            year,
            bcd(raw[2]),
            bcd(raw[3]),
            bcd(raw[4]),
            bcd(raw[5]),
            bcd(raw[6]),
            bcd(raw[7]) * 10000 if raw[7] != 0xFF else 0,
            tzinfo=UTC,
        )
    except ValueError:
        return None


def encode_absolute_time(at: datetime | None) -> bytes:
    """Return the BCD AbsoluteTime of ``at`` (all FF when ``None``)."""
    if at is None:
        return b"\xff" * 8

    def bcd(n: int) -> int:
        return ((n // 10) << 4) | (n % 10)

    return bytes(
        bcd(v)
        for v in (
            at.year // 100,
            at.year % 100,
            at.month,
            at.day,
            at.hour,
            at.minute,
            at.second,
            at.microsecond // 10000,
        )
    )


GEN_ALMON_INFO = 513
STR_ALMON_INFO = 516


def decode_string(raw: bytes) -> str:
    """Decode a monitor String: 16-bit characters (big endian), NUL-terminated."""
    if len(raw) % 2 == 0 and raw and all(b == 0 for b in raw[0::2]):
        text = raw.decode("utf-16-be", errors="replace")
    else:
        text = raw.decode("latin-1")
    return text.split("\x00", 1)[0].strip()


def encode_string(text: str) -> bytes:
    """Encode a monitor String (16-bit characters, NUL-terminated, even length)."""
    return (text + "\x00").encode("utf-16-be")
