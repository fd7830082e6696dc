"""The priority a multiparameter monitor's own alarm is shown at.

The IntelliVue's alarm list gives each alarm an alert type (programming guide, alert types:
``LOW_PRI_T_AL`` 1, ``MED_PRI_T_AL`` 2, ``HI_PRI_T_AL`` 4 for technical alarms and
``LOW_PRI_P_AL`` 256, ``MED_PRI_P_AL`` 512, ``HI_PRI_P_AL`` 1024 for physiological ones; the
codec names them ``low`` / ``medium`` / ``high``). sessionmon shows the monitor's alarms of one
category as one alarm, at the highest priority the monitor gives any of them, so the console
and the monitor agree on how urgent it is; an alarm without a priority the codec knows comes at
the profile's own priority for that condition.
"""

from __future__ import annotations

from collections.abc import Iterable

from sessionmon.model import AlarmPriority

#: The monitor's priority words (the codec's) -> sessionmon's priorities.
MONITOR_PRIORITIES: dict[str, AlarmPriority] = {
    "low": AlarmPriority.LOW,
    "medium": AlarmPriority.MEDIUM,
    "high": AlarmPriority.HIGH,
}


def monitor_priority(priorities: Iterable[str]) -> AlarmPriority | None:
    """The highest of the monitor's priorities, or None when none is known."""
    known = [MONITOR_PRIORITIES[p] for p in priorities if p in MONITOR_PRIORITIES]
    return max(known, key=lambda p: p.rank) if known else None
