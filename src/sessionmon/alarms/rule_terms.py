"""The terms alarm rules are written in: units, comparisons, directions, latching, stages.

Shared by the rule classes (:mod:`sessionmon.alarms.alarm_rules`) and the profile
(:mod:`sessionmon.alarms.profile_model`): the validated building blocks and their checks.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    field_validator,
)

from sessionmon.model import AlarmPriority, Kind

#: Rule ids are short snake_case words: they are the ``condition`` of every alarm record.
RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,47}$")

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


def off_is_none(value: Any) -> Any:
    """``"off"`` in a settings file means "not used" (``None``)."""
    return None if isinstance(value, str) and value.strip().lower() == OFF else value


#: An optional setting that a settings file may switch off with ``"off"``.
Optional = BeforeValidator(off_is_none)


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


def finite(value: float, what: str) -> float:
    """Return ``value``; refuse NaN and infinities, naming ``what`` it is."""
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value}")
    return value


def checked_delay(value: float) -> float:
    """Return ``value`` as a condition delay: finite, 0 s to one hour."""
    finite(value, "a delay")
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


class FrozenSettings(BaseModel):
    """Base of every settings model: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class LimitStage(FrozenSettings):
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
        classmethod(lambda cls, v: finite(v, "a threshold"))
    )
    _check_delay = field_validator("delay_s")(classmethod(lambda cls, v: checked_delay(v)))

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
