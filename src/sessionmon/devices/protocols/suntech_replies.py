"""SunTech Advantage module replies: their types, how a frame is decoded, what each one means.

Split from :mod:`.suntech` (which re-exports every name here) so the parser, the module
emulator and the host commands stay apart from the reply types they share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sessionmon.devices.plausibility import DEFAULT_BP_PLAUSIBILITY
from sessionmon.devices.protocols.base import TC, value_or_invalid
from sessionmon.devices.readings import Condition, Decoded
from sessionmon.model import Kind

MODULE_SOF = 0x3E  # '>'
ACK_LEN = 4
CUFF_LEN = 5
BP_DATA_LEN = 24

#: Error codes of the BP data reply (partly unconfirmed, firmware-dependent).
ERROR_CODES: dict[int, str] = {
    0x01: "weak signal",
    0x02: "erratic signal",
    0x03: "out of range",
    0x04: "measurement timeout",
    0x55: "pneumatic blockage",
    0x56: "user abort",
    0x57: "loose cuff or leak",
    0x58: "safety timeout",
    0x59: "over-pressure",
    0x5A: "hardware",
    0x61: "transducer out of range",
    0x63: "EEPROM",
}

#: Acknowledge codes that are not errors.
ACK_MEANINGS: dict[str, str] = {"O": "received", "K": "done", "A": "aborted", "B": "busy"}


def error_text(code: int) -> str:
    """Return ``"57 loose cuff or leak"`` for code 0x57 (hex code, then meaning)."""
    return f"{code:02X} {ERROR_CODES.get(code, 'unknown error')}"


@dataclass(frozen=True, slots=True)
class Ack:
    """Acknowledge reply: ``code`` is ``"O"``, ``"K"``, ``"A"``, ``"B"`` or an error letter."""

    code: str

    @property
    def is_error(self) -> bool:
        """Whether the code is not one of O, K, A, B."""
        return self.code not in ACK_MEANINGS

    @property
    def meaning(self) -> str:
        """Human meaning of the code."""
        return ACK_MEANINGS.get(self.code, f"error {self.code!r}")


@dataclass(frozen=True, slots=True)
class CuffPressure:
    """Cuff pressure reply, mmHg."""

    mmhg: int


@dataclass(frozen=True, slots=True)
class BpResult:
    """BP data reply.

    Attributes
    ----------
    systolic, diastolic, map, hr : int
        mmHg and beats/min as the module sent them (0 when it has none).
    error_code : int
        0 when the measurement succeeded.
    beats, status : int
        Beats counted and BP status byte.
    test_codes : bytes
        The 8 test-code bytes.
    """

    systolic: int
    diastolic: int
    map: int
    hr: int
    error_code: int = 0
    beats: int = 0
    status: int = 0
    test_codes: bytes = field(default=bytes(8))

    @property
    def ok(self) -> bool:
        """Whether the measurement succeeded."""
        return self.error_code == 0

    @property
    def error(self) -> str:
        """``"57 loose cuff or leak"`` style text, or ``""`` when ok."""
        return "" if self.ok else error_text(self.error_code)


@dataclass(frozen=True, slots=True)
class UnknownReply:
    """A well-formed module frame of a length this parser does not know."""

    data: bytes


Reply = Ack | CuffPressure | BpResult | UnknownReply


def decode_reply(frame: bytes | bytearray) -> Reply:
    """Return the typed reply of one complete, checksum-verified module frame."""
    length = len(frame)
    if length == ACK_LEN:
        return Ack(chr(frame[2]))
    if length == CUFF_LEN:
        return CuffPressure(frame[2] | (frame[3] << 8))
    if length == BP_DATA_LEN:
        return BpResult(
            systolic=frame[2] | (frame[3] << 8),
            diastolic=frame[4] | (frame[5] << 8),
            beats=frame[6],
            status=frame[7],
            test_codes=bytes(frame[8:16]),
            hr=frame[16],
            map=frame[18] | (frame[19] << 8),
            error_code=frame[20],
        )
    return UnknownReply(bytes(frame[2:-1]))


def decoded_of(reply: Reply) -> list[Decoded]:
    """Return the readings / conditions a reply stands for.

    A failed measurement is ``Condition(NIBP_FAILED, "57 loose cuff or leak")``; an
    error acknowledge is ``NIBP_FAILED`` too; so is a result that fails the plausibility rule
    (:mod:`sessionmon.devices.plausibility`, the rule the live driver uses): no pressure of it
    is a reading. A heart rate outside its range is ``INVALID_VALUE``.
    """
    if isinstance(reply, CuffPressure):
        return [value_or_invalid(Kind.CUFF_PRESSURE, reply.mmhg)]
    if isinstance(reply, BpResult):
        if not reply.ok:
            return [Condition(TC.NIBP_FAILED, reply.error)]
        problem = DEFAULT_BP_PLAUSIBILITY.problem(reply.systolic, reply.diastolic, reply.map)
        if problem is not None:
            return [Condition(TC.NIBP_FAILED, problem)]
        hr = reply.hr if DEFAULT_BP_PLAUSIBILITY.hr_ok(reply.hr) else None
        return [
            value_or_invalid(kind, value)
            for kind, value in (
                (Kind.NIBP_SYS, reply.systolic),
                (Kind.NIBP_DIA, reply.diastolic),
                (Kind.NIBP_MAP, reply.map),
                (Kind.NIBP_HR, hr),
            )
        ]
    if isinstance(reply, Ack) and reply.is_error:
        return [Condition(TC.NIBP_FAILED, f"module refused command: {reply.meaning}")]
    return []
