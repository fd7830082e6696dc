"""The one place that knows the runtime snapshot: turns it into the console's view model.

Everything else in :mod:`sessionmon.ui` draws :mod:`sessionmon.ui.viewmodel` objects, so a change
in the core's snapshot shape changes this module only.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np

from sessionmon.lifecycle import ENDING_LABELS, ending_of
from sessionmon.model import AlarmCategory, AlarmPriority, Kind, SessionPhase
from sessionmon.ui.trend_buffer import SessionTrends
from sessionmon.ui.viewmodel import (
    NO_VALUE,
    AlarmItemView,
    AudioView,
    CheckView,
    ConsoleView,
    DeviceView,
    DischargeView,
    HeaderView,
    NibpView,
    NumericView,
    RespirationView,
    Spo2View,
    TrendMarker,
)

PHASE_TEXT = {
    SessionPhase.PLANNED: "planned",
    SessionPhase.BASELINE: "pre-dose checks",
    SessionPhase.DOSING: "dosing",
    SessionPhase.OBSERVATION: "observation",
    SessionPhase.DISCHARGE_READY: "ready for discharge",
    SessionPhase.CLOSED: "closed",
    SessionPhase.INTERRUPTED: "interrupted",
}

#: Seconds of pleth waveform the SpO2 tile shows.
PLETH_WINDOW_S = 6.0

#: Readable names of alarm conditions for the bar (the engine's message is used when it has one).
CONDITION_TEXT = {
    "spo2_low": "SpO2 LOW",
    "hr_high": "HR HIGH",
    "hr_low": "HR LOW",
    "nibp_sys_high": "NIBP SYS HIGH",
    "nibp_dia_high": "NIBP DIA HIGH",
    "nibp_sys_low": "NIBP SYS LOW",
    "nibp_dia_low": "NIBP DIA LOW",
    "nibp_map_low": "NIBP MEAN LOW",
    "nibp_map_high": "NIBP MEAN HIGH",
    "spo2_desat": "SpO2 DESATURATION",
    "nibp_rise": "BP RISE OVER BASELINE",
    "oximeter_sensor_off": "SpO2 SENSOR OFF",
    "oximeter_disconnected": "OXIMETER DISCONNECTED",
    "oximeter_no_data": "OXIMETER NO DATA",
    "oximeter_no_valid_data": "OXIMETER DATA NOT VALID",
    "nibp_disconnected": "NIBP DISCONNECTED",
    "nibp_failed": "NIBP FAILED",
    "audio_unavailable": "AUDIO UNAVAILABLE",
    "storage_failure": "STORAGE FAILURE",
    "central_unreachable": "CENTRAL UNREACHABLE",
    "predose_bp_elevated": "PRE-DOSE BP ELEVATED",
    "bp_check_due": "BP CHECK DUE",
    "bp_check_overdue": "BP CHECK OVERDUE",
    "discharge_blocked": "DISCHARGE BLOCKED",
    "resp_rate_low": "RESP. RATE LOW",
    "resp_rate_high": "RESP. RATE HIGH",
    "apnea": "APNOEA",
    "etco2_high": "etCO2 HIGH",
    "etco2_low": "etCO2 LOW",
    "capno_no_data": "CAPNOGRAPH NO DATA",
    "capno_line_blocked": "CO2 LINE BLOCKED",
}

#: Short alarm-bar labels (the full message goes in the tooltip and the alarm log). Conditions
#: with a measured value get it appended: ``SpO2 LOW 80``.
SHORT_TEXT = {
    "spo2_low": "SpO2 LOW",
    "hr_high": "HR HIGH",
    "hr_low": "HR LOW",
    "nibp_sys_high": "SYS HIGH",
    "nibp_dia_high": "DIA HIGH",
    "nibp_sys_low": "SYS LOW",
    "nibp_dia_low": "DIA LOW",
    "nibp_map_low": "MAP LOW",
    "nibp_map_high": "MAP HIGH",
    "spo2_desat": "SpO2 DESAT",
    "nibp_rise": "BP RISE",
    "oximeter_sensor_off": "SENSOR OFF",
    "oximeter_disconnected": "SpO2 UNPLUGGED",
    "oximeter_no_data": "SpO2 NO DATA",
    "oximeter_no_valid_data": "SpO2 BAD DATA",
    "nibp_disconnected": "NIBP UNPLUGGED",
    "nibp_failed": "NIBP FAILED",
    "audio_unavailable": "AUDIO UNAVAILABLE",
    "storage_failure": "STORAGE FAILURE",
    "central_unreachable": "CENTRAL UNREACHABLE",
    "predose_bp_elevated": "PRE-DOSE BP HIGH",
    "bp_check_due": "BP CHECK DUE",
    "bp_check_overdue": "BP CHECK OVERDUE",
    "discharge_blocked": "DISCHARGE BLOCKED",
    "bp_start_on_monitor": "START BP ON THE MONITOR",
    "resp_rate_low": "RR LOW",
    "resp_rate_high": "RR HIGH",
    "apnea": "APNOEA",
    "etco2_high": "etCO2 HIGH",
    "etco2_low": "etCO2 LOW",
    "capno_no_data": "CO2 NO DATA",
    "capno_line_blocked": "CO2 LINE BLOCKED",
}

#: A monitor's own alarms show its words (the full message) in the bar.
_MONITOR_CONDITIONS = frozenset({"monitor_physiological_alarm", "monitor_technical_alarm"})

#: Conditions whose measured value is worth showing in the short label.
_VALUE_CONDITIONS = frozenset(
    {
        "spo2_low",
        "spo2_desat",
        "hr_high",
        "hr_low",
        "nibp_sys_high",
        "nibp_dia_high",
        "nibp_sys_low",
        "nibp_dia_low",
        "nibp_map_low",
        "nibp_map_high",
        "nibp_rise",
        "resp_rate_low",
        "resp_rate_high",
        "etco2_high",
        "etco2_low",
    }
)


def short_alarm_text(condition: str, value: float | None = None) -> str:
    """Return the alarm bar's short label, e.g. ``SpO2 LOW 80`` or ``SENSOR OFF``.

    ``""`` for a monitor's own alarms: the bar shows their message, the monitor's words.
    """
    if condition in _MONITOR_CONDITIONS:
        return ""
    text = SHORT_TEXT.get(condition) or CONDITION_TEXT.get(
        condition, condition.replace("_", " ").upper()
    )
    if value is not None and condition in _VALUE_CONDITIONS:
        text += f" {value:.0f}"
    return text


#: Which tile an alarm condition colours.
TILE_OF_CONDITION = {
    "spo2_low": "spo2",
    "spo2_desat": "spo2",
    "oximeter_sensor_off": "spo2",
    "oximeter_disconnected": "spo2",
    "oximeter_no_data": "spo2",
    "oximeter_no_valid_data": "spo2",
    "hr_high": "hr",
    "hr_low": "hr",
    "nibp_sys_high": "nibp",
    "nibp_dia_high": "nibp",
    "nibp_sys_low": "nibp",
    "nibp_dia_low": "nibp",
    "nibp_map_low": "nibp",
    "nibp_map_high": "nibp",
    "nibp_rise": "nibp",
    "nibp_failed": "nibp",
    "nibp_disconnected": "nibp",
    "resp_rate_low": "rr",
    "resp_rate_high": "rr",
    "apnea": "rr",
    "etco2_high": "etco2",
    "etco2_low": "etco2",
    "capno_no_data": "etco2",
    "capno_line_blocked": "etco2",
}

#: Seconds of capnogram the etCO2 tile shows.
CO2_WINDOW_S = 12.0


def _enum(value: Any, enum: type) -> Any:
    if value is None or type(value) is enum:
        return value  # nothing to convert (no exception raised and caught every frame)
    try:
        return enum(getattr(value, "value", value))
    except ValueError:
        return None


def format_duration(seconds: float) -> str:
    """Return ``seconds`` as ``H:MM:SS`` (or ``MM:SS`` under an hour)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def local_hm(at: datetime | None) -> str:
    """Return a UTC time as local ``HH:MM``."""
    return at.astimezone().strftime("%H:%M") if at else ""


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return NO_VALUE
    return f"{value:.{digits}f}"


def alarm_views(alarms: tuple[Any, ...]) -> tuple[AlarmItemView, ...]:
    """Turn the engine's active alarms into bar items."""
    items = []
    for alarm in alarms:
        condition = str(getattr(alarm, "condition", "alarm"))
        priority = _enum(getattr(alarm, "priority", "low"), AlarmPriority) or AlarmPriority.LOW
        category = (
            _enum(getattr(alarm, "category", "technical"), AlarmCategory) or AlarmCategory.TECHNICAL
        )
        message = getattr(alarm, "message", None) or CONDITION_TEXT.get(
            condition, condition.replace("_", " ").upper()
        )
        value = getattr(alarm, "value", None)
        extreme = getattr(alarm, "extreme", None)
        if extreme is not None and getattr(alarm, "latched", False):
            value = extreme  # a latched alarm shows what it reached (nadir or peak)
        items.append(
            AlarmItemView(
                condition=condition,
                message=message,
                short=short_alarm_text(
                    condition, value if isinstance(value, int | float) else None
                ),
                priority=priority,
                category=category,
                acknowledged=bool(getattr(alarm, "acknowledged", False)),
                latched=bool(getattr(alarm, "latched", False)),
                started=local_hm(getattr(alarm, "started_at", None)),
            )
        )
    return tuple(items)


def audio_alarm_without_session(rule: Any, reason: str) -> AlarmItemView:
    """The alarm bar's item for alarm sound that cannot play while no session runs.

    No alarm engine runs then, so nothing raises ``audio_unavailable``; the bar shows it as the
    engine would (the profile's rule: its priority, category and message), not "No active
    alarms".

    Parameters
    ----------
    rule : ConditionRule
        The alarm profile's rule ``audio_unavailable``.
    reason : str
        Why sound cannot play (the rule message's ``{detail}``).
    """
    alarm = SimpleNamespace(
        condition="audio_unavailable",
        priority=rule.priority,
        category=rule.category,
        message=rule.render(detail=reason),
    )
    return alarm_views((alarm,))[0]


def audio_view(audio: Any, available: bool) -> AudioView:
    """Turn the engine's audio state into the indicator's view."""
    sounding = _enum(getattr(audio, "sounding", None), AlarmPriority) if audio else None
    if not available:
        return AudioView("unavailable", sounding=sounding)
    if audio is not None and getattr(audio, "paused", False):
        return AudioView("paused", float(getattr(audio, "pause_remaining_s", 0.0)), sounding)
    return AudioView("on", sounding=sounding)


def _tile_priorities(alarms: tuple[AlarmItemView, ...]) -> dict[str, AlarmPriority]:
    result: dict[str, AlarmPriority] = {}
    for alarm in alarms:
        tile = TILE_OF_CONDITION.get(alarm.condition)
        if tile and (tile not in result or alarm.priority.rank > result[tile].rank):
            result[tile] = alarm.priority
    return result


def _tiles_flashing(alarms: tuple[AlarmItemView, ...]) -> set[str]:
    """Tiles with at least one unacknowledged alarm (acknowledged ones stop flashing)."""
    return {
        tile
        for alarm in alarms
        if not alarm.acknowledged and (tile := TILE_OF_CONDITION.get(alarm.condition))
    }


def _signal_quality(snapshot: Any) -> tuple[float, str]:
    oximeter = next((d for d in snapshot.devices if str(d.role) == "oximeter"), None)
    if oximeter is None or str(oximeter.state) != "streaming":
        return 0.0, "no signal"
    conditions = set(oximeter.conditions)
    if conditions & {"sensor_off", "sensor_fault", "disconnected", "no_data"}:
        return 0.0, "sensor off"
    if conditions & {"artifact", "searching"}:
        return 0.3, "artifact"
    pi_entry = snapshot.values.get(Kind.PI)
    pi = pi_entry.value if pi_entry is not None else None
    if conditions & {"low_perfusion", "low_signal"} or (pi is not None and pi < 0.3):
        return 0.45, "weak"
    if pi is None:
        return 0.8, "good"
    return min(1.0, 0.6 + pi / 10.0), "good"


def console_view(snapshot: Any) -> ConsoleView:
    """Build the :class:`ConsoleView` of a runtime snapshot."""
    session = snapshot.session
    alarms = alarm_views(tuple(snapshot.alarms))
    tiles = _tile_priorities(alarms)
    flashing = _tiles_flashing(alarms)
    values = snapshot.values
    hr = values.get(Kind.HR)
    spo2 = values.get(Kind.SPO2)
    treatment = session.treatment
    treatment_text = f"{treatment.drug.value.capitalize()} {treatment.dose_mg:g} mg"
    if treatment.route.value == "intravenous":
        treatment_text += " IV"
    since = snapshot.since_dose_s
    ending = ending_of(session) if snapshot.locked else None
    ended = ENDING_LABELS[ending[0]] if ending else None
    if ended is not None and session.ended_at and snapshot.dose_at:
        since = (session.ended_at - snapshot.dose_at).total_seconds()  # the clock stops
    header = HeaderView(
        pseudonym=session.patient.pseudonym,
        treatment=treatment_text,
        phase=ended or PHASE_TEXT.get(snapshot.phase, str(snapshot.phase)),
        since_dose=f"Dose +{format_duration(since)}" if since is not None else "Not dosed",
        clock=snapshot.now.astimezone().strftime("%H:%M:%S"),
        simulated=session.simulated,
        locked=snapshot.locked,
    )
    quality, quality_text = _signal_quality(snapshot)
    pi = values.get(Kind.PI)
    pleth = snapshot.pleth
    rate = pleth.sample_rate_hz or 75.0
    shown = int(PLETH_WINDOW_S * rate)  # the newest seconds only, like a bedside monitor
    spo2_view = Spo2View(
        spo2=NumericView(
            "SpO2",
            _number(spo2.value) if spo2 else NO_VALUE,
            "%",
            tiles.get("spo2"),
            bool(spo2 and spo2.stale),
            "spo2" in flashing,
        ),
        pi_text=_number(pi.value, 1) if pi else NO_VALUE,
        signal_quality=quality,
        quality_text=quality_text,
        # No live signal (disconnected, sensor off): no frozen pleth either.
        pleth=pleth.samples[-shown:] if quality > 0 else pleth.samples[:0],
        pleth_rate_hz=rate,
        pleth_received=getattr(pleth, "received", 0),
    )
    nibp = snapshot.nibp
    interval = nibp.auto_interval_s
    nibp_view = NibpView(
        systolic=_number(nibp.last_sys),
        diastolic=_number(nibp.last_dia),
        mean=_number(nibp.last_map),
        last_measured=(
            f"at {local_hm(nibp.last_at)} "
            f"({format_duration((snapshot.now - nibp.last_at).total_seconds())} ago)"
            if nibp.last_at
            else "not measured"
        ),
        measuring=nibp.measuring,
        cuff_pressure=_number(nibp.cuff_pressure),
        auto_interval_min=round(interval / 60) if interval else None,
        priority=tiles.get("nibp"),
        available=nibp.available and not snapshot.locked,
        flashing="nibp" in flashing,
        started_by_console=getattr(nibp, "started_by_console", None) or "",
    )
    devices = tuple(
        DeviceView(
            role=str(getattr(d.role, "value", d.role)),
            device_id=d.device_id,
            state=str(getattr(d.state, "value", d.state)),
            detail=d.detail or ", ".join(d.conditions),
        )
        for d in snapshot.devices
    )
    checks = tuple(check_view(c, snapshot.dose_at) for c in snapshot.checks)
    start = session.created_at
    markers = tuple(
        TrendMarker((m.at - start).total_seconds(), marker_kind(m.kind), m.label)
        for m in snapshot.markers
    )
    return ConsoleView(
        respiration=respiration_view(snapshot, tiles),
        header=header,
        hr=NumericView(
            "HR",
            _number(hr.value) if hr else NO_VALUE,
            "/min",
            tiles.get("hr"),
            bool(hr and hr.stale),
            "hr" in flashing,
        ),
        spo2=spo2_view,
        nibp=nibp_view,
        alarms=alarms,
        audio=audio_view(snapshot.audio, snapshot.audio_available),
        devices=devices,
        checks=checks,
        markers=markers,
        session_start=start,
        now=snapshot.now,
        has_session=True,
        dose_at=snapshot.dose_at,
    )


def respiration_view(snapshot: Any, tiles: dict[str, AlarmPriority]) -> RespirationView | None:
    """The breathing tiles, or None when the session has no respiration source (no capnogram
    and no etCO2 received)."""
    values = snapshot.values
    co2 = getattr(snapshot, "co2", None)
    if co2 is None and Kind.ETCO2 not in values:
        return None
    rr = values.get(Kind.RESP_RATE)
    etco2 = values.get(Kind.ETCO2)
    fico2 = values.get(Kind.FICO2)
    samples = np.zeros(0)
    rate = 25.0
    live = co2_live(snapshot)
    if co2 is not None and co2.sample_rate_hz:
        rate = co2.sample_rate_hz
        # No live capnograph (unplugged, silent): no frozen capnogram either.
        samples = co2.samples[-int(CO2_WINDOW_S * rate) :] if live else co2.samples[:0]
    return RespirationView(
        rr=NumericView(
            "RR",
            _number(rr.value) if rr else NO_VALUE,
            "/min",
            tiles.get("rr"),
            bool(rr and rr.stale),
        ),
        etco2=NumericView(
            "etCO2",
            _number(etco2.value) if etco2 else NO_VALUE,
            "mmHg",
            tiles.get("etco2"),
            bool(etco2 and etco2.stale),
        ),
        fico2_text=_number(fico2.value) if fico2 and not fico2.stale else NO_VALUE,
        co2=samples,
        co2_rate_hz=rate,
        co2_received=getattr(co2, "received", 0) if co2 is not None else 0,
        co2_live=live,
    )


def co2_live(snapshot: Any) -> bool:
    """Whether the capnogram is live: no device filling the capnograph's role is silent,
    stalled or unplugged (its technical condition ``capno_no_data``, in force at once; the
    alarm itself waits its delay)."""
    return not any("capno_no_data" in getattr(d, "alarm_conditions", ()) for d in snapshot.devices)


def marker_kind(kind: str) -> str:
    """Return the trend marker kind (dose, check, alarm, annotation) of an event kind."""
    kind = str(kind)
    if "dose" in kind:
        return "dose"
    if "check" in kind:
        return "check"
    if "alarm" in kind:
        return "alarm"
    return "annotation"


def check_view(check: Any, dose_at: datetime | None) -> CheckView:
    """Turn a protocol ``CheckStatus`` into a timeline chip."""
    due_at = getattr(check, "due_at", None)
    if due_at is not None and dose_at is not None:
        minutes = round((due_at - dose_at) / timedelta(minutes=1))
        due = f"+{minutes} min" if minutes >= 0 else f"{minutes} min"
    elif due_at is not None:
        due = local_hm(due_at)
    else:
        due = ""
    status = str(getattr(getattr(check, "status", ""), "value", getattr(check, "status", "")))
    return CheckView(
        check_id=str(getattr(check, "id", "")),
        label=str(getattr(check, "label", "")),
        due=due,
        status=status,
    )


def discharge_view(decision: Any) -> DischargeView:
    """Turn a protocol ``DischargeDecision`` into the dialog's view."""
    criteria = tuple(
        (bool(getattr(c, "met", False)), str(getattr(c, "message", c)))
        for c in getattr(decision, "criteria", ()) or ()
    )
    return DischargeView(
        allowed=bool(getattr(decision, "allowed", False)),
        blocking=tuple(str(b) for b in getattr(decision, "blocking", ())),
        criteria=criteria,
    )


def feed_trends(trends: SessionTrends, snapshot: Any) -> None:
    """Append the snapshot's newest HR, SpO2, NIBP, RR and etCO2 values to the trend rings."""
    start = snapshot.session.created_at
    for kind, name in (
        (Kind.HR, "hr"),
        (Kind.SPO2, "spo2"),
        (Kind.RESP_RATE, "resp_rate"),
        (Kind.ETCO2, "etco2"),
        (Kind.NIBP_SYS, "nibp_sys"),
        (Kind.NIBP_DIA, "nibp_dia"),
        (Kind.NIBP_MAP, "nibp_map"),
    ):
        value = snapshot.values.get(kind)
        if value is None or value.stale:
            continue
        trends.add(name, (value.at - start).total_seconds(), value.value)


def frame_view(view: ConsoleView, pleth: Any, co2: Any, now: datetime) -> ConsoleView:
    """``view`` with the newest waveform samples and time: a frame in which nothing else changed.

    The same pleth and capnogram :func:`console_view` would give (the live signal the view
    judged, the newest seconds only); every other part of ``view`` is kept as it is.
    """
    spo2 = view.spo2
    rate = pleth.sample_rate_hz or 75.0
    shown = int(PLETH_WINDOW_S * rate)
    samples = pleth.samples[-shown:] if spo2.signal_quality > 0 else pleth.samples[:0]
    received = getattr(pleth, "received", 0)
    spo2 = replace(spo2, pleth=samples, pleth_rate_hz=rate, pleth_received=received)
    changes: dict[str, Any] = {"spo2": spo2, "now": now}
    resp = view.respiration
    if resp is not None:
        co2_samples, co2_rate = np.zeros(0), 25.0
        co2_received = getattr(co2, "received", 0) if co2 is not None else 0
        if co2 is not None and co2.sample_rate_hz:
            co2_rate = co2.sample_rate_hz
            if resp.co2_live:  # the same "no live capnograph, no capnogram" as the view's
                co2_samples = co2.samples[-int(CO2_WINDOW_S * co2_rate) :]
        changes["respiration"] = replace(
            resp, co2=co2_samples, co2_rate_hz=co2_rate, co2_received=co2_received
        )
    return replace(view, **changes)
