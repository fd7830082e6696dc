"""The four kinds of alarm rule: limit, rise over baseline, desaturation area, condition.

See :mod:`sessionmon.alarms.profile` for what each kind is for; an
:class:`~sessionmon.alarms.profile_model.AlarmProfile` holds one of each per condition id.
"""

from __future__ import annotations

import string
from typing import Annotated, Any, ClassVar

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sessionmon.alarms.rule_terms import (
    DISPLAY_UNITS,
    LIMIT_MEASURES,
    Direction,
    EscalateWhile,
    FrozenSettings,
    LatchMode,
    LimitStage,
    Optional,
    checked_delay,
    finite,
)
from sessionmon.model import VALID_RANGES, AlarmCategory, AlarmPriority, Kind


class RuleBase(FrozenSettings):
    """What every rule has: enabled, latching, escalation, priority, source."""

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
        finite(value, "escalate_after_s")
        if value <= 0:
            raise ValueError(f"escalate_after_s must be more than 0 s (got {value:g})")
        return value

    @model_validator(mode="after")
    def _check_message(self) -> RuleBase:
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


class LimitRule(RuleBase):
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


class RiseRule(RuleBase):
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
    _check_delay = field_validator("delay_s")(classmethod(lambda cls, v: checked_delay(v)))

    @field_validator("systolic_rise", "diastolic_rise")
    @classmethod
    def _check_rise(cls, value: float | None) -> float | None:
        if value is None:
            return None
        finite(value, "a rise")
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


class AreaRule(RuleBase):
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
        finite(value, "area_threshold")
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


class ConditionRule(RuleBase):
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
    _check_delay = field_validator("delay_s")(classmethod(lambda cls, v: checked_delay(v)))

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
