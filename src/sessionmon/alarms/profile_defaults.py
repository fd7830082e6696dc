"""The "ketamine session" profile the console ships with, and where each default comes from.

:func:`default_profile` (with the sources written into every rule), :func:`breathing_limits`
and :data:`DEFAULT_SOURCES` (the references behind each default, see
``docs/decisions/alarms.md``).
"""

from __future__ import annotations

from typing import Any

from sessionmon.alarms.alarm_rules import (
    AreaRule,
    ConditionRule,
    LimitRule,
    RiseRule,
)
from sessionmon.alarms.profile_model import (
    AlarmProfile,
)
from sessionmon.alarms.rule_terms import (
    Comparison,
    Direction,
    EscalateWhile,
    LatchMode,
    LimitStage,
)
from sessionmon.model import AlarmCategory, AlarmPriority, Kind


def _limit(
    measure: Kind,
    direction: Direction,
    message: str,
    medium: tuple[str, float, float],
    high: tuple[str, float, float],
) -> LimitRule:
    return LimitRule(
        measure=measure,
        direction=direction,
        medium=LimitStage(op=Comparison(medium[0]), threshold=medium[1], delay_s=medium[2]),
        high=LimitStage(op=Comparison(high[0]), threshold=high[1], delay_s=high[2]),
        message=message,
    )


def _condition(
    category: AlarmCategory, priority: AlarmPriority, message: str, **extra: Any
) -> ConditionRule:
    return ConditionRule(category=category, priority=priority, message=message, **extra)


#: Where each default of :func:`default_profile` comes from (written into the settings file).
DEFAULT_SOURCES: dict[str, str] = {
    "spo2_low": (
        "low limit 90 %: GE CARESCAPE V100, Mindray TM80 and Contec CMS8000 factory defaults; "
        "<= 85 % high after 5 s: sessionmon decision (issue 9), docs/decisions/alarms.md"
    ),
    "hr_high": "50-120 /min: Contec CMS8000, Mindray TM80 factory defaults; >= 140 high after 5 s: "
    "sessionmon decision (issue 9)",
    "hr_low": "50-120 /min: Contec CMS8000, Mindray TM80 factory defaults; <= 40 high after 5 s: "
    "sessionmon decision (issue 9)",
    "nibp_sys_high": "systolic 90-160: Mindray TM80/TM70 factory defaults",
    "nibp_sys_low": "systolic 90-160: Mindray TM80/TM70 factory defaults; high < 80: GE V100 80",
    "nibp_dia_high": "diastolic high 100 / 110: sessionmon v0.1 default (Mindray TM80: 90)",
    "nibp_dia_low": "diastolic low 50: Mindray TM80/TM70 factory default; high < 30: GE CARESCAPE "
    "V100 factory default",
    "nibp_map_low": "mean 60-110: Mindray TM80/TM70 factory defaults",
    "nibp_map_high": "mean 60-110: Mindray TM80/TM70 factory defaults",
    "nibp_rise": "+40 systolic / +25 diastolic over pre-dose: Spravato label, blood pressure "
    "increases",
    "spo2_desat": "Nellcor SatSeconds (area below the low limit; choices 10, 25, 50, 100 %·s)",
    "oximeter_sensor_off": "escalation to high after 2 min unacknowledged while a dose is "
    "active: issue 9 item 4",
    "oximeter_no_data": "escalation to high after 2 min unacknowledged while a dose is active: "
    "issue 9 item 4",
    "audio_unavailable": "medium, not pausable: issue 9 item 4; IEC 60601-1-8 alarm system failure",
    "storage_failure": "medium: issue 9 item 4",
    "bp_check_due": "40-min BP: Spravato label, section 2; 5 s delay: a reminder met at once is "
    "no alarm (issue 9 item 4)",
    "resp_rate_low": "< 8 /min after 15 s, <= 5 high: issue 16 item 3; RR low limit default 5: "
    "Welch Allyn 1500 user manual; docs/decisions/respiration.md",
    "resp_rate_high": "> 30 /min after 30 s: issue 16 item 3; RR high default 30: Welch Allyn "
    "1500, Spacelabs capnography module manuals",
    "apnea": "no breath detected for 20 s, high, latched: issue 16 item 3; apnoea time default "
    "20 s: Spacelabs capnography module, Philips Efficia CM manuals",
    "etco2_high": "> 50 mmHg: issue 16 item 3; etCO2 15-50 mmHg: LIFEPAK 15 defaults",
    "etco2_low": "< 15 mmHg after 30 s, not during apnoea: issue 16 item 3; LIFEPAK 15 defaults",
    "capno_no_data": "capnograph silent, stalled or unplugged, 5 s: docs/decisions/respiration.md",
    "capno_line_blocked": "the device reports the sampling line blocked: issue 16 item 3",
}


def _with_sources(profile: AlarmProfile) -> AlarmProfile:
    data = profile.to_dict()
    for table in ("limits", "areas", "conditions"):
        for rule_id, rule in data[table].items():
            if rule_id in DEFAULT_SOURCES:
                rule["source"] = DEFAULT_SOURCES[rule_id]
    if "nibp_rise" in DEFAULT_SOURCES:
        data["nibp_rise"]["source"] = DEFAULT_SOURCES["nibp_rise"]
    return AlarmProfile.model_validate(data)


def breathing_limits() -> dict[str, LimitRule]:
    """The default breathing alarms (respiratory rate and end-tidal CO2).

    Returns
    -------
    dict of str to LimitRule
        ``resp_rate_low`` < 8 /min medium after 15 s, <= 5 high; ``resp_rate_high`` > 30 medium
        after 30 s; ``apnea``: no breath detected (RR < 1) for 20 s, high, latched;
        ``etco2_high`` > 50 mmHg medium; ``etco2_low`` < 15 mmHg medium after 30 s unless
        ``apnea`` holds. Sources: docs/decisions/respiration.md.
    """
    rr = "{value} /min (limit {limit})"
    co2 = "{value} mmHg (limit {limit})"
    return {
        "resp_rate_low": _limit(
            Kind.RESP_RATE, Direction.LOW, "Resp. rate low: " + rr, ("<", 8, 15), ("<=", 5, 15)
        ),
        "resp_rate_high": LimitRule(
            measure=Kind.RESP_RATE,
            direction=Direction.HIGH,
            medium=LimitStage(op=Comparison.GT, threshold=30, delay_s=30),
            message="Resp. rate high: " + rr,
        ),
        "apnea": LimitRule(
            measure=Kind.RESP_RATE,
            direction=Direction.LOW,
            high=LimitStage(op=Comparison.LT, threshold=1, delay_s=20),
            latching=LatchMode.ALWAYS,
            message="Apnoea: no breath detected",
        ),
        "etco2_high": LimitRule(
            measure=Kind.ETCO2,
            direction=Direction.HIGH,
            medium=LimitStage(op=Comparison.GT, threshold=50, delay_s=0),
            message="etCO2 high: " + co2,
        ),
        "etco2_low": LimitRule(
            measure=Kind.ETCO2,
            direction=Direction.LOW,
            medium=LimitStage(op=Comparison.LT, threshold=15, delay_s=30),
            unless=("apnea",),
            message="etCO2 low: " + co2,
        ),
    }


def default_profile() -> AlarmProfile:
    """The "ketamine session" profile the console ships with.

    Returns
    -------
    AlarmProfile
        SpO2 < 90 % medium after 10 s, <= 85 % high once it has held 5 s, and ``spo2_desat``
        high once the area below the SpO2 low limit reaches 100 %·s; pulse > 120 / < 50 medium
        after 10 s, >= 140 / <= 40 high after 5 s; systolic >= 160 medium, >= 180 high, < 90
        medium, < 80 high; diastolic >= 100 medium, >= 110 high, < 50 medium, < 30 high; MAP
        < 60 or > 110 medium; a rise of 40/25 mmHg over the pre-dose baseline medium; technical
        and protocol conditions as in the session protocol. The sources of every default are in
        ``docs/decisions/alarms.md`` and in each rule's ``source``.
    """
    return _with_sources(_default_profile())


def _default_profile() -> AlarmProfile:
    low, high = Direction.LOW, Direction.HIGH
    tech, proto = AlarmCategory.TECHNICAL, AlarmCategory.PROTOCOL
    lo, med, hi = AlarmPriority.LOW, AlarmPriority.MEDIUM, AlarmPriority.HIGH
    bp_high = "{value} mmHg (limit {limit})"
    dose_escalation = {
        "escalate_after_s": 120.0,
        "escalate_to": hi,
        "escalate_while": EscalateWhile.DOSE_ACTIVE,
    }
    return AlarmProfile(
        name="ketamine session",
        audio_pause_s=120.0,
        stale_after_s=15.0,
        limits={
            "spo2_low": _limit(
                Kind.SPO2,
                low,
                "SpO2 low: {value} % (limit {limit} %)",
                ("<", 90, 10),
                ("<=", 85, 5),
            ),
            "hr_high": _limit(
                Kind.HR,
                high,
                "Pulse high: {value} /min (limit {limit})",
                (">", 120, 10),
                (">=", 140, 5),
            ),
            "hr_low": _limit(
                Kind.HR,
                low,
                "Pulse low: {value} /min (limit {limit})",
                ("<", 50, 10),
                ("<=", 40, 5),
            ),
            "nibp_sys_high": _limit(
                Kind.NIBP_SYS, high, "Systolic BP high: " + bp_high, (">=", 160, 0), (">=", 180, 0)
            ),
            "nibp_dia_high": _limit(
                Kind.NIBP_DIA, high, "Diastolic BP high: " + bp_high, (">=", 100, 0), (">=", 110, 0)
            ),
            "nibp_sys_low": _limit(
                Kind.NIBP_SYS, low, "Systolic BP low: " + bp_high, ("<", 90, 0), ("<", 80, 0)
            ),
            "nibp_dia_low": _limit(
                Kind.NIBP_DIA, low, "Diastolic BP low: " + bp_high, ("<", 50, 0), ("<", 30, 0)
            ),
            "nibp_map_low": LimitRule(
                measure=Kind.NIBP_MAP,
                direction=low,
                medium=LimitStage(op=Comparison.LT, threshold=60),
                message="Mean BP low: " + bp_high,
            ),
            "nibp_map_high": LimitRule(
                measure=Kind.NIBP_MAP,
                direction=high,
                medium=LimitStage(op=Comparison.GT, threshold=110),
                message="Mean BP high: " + bp_high,
            ),
            **breathing_limits(),
        },
        nibp_rise=RiseRule(
            message="BP {value} mmHg: rise over pre-dose {baseline} (limit {limit})",
        ),
        areas={
            "spo2_desat": AreaRule(
                limit_rule="spo2_low",
                area_threshold=100.0,
                message="SpO2 desaturation: {value} % ({area} %·s below {limit} %)",
            ),
        },
        conditions={
            "oximeter_sensor_off": _condition(
                tech, med, "SpO2 sensor off", delay_s=5.0, **dose_escalation
            ),
            "oximeter_disconnected": _condition(
                tech, med, "Oximeter disconnected", escalate_after_s=60.0, escalate_to=hi
            ),
            "oximeter_no_data": _condition(
                tech, med, "No data from the oximeter", **dose_escalation
            ),
            "oximeter_no_valid_data": _condition(
                tech, med, "Oximeter data not valid: check the driver and baud", delay_s=6.0
            ),
            "nibp_disconnected": _condition(tech, med, "BP monitor disconnected"),
            "nibp_failed": _condition(tech, med, "BP measurement failed"),
            "monitor_physiological_alarm": _condition(
                AlarmCategory.PHYSIOLOGICAL, med, "Monitor alarm: {detail}", reported_by_device=True
            ),
            "monitor_technical_alarm": _condition(
                tech, lo, "Monitor technical alarm: {detail}", reported_by_device=True
            ),
            "bp_start_on_monitor": _condition(proto, lo, "Start a BP measurement on the monitor"),
            "capno_no_data": _condition(tech, med, "No data from the capnograph", delay_s=5.0),
            "capno_line_blocked": _condition(tech, med, "Capnography sampling line blocked"),
            "audio_unavailable": _condition(tech, med, "Alarm sound cannot play", pausable=False),
            "storage_failure": _condition(tech, med, "Session record cannot be saved"),
            "central_unreachable": _condition(
                tech, lo, "Central station unreachable", delay_s=10.0
            ),
            "predose_bp_elevated": _condition(proto, lo, "Pre-dose BP elevated {value}"),
            # A reminder satisfied the moment it is due (the BP is started then) is no alarm.
            "bp_check_due": _condition(proto, lo, "BP check due", delay_s=5.0),
            "bp_check_overdue": _condition(proto, med, "BP check overdue"),
            "discharge_blocked": _condition(proto, med, "Discharge blocked: criteria not met"),
            "suicide_risk_screen": _condition(
                proto, med, "Suicide-risk screen positive: tell the prescriber"
            ),
        },
    )
