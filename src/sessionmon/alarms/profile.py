"""Alarm profiles: which conditions raise alarms, at which limits, priorities and delays.

A profile is plain data, validated with pydantic. The clinic keeps one in a TOML settings file
(:mod:`sessionmon.alarms.settings`); each session may adjust it with
:meth:`AlarmProfile.with_overrides`, which validates the result again. :func:`default_profile` is
the "ketamine session" profile the console ships with.

Three kinds of rule:

* :class:`LimitRule` - a physiological limit on one measure (SpO2, pulse rate, NIBP), with a
  medium and/or a high stage, each with its own comparison, threshold and condition delay.
* :class:`RiseRule` - the NIBP rise over the pre-dose baseline (``nibp_rise``).
* :class:`AreaRule` - the depth and length of a desaturation, SatSeconds style: the area below
  a low limit in %·s (``spo2_desat``).
* :class:`ConditionRule` - a technical or protocol condition that the runtime switches on and off
  (sensor off, disconnected, BP check overdue, ...).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sessionmon.errors import UserError
from sessionmon.model import VALID_RANGES, AlarmCategory, AlarmPriority, Kind

#: Rule ids are short snake_case words: they are the ``condition`` of every alarm record.
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")

#: How units are written in alarm messages (the record keeps UCUM).
DISPLAY_UNITS: dict[Kind, str] = {
    Kind.SPO2: "%",
    Kind.HR: "/min",
    Kind.PI: "%",
    Kind.NIBP_SYS: "mmHg",
    Kind.NIBP_DIA: "mmHg",
    Kind.NIBP_MAP: "mmHg",
    Kind.NIBP_HR: "/min",
    Kind.RESP_RATE: "/min",
    Kind.ETCO2: "mmHg",
    Kind.FICO2: "mmHg",
}

#: Measures a limit rule may watch (waveforms and cuff pressure are not alarmed on).
LIMIT_MEASURES = frozenset(DISPLAY_UNITS)


#: How a settings file says that an optional setting is not used (TOML has no null).
OFF = "off"


def _off_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip().lower() == OFF else value


#: An optional setting that a settings file may switch off with ``"off"``.
Optional = BeforeValidator(_off_is_none)


class Comparison(StrEnum):
    """How a value is compared with a threshold; the value is what TOML files hold."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    def holds(self, value: float, threshold: float) -> bool:
        """Return whether ``value <op> threshold``."""
        if self is Comparison.LT:
            return value < threshold
        if self is Comparison.LE:
            return value <= threshold
        if self is Comparison.GT:
            return value > threshold
        return value >= threshold

    @property
    def is_low(self) -> bool:
        """True for ``<`` and ``<=`` (a low limit)."""
        return self in (Comparison.LT, Comparison.LE)

    @property
    def inclusive(self) -> bool:
        """True for ``<=`` and ``>=``."""
        return self in (Comparison.LE, Comparison.GE)


class Direction(StrEnum):
    """Whether a limit rule watches for values that are too low or too high."""

    LOW = "low"
    HIGH = "high"


class LatchMode(StrEnum):
    """When an alarm latches (keeps signalling after its condition clears, until acknowledged).

    ``never``: never latches. ``high``: latches once it has reached high priority (the usual
    setting for physiological alarms). ``always``: latches from the start.
    """

    NEVER = "never"
    HIGH = "high"
    ALWAYS = "always"

    def latches(self, priority: AlarmPriority) -> bool:
        """Return whether an alarm at ``priority`` is latched under this mode."""
        if self is LatchMode.ALWAYS:
            return True
        if self is LatchMode.HIGH:
            return priority is AlarmPriority.HIGH
        return False


def _finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


def _delay(value: float) -> float:
    _finite(value, "a delay")
    if value < 0:
        raise ValueError(f"a delay cannot be negative (got {value:g} s)")
    if value > 3600:
        raise ValueError(f"a delay of {value:g} s is longer than one hour")
    return value


class EscalateWhile(StrEnum):
    """When the escalation clock of an unacknowledged alarm runs.

    ``always``: from the alarm's start. ``dose_active``: only once a dose has been given (the
    clock starts at the later of the alarm's start and the first dose).
    """

    ALWAYS = "always"
    DOSE_ACTIVE = "dose_active"


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LimitStage(_Settings):
    """One stage of a limit rule.

    The alarm takes this stage's priority once ``value <op> threshold`` has held for ``delay_s``.

    Parameters
    ----------
    op : Comparison
        ``<``, ``<=``, ``>`` or ``>=``.
    threshold : float
        The limit, in the measure's unit.
    delay_s : float
        Condition delay: how long the condition must persist before the alarm starts (0 = at once).
    """

    op: Comparison
    threshold: float
    delay_s: float = 0.0

    _check_threshold = field_validator("threshold")(
        classmethod(lambda cls, v: _finite(v, "a threshold"))
    )
    _check_delay = field_validator("delay_s")(classmethod(lambda cls, v: _delay(v)))

    def holds(self, value: float) -> bool:
        """Return whether ``value`` is beyond this stage's limit."""
        return self.op.holds(value, self.threshold)

    @property
    def text(self) -> str:
        """The limit as a person reads it, e.g. ``"< 90"``."""
        return f"{self.op.value} {self.threshold:g}"

    def contains(self, other: LimitStage) -> bool:
        """Return whether every value beyond ``other`` is also beyond this stage.

        Both stages must compare in the same direction.
        """
        if self.threshold == other.threshold:
            return self.op.inclusive or not other.op.inclusive
        if self.op.is_low:
            return other.threshold < self.threshold
        return other.threshold > self.threshold


class _Rule(_Settings):
    enabled: bool = True
    latching: LatchMode = LatchMode.NEVER
    escalate_after_s: Annotated[float | None, Optional] = Field(
        default=None, description="Raise an unacknowledged alarm to escalate_to after this long"
    )
    escalate_to: AlarmPriority = AlarmPriority.HIGH
    escalate_while: EscalateWhile = EscalateWhile.ALWAYS
    pausable: bool = Field(
        default=True, description="False: an audio pause does not silence this alarm"
    )
    source: str = Field(default="", max_length=500, description="Where the default comes from")
    message: str

    #: Placeholders a message template of this kind of rule may use.
    placeholders: ClassVar[frozenset[str]] = frozenset({"detail"})

    @field_validator("escalate_after_s")
    @classmethod
    def _check_escalation(cls, value: float | None) -> float | None:
        if value is None:
            return None
        _finite(value, "escalate_after_s")
        if value <= 0:
            raise ValueError(f"escalate_after_s must be more than 0 s (got {value:g})")
        return value

    @model_validator(mode="after")
    def _check_message(self) -> _Rule:
        allowed = type(self).placeholders
        try:
            parts = list(string.Formatter().parse(self.message))
        except ValueError as exc:
            raise ValueError(f"message {self.message!r} is not a valid template: {exc}") from exc
        for _, field_name, spec, conversion in parts:
            if field_name is None:
                continue
            if field_name not in allowed:
                names = ", ".join("{" + name + "}" for name in sorted(allowed))
                raise ValueError(
                    f"message uses {{{field_name}}}, which is not known here (use {names})"
                )
            if spec or conversion:
                raise ValueError(f"message placeholders take no format ({{{field_name}}} only)")
        return self

    def render(self, **fields: str) -> str:
        """Fill the message template; missing placeholders become empty text."""
        values = dict.fromkeys(type(self).placeholders, "")
        values.update({k: v for k, v in fields.items() if k in values})
        return " ".join(self.message.format(**values).split())

    def lowest_priority(self) -> AlarmPriority:
        """The priority an alarm of this rule starts at, at least."""
        raise NotImplementedError

    def _check_escalate_to(self) -> None:
        if self.escalate_after_s is not None and (
            self.escalate_to.rank <= self.lowest_priority().rank
        ):
            raise ValueError(
                f"escalate_to {self.escalate_to.value} must be above the rule's priority "
                f"{self.lowest_priority().value}"
            )


class LimitRule(_Rule):
    """A physiological limit on one measure, with a medium and/or a high stage.

    Parameters
    ----------
    measure : Kind
        What is watched: ``spo2``, ``hr``, ``nibp_sys``, ``nibp_dia``, ...
    direction : Direction
        ``low`` (stages compare with ``<`` / ``<=``) or ``high`` (``>`` / ``>=``).
    medium, high : LimitStage, optional
        The stages; at least one. The high stage must be at least as severe as the medium one
        (every value beyond the high limit is beyond the medium limit too).
    latching : LatchMode
        Default ``high``: the alarm latches once it has been high priority.
    unless : list of str
        Condition ids of other limit rules: while any of them holds (its limit is crossed, its
        delay running or done), this rule does not alarm (``etco2_low`` unless ``apnea``).
    """

    measure: Kind
    direction: Direction
    medium: Annotated[LimitStage | None, Optional] = None
    high: Annotated[LimitStage | None, Optional] = None
    latching: LatchMode = LatchMode.HIGH
    unless: tuple[str, ...] = ()

    placeholders: ClassVar[frozenset[str]] = frozenset({"value", "limit", "unit", "detail"})

    @field_validator("measure")
    @classmethod
    def _check_measure(cls, value: Kind) -> Kind:
        if value not in LIMIT_MEASURES:
            known = ", ".join(sorted(k.value for k in LIMIT_MEASURES))
            raise ValueError(f"{value.value} cannot have alarm limits (use one of {known})")
        return value

    @model_validator(mode="after")
    def _check_stages(self) -> LimitRule:
        stages = self.stages()
        if not stages:
            raise ValueError("a limit rule needs a medium or a high stage (or both)")
        low, high = VALID_RANGES[self.measure]
        for priority, stage in stages:
            if stage.op.is_low != (self.direction is Direction.LOW):
                raise ValueError(
                    f"{priority.value}.op {stage.op.value!r} does not fit a "
                    f"{self.direction.value} limit (use "
                    f"{'< or <=' if self.direction is Direction.LOW else '> or >='})"
                )
            if not low <= stage.threshold <= high:
                raise ValueError(
                    f"{priority.value}.threshold {stage.threshold:g} is outside the possible "
                    f"{self.measure.value} range {low:g}-{high:g}"
                )
        if (
            self.medium is not None
            and self.high is not None
            and not self.medium.contains(self.high)
        ):
            raise ValueError(
                f"high limit {self.high.text} is less severe than medium limit {self.medium.text}: "
                "the high limit must be further from normal"
            )
        self._check_escalate_to()
        return self

    def stages(self) -> list[tuple[AlarmPriority, LimitStage]]:
        """The configured stages, least severe first."""
        found = []
        if self.medium is not None:
            found.append((AlarmPriority.MEDIUM, self.medium))
        if self.high is not None:
            found.append((AlarmPriority.HIGH, self.high))
        return found

    def least_severe(self) -> tuple[AlarmPriority, LimitStage]:
        """The stage that triggers first (medium if configured)."""
        return self.stages()[0]

    def lowest_priority(self) -> AlarmPriority:
        """The priority of the least severe stage."""
        return self.least_severe()[0]

    def limits(self) -> dict[str, Any]:
        """The limits in force, as the alarm record and log keep them."""
        found: dict[str, Any] = {
            "measure": self.measure.value,
            "unit": DISPLAY_UNITS[self.measure],
            "direction": self.direction.value,
        }
        for priority, stage in self.stages():
            found[priority.value] = {
                "op": stage.op.value,
                "threshold": stage.threshold,
                "delay_s": stage.delay_s,
            }
        found["latching"] = self.latching.value
        return found


class RiseRule(_Rule):
    """The blood-pressure rise over the pre-dose baseline (``nibp_rise``).

    The condition holds when systolic rose by at least ``systolic_rise`` or diastolic by at least
    ``diastolic_rise`` mmHg over the baseline given to the engine.
    """

    systolic_rise: Annotated[float | None, Optional] = 40.0
    diastolic_rise: Annotated[float | None, Optional] = 25.0
    priority: AlarmPriority = AlarmPriority.MEDIUM
    delay_s: float = 0.0

    placeholders: ClassVar[frozenset[str]] = frozenset(
        {"value", "baseline", "limit", "unit", "detail"}
    )
    _check_delay = field_validator("delay_s")(classmethod(lambda cls, v: _delay(v)))

    @field_validator("systolic_rise", "diastolic_rise")
    @classmethod
    def _check_rise(cls, value: float | None) -> float | None:
        if value is None:
            return None
        _finite(value, "a rise")
        if value <= 0:
            raise ValueError(f"a rise must be more than 0 mmHg (got {value:g})")
        return value

    @model_validator(mode="after")
    def _check_some_rise(self) -> RiseRule:
        if self.systolic_rise is None and self.diastolic_rise is None:
            raise ValueError("give systolic_rise, diastolic_rise or both")
        self._check_escalate_to()
        return self

    def lowest_priority(self) -> AlarmPriority:
        """The rule's priority."""
        return self.priority

    @property
    def limit_text(self) -> str:
        """E.g. ``"+40/+25"`` (``-`` for a part that is not watched)."""
        sys_part = "-" if self.systolic_rise is None else f"+{self.systolic_rise:g}"
        dia_part = "-" if self.diastolic_rise is None else f"+{self.diastolic_rise:g}"
        return f"{sys_part}/{dia_part}"

    def holds(
        self, sys: float | None, dia: float | None, baseline: tuple[float, float] | None
    ) -> bool:
        """Return whether the latest values are a rise over ``baseline`` (sys, dia)."""
        if baseline is None:
            return False
        base_sys, base_dia = baseline
        sys_rose = (
            sys is not None
            and self.systolic_rise is not None
            and sys - base_sys >= self.systolic_rise
        )
        dia_rose = (
            dia is not None
            and self.diastolic_rise is not None
            and dia - base_dia >= self.diastolic_rise
        )
        return sys_rose or dia_rose


class AreaRule(_Rule):
    """The depth and length of a dip below a low limit, SatSeconds style.

    Each second a value is below the low limit of ``limit_rule`` adds the points it is below
    (limit - value) to an area (%·s); each second at or above the limit takes back what the value
    is above it, so the area falls the way it rose. The condition holds while the area has
    reached ``area_threshold`` and the value is still below the limit: a short shallow dip stays
    quiet, a deep or long one alarms at once (it is not held back by a condition delay).

    Parameters
    ----------
    limit_rule : str
        The low limit rule whose least severe threshold is the limit (default ``spo2_low``), so
        the area follows that limit when a clinic or a session changes it.
    area_threshold : float
        Points x seconds below the limit at which the alarm starts (default 100 %·s).
    priority : AlarmPriority
        Default high.
    latching : LatchMode
        Default ``high``: latches once high priority.
    """

    limit_rule: str = "spo2_low"
    area_threshold: float = 100.0
    priority: AlarmPriority = AlarmPriority.HIGH
    latching: LatchMode = LatchMode.HIGH

    placeholders: ClassVar[frozenset[str]] = frozenset({"value", "limit", "unit", "area", "detail"})

    @field_validator("area_threshold")
    @classmethod
    def _check_area(cls, value: float) -> float:
        _finite(value, "area_threshold")
        if not 0 < value <= 10_000:
            raise ValueError(
                f"area_threshold must be more than 0 and at most 10000 (got {value:g})"
            )
        return value

    @model_validator(mode="after")
    def _check_escalation_target(self) -> AreaRule:
        self._check_escalate_to()
        return self

    def lowest_priority(self) -> AlarmPriority:
        """The rule's priority."""
        return self.priority


class ConditionRule(_Rule):
    """A technical or protocol condition that the runtime switches on and off.

    Parameters
    ----------
    category : AlarmCategory
        ``technical`` or ``protocol``.
    priority : AlarmPriority
        The alarm's priority (escalation may raise it).
    delay_s : float
        How long the condition must persist before the alarm starts.
    reported_by_device : bool
        A device's own alarm list (a multiparameter monitor's alarms), shown as the device
        says; only such a rule may be physiological.
    """

    category: AlarmCategory
    priority: AlarmPriority
    delay_s: float = 0.0
    reported_by_device: bool = False

    placeholders: ClassVar[frozenset[str]] = frozenset({"value", "detail"})
    _check_delay = field_validator("delay_s")(classmethod(lambda cls, v: _delay(v)))

    @model_validator(mode="after")
    def _check_escalation_target(self) -> ConditionRule:
        if self.category is AlarmCategory.PHYSIOLOGICAL and not self.reported_by_device:
            raise ValueError("physiological alarms are limit rules; use technical or protocol")
        self._check_escalate_to()
        return self

    def lowest_priority(self) -> AlarmPriority:
        """The rule's priority."""
        return self.priority


Rule = LimitRule | RiseRule | AreaRule | ConditionRule


class AlarmProfile(_Settings):
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
                if not _RULE_ID.match(rule_id):
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


# --------------------------------------------------------------------------------- defaults


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
