"""What a protocol parser yields: readings (numbers) and technical conditions (device flags).

Parsers are pure: bytes in, a list of :class:`Reading` and :class:`Condition` out. A parser never
turns an invalid sentinel into a number; it yields a condition instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sessionmon.model import UNITS, VALID_RANGES, Kind


class TechnicalCondition(StrEnum):
    """Technical conditions a device or link can report."""

    DISCONNECTED = "disconnected"
    NO_DATA = "no_data"
    SENSOR_OFF = "sensor_off"  # finger out / probe off / sensor disconnect / sensor alarm
    SENSOR_FAULT = "sensor_fault"  # defective / unrecognised sensor, probe error
    SEARCHING = "searching"
    ARTIFACT = "artifact"  # artifact, interference, out of track, ambient light
    LOW_PERFUSION = "low_perfusion"
    LOW_SIGNAL = "low_signal"
    LOW_BATTERY = "low_battery"
    NIBP_FAILED = "nibp_failed"
    LINE_BLOCKED = "line_blocked"  # capnography sampling line occluded
    INVALID_VALUE = "invalid_value"  # a value field held the device's "no value" sentinel
    NO_VALUE = "no_value"  # SpO2 or pulse keeps coming as "no value": treated as sensor off
    NO_VALID_DATA = "no_valid_data"  # bytes arrive but no valid reading (noise, wrong protocol)
    TOO_FAST = "too_fast"  # frames arrive far faster than the device sends them


@dataclass(frozen=True, slots=True)
class Reading:
    """One value decoded from a device.

    Attributes
    ----------
    kind : Kind
        What is measured.
    value : float
        The value, always inside ``VALID_RANGES[kind]``.
    unit : str
        UCUM unit.
    device_time : datetime or None
        The device's own clock, where the protocol carries one.
    flags : tuple of str
        Device quality flags attached to this value (e.g. ``"fast"``, ``"smartpoint"``).
    """

    kind: Kind
    value: float
    unit: str
    device_time: datetime | None = None
    flags: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        kind: Kind | str,
        value: float,
        device_time: datetime | None = None,
        flags: tuple[str, ...] = (),
    ) -> Reading | None:
        """Build a reading with its standard unit, or ``None`` if the value is out of range.

        Readings are immutable, so one without a device time or with only a common flag is
        shared: the same kind, value and flags give the same object from a bounded cache,
        which is what keeps a 75 Hz pleth stream from building a new object per sample.
        """
        shared = device_time is None and (
            not flags or (type(flags) is tuple and flags in _SHARED_FLAGS)
        )
        key = (kind, value, flags)
        if shared:
            cached = _CACHE.get(key)
            if cached is not None:
                return cached
        member = _KINDS.get(kind)
        if member is None:
            member = Kind(kind)  # raises ValueError for an unknown kind, as before
        low, high = _RANGES[member]
        if not low <= value <= high:
            return None
        reading = cls(member, float(value), _UNIT[member], device_time, flags)
        if shared:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            _CACHE[key] = reading
        return reading


_KINDS: dict[object, Kind] = {k: k for k in Kind}
_RANGES = dict(VALID_RANGES)
_UNIT = dict(UNITS)
#: Flag sets whose readings are shared (a device clock flag differs every line: not shared).
_SHARED_FLAGS = {("smartpoint",), ("fast",)}
#: Plain readings kept for sharing (cleared when full: a pleth stream needs at most 65,536).
_CACHE_MAX = 1 << 17
_CACHE: dict[tuple[object, float, tuple[str, ...]], Reading] = {}


@dataclass(frozen=True, slots=True)
class Condition:
    """A technical condition reported in one frame (or by the link).

    Attributes
    ----------
    name : TechnicalCondition
        Which condition.
    detail : str
        Device-specific detail, e.g. a SunTech error code and its meaning.
    """

    name: TechnicalCondition
    detail: str = ""


@dataclass(slots=True)
class ParserStats:
    """Counters every parser keeps; shown by ``decode`` and the device status."""

    frames: int = 0
    checksum_errors: int = 0
    resyncs: int = 0
    bytes_in: int = 0
    extra: dict[str, int] = field(default_factory=dict)


Decoded = Reading | Condition
