"""The console's vitals sources: simulated devices, or the clinic's serial devices.

Serial devices are built by the core's one source factory
(:mod:`sessionmon.devices.factory`); this module only turns the saved device setup
(:class:`~sessionmon.ui.settings.DeviceChoice`) into the factory's device settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sessionmon.clock import Clock
from sessionmon.ui.settings import ConsoleSettings, DeviceChoice

#: The simulated patient of the simulator's live session (uneventful esketamine session).
DEFAULT_BASELINE = {"hr": 74.0, "spo2": 98.0, "sys": 126.0, "dia": 80.0}


@dataclass
class SimulatedDevices:
    """A simulated patient and the simulated devices measuring it (capnograph optional)."""

    physiology: Any
    oximeter: Any
    nibp: Any
    respiration: Any = None

    def by_device(self) -> dict[Any, Any]:
        """The devices by scenario device name (``Device``), None where there is none."""
        from sessionmon.scenarios.model import Device

        return {
            Device.OXIMETER: self.oximeter,
            Device.NIBP: self.nibp,
            Device.RESPIRATION: self.respiration,
        }


def simulated_devices(
    clock: Clock,
    baseline: dict[str, float] | None = None,
    seed: int = 7,
    respiration: bool = True,
) -> SimulatedDevices:
    """Return a simulated patient with a simulated oximeter, NIBP module and capnograph.

    ``respiration=False`` leaves the capnograph out (a chair with an oximeter and an NIBP only).
    """
    from sessionmon.sim import (
        Physiology,
        PhysiologyTargets,
        SimulatedCapnograph,
        SimulatedNibp,
        SimulatedOximeter,
    )

    values = dict(DEFAULT_BASELINE)
    values.update(baseline or {})
    physiology = Physiology(clock, baseline=PhysiologyTargets(**values), seed=seed)
    return SimulatedDevices(
        physiology,
        SimulatedOximeter(clock, physiology, seed=seed),
        SimulatedNibp(clock, physiology, seed=seed),
        SimulatedCapnograph(clock, physiology, seed=seed) if respiration else None,
    )


def device_config(choice: DeviceChoice) -> Any:
    """Return the core's device setting of a saved choice (raises ``UserError`` if invalid)."""
    from sessionmon.devices.factory import device_config as make

    return make(choice.protocol, choice.port, **choice.overrides)


def serial_devices(settings: ConsoleSettings, clock: Clock) -> tuple[Any | None, Any | None]:
    """Return ``(oximeter, nibp)``: the saved device setup, built and started by the factory."""
    from sessionmon.devices.factory import start_sources
    from sessionmon.errors import UserError

    chosen = settings.devices
    if "oximeter" not in chosen:
        raise UserError("no oximeter is set up: open Devices and choose a driver and a port")
    nibp = device_config(chosen["nibp"]) if "nibp" in chosen else None
    sources = start_sources(device_config(chosen["oximeter"]), nibp, clock)
    return sources.oximeter, sources.nibp


def test_connection(
    role: str, protocol: str, port: str, clock: Clock, overrides: dict[str, Any] | None = None
) -> tuple[bool, str]:
    """Test a device as the dialog's Test connection button does (see ``devices.probe``)."""
    from sessionmon.devices.probe import check_connection
    from sessionmon.errors import UserError

    try:
        config = device_config(DeviceChoice(protocol, port, dict(overrides or {})))
    except UserError as exc:
        return False, str(exc)
    result = check_connection(config, clock, role)
    return result.ok, result.message
