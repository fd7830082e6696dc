"""Philips IntelliVue Data Export protocol: the messages a client and a monitor exchange.

The dialog (programming guide, "Protocol Dialog"): the client sends an **association request**;
the monitor answers with an **association result** (accept) or a refuse, then sends an **MDS
create event report** which the client confirms with an **MDS create event result**. The client
then sends **poll data requests** (here the *extended* poll, which asks for one object class,
numerics, waves or the alert monitor, for a poll period) and the monitor answers with **poll
results** (a long result comes as linked results). Any request keeps the association alive
(a single MDS poll serves as **keep-alive**); it ends with a **release request** / release result,
or an **abort** from either side.

Data Export messages start with the session header ``E1 00`` and presentation context ``00 02``,
then a remote operation (ROSE) header, then the command; association control messages are
ASN.1 BER wrapped in a session header whose first byte says what it is (``0D`` request, ``0E``
accept, ``0C`` refuse, ``09`` release request, ``0A`` release result, ``19`` abort).

Builders return the bytes of one message (user data; :mod:`.intellivue_frame` frames them for
RS232, UDP sends them as one datagram); :func:`parse_message` classifies and decodes one message.
The monitor side (for the simulator) is in :mod:`.intellivue_monitor`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from sessionmon.devices.protocols import intellivue_nom as nom

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


@dataclass(frozen=True, slots=True)
class UserInfo:
    """The MDSE user information of an association request or accept."""

    system_type: int = SYST_CLIENT
    min_poll_period_s: float = 2500 / RELATIVE_TICKS_PER_S
    max_mtu_rx: int = 2500
    max_mtu_tx: int = 1000
    max_bw_tx: int = 0xFFFFFFFF
    poll_options: int = P_OPT_DYN_CREATE_OBJECTS | P_OPT_DYN_DELETE_OBJECTS
    ext_options: int = POLL_EXT_PERIOD_NU_1SEC | POLL_EXT_PERIOD_RTSA | POLL_EXT_ENUM

    def encode(self) -> bytes:
        """Return the 72 bytes of MDSEUserInfoStd."""
        ext = struct.pack(">HHHHI", 1, 12, nom.NOM_ATTR_POLL_PROFILE_EXT, 8, self.ext_options)
        ext += struct.pack(">HH", 0, 0)  # no extended attributes
        profile = struct.pack(
            ">IIIIII",
            POLL_PROFILE_REV_0,
            round(self.min_poll_period_s * RELATIVE_TICKS_PER_S),
            self.max_mtu_rx,
            self.max_mtu_tx,
            self.max_bw_tx,
            self.poll_options,
        )
        profile_ava = struct.pack(">HH", nom.NOM_POLL_PROFILE_SUPPORT, len(profile) + len(ext))
        profiles = struct.pack(">HH", 1, len(profile_ava) + len(profile) + len(ext))
        head = struct.pack(
            ">IIIIIHH", MDDL_VERSION1, NOMEN_VERSION, 0, self.system_type, HOT_START, 0, 0
        )
        return head + profiles + profile_ava + profile + ext

    @classmethod
    def decode(cls, data: bytes) -> UserInfo:
        """Read the fields sessionmon uses back from MDSEUserInfoStd bytes."""
        _, _, _, system_type, _, _, opt_len = struct.unpack_from(">IIIIIHH", data, 0)
        at = 24 + opt_len + 4 + 4  # option list, profile list header, profile AVA header
        _, period, rx, tx, bw, options = struct.unpack_from(">IIIIII", data, at)
        ext_options = 0
        if len(data) >= at + 24 + 12:
            ext_options = struct.unpack_from(">I", data, at + 24 + 8)[0]
        return cls(system_type, period / RELATIVE_TICKS_PER_S, rx, tx, bw, options, ext_options)


def _association(spdu: int, presentation: bytes, info: bytes) -> bytes:
    rest = presentation + bytes((len(info),)) + info + PRESENTATION_TRAILER
    inner = SESSION_DATA + _ber_length_c1(rest)
    body = inner + rest
    if len(body) > 0xFE:
        return bytes((spdu, 0xFF)) + len(body).to_bytes(2, "big") + body
    return bytes((spdu, len(body))) + body


def _ber_length_c1(rest: bytes) -> bytes:
    if len(rest) > 0xFE:
        return b"\xc1\xff" + len(rest).to_bytes(2, "big")
    return bytes((0xC1, len(rest)))


def association_request(info: UserInfo | None = None) -> bytes:
    """Return an association request (client to monitor)."""
    return _association(CN_SPDU_SI, AARQ_PRESENTATION, (info or UserInfo()).encode())


def association_accept(info: UserInfo | None = None) -> bytes:
    """Return an association result that accepts (monitor to client)."""
    info = info or UserInfo(system_type=SYST_SERVER)
    return _association(AC_SPDU_SI, AARE_PRESENTATION, info.encode())


def release_request() -> bytes:
    """Return an association release request."""
    return RELEASE_REQUEST


def release_result() -> bytes:
    """Return an association release result."""
    return RELEASE_RESULT


def abort() -> bytes:
    """Return an association abort."""
    return ABORT


def refuse() -> bytes:
    """Return an association refuse (monitor to client)."""
    return REFUSE


# ---------------------------------------------------------------------- data export messages


def _data_export(ro_type: int, ro_body: bytes) -> bytes:
    return DATA_EXPORT_SPDU + struct.pack(">HH", ro_type, len(ro_body)) + ro_body


def _rose(invoke_id: int, command: int, argument: bytes) -> bytes:
    return struct.pack(">HHH", invoke_id & 0xFFFF, command, len(argument)) + argument


def _managed_object(obj_class: int, handle: int = 0, context: int = 0) -> bytes:
    return struct.pack(">HHH", obj_class, context, handle)


def mds_create_result(
    invoke_id: int = 1, current_time: int = 0, handle: int = 0, context: int = 0
) -> bytes:
    """Return the MDS create event result the client sends after the MDS create event.

    ``current_time`` is the relative time (1/8 ms) to report; clients usually copy the event's.
    """
    argument = _managed_object(nom.NOM_MOC_VMS_MDS, handle, context)
    argument += struct.pack(">IHH", current_time, nom.NOM_NOTI_MDS_CREAT, 0)
    return _data_export(RORS_APDU, _rose(invoke_id, CMD_CONFIRMED_EVENT_REPORT, argument))


def poll_request(
    invoke_id: int, poll_number: int, obj_class: int, attr_group: int = 0, *, scope: int = 0
) -> bytes:
    """Return a (single) poll data request for one object class, e.g. the MDS (keep-alive)."""
    poll = struct.pack(">HHHH", poll_number, nom.NOM_PART_OBJ, obj_class, attr_group)
    argument = _managed_object(nom.NOM_MOC_VMS_MDS) + struct.pack(
        ">IHH", scope, nom.NOM_ACT_POLL_MDIB_DATA, len(poll)
    )
    return _data_export(ROIV_APDU, _rose(invoke_id, CMD_CONFIRMED_ACTION, argument + poll))


def ext_poll_request(
    invoke_id: int,
    poll_number: int,
    obj_class: int,
    attr_group: int = 0,
    period_s: float | None = None,
) -> bytes:
    """Return an extended poll data request.

    Parameters
    ----------
    obj_class : int
        ``NOM_MOC_VMO_METRIC_NU`` (numerics), ``NOM_MOC_VMO_METRIC_SA_RT`` (waves) or
        ``NOM_MOC_VMO_AL_MON`` (alarms).
    attr_group : int
        Attribute group, 0 for all attributes.
    period_s : float, optional
        Ask the monitor to keep sending results for this long (``NOM_ATTR_TIME_PD_POLL``).
    """
    attrs = b""
    count = 0
    if period_s is not None:
        ticks = round(period_s * RELATIVE_TICKS_PER_S)
        attrs = struct.pack(">HHI", nom.NOM_ATTR_TIME_PD_POLL, 4, ticks)
        count = 1
    poll = struct.pack(">HHHH", poll_number, nom.NOM_PART_OBJ, obj_class, attr_group)
    poll += struct.pack(">HH", count, len(attrs)) + attrs
    argument = _managed_object(nom.NOM_MOC_VMS_MDS) + struct.pack(
        ">IHH", 0, nom.NOM_ACT_POLL_MDIB_DATA_EXT, len(poll)
    )
    return _data_export(ROIV_APDU, _rose(invoke_id, CMD_CONFIRMED_ACTION, argument + poll))


def keep_alive(invoke_id: int, poll_number: int = 1) -> bytes:
    """Return the keep-alive: a single poll of the MDS's product attributes."""
    return poll_request(invoke_id, poll_number, nom.NOM_MOC_VMS_MDS, nom.NOM_ATTR_GRP_SYS_PROD)


# ---------------------------------------------------------------------- parsed messages


@dataclass(frozen=True, slots=True)
class AssociationRequest:
    """A client asked to associate (what a monitor receives)."""

    info: UserInfo | None


@dataclass(frozen=True, slots=True)
class AssociationResult:
    """The monitor accepted (``accepted``) or refused the association."""

    accepted: bool
    info: UserInfo | None = None


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    """A release request."""


@dataclass(frozen=True, slots=True)
class ReleaseResult:
    """A release result."""


@dataclass(frozen=True, slots=True)
class Abort:
    """An association abort."""


@dataclass(frozen=True, slots=True)
class MdsCreateEvent:
    """The monitor's MDS create event report (to be confirmed with a create result)."""

    invoke_id: int
    handle: int
    context: int
    event_time: int
    attributes: dict[int, bytes]


@dataclass(frozen=True, slots=True)
class MdsCreateResult:
    """The client's confirmation of the MDS create event (what a monitor receives)."""

    invoke_id: int


@dataclass(frozen=True, slots=True)
class ConnectIndication:
    """The monitor's LAN connect indication (broadcast to port 24005)."""

    attributes: dict[int, bytes]


@dataclass(frozen=True, slots=True)
class PollRequest:
    """A poll data request (what a monitor receives); ``extended`` for the extended poll."""

    invoke_id: int
    poll_number: int
    obj_class: int
    attr_group: int
    extended: bool
    period_s: float | None = None


@dataclass(frozen=True, slots=True)
class NumericValue:
    """One numeric from a poll result: the raw value as the monitor gave it.

    ``value`` is ``None`` for a FLOAT-Type special value (NaN, NRes, INF).
    """

    physio_id: int
    state: int
    unit: int
    value: float | None
    handle: int = 0
    device_time: datetime | None = None

    @property
    def has_value(self) -> bool:
        """Whether this is a usable reading (a number, state not invalid/unavailable...)."""
        return self.value is not None and not self.state & nom.MS_NO_VALUE


@dataclass(frozen=True, slots=True)
class WaveValue:
    """One sample array from a poll result."""

    physio_id: int
    state: int
    samples: tuple[int, ...]
    handle: int = 0
    sample_period_s: float | None = None
    scale: tuple[float, float, int, int] | None = None  # lower/upper absolute, lower/upper scaled

    def physical(self) -> tuple[float, ...]:
        """Samples in the unit of the scale (raw samples if no scale was given)."""
        if self.scale is None:
            return tuple(float(s) for s in self.samples)
        low_abs, high_abs, low, high = self.scale
        if high == low:
            return tuple(float(low_abs) for _ in self.samples)
        k = (high_abs - low_abs) / (high - low)
        return tuple(low_abs + (s - low) * k for s in self.samples)


@dataclass(frozen=True, slots=True)
class DeviceAlarm:
    """One entry of the monitor's alarm list.

    ``category`` is ``"technical"`` or ``"physiological"`` (from the alert type), never merged.
    """

    source: int
    code: int
    alert_type: int
    state: int
    text: str = ""

    @property
    def category(self) -> str:
        """Technical or physiological, as the monitor says."""
        return nom.ALERT_TYPES.get(self.alert_type, ("technical", "low"))[0]

    @property
    def priority(self) -> str:
        """Low, medium or high, as the monitor says."""
        return nom.ALERT_TYPES.get(self.alert_type, ("technical", "low"))[1]


@dataclass(frozen=True, slots=True)
class PollResult:
    """A poll result (or one linked part of it)."""

    invoke_id: int
    poll_number: int
    relative_time: int
    absolute_time: datetime | None
    obj_class: int
    numerics: tuple[NumericValue, ...] = ()
    waves: tuple[WaveValue, ...] = ()
    alarms: tuple[DeviceAlarm, ...] | None = None  # None: not an alert monitor poll
    linked: bool = False


@dataclass(frozen=True, slots=True)
class RemoteError:
    """The monitor answered a request with a remote operation error."""

    invoke_id: int
    error: int


@dataclass(frozen=True, slots=True)
class Unknown:
    """A message sessionmon does not use (kept for ``decode`` and statistics)."""

    first_byte: int
    length: int


Message = (
    AssociationRequest
    | AssociationResult
    | ReleaseRequest
    | ReleaseResult
    | Abort
    | MdsCreateEvent
    | MdsCreateResult
    | ConnectIndication
    | PollRequest
    | PollResult
    | RemoteError
    | Unknown
)


class MessageError(ValueError):
    """A message too short or inconsistent to decode."""


# ---------------------------------------------------------------------- parsing


def parse_message(data: bytes) -> Message:
    """Classify and decode one Data Export or association message.

    Raises
    ------
    MessageError
        If the message is truncated or its lengths disagree.
    """
    if not data:
        raise MessageError("empty message")
    first = data[0]
    try:
        if first == CN_SPDU_SI:
            return AssociationRequest(_user_info(data))
        if first == AC_SPDU_SI:
            return AssociationResult(True, _user_info(data))
        if first == RF_SPDU_SI:
            return AssociationResult(False)
        if first == FN_SPDU_SI:
            return ReleaseRequest()
        if first == DN_SPDU_SI:
            return ReleaseResult()
        if first == AB_SPDU_SI:
            return Abort()
        if data[:2] == DATA_EXPORT_SPDU[:2]:
            return _data_export_message(data)
    except (struct.error, IndexError) as exc:
        raise MessageError(f"truncated message: {exc}") from None
    return Unknown(first, len(data))


def _user_info(data: bytes) -> UserInfo | None:
    """Find the MDSE user info after the presentation header (``BE 80 28 80 ... 81 LL``)."""
    marker = data.rfind(b"\x02\x01\x02\x81")
    if marker < 0:
        return None
    length = data[marker + 4]
    info = data[marker + 5 : marker + 5 + length]
    if len(info) < 48:
        return None
    try:
        return UserInfo.decode(info)
    except struct.error:
        return None


class _Reader:
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
        if self.pos + 2 > self.end:
            raise MessageError("truncated")
        value = (self.data[self.pos] << 8) | self.data[self.pos + 1]
        self.pos += 2
        return value

    def u32(self) -> int:
        if self.pos + 4 > self.end:
            raise MessageError("truncated")
        value = int.from_bytes(self.data[self.pos : self.pos + 4], "big")
        self.pos += 4
        return value

    def take(self, n: int) -> bytes:
        if self.pos + n > self.end:
            raise MessageError("truncated")
        value = self.data[self.pos : self.pos + n]
        self.pos += n
        return value

    def sub(self, n: int) -> _Reader:
        if self.pos + n > self.end:
            raise MessageError("length field runs past its container")
        reader = _Reader(self.data, self.pos, self.pos + n)
        self.pos += n
        return reader

    @property
    def left(self) -> int:
        return self.end - self.pos


def _data_export_message(data: bytes) -> Message:
    r = _Reader(data, 4)
    ro_type = r.u16()
    r = r.sub(r.u16())
    linked = False
    if ro_type == RORLS_APDU:
        r.u8()  # linked state: first / not first not last / last
        r.u8()  # linked count
        linked = True
    elif ro_type == ROER_APDU:
        invoke_id = r.u16()
        return RemoteError(invoke_id, r.u16())
    invoke_id = r.u16()
    command = r.u16()
    r = r.sub(r.u16())
    if ro_type == ROIV_APDU and command in (CMD_CONFIRMED_EVENT_REPORT, CMD_EVENT_REPORT):
        return _event_report(r, invoke_id)
    if ro_type == ROIV_APDU and command == CMD_CONFIRMED_ACTION:
        return _poll_request(r, invoke_id)
    if ro_type == RORS_APDU and command == CMD_CONFIRMED_EVENT_REPORT:
        return MdsCreateResult(invoke_id)
    if ro_type in (RORS_APDU, RORLS_APDU) and command == CMD_CONFIRMED_ACTION:
        return _poll_result(r, invoke_id, linked)
    return Unknown(data[0], len(data))


def _attribute_list(r: _Reader) -> dict[int, bytes]:
    count = r.u16()
    block = r.sub(r.u16())
    out: dict[int, bytes] = {}
    for _ in range(count):
        attr = block.u16()
        out[attr] = block.take(block.u16())
    return out


def _event_report(r: _Reader, invoke_id: int) -> Message:
    obj_class, context, handle = r.u16(), r.u16(), r.u16()
    event_time = r.u32()
    event_type = r.u16()
    body = r.sub(r.u16())
    attributes = _attribute_list(body) if body.left >= 4 else {}
    if event_type == nom.NOM_NOTI_CONN_INDIC:
        return ConnectIndication(attributes)
    if event_type == nom.NOM_NOTI_MDS_CREAT:
        return MdsCreateEvent(invoke_id, handle, context, event_time, attributes)
    del obj_class
    return Unknown(0xE1, r.end)


def _poll_request(r: _Reader, invoke_id: int) -> Message:
    r.take(6)  # managed object (the MDS)
    r.u32()  # scope
    action = r.u16()
    body = r.sub(r.u16())
    poll_number = body.u16()
    body.u16()  # partition
    obj_class = body.u16()
    attr_group = body.u16()
    period = None
    if action == nom.NOM_ACT_POLL_MDIB_DATA_EXT and body.left >= 4:
        attrs = _attribute_list(body)
        raw = attrs.get(nom.NOM_ATTR_TIME_PD_POLL)
        if raw is not None and len(raw) == 4:
            period = int.from_bytes(raw, "big") / RELATIVE_TICKS_PER_S
    extended = action == nom.NOM_ACT_POLL_MDIB_DATA_EXT
    return PollRequest(invoke_id, poll_number, obj_class, attr_group, extended, period)


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


def _poll_result(r: _Reader, invoke_id: int, linked: bool) -> Message:
    r.take(6)  # managed object
    action = r.u16()
    body = r.sub(r.u16())
    poll_number = body.u16()
    if action == nom.NOM_ACT_POLL_MDIB_DATA_EXT:
        body.u16()  # sequence number
    relative = body.u32()
    when = absolute_time(body.take(8))
    body.u16()  # partition
    obj_class = body.u16()
    body.u16()  # attribute group
    numerics: list[NumericValue] = []
    waves: list[WaveValue] = []
    alarms: list[DeviceAlarm] | None = [] if obj_class == nom.NOM_MOC_VMO_AL_MON else None
    contexts = body.u16()
    ctx_block = body.sub(body.u16())
    for _ in range(contexts):
        ctx_block.u16()  # context id
        count = ctx_block.u16()
        objects = ctx_block.sub(ctx_block.u16())
        for _ in range(count):
            handle = objects.u16()
            attrs = _attribute_list(objects)
            _observation(handle, attrs, numerics, waves, alarms)
    return PollResult(
        invoke_id,
        poll_number,
        relative,
        when,
        obj_class,
        tuple(numerics),
        tuple(waves),
        None if alarms is None else tuple(alarms),
        linked,
    )


def _nu_value(raw: _Reader, handle: int, at: datetime | None) -> NumericValue:
    physio, state, unit = raw.u16(), raw.u16(), raw.u16()
    return NumericValue(physio, state, unit, nom.decode_float(raw.u32()), handle, at)


def _observation(
    handle: int,
    attrs: dict[int, bytes],
    numerics: list[NumericValue],
    waves: list[WaveValue],
    alarms: list[DeviceAlarm] | None,
) -> None:
    stamp = attrs.get(nom.NOM_ATTR_TIME_STAMP_ABS)
    at = absolute_time(stamp) if stamp is not None else None
    if (raw := attrs.get(nom.NOM_ATTR_NU_VAL_OBS)) is not None:
        numerics.append(_nu_value(_Reader(raw), handle, at))
    if (raw := attrs.get(nom.NOM_ATTR_NU_CMPD_VAL_OBS)) is not None:
        r = _Reader(raw)
        count = r.u16()
        block = r.sub(r.u16())
        for _ in range(count):
            numerics.append(_nu_value(block, handle, at))
    if (raw := attrs.get(nom.NOM_ATTR_SA_VAL_OBS)) is not None:
        waves.append(_wave(handle, raw, attrs))
    if alarms is not None:
        for attr in (nom.NOM_ATTR_AL_MON_T_AL_LIST, nom.NOM_ATTR_AL_MON_P_AL_LIST):
            if (raw := attrs.get(attr)) is not None:
                alarms.extend(_alarm_list(raw))


def _wave(handle: int, raw: bytes, attrs: dict[int, bytes]) -> WaveValue:
    r = _Reader(raw)
    physio, state = r.u16(), r.u16()
    array = r.take(r.u16())
    sample_bytes, significant = 2, 16
    if (spec := attrs.get(nom.NOM_ATTR_SA_SPECN)) is not None and len(spec) >= 6:
        s = _Reader(spec)
        s.u16()  # array size
        sample_bytes = max(1, s.u8() // 8)
        significant = s.u8() or 16
    mask = (1 << min(significant, 8 * sample_bytes)) - 1
    count = len(array) // sample_bytes
    if sample_bytes == 2:
        samples = tuple(v & mask for v in struct.unpack_from(f">{count}H", array))
    else:
        samples = tuple(
            int.from_bytes(array[i : i + sample_bytes], "big") & mask
            for i in range(0, count * sample_bytes, sample_bytes)
        )
    period = None
    if (pd := attrs.get(nom.NOM_ATTR_TIME_PD_SAMP)) is not None and len(pd) == 4:
        ticks = int.from_bytes(pd, "big")
        period = ticks / RELATIVE_TICKS_PER_S if ticks else None
    scale = None
    if (sc := attrs.get(nom.NOM_ATTR_SCALE_SPECN_I16)) is not None and len(sc) >= 12:
        s = _Reader(sc)
        low_abs, high_abs = nom.decode_float(s.u32()), nom.decode_float(s.u32())
        low, high = s.u16(), s.u16()
        if low_abs is not None and high_abs is not None:
            scale = (low_abs, high_abs, low, high)
    return WaveValue(physio, state, samples, handle, period, scale)


def _alarm_list(raw: bytes) -> list[DeviceAlarm]:
    r = _Reader(raw)
    count = r.u16()
    block = r.sub(r.u16())
    out = []
    for _ in range(count):
        source, code, alert_type, state = block.u16(), block.u16(), block.u16(), block.u16()
        block.take(6)  # managed object
        info_id = block.u16()
        info = block.take(block.u16())
        out.append(DeviceAlarm(source, code, alert_type, state, _alarm_text(info_id, info)))
    return out


def _alarm_text(info_id: int, info: bytes) -> str:
    """The alarm string of a StrAlMonInfo (inst no, text id, priority, flags, String)."""
    if info_id != STR_ALMON_INFO or len(info) < 12:
        return ""
    length = int.from_bytes(info[10:12], "big")
    return decode_string(info[12 : 12 + length])


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
