"""From what a device reports to the technical alarm conditions the alarm engine knows.

A device's technical state is its link state plus the set of technical conditions it reports; the
alarm conditions follow from those by the table in :func:`alarm_conditions`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sessionmon.devices.readings import TechnicalCondition
from sessionmon.devices.source import DeviceRole, LinkState

TC = TechnicalCondition

#: Link states in which a started device counts as disconnected.
_DISCONNECTED_STATES = frozenset({LinkState.DISCONNECTED, LinkState.RECONNECTING})

#: Every technical alarm condition the runtime may raise for each role.
TECHNICAL_CONDITIONS: dict[DeviceRole, tuple[str, ...]] = {
    DeviceRole.OXIMETER: ("oximeter_sensor_off", "oximeter_disconnected", "oximeter_no_data"),
    DeviceRole.NIBP: ("nibp_disconnected", "nibp_failed"),
}


def alarm_conditions(
    role: DeviceRole, link: LinkState, reported: frozenset[TechnicalCondition] | set, started: bool
) -> set[str]:
    """Return the technical alarm conditions in force for one device.

    Parameters
    ----------
    role : DeviceRole
        Oximeter or NIBP.
    link : LinkState
        The device's link state.
    reported : set of TechnicalCondition
        Conditions the device reports as active.
    started : bool
        Whether the runtime has started the device (a device never started is not "disconnected").
    """
    out: set[str] = set()
    disconnected = TC.DISCONNECTED in reported or (started and link in _DISCONNECTED_STATES)
    if role is DeviceRole.OXIMETER:
        if disconnected:
            out.add("oximeter_disconnected")
        else:
            if TC.NO_DATA in reported or link is LinkState.STALLED:
                out.add("oximeter_no_data")
            if TC.SENSOR_OFF in reported or TC.SENSOR_FAULT in reported:
                out.add("oximeter_sensor_off")
    else:
        if disconnected:
            out.add("nibp_disconnected")
        elif TC.NIBP_FAILED in reported:
            out.add("nibp_failed")
    return out


@dataclass
class DeviceTracker:
    """What the runtime knows about one device's technical state."""

    role: DeviceRole
    device_id: str
    link: LinkState = LinkState.DISCONNECTED
    reported: dict[TechnicalCondition, str] = field(default_factory=dict)
    started: bool = False
    last_data_at: datetime | None = None
    detail: str = ""

    def conditions(self) -> set[str]:
        """Return the technical alarm conditions this device's state implies."""
        return alarm_conditions(self.role, self.link, frozenset(self.reported), self.started)

    def condition_detail(self, condition: str) -> str:
        """Return the device's own words for why ``condition`` is in force, if it gave any."""
        for reported, detail in self.reported.items():
            if detail and reported.value in condition:
                return detail
        return self.detail
