"""Building the :class:`~sessionmon.runtime.snapshot.RuntimeSnapshot` the console shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sessionmon.alarms import AlarmEngine
from sessionmon.devices.source import LinkState, VitalsSource
from sessionmon.model import UNITS, AlarmPriority, Kind
from sessionmon.runtime.ingest import SourceIngest
from sessionmon.runtime.snapshot import DeviceStatus, NibpStatus, VitalValue
from sessionmon.runtime.view_changes import STALE_AFTER_S

#: Which displayed values each physiological alarm colours.
CONDITION_KINDS: dict[str, tuple[Kind, ...]] = {
    "spo2_low": (Kind.SPO2,),
    "hr_high": (Kind.HR,),
    "hr_low": (Kind.HR,),
    "nibp_sys_high": (Kind.NIBP_SYS,),
    "nibp_sys_low": (Kind.NIBP_SYS,),
    "nibp_dia_high": (Kind.NIBP_DIA,),
    "nibp_dia_low": (Kind.NIBP_DIA,),
    "nibp_map_low": (Kind.NIBP_MAP,),
    "nibp_map_high": (Kind.NIBP_MAP,),
    "spo2_desat": (Kind.SPO2,),
    "nibp_rise": (Kind.NIBP_SYS, Kind.NIBP_DIA),
    "resp_rate_low": (Kind.RESP_RATE,),
    "resp_rate_high": (Kind.RESP_RATE,),
    "apnea": (Kind.RESP_RATE,),
    "etco2_high": (Kind.ETCO2,),
    "etco2_low": (Kind.ETCO2,),
}

#: Oximeter numerics older than this are shown as stale.
OXIMETER_STALE_S = STALE_AFTER_S

_OXIMETER_KINDS = frozenset({Kind.HR, Kind.SPO2, Kind.PI, Kind.RESP_RATE})

#: Capnography numerics: shown as stale when as old as oximeter numerics, or while the device that
#: sent them reports a technical alarm.
_RESPIRATION_KINDS = frozenset({Kind.RESP_RATE, Kind.ETCO2, Kind.FICO2})

#: What goes stale with the oximeter when the oximeter sent it (a multiparameter monitor, such
#: as an IntelliVue, sends the capnography numerics too).
_AGING_WITH_OXIMETER = _OXIMETER_KINDS | _RESPIRATION_KINDS


def sorted_alarms(engine: AlarmEngine) -> list[Any]:
    """Active alarms, highest priority first, then oldest first."""
    return sorted(
        engine.active_alarms,
        key=lambda a: (-AlarmPriority(a.priority).rank, a.started_at),
    )


def vital_values(
    now: datetime, ingest: SourceIngest, alarms: list[Any], oximeter: VitalsSource | None
) -> dict[Kind, VitalValue]:
    """The latest value of each kind with its age, staleness and alarm colour."""
    colour: dict[Kind, AlarmPriority] = {}
    for alarm in alarms:
        for kind in CONDITION_KINDS.get(alarm.condition, ()):
            priority = AlarmPriority(alarm.priority)
            if kind not in colour or colour[kind].rank < priority.rank:
                colour[kind] = priority
    ox_tracker = ingest.trackers.get(id(oximeter)) if oximeter is not None else None
    ox_down = bool(ox_tracker and ox_tracker.conditions())
    down = {t.device_id for t in ingest.trackers.values() if t.conditions()}
    values: dict[Kind, VitalValue] = {}
    for kind, (value, at, source) in ingest.values.items():
        age = (now - at).total_seconds()
        if kind in _RESPIRATION_KINDS and (ox_tracker is None or source != ox_tracker.device_id):
            stale = age > OXIMETER_STALE_S or source in down
        else:
            # the oximeter's own numerics; a multiparameter monitor's etCO2 and FiCO2 too,
            # which go stale with it (old or the monitor gone) like its RR
            stale = kind in _AGING_WITH_OXIMETER and (age > OXIMETER_STALE_S or ox_down)
        values[kind] = VitalValue(
            kind, value, UNITS[kind], at, age, stale, colour.get(kind), source
        )
    return values


def device_statuses(ingest: SourceIngest) -> tuple[DeviceStatus, ...]:
    """Link state and conditions of every device."""
    return tuple(
        DeviceStatus(
            role=t.role,
            device_id=t.device_id,
            state=t.link,
            conditions=tuple(sorted(c.value for c in t.reported)),
            alarm_conditions=tuple(sorted(t.conditions())),
            last_data_at=t.last_data_at,
            detail=t.detail,
        )
        for t in ingest.trackers.values()
    )


def nibp_status(
    now: datetime,
    nibp: VitalsSource | None,
    ingest: SourceIngest,
    interval_s: float | None,
    last_request_at: datetime | None,
    protocol_reason: str | None = None,
) -> NibpStatus:
    """The NIBP module: measuring or not, cuff pressure, last result and the auto-cycle."""
    values = ingest.values
    sys_entry = values.get(Kind.NIBP_SYS)
    dia_entry = values.get(Kind.NIBP_DIA)
    map_entry = values.get(Kind.NIBP_MAP)
    measuring = bool(getattr(nibp, "measuring", False)) if nibp is not None else False
    cuff = ingest.cuff[0] if (ingest.cuff and measuring) else None
    next_auto = None
    if interval_s is not None:
        next_auto = (last_request_at or now) + timedelta(seconds=interval_s)
    return NibpStatus(
        available=nibp is not None and nibp.state is LinkState.STREAMING,
        measuring=measuring,
        cuff_pressure=cuff,
        last_sys=sys_entry[0] if sys_entry else None,
        last_dia=dia_entry[0] if dia_entry else None,
        last_map=map_entry[0] if map_entry else None,
        last_at=sys_entry[1] if sys_entry else None,
        auto_interval_s=interval_s,
        last_request_at=last_request_at,
        next_auto_at=next_auto,
        started_by_console=protocol_reason if measuring else None,
    )
