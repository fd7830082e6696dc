"""Simulated patient and devices: a physiology model, a pulse oximeter, an NIBP module and
a capnograph.

Plain Python and numpy, driven by an injected clock and seeded, so the same seed and the same calls
give the same outputs. The devices implement :class:`sessionmon.devices.source.VitalsSource` (and
the NIBP module :class:`sessionmon.devices.source.NibpControl`), exactly like the serial drivers.

The wire simulators put the same patient on a real wire: :mod:`sessionmon.sim.wire_sim` (a
serial device speaking one of the supported protocols) and :mod:`sessionmon.sim.intellivue_sim`
(a Philips IntelliVue answering Data Export over UDP or a pty). They live here, not in
``devices``, so that ``sim`` uses ``devices`` and never the other way round.
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
