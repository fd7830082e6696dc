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
    DeviceRole.OXIMETER: (
        "oximeter_sensor_off",
        "oximeter_disconnected",
        "oximeter_no_data",
        "oximeter_no_valid_data",
    ),
    DeviceRole.NIBP: ("nibp_disconnected", "nibp_failed"),
    DeviceRole.RESPIRATION: ("capno_no_data", "capno_line_blocked"),
}


def alarm_conditions(
    role: DeviceRole, link: LinkState, reported: frozenset[TechnicalCondition] | set, started: bool
) -> set[str]:
    """Return the technical alarm conditions in force for one device.

    Parameters
    ----------
    role : DeviceRole
        Oximeter, NIBP or respiration (capnography).
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
            silent = TC.NO_DATA in reported or link is LinkState.STALLED
            if silent:
                out.add("oximeter_no_data")
            elif TC.NO_VALID_DATA in reported or TC.TOO_FAST in reported:
                out.add("oximeter_no_valid_data")
            if reported_sensor_off(reported):
                out.add("oximeter_sensor_off")
    elif role is DeviceRole.RESPIRATION:
        if disconnected or TC.NO_DATA in reported or link is LinkState.STALLED:
            out.add("capno_no_data")
        elif TC.LINE_BLOCKED in reported:
            out.add("capno_line_blocked")
    else:
        # an idle module that misses its keep-alive (no_data) is as gone as an unplugged one
        if disconnected or TC.NO_DATA in reported:
            out.add("nibp_disconnected")
        elif TC.NIBP_FAILED in reported:
            out.add("nibp_failed")
    return out


#: Device conditions that mean the oximeter has no sensor reading (a run of "no value" markers
#: counts like the finger out: the alarm profile's sensor-off delay sets how long a run is).
SENSOR_OFF_CONDITIONS = frozenset({TC.SENSOR_OFF, TC.SENSOR_FAULT, TC.NO_VALUE})

#: Which device conditions explain each alarm condition (for the alarm's detail).
_EXPLAINS: dict[str, tuple[TechnicalCondition, ...]] = {
    "oximeter_sensor_off": (TC.SENSOR_OFF, TC.SENSOR_FAULT, TC.NO_VALUE),
    "oximeter_no_valid_data": (TC.TOO_FAST, TC.NO_VALID_DATA),
    "oximeter_no_data": (TC.NO_DATA,),
    "oximeter_disconnected": (TC.DISCONNECTED,),
    "nibp_disconnected": (TC.DISCONNECTED, TC.NO_DATA),
    "nibp_failed": (TC.NIBP_FAILED,),
}


def reported_sensor_off(reported: frozenset[TechnicalCondition] | set) -> bool:
    """Whether the oximeter reports no sensor reading (finger out, probe fault, "no value")."""
    return not SENSOR_OFF_CONDITIONS.isdisjoint(reported)


@dataclass
class DeviceTracker:
    """What the runtime knows about one device's technical state."""

    role: DeviceRole
    device_id: str
    link: LinkState = LinkState.DISCONNECTED
    roles: tuple[DeviceRole, ...] = ()  # every role a multiparameter monitor fills
    reported: dict[TechnicalCondition, str] = field(default_factory=dict)
    started: bool = False
    last_data_at: datetime | None = None
    detail: str = ""

    def all_roles(self) -> tuple[DeviceRole, ...]:
        """The roles this device fills (its own role if it fills only one)."""
        return self.roles or (self.role,)

    def alarm_ids(self) -> tuple[str, ...]:
        """Every technical alarm condition this device may raise, over all its roles."""
        return tuple(c for r in self.all_roles() for c in TECHNICAL_CONDITIONS.get(r, ()))

    def conditions(self) -> set[str]:
        """Return the technical alarm conditions this device's state implies."""
        reported = frozenset(self.reported)
        out: set[str] = set()
        for role in self.all_roles():
            if role in TECHNICAL_CONDITIONS:
                out |= alarm_conditions(role, self.link, reported, self.started)
        return out

    def condition_detail(self, condition: str) -> str:
        """Return the device's own words for why ``condition`` is in force, if it gave any."""
        for reported in _EXPLAINS.get(condition, ()):
            detail = self.reported.get(reported)
            if detail:
                return detail
        for reported, detail in self.reported.items():
            if detail and reported.value in condition:
                return detail
        return self.detail
