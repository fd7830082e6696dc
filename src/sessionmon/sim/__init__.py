"""Simulated patient and devices: a physiology model, a pulse oximeter, an NIBP module and
a capnograph.

Plain Python and numpy, driven by an injected clock and seeded, so the same seed and the same calls
give the same outputs. The devices implement :class:`sessionmon.devices.source.VitalsSource` (and
the NIBP module :class:`sessionmon.devices.source.NibpControl`), exactly like the serial drivers.
"""

from sessionmon.sim.capnograph import SimulatedCapnograph
from sessionmon.sim.device import SimulatedDevice
from sessionmon.sim.nibp import LEAK_ERROR, SimulatedNibp
from sessionmon.sim.oximeter import SimulatedOximeter
from sessionmon.sim.physiology import (
    PARAMETERS,
    Physiology,
    PhysiologyState,
    PhysiologyTargets,
)

__all__ = [
    "LEAK_ERROR",
    "PARAMETERS",
    "Physiology",
    "PhysiologyState",
    "PhysiologyTargets",
    "SimulatedCapnograph",
    "SimulatedDevice",
    "SimulatedNibp",
    "SimulatedOximeter",
]
