"""The messages on the wire: versioned JSON, validated with pydantic on both ends.

Every payload carries ``v`` (the format's major version, 1), ``chair`` and ``sent`` (the
publisher's wall-clock time in Unix seconds, for latency figures). Receivers ignore fields they
do not know (a later minor version may add some) and drop a message that fails validation.
Only the pseudonym identifies the patient: no payload has a field for a name or a birth date.
The format is described in ``docs/central-protocol.md``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from sessionmon.central.config import NAME_PATTERN
from sessionmon.model import AlarmCategory, AlarmPriority, SessionPhase

VERSION = 1

#: The largest payload accepted (bytes); a bigger one is dropped unread.
MAX_PAYLOAD_BYTES = 64 * 1024

ChairName = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=200)]
ShortText = Annotated[str, StringConstraints(max_length=64)]
KindName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,23}$")]


class PayloadError(ValueError):
    """A message that is not a valid payload (the text is one line for the log)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class _Payload(_Model):
    v: Literal[1] = VERSION
    chair: ChairName
    sent: float = Field(ge=0, description="publisher wall clock, Unix seconds")


class CheckItem(_Model):
    """One protocol check (BP at 40 min, MOAA/S, ...)."""

    id: ShortText
    label: Text
    status: Literal["upcoming", "due", "overdue", "done", "missed"]
    due_at: datetime | None = None


class DeviceItem(_Model):
    """One device's link state and technical conditions."""

    role: ShortText
    device_id: ShortText
    state: ShortText
    conditions: list[ShortText] = Field(default_factory=list, max_length=16)


class StatusPayload(_Payload):
    """``status`` (retained): the session at the chair."""

    at: datetime
    session: bool = Field(description="a session is open at the chair")
    pseudonym: ShortText | None = None
    treatment: ShortText | None = None
    simulated: bool = False
    phase: SessionPhase | None = None
    dose_at: datetime | None = None
    minutes_since_dose: float | None = Field(default=None, ge=0, le=100000)
    checks: list[CheckItem] = Field(default_factory=list, max_length=32)
    next_check: CheckItem | None = None
    discharge_ready: bool | None = None
    discharge_blocking: list[Text] = Field(default_factory=list, max_length=32)
    devices: list[DeviceItem] = Field(default_factory=list, max_length=8)


class VitalItem(_Model):
    """The latest value of one kind."""

    value: float = Field(ge=-1e6, le=1e6)
    unit: ShortText
    at: datetime
    age_s: float = Field(ge=0, le=1e7)
    stale: bool = False
    source: ShortText = ""


class VitalsPayload(_Payload):
    """``vitals`` (about once a second): the latest numerics."""

    at: datetime
    values: dict[KindName, VitalItem] = Field(default_factory=dict, max_length=32)


class AlarmItem(_Model):
    """One active alarm at the chair."""

    alarm_id: UUID
    condition: ShortText
    priority: AlarmPriority
    category: AlarmCategory
    message: Text
    started_at: datetime
    acknowledged: bool
    acknowledged_by: ShortText | None = None
    latched: bool = False
    condition_present: bool = True
    seen_at_central_by: ShortText | None = None


class AlarmsPayload(_Payload):
    """``alarms`` (retained, QoS 1): the full list of active alarms, on every change."""

    at: datetime
    alarms: list[AlarmItem] = Field(default_factory=list, max_length=64)


class OnlinePayload(_Payload):
    """``online`` (retained): true while the console runs; the broker's last will says false."""

    online: bool


class SeenPayload(_Model):
    """Central -> chair (``sessionmon/<clinic>/central/seen/<chair>``): alarms seen at central."""

    v: Literal[1] = VERSION
    chair: ChairName
    sent: float = Field(ge=0)
    by: ShortText
    alarm_ids: list[UUID] = Field(min_length=1, max_length=64)


PAYLOADS: dict[str, type[_Model]] = {
    "status": StatusPayload,
    "vitals": VitalsPayload,
    "alarms": AlarmsPayload,
    "online": OnlinePayload,
    "seen": SeenPayload,
}


def encode(payload: _Model) -> bytes:
    """Return the payload as compact UTF-8 JSON."""
    return payload.model_dump_json(exclude_none=True).encode("utf-8")


def decode(kind: str, data: bytes) -> _Model:
    """Validate ``data`` as a ``kind`` payload and return it.

    Raises
    ------
    PayloadError
        With a one-line reason: too big, not JSON, wrong version or an invalid field.
    """
    model = PAYLOADS.get(kind)
    if model is None:
        raise PayloadError(f"unknown message kind {kind!r}")
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"{len(data)} bytes, more than {MAX_PAYLOAD_BYTES}")
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"not JSON ({type(exc).__name__})") from None
    if not isinstance(obj, dict):
        raise PayloadError("not a JSON object")
    if obj.get("v") != VERSION:
        raise PayloadError(f"version {obj.get('v')!r}, expected {VERSION}")
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or kind
        raise PayloadError(f"{where}: {first['msg']} ({exc.error_count()} error(s))") from None
