"""The one way to turn device settings into started vitals sources.

Every caller that reads a real device goes through here: the console (its saved device
setup and its Test connection button), ``sessionmon decode --port`` and ``sessionmon
monitor``. A device setting is a :class:`~sessionmon.devices.profiles.DeviceConfig`: a driver
(protocol name), a port and optional port overrides (baud, parity, ...). On the command line
it is written ``DRIVER:PORT[,baud=N][,parity=O]...`` (:func:`parse_device`).

The driver for a protocol comes from its profile's role: an oximeter protocol is read by
:class:`~sessionmon.devices.serial_device.SerialOximeter` (start, keep-alive and stop
commands from the profile), the SunTech NIBP by
:class:`~sessionmon.devices.suntech_driver.SuntechNibp` (the command/response exchange).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sessionmon.clock import Clock
from sessionmon.devices.profiles import DeviceConfig, get_profile
from sessionmon.devices.source import DeviceRole, LinkState, VitalsSource
from sessionmon.errors import UserError

#: Port overrides a ``DRIVER:PORT,key=value`` argument may set, with their types.
_OVERRIDE_TYPES: dict[str, Callable[[str], Any]] = {
    "baud": int,
    "parity": str,
    "bytesize": int,
    "stopbits": float,
    "xonxoff": lambda v: v.strip().lower() in ("1", "true", "yes", "on"),
    "rtscts": lambda v: v.strip().lower() in ("1", "true", "yes", "on"),
}

#: How long a caller waits, by default, for a port to open before saying why it did not.
OPEN_TIMEOUT_S = 3.0

Wait = Callable[[float], object]


def _pause(seconds: float) -> None:
    import threading

    threading.Event().wait(seconds)


def device_config(protocol: str, port: str, **overrides: Any) -> DeviceConfig:
    """Return a validated device setting.

    Raises
    ------
    UserError
        If the protocol is unknown or an override is out of range (one line naming it).
    """
    get_profile(protocol)  # unknown protocol: the message lists the known ones
    try:
        return DeviceConfig(protocol=protocol, port=port, **overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "device"
        raise UserError(f"{protocol} on {port or '?'}: bad {where}: {first['msg']}") from None


def parse_device(text: str) -> DeviceConfig:
    """Parse ``DRIVER:PORT[,key=value...]`` (e.g. ``cms50-legacy:/dev/ttyUSB0,parity=O``).

    Raises
    ------
    UserError
        If the text has no ``:``, an unknown driver, an unknown or bad override.
    """
    driver, sep, rest = text.partition(":")
    if not sep or not driver.strip() or not rest.strip():
        raise UserError(f"device {text!r}: write DRIVER:PORT, e.g. cms50-v7:/dev/ttyUSB0")
    port, *options = rest.split(",")
    overrides: dict[str, Any] = {}
    for option in options:
        key, eq, value = option.partition("=")
        key = key.strip().lower()
        if not eq or key not in _OVERRIDE_TYPES:
            known = ", ".join(_OVERRIDE_TYPES)
            raise UserError(f"device {text!r}: unknown option {option!r} (known: {known})")
        try:
            overrides[key] = _OVERRIDE_TYPES[key](value.strip())
        except ValueError:
            raise UserError(f"device {text!r}: {key} must be a number, not {value!r}") from None
    return device_config(driver.strip(), port.strip(), **overrides)


def build_source(
    config: DeviceConfig,
    clock: Clock,
    role: DeviceRole | str | None = None,
    *,
    tap: Callable[[bytes], None] | None = None,
    **options: Any,
) -> Any:
    """Return the driver a device setting describes (not started).

    Parameters
    ----------
    config : DeviceConfig
        Driver, port and port overrides.
    clock : Clock
        Receive times and the driver's timers.
    role : DeviceRole or str, optional
        The role the caller wants; a driver of the other role is refused.
    tap : callable, optional
        Also receives every chunk of bytes the driver reads (reader thread), e.g. to print
        them frame by frame (``decode --port``) or to identify the protocol.
    **options
        Driver options (``stall_timeout_s``, ``idle_poll_s``, ``backoff`` ...).

    Raises
    ------
    UserError
        If the protocol is unknown or is not of ``role``.
    """
    from sessionmon.devices.intellivue_driver import IntelliVueMonitor
    from sessionmon.devices.profiles import get_spec
    from sessionmon.devices.serial_device import SerialOximeter
    from sessionmon.devices.suntech_driver import SuntechNibp

    profile = config.profile()
    roles = get_spec(config.protocol).all_roles
    if role is not None and DeviceRole(role) not in roles:
        kind = "an NIBP" if profile.role is DeviceRole.NIBP else "an oximeter"
        wanted = "NIBP" if DeviceRole(role) is DeviceRole.NIBP else "oximeter"
        raise UserError(f"{config.protocol} is {kind} driver; choose an {wanted} driver")
    if config.protocol == "intellivue":
        source: Any = IntelliVueMonitor(config.port, clock, overrides=config.overrides(), **options)
    elif profile.role is DeviceRole.NIBP:
        source: Any = SuntechNibp(config.port, clock, overrides=config.overrides(), **options)
    else:
        source = SerialOximeter(
            profile, config.port, clock, overrides=config.overrides(), **options
        )
    if tap is not None:
        source.link.add_tap(tap)
    return source


def start_source(
    config: DeviceConfig, clock: Clock, role: DeviceRole | str | None = None, **options: Any
) -> Any:
    """Build the driver (see :func:`build_source`) and start its reader thread."""
    source = build_source(config, clock, role, **options)
    source.start()
    return source


@dataclass
class DeviceSources:
    """The started sources of a session: an oximeter and, optionally, an NIBP module.

    A multiparameter monitor set up as the oximeter is also the NIBP when no other NIBP is
    set up (``nibp`` is then the same object).
    """

    oximeter: Any | None = None
    nibp: Any | None = None
    configs: dict[str, DeviceConfig] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop every source; idempotent."""
        for source in {id(s): s for s in (self.oximeter, self.nibp) if s is not None}.values():
            source.stop()


def start_sources(
    oximeter: DeviceConfig | None,
    nibp: DeviceConfig | None,
    clock: Clock,
    open_timeout_s: float | None = None,
    **options: Any,
) -> DeviceSources:
    """Build and start the session's devices; on a failure none is left running.

    Parameters
    ----------
    oximeter, nibp : DeviceConfig
        The devices (``nibp`` optional).
    clock : Clock
        The session's clock.
    open_timeout_s : float, optional
        Wait this long for each port to open and refuse one that does not (``sessionmon
        monitor``). ``None``: do not wait; a port that is not there yet shows as disconnected
        and is retried (the console).
    **options
        Driver options.

    Raises
    ------
    UserError
        If no oximeter is given, a setting names an unknown driver or a driver of the wrong
        role, or (with ``open_timeout_s``) a port does not open.
    """
    if oximeter is None:
        raise UserError("no oximeter is set up: choose an oximeter driver and its port")
    sources = DeviceSources(configs={"oximeter": oximeter})
    try:
        sources.oximeter = _start(oximeter, clock, DeviceRole.OXIMETER, open_timeout_s, options)
        if nibp is not None:
            sources.configs["nibp"] = nibp
            sources.nibp = _start(nibp, clock, DeviceRole.NIBP, open_timeout_s, options)
        elif DeviceRole.NIBP in getattr(sources.oximeter, "roles", ()):
            sources.nibp = sources.oximeter  # the monitor measures the BP too
    except BaseException:
        sources.stop()
        raise
    return sources


def _start(
    config: DeviceConfig,
    clock: Clock,
    role: DeviceRole,
    open_timeout_s: float | None,
    options: dict[str, Any],
) -> Any:
    if open_timeout_s is None:
        return start_source(config, clock, role, **options)
    return start_checked(config, clock, role, open_timeout_s, **options)


def wait_for_open(
    source: VitalsSource,
    timeout_s: float = OPEN_TIMEOUT_S,
    wait: Wait = _pause,
    deadline: Callable[[], float] | None = None,
) -> str | None:
    """Wait until a started serial source has opened its port.

    Returns
    -------
    str or None
        ``None`` once the port is open; otherwise why it did not open (the link's words,
        e.g. ``"cannot open /dev/ttyUSB0: no such port; ..."``).
    """
    import time

    clock = deadline or time.monotonic
    end = clock() + timeout_s
    link = getattr(source, "link", None)
    while clock() < end:
        state = source.state
        if state in (LinkState.STREAMING, LinkState.STALLED):
            return None
        if state is LinkState.RECONNECTING and link is not None:
            return link.last_failure or f"cannot open {link.port}"
        wait(0.01)
    return f"{getattr(link, 'port', 'the port')} did not open within {timeout_s:g} s"


def start_checked(
    config: DeviceConfig,
    clock: Clock,
    role: DeviceRole | str | None = None,
    timeout_s: float = OPEN_TIMEOUT_S,
    **options: Any,
) -> Any:
    """Start a source and wait for its port to open; a port that does not open is refused.

    Raises
    ------
    UserError
        ``cannot open PORT (SETTINGS): why`` (the source is stopped first).
    """
    source = start_source(config, clock, role, **options)
    failure = wait_for_open(source, timeout_s)
    if failure is not None:
        source.stop()
        reason = failure.split(": ", 1)[1] if failure.startswith("cannot open") else failure
        raise UserError(f"cannot open {config.port} ({config.settings().describe()}): {reason}")
    return source
