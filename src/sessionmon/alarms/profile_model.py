"""The alarm profile: every rule of a session in one validated, immutable model.

:class:`AlarmProfile` with its checks and :meth:`AlarmProfile.with_overrides`;
:func:`deep_merge` and :func:`describe_errors` serve it and the settings file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import (
    Field,
    ValidationError,
    model_validator,
)

from sessionmon.alarms.alarm_rules import (
    AreaRule,
    ConditionRule,
    LimitRule,
    RiseRule,
    Rule,
)
from sessionmon.alarms.rule_terms import (
    RULE_ID,
    Direction,
    FrozenSettings,
)
from sessionmon.errors import UserError
from sessionmon.model import Kind


class AlarmProfile(FrozenSettings):
    """A complete alarm configuration.

    Parameters
    ----------
    name : str
        Shown to staff, e.g. ``"ketamine session"``.
    audio_pause_s : float
        Length of an audio pause (default 120 s).
    stale_after_s : float
        A continuous measure (SpO2, pulse) not updated for this long no longer holds a limit
        condition: the alarm gives way to the technical alarm that explains the missing data.
    limits : dict of str to LimitRule
        Physiological limit rules by condition id.
    nibp_rise : RiseRule
        The rise over the pre-dose baseline.
    areas : dict of str to AreaRule
        Desaturation depth rules (SatSeconds style) by condition id.
    conditions : dict of str to ConditionRule
        Technical and protocol conditions by condition id.
    """

    name: str = Field(min_length=1, max_length=100)
    audio_pause_s: float = Field(default=120.0, gt=0, le=600)
    stale_after_s: float = Field(default=15.0, gt=0, le=600)
    limits: dict[str, LimitRule]
    nibp_rise: RiseRule
    areas: dict[str, AreaRule] = Field(default_factory=dict)
    conditions: dict[str, ConditionRule]

    @model_validator(mode="after")
    def _check_rules(self) -> AlarmProfile:
        seen: dict[str, str] = {"nibp_rise": "nibp_rise"}
        for table in ("limits", "areas", "conditions"):
            for rule_id in getattr(self, table):
                where = f"{table}.{rule_id}"
                if not RULE_ID.match(rule_id):
                    raise ValueError(
                        f"{where}: a condition id is lower-case letters, digits and _ "
                        "(at most 48), starting with a letter"
                    )
                if rule_id in seen:
                    raise ValueError(f"{where}: the id {rule_id!r} is also used by {seen[rule_id]}")
                seen[rule_id] = where
        for rule_id, rule in self.limits.items():
            for other in rule.unless:
                if other == rule_id or other not in self.limits:
                    raise ValueError(
                        f"limits.{rule_id}.unless: {other!r} is not another limit rule "
                        f"(use any of {', '.join(sorted(set(self.limits) - {rule_id}))})"
                    )
        self._check_low_below_high()
        for rule_id, area in self.areas.items():
            limit = self.limits.get(area.limit_rule)
            if limit is None or limit.direction is not Direction.LOW:
                lows = ", ".join(i for i, r in self.limits.items() if r.direction is Direction.LOW)
                raise ValueError(
                    f"areas.{rule_id}.limit_rule {area.limit_rule!r} is not a low limit rule "
                    f"(use one of {lows})"
                )
        return self

    def _check_low_below_high(self) -> None:
        by_measure: dict[Kind, list[tuple[str, LimitRule]]] = {}
        for rule_id, rule in self.limits.items():
            if rule.enabled:
                by_measure.setdefault(rule.measure, []).append((rule_id, rule))
        for rules in by_measure.values():
            lows = [(i, r) for i, r in rules if r.direction is Direction.LOW]
            highs = [(i, r) for i, r in rules if r.direction is Direction.HIGH]
            for low_id, low_rule in lows:
                low_priority, low_stage = low_rule.least_severe()
                for high_id, high_rule in highs:
                    high_priority, high_stage = high_rule.least_severe()
                    if low_stage.threshold >= high_stage.threshold:
                        raise ValueError(
                            f"limits.{low_id}.{low_priority.value}.threshold "
                            f"({low_stage.text}) is at or above "
                            f"limits.{high_id}.{high_priority.value}.threshold "
                            f"({high_stage.text}): a low limit must be below the high limit"
                        )

    # ----------------------------------------------------------------------------- look-ups

    def rules(self) -> dict[str, Rule]:
        """Every rule by condition id: limits, ``nibp_rise``, areas, then conditions."""
        found: dict[str, Rule] = dict(self.limits)
        found["nibp_rise"] = self.nibp_rise
        found.update(self.areas)
        found.update(self.conditions)
        return found

    def rule(self, condition_id: str) -> Rule:
        """Return the rule for ``condition_id``.

        Raises
        ------
        KeyError
            If the profile has no such rule.
        """
        rules = self.rules()
        if condition_id not in rules:
            raise KeyError(
                f"alarm profile {self.name!r} has no rule {condition_id!r} "
                f"(known: {', '.join(rules)})"
            )
        return rules[condition_id]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (strings, numbers, booleans, tables; None for a setting not used)."""
        data = self.model_dump(mode="json")
        rules = [
            *data["limits"].values(),
            data["nibp_rise"],
            *data["areas"].values(),
            *data["conditions"].values(),
        ]
        for rule in rules:
            if rule.get("escalate_after_s") is None and rule.get("escalate_to") == "high":
                del rule["escalate_to"]  # the default, and unused without escalate_after_s
            if rule.get("escalate_after_s") is None and rule.get("escalate_while") == "always":
                del rule["escalate_while"]
            if rule.get("pausable") is True:
                del rule["pausable"]  # the default: written only where a rule cannot be paused
            if rule.get("source") == "":
                del rule["source"]
        # A limit rule reads best as: what is watched, in which direction, then the rest.
        data["limits"] = {
            rule_id: {"measure": rule.pop("measure"), "direction": rule.pop("direction"), **rule}
            for rule_id, rule in data["limits"].items()
        }
        return data

    # ----------------------------------------------------------------------------- changes

    def with_overrides(
        self, overrides: Mapping[str, Any] | None = None, /, **changes: Any
    ) -> AlarmProfile:
        """Return a copy adjusted for one session, validated again.

        Parameters
        ----------
        overrides : mapping, optional
            Same as ``changes``, for ids that are not Python names.
        **changes
            Keys are condition ids (``hr_high``, ``oximeter_sensor_off``, ``nibp_rise``) with a
            table of fields to change (nested tables merge, e.g. ``{"high": {"threshold": 150}}``),
            or profile fields (``name``, ``audio_pause_s``, ``stale_after_s``) with a value.

        Returns
        -------
        AlarmProfile
            The adjusted profile.

        Raises
        ------
        UserError
            If a key names no rule or setting, or the result is not a valid profile; the message
            names the field.
        """
        merged = dict(overrides or {})
        merged.update(changes)
        data = self.to_dict()
        scalars = {"name", "audio_pause_s", "stale_after_s"}
        for key, value in merged.items():
            if key in scalars:
                data[key] = value
                continue
            if key == "nibp_rise":
                target = data["nibp_rise"]
            elif key in data["limits"]:
                target = data["limits"][key]
            elif key in data["conditions"]:
                target = data["conditions"][key]
            elif key in data["areas"]:
                target = data["areas"][key]
            else:
                raise UserError(
                    f"session alarm settings: there is no alarm rule or setting {key!r}"
                )
            if not isinstance(value, Mapping):
                raise UserError(
                    f"session alarm settings: {key} takes a table of fields, got {value!r}"
                )
            deep_merge(target, value)
        try:
            return AlarmProfile.model_validate(data)
        except ValidationError as exc:
            raise UserError(f"session alarm settings: {describe_errors(exc)}") from None


def deep_merge(target: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``changes`` into ``target`` in place: tables merge, other values replace.

    Returns
    -------
    dict
        ``target``.
    """
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value
    return target


def describe_errors(exc: ValidationError, limit: int = 3) -> str:
    """One line naming each failing field (dotted path) and what is wrong with it."""
    parts = []
    for error in exc.errors()[:limit]:
        loc = ".".join(str(p) for p in error["loc"])
        msg = error["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        if error["type"] == "missing":
            msg = "is required but missing"
        elif error["type"] == "extra_forbidden":
            msg = "is not a known setting"
        elif error["type"] not in ("value_error", "assertion_error"):
            value = error.get("input")
            if isinstance(value, str | int | float | bool):
                msg = f"{msg} (got {value!r})"
        # A message that starts with its own dotted field needs no second one in front.
        parts.append(msg if not loc or msg.startswith(loc) else f"{loc}: {msg}")
    extra = len(exc.errors()) - limit
    if extra > 0:
        parts.append(f"and {extra} more")
    return "; ".join(parts)
