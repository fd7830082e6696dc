"""The one interface every vitals source satisfies, real or simulated.

The runtime drains a source with :meth:`VitalsSource.poll`; a serial device fills its queue from a
reader thread, a simulated device generates what its clock says has happened since the last poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.model import Kind


class LinkState(StrEnum):
    """Connection state of a device link."""

    DISCONNECTED = "disconnected"
    OPENING = "opening"
    STREAMING = "streaming"  # connected and data is arriving
    STALLED = "stalled"  # connected but no data for the stall timeout
    RECONNECTING = "reconnecting"


class DeviceRole(StrEnum):
    """What a source is for in the session."""

    OXIMETER = "oximeter"
    NIBP = "nibp"
    RESPIRATION = "respiration"


@dataclass(frozen=True, slots=True)
class LinkStateChange:
    """The link moved from one state to another (``detail`` says why, e.g. the OS error)."""

    old: LinkState
    new: LinkState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ConditionChange:
    """A technical condition started (``active=True``) or ended on a device."""

    condition: TechnicalCondition
    active: bool
    detail: str = ""


@dataclass(frozen=True, slots=True)
class WaveformBlock:
    """Consecutive waveform samples (pleth, or ``kind`` CO2) received together."""

    samples: tuple[float, ...]
    sample_rate_hz: float
    kind: Kind = Kind.PLETH


@dataclass(frozen=True, slots=True)
class SourceOutput:
    """One item from a source, stamped with the host receive time (UTC)."""

    at: datetime
    item: Reading | WaveformBlock | ConditionChange | LinkStateChange | Condition


@runtime_checkable
class VitalsSource(Protocol):
    """A device the console reads: a serial driver or a simulated device."""

    @property
    def device_id(self) -> str:
        """Stable id, e.g. ``"oximeter:cms50-v7:/dev/ttyUSB0"`` or ``"oximeter:simulated"``."""
        ...

    @property
    def role(self) -> DeviceRole:
        """Oximeter or NIBP."""
        ...

    @property
    def state(self) -> LinkState:
        """The link state now."""
        ...

    @property
    def active_conditions(self) -> frozenset[TechnicalCondition]:
        """Technical conditions in force now."""
        ...

    def start(self) -> None:
        """Open the link (a serial driver starts its reader thread)."""
        ...

    def stop(self) -> None:
        """Close the link and stop any thread; idempotent."""
        ...

    def poll(self) -> list[SourceOutput]:
        """Return everything received since the last call, oldest first."""
        ...


@runtime_checkable
class NibpControl(Protocol):
    """Commands a blood-pressure source accepts (SunTech driver, simulated NIBP)."""

    @property
    def measuring(self) -> bool:
        """Whether a measurement is in progress."""
        ...

    def request_measurement(self) -> None:
        """Start one measurement now (ignored while one is running)."""
        ...

    def abort(self) -> None:
        """Abort the running measurement and deflate."""
        ...
