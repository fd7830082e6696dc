"""Builders of IntelliVue messages: association control and Data Export requests and results.

Each returns the bytes of one message (user data; :mod:`.intellivue_frame` frames them for
RS232, UDP sends them as one datagram).
"""

from __future__ import annotations

import struct

from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.protocols.intellivue_messages import (
    UserInfo,
)
from sessionmon.devices.protocols.intellivue_wire import (
    AARE_PRESENTATION,
    AARQ_PRESENTATION,
    ABORT,
    AC_SPDU_SI,
    CMD_CONFIRMED_ACTION,
    CMD_CONFIRMED_EVENT_REPORT,
    CN_SPDU_SI,
    DATA_EXPORT_SPDU,
    PRESENTATION_TRAILER,
    REFUSE,
    RELATIVE_TICKS_PER_S,
    RELEASE_REQUEST,
    RELEASE_RESULT,
    ROIV_APDU,
    RORS_APDU,
    SESSION_DATA,
    SYST_SERVER,
)


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
