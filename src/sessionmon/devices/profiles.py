"""Device profiles: what the link layer needs to know about each supported device.

A profile joins the protocol's entry in the parsers' registry (port settings, parser) with the
link-level facts: the device's role, its pleth sample rate, how long a per-frame flag may be
absent before its condition ends, start and keep-alive commands, and the USB bridge it usually
comes with. Port settings can be overridden per installation (:class:`DeviceConfig` in the
settings file), because several devices ship with firmware-dependent baud rate or parity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sessionmon.devices.protocols.base import Parser, PortSettings, parity_letter
from sessionmon.devices.source import DeviceRole
from sessionmon.errors import UserError


@dataclass(frozen=True, slots=True)
class PortOverrides:
    """Port settings that differ from a profile's defaults; ``None`` keeps the default."""

    baud: int | None = None
    parity: str | None = None
    bytesize: int | None = None
    stopbits: float | None = None
    xonxoff: bool | None = None
    rtscts: bool | None = None

    def apply(self, settings: PortSettings) -> PortSettings:
        """Return ``settings`` with the overridden fields replaced."""
        return settings.with_changes(**{k: getattr(self, k) for k in _OVERRIDE_FIELDS})


_OVERRIDE_FIELDS = ("baud", "parity", "bytesize", "stopbits", "xonxoff", "rtscts")


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """Everything the link layer needs to drive one kind of device.

    Attributes
    ----------
    name : str
        Protocol name (``"cms50-v7"``).
    role : DeviceRole
        Oximeter or NIBP.
    defaults : PortSettings
        Port settings from the reference.
    parser_factory : callable
        Returns a fresh parser.
    pleth_rate_hz : float or None
        Pleth samples per second (``None``: the protocol carries no pleth).
    frame_rate_hz : float
        Frames per second the device sends (a stream far faster is dropped as not valid).
    condition_hold_frames : int
        Frames without a flag before its condition ends (flags carried only in some frames of a
        packet need a whole packet).
    start_command, keepalive_command, stop_command : bytes
        Sent after opening / every ``keepalive_s`` seconds / before closing.
    keepalive_s : float or None
        Keep-alive period.
    usb_hint : str
        The USB bridge the device usually comes with.
    """

    name: str
    role: DeviceRole
    defaults: PortSettings
    parser_factory: Callable[[], Parser]
    pleth_rate_hz: float | None = None
    frame_rate_hz: float = 1.0
    condition_hold_frames: int = 1
    start_command: bytes = b""
    keepalive_command: bytes = b""
    keepalive_s: float | None = None
    stop_command: bytes = b""
    usb_hint: str = ""
    notes: str = field(default="", compare=False)

    def settings(self, overrides: PortOverrides | None = None) -> PortSettings:
        """Return the port settings with ``overrides`` applied."""
        return overrides.apply(self.defaults) if overrides else self.defaults

    def new_parser(self) -> Parser:
        """Return a fresh parser for this device."""
        return self.parser_factory()


_CP210X = "Silicon Labs CP210x (10C4:EA60)"
_ADAPTER = "USB-serial adapter (FTDI 0403:6001, Prolific 067B:2303) or a built-in port"

#: The USB bridge each device usually comes with: the one link-level fact the parsers'
#: registry does not hold (how long a flag may be absent is its ``flag_hold_frames``).
USB_HINTS: dict[str, str] = {
    "cms50-legacy": _CP210X,
    "cms50-v7": _CP210X,
    "nonin-df2": _ADAPTER,
    "nonin-df7": _ADAPTER,
    "nonin-df8": _ADAPTER,
    "nonin-ascii": _ADAPTER,
    "masimo-ascii": _ADAPTER,
    "suntech": _ADAPTER,
    "intellivue": "the monitor's MIB/RS232 port via a USB-serial adapter, or its LAN (udp:HOST)",
}


def _registry() -> dict[str, Any]:
    from sessionmon.devices.protocols import PROTOCOLS

    return PROTOCOLS


def protocol_names() -> list[str]:
    """Return the protocol names a device can be configured with."""
    return sorted(_registry())


def get_spec(name: str) -> Any:
    """Return the parsers' registry entry (``ProtocolSpec``) of protocol ``name``.

    Raises
    ------
    UserError
        If no such protocol exists (the message lists the known ones).
    """
    registry = _registry()
    if name not in registry:
        raise UserError(f"unknown device protocol {name!r}; known: {', '.join(sorted(registry))}")
    return registry[name]


def get_profile(name: str) -> DeviceProfile:
    """Return the profile of protocol ``name`` (raises :class:`UserError` if unknown)."""
    spec = get_spec(name)
    return DeviceProfile(
        name=name,
        role=spec.role,
        defaults=spec.port_settings,
        parser_factory=spec.make_parser,
        pleth_rate_hz=spec.pleth_rate_hz,
        frame_rate_hz=spec.frame_rate_hz,
        condition_hold_frames=spec.flag_hold_frames,
        start_command=spec.start_command,
        keepalive_command=spec.keepalive_command,
        keepalive_s=spec.keepalive_s,
        stop_command=spec.stop_command,
        usb_hint=USB_HINTS.get(name, ""),
        notes=spec.description,
    )


ParityLetter = Literal["N", "E", "O", "M", "S"]


class DeviceConfig(BaseModel):
    """One device in the settings file: a protocol on a port, with optional port overrides.

    Examples
    --------
    ``{"protocol": "cms50-legacy", "port": "/dev/ttyUSB0", "parity": "O", "xonxoff": true}``
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: str
    port: str = Field(min_length=1)
    baud: int | None = Field(default=None, gt=0, le=4_000_000)
    parity: ParityLetter | None = None
    bytesize: Literal[5, 6, 7, 8] | None = None
    stopbits: Literal[1, 1.5, 2] | None = None
    xonxoff: bool | None = None
    rtscts: bool | None = None

    @field_validator("parity", mode="before")
    @classmethod
    def _upper_parity(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = parity_letter(value)
        return value

    def overrides(self) -> PortOverrides:
        """Return the port overrides this entry sets."""
        return PortOverrides(**{k: getattr(self, k) for k in _OVERRIDE_FIELDS})

    def profile(self) -> DeviceProfile:
        """Return the protocol's profile (raises :class:`UserError` for an unknown protocol)."""
        return get_profile(self.protocol)

    def settings(self) -> PortSettings:
        """Return the port settings: profile defaults with this entry's overrides."""
        return self.profile().settings(self.overrides())
