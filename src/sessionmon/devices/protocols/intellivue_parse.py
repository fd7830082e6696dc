"""Parsing IntelliVue messages: :func:`parse_message` classifies and decodes one message.

Association control messages (session header byte), then Data Export ones: event reports (MDS
create), poll requests and poll results with their observations (numerics, waves, the alert
monitor's device alarms).
"""

from __future__ import annotations

import functools
import struct
from datetime import datetime

from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.protocols.intellivue_messages import (
    Abort,
    AssociationRequest,
    AssociationResult,
    ConnectIndication,
    DeviceAlarm,
    MdsCreateEvent,
    MdsCreateResult,
    Message,
    NumericValue,
    PollRequest,
    PollResult,
    ReleaseRequest,
    ReleaseResult,
    RemoteError,
    Unknown,
    UserInfo,
    WaveValue,
)
from sessionmon.devices.protocols.intellivue_wire import (
    AB_SPDU_SI,
    AC_SPDU_SI,
    CMD_CONFIRMED_ACTION,
    CMD_CONFIRMED_EVENT_REPORT,
    CMD_EVENT_REPORT,
    CN_SPDU_SI,
    DATA_EXPORT_SPDU,
    DN_SPDU_SI,
    FN_SPDU_SI,
    RELATIVE_TICKS_PER_S,
    RF_SPDU_SI,
    ROER_APDU,
    ROIV_APDU,
    RORLS_APDU,
    RORS_APDU,
    STR_ALMON_INFO,
    ByteReader,
    MessageError,
    absolute_time,
    decode_string,
)


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


def _data_export_message(data: bytes) -> Message:
    r = ByteReader(data, 4)
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


def _attribute_list(r: ByteReader) -> dict[int, bytes]:
    count = r.u16()
    block = r.sub(r.u16())
    # the fields read straight from the bytes (as block.u16() and block.take() would, with
    # the same "truncated" error): this list is read for every object of every poll result
    data, pos, end = block.data, block.pos, block.end
    out: dict[int, bytes] = {}
    for _ in range(count):
        if pos + 4 > end:
            raise MessageError("truncated")
        attr, size = _ATTRIBUTE_HEAD(data, pos)
        pos += 4
        if pos + size > end:
            raise MessageError("truncated")
        out[attr] = data[pos : pos + size]
        pos += size
    return out


#: An attribute's id and length (two big-endian 16-bit fields).
_ATTRIBUTE_HEAD = struct.Struct(">HH").unpack_from


def _event_report(r: ByteReader, invoke_id: int) -> Message:
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


def _poll_request(r: ByteReader, invoke_id: int) -> Message:
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


def _poll_result(r: ByteReader, invoke_id: int, linked: bool) -> Message:
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


def _nu_value(raw: ByteReader, handle: int, at: datetime | None) -> NumericValue:
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
        numerics.append(_nu_value(ByteReader(raw), handle, at))
    if (raw := attrs.get(nom.NOM_ATTR_NU_CMPD_VAL_OBS)) is not None:
        r = ByteReader(raw)
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
    r = ByteReader(raw)
    physio, state = r.u16(), r.u16()
    array = r.take(r.u16())
    sample_bytes, mask, period, scale = wave_format(
        attrs.get(nom.NOM_ATTR_SA_SPECN),
        attrs.get(nom.NOM_ATTR_TIME_PD_SAMP),
        attrs.get(nom.NOM_ATTR_SCALE_SPECN_I16),
    )
    count = len(array) // sample_bytes
    if sample_bytes == 2:
        samples = struct.unpack_from(f">{count}H", array)
        if mask != 0xFFFF:
            samples = tuple(map(mask.__and__, samples))
    else:
        samples = tuple(
            int.from_bytes(array[i : i + sample_bytes], "big") & mask
            for i in range(0, count * sample_bytes, sample_bytes)
        )
    return WaveValue(physio, state, samples, handle, period, scale)


@functools.lru_cache(maxsize=256)
def wave_format(
    spec: bytes | None, pd: bytes | None, sc: bytes | None
) -> tuple[int, int, float | None, tuple[float, float, int, int] | None]:
    """(sample bytes, sample mask, sample period, scale) of a wave's attributes.

    A pure function of the three attributes, which a monitor repeats in every poll result of
    a wave: kept for the few combinations a session has.
    """
    sample_bytes, significant = 2, 16
    if spec is not None and len(spec) >= 6:
        s = ByteReader(spec)
        s.u16()  # array size
        sample_bytes = max(1, s.u8() // 8)
        significant = s.u8() or 16
    mask = (1 << min(significant, 8 * sample_bytes)) - 1
    period = None
    if pd is not None and len(pd) == 4:
        ticks = int.from_bytes(pd, "big")
        period = ticks / RELATIVE_TICKS_PER_S if ticks else None
    scale = None
    if sc is not None and len(sc) >= 12:
        s = ByteReader(sc)
        low_abs, high_abs = nom.decode_float(s.u32()), nom.decode_float(s.u32())
        low, high = s.u16(), s.u16()
        if low_abs is not None and high_abs is not None:
            scale = (low_abs, high_abs, low, high)
    return sample_bytes, mask, period, scale


def _alarm_list(raw: bytes) -> list[DeviceAlarm]:
    r = ByteReader(raw)
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
