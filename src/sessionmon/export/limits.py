"""The alarm limits a session ran with, for the report, HL7 OBX-7 and FHIR ``referenceRange``.

The runtime records the whole alarm profile as an ``alarm_limits`` event when a session starts (and
after every change). Exports state the limits in force at the start of the session: the first such
event; for a record made before those events existed, the limits the alarm records state, else the
default profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sessionmon.model import EventKind, Kind

#: What each measure is called in the report's limits table.
MEASURE_NAMES = {
    Kind.SPO2: "SpO2",
    Kind.HR: "Pulse rate",
    Kind.NIBP_SYS: "Systolic BP",
    Kind.NIBP_DIA: "Diastolic BP",
    Kind.NIBP_MAP: "Mean BP",
    Kind.NIBP_HR: "Pulse rate (NIBP)",
    Kind.RESP_RATE: "Respiratory rate",
    Kind.PI: "Perfusion index",
}


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class LimitRange:
    """The least severe low and high alarm limits of one measure (None where there is none)."""

    low: float | None = None
    high: float | None = None

    def obx7(self) -> str:
        """HL7 v2 OBX-7 reference range: ``lower-upper``, ``>lower``, ``<upper`` or ``""``."""
        if self.low is not None and self.high is not None:
            return f"{_number(self.low)}-{_number(self.high)}"
        if self.low is not None:
            return f">{_number(self.low)}"
        if self.high is not None:
            return f"<{_number(self.high)}"
        return ""


def profile_at_start(record: Any) -> dict[str, Any] | None:
    """The alarm profile (plain data) in force when the session started, if recorded."""
    for event in record.events:
        if event.kind is EventKind.ALARM_LIMITS and isinstance(event.payload.get("profile"), dict):
            return event.payload["profile"]
    return None


def limit_changes(record: Any) -> int:
    """How many times the limits changed during the session (later ``alarm_limits`` events)."""
    return max(0, sum(1 for e in record.events if e.kind is EventKind.ALARM_LIMITS) - 1)


def _least_severe(rule: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("medium", "high"):
        stage = rule.get(key)
        if isinstance(stage, dict) and "threshold" in stage:
            return stage
    return None


def _ranges_of(rules: list[dict[str, Any]]) -> dict[Kind, LimitRange]:
    found: dict[Kind, dict[str, float | None]] = {}
    for rule in rules:
        stage = _least_severe(rule)
        direction = rule.get("direction")
        if stage is None or direction not in ("low", "high") or rule.get("enabled") is False:
            continue
        try:
            kind = Kind(rule.get("measure"))
            threshold = float(stage["threshold"])
        except (ValueError, TypeError, KeyError):
            continue
        sides = found.setdefault(kind, {"low": None, "high": None})
        current = sides[direction]
        if current is None:
            sides[direction] = threshold
        elif direction == "low":
            sides["low"] = max(current, threshold)  # the limit that alarms first
        else:
            sides["high"] = min(current, threshold)
    return {kind: LimitRange(v["low"], v["high"]) for kind, v in found.items()}


def limits_in_force(record: Any) -> dict[Kind, LimitRange]:
    """The low/high alarm limits per measure at the start of the session.

    Parameters
    ----------
    record : SessionRecord
        The session's record.

    Returns
    -------
    dict of Kind to LimitRange
        From the session's first ``alarm_limits`` event; else from its alarm records; else the
        default profile.
    """
    profile = profile_at_start(record)
    if profile is not None:
        return _ranges_of(list(profile.get("limits", {}).values()))
    from_alarms = _ranges_of([a.limits or {} for a in record.alarms])
    from sessionmon.alarms import default_profile

    ranges = _ranges_of(list(default_profile().to_dict()["limits"].values()))
    ranges.update(from_alarms)
    return ranges


def limits_rows(record: Any) -> list[list[str]]:
    """Rows for the report: rule, measure, medium, high, delays; header first (empty if none)."""
    profile = profile_at_start(record)
    if profile is None:
        return []
    rows = [["Alarm", "Medium", "High", "Latching"]]
    for rule_id, rule in profile.get("limits", {}).items():
        try:
            name = MEASURE_NAMES.get(Kind(rule.get("measure")), rule_id)
        except ValueError:
            name = rule_id
        cells = []
        for key in ("medium", "high"):
            stage = rule.get(key)
            if isinstance(stage, dict) and "threshold" in stage:
                delay = float(stage.get("delay_s") or 0)
                text = f"{stage.get('op', '')} {_number(float(stage['threshold']))}"
                cells.append(text + (f" for {delay:g} s" if delay else ""))
            else:
                cells.append("-")
        state = "" if rule.get("enabled", True) else " (off)"
        label = f"{name} {rule.get('direction', '')}{state}"
        rows.append([label, *cells, rule.get("latching", "")])
    for rule in profile.get("areas", {}).values():
        state = "" if rule.get("enabled", True) else " (off)"
        rows.append(
            [
                f"SpO2 desaturation area{state}",
                "-",
                f">= {_number(float(rule.get('area_threshold', 0)))} %·s below the SpO2 low limit",
                rule.get("latching", ""),
            ]
        )
    rise = profile.get("nibp_rise")
    if isinstance(rise, dict):
        sys_rise, dia_rise = rise.get("systolic_rise"), rise.get("diastolic_rise")
        parts = []
        if sys_rise:
            parts.append(f"systolic +{_number(float(sys_rise))}")
        if dia_rise:
            parts.append(f"diastolic +{_number(float(dia_rise))}")
        state = "" if rise.get("enabled", True) else " (off)"
        rows.append([f"BP rise over pre-dose{state}", " or ".join(parts) or "-", "-", ""])
    return rows
