"""What a protocol parser yields: readings (numbers) and technical conditions (device flags).

Parsers are pure: bytes in, a list of :class:`Reading` and :class:`Condition` out. A parser never
turns an invalid sentinel into a number; it yields a condition instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sessionmon.model import UNITS, Kind, in_valid_range


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
        """Build a reading with its standard unit, or ``None`` if the value is out of range."""
        kind = Kind(kind)
        if not in_valid_range(kind, value):
            return None
        return cls(kind, float(value), UNITS[kind], device_time, flags)


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
