"""Carrying out a scenario's fault step: on the simulated patient or on one simulated device."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sessionmon.errors import UserError
from sessionmon.scenarios.model import Device, Fault, Step


def apply_fault(
    step: Step, physiology: Any, devices: Mapping[Device, Any | None], at: datetime
) -> None:
    """Inject the fault of ``step`` now.

    Parameters
    ----------
    step : Step
        A fault step.
    physiology : Physiology
        The simulated patient (an ``apnea`` stops its breathing for ``step.duration``).
    devices : mapping of Device to simulated device or None
        The session's simulated devices; None where the scenario has none of that kind.
    at : datetime
        Now.

    Raises
    ------
    UserError
        The fault's device is not in the session, or the device refuses the fault.
    """
    if step.fault is Fault.APNEA:
        physiology.set_apnea(at, step.duration)
        return
    target = step.target_device
    device = devices.get(target) if target is not None else None
    if device is None:
        raise UserError(
            f"fault {step.fault} needs the {target} device, which is not in the session"
        )
    device.inject_fault(str(step.fault), step.duration)
