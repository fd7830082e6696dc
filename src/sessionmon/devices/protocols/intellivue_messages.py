"""The IntelliVue Data Export messages as decoded values (what :func:`parse_message` returns).

One frozen dataclass per message kind, the values a poll result carries (numerics, waves, device
alarms), :class:`UserInfo` (the MDSE user info of the association messages)
and :data:`Message`, the union of them all.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime

from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.protocols.intellivue_wire import (
    HOT_START,
    MDDL_VERSION1,
    NOMEN_VERSION,
    P_OPT_DYN_CREATE_OBJECTS,
    P_OPT_DYN_DELETE_OBJECTS,
    POLL_EXT_ENUM,
    POLL_EXT_PERIOD_NU_1SEC,
    POLL_EXT_PERIOD_RTSA,
    POLL_PROFILE_REV_0,
    RELATIVE_TICKS_PER_S,
    SYST_CLIENT,
)


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
