"""Which of a session's sources measures breathing, and which breathing measures it supplies.

A multiparameter monitor (an IntelliVue) set up as the oximeter fills the respiration role too
(its ``roles`` name :attr:`~sessionmon.devices.source.DeviceRole.RESPIRATION`): the session then
records and shows its RR, etCO2 and CO2 wave without a separate capnograph. Such a monitor may
lack a CO2 module, or count RR from the ECG leads only; the discharge criteria then ask only for
the breathing measures it has delivered, so a monitor without capnography never blocks
discharge waiting for an etCO2 it cannot give. A dedicated capnograph is asked for both.
"""

from __future__ import annotations

from typing import Any

from sessionmon.devices.source import DeviceRole
from sessionmon.model import Kind

#: The breathing measures the discharge criteria judge.
BREATHING_KINDS: tuple[Kind, ...] = (Kind.RESP_RATE, Kind.ETCO2)


def fills_respiration(source: Any) -> bool:
    """Whether ``source`` (a started device) also measures breathing."""
    return source is not None and DeviceRole.RESPIRATION in tuple(getattr(source, "roles", ()))


def respiration_source(respiration: Any, *others: Any) -> Any:
    """The session's respiration source: ``respiration`` if given, else the first of
    ``others`` (the oximeter, the NIBP) that is a monitor measuring breathing too."""
    if respiration is not None:
        return respiration
    return next((s for s in others if fills_respiration(s)), None)


def breathing_kinds(respiration: Any, others: tuple[Any, ...], received: Any) -> tuple[str, ...]:
    """The breathing measures the discharge criteria ask for.

    Parameters
    ----------
    respiration : VitalsSource or None
        The session's respiration source.
    others : tuple
        The session's other sources (oximeter, NIBP).
    received : container of Kind
        The kinds received so far in the session.
    """
    if respiration is None:
        return ()
    if not any(respiration is s for s in others):
        return tuple(k.value for k in BREATHING_KINDS)  # a capnograph of its own
    return tuple(k.value for k in BREATHING_KINDS if k in received)
