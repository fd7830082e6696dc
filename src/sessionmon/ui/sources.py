"""Building the vitals sources for a session: simulated devices, or the clinic's serial devices."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sessionmon.clock import Clock
from sessionmon.errors import UserError
from sessionmon.ui.settings import ConsoleSettings

#: The simulated patient of the simulator's live session (uneventful esketamine session).
DEFAULT_BASELINE = {"hr": 74.0, "spo2": 98.0, "sys": 126.0, "dia": 80.0}


@dataclass
class SimulatedDevices:
    """A simulated patient and the two simulated devices measuring it."""

    physiology: Any
    oximeter: Any
    nibp: Any


def simulated_devices(
    clock: Clock, baseline: dict[str, float] | None = None, seed: int = 7
) -> SimulatedDevices:
    """Return a simulated patient with a simulated oximeter and NIBP module."""
    from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedNibp, SimulatedOximeter

    values = dict(DEFAULT_BASELINE)
    values.update(baseline or {})
    physiology = Physiology(clock, baseline=PhysiologyTargets(**values), seed=seed)
    return SimulatedDevices(
        physiology,
        SimulatedOximeter(clock, physiology, seed=seed),
        SimulatedNibp(clock, physiology, seed=seed),
    )


def serial_source(role: str, protocol: str, port: str, clock: Clock) -> Any:
    """Return the serial vitals source for ``protocol`` on ``port`` (not started)."""
    from sessionmon.devices.profiles import get_profile

    profile = get_profile(protocol)
    if profile.role.value != role:
        raise UserError(f"{protocol} is a {profile.role.value} protocol, not a {role} one")
    if role == "nibp":
        try:
            from sessionmon.devices.suntech_driver import SuntechNibp
        except ImportError as exc:
            raise UserError(f"the NIBP driver is not available ({exc})") from None
        return SuntechNibp(profile, port, clock)
    from sessionmon.devices.serial_device import SerialOximeter

    return SerialOximeter(profile, port, clock)


def serial_devices(settings: ConsoleSettings, clock: Clock) -> tuple[Any | None, Any | None]:
    """Return ``(oximeter, nibp)`` serial sources from the saved device setup."""
    chosen = settings.devices
    if "oximeter" not in chosen:
        raise UserError("no oximeter is set up: open Devices and choose a driver and a port")
    oximeter = serial_source(
        "oximeter", chosen["oximeter"].protocol, chosen["oximeter"].port, clock
    )
    nibp = None
    if "nibp" in chosen:
        nibp = serial_source("nibp", chosen["nibp"].protocol, chosen["nibp"].port, clock)
    return oximeter, nibp


def test_connection(
    role: str, protocol: str, port: str, clock: Clock, timeout_s: float = 3.0
) -> tuple[bool, str]:
    """Open the device briefly and report whether data arrives (waits at most ``timeout_s``)."""
    from sessionmon.devices.readings import Reading
    from sessionmon.devices.source import WaveformBlock

    try:
        source = serial_source(role, protocol, port, clock)
    except UserError as exc:
        return False, str(exc)
    except Exception as exc:
        return False, f"cannot use {protocol} on {port}: {exc}"
    deadline = time.monotonic() + timeout_s
    try:
        source.start()
        while time.monotonic() < deadline:
            for output in source.poll():
                if isinstance(output.item, Reading | WaveformBlock):
                    return True, f"{protocol} on {port}: data is arriving ({source.state.value})"
            time.sleep(0.05)
        return (
            False,
            f"{protocol} on {port}: no data in {timeout_s:g} s (state {source.state.value})",
        )
    except Exception as exc:
        return False, f"{protocol} on {port}: {exc}"
    finally:
        source.stop()
