"""The one plausibility rule for a blood-pressure result, used by the live driver and ``decode``.

A module can answer "measurement done" with numbers that are not a blood pressure: all zeros,
diastolic 0 with MAP 0, a diastolic above the systolic. Such a result is invalid as a whole: it
is shown and logged as a failed measurement (``nibp_failed`` with the numbers in the detail),
never stored as a reading and never fed to the alarm engine, so it cannot end a BP alarm.

The rule: every pressure inside its physiological range, and diastolic < MAP < systolic (the
mean arterial pressure lies between the two by definition). A heart rate outside its range is
"no value" for the heart rate only; the pressures still count.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class BpPlausibility(BaseModel):
    """Ranges a real NIBP result lies in (mmHg, beats/min); inclusive.

    The defaults are wider than any adult oscillometric module measures (the SunTech Advantage
    and similar modules report roughly 40-260 systolic, 20-200 diastolic), so a true extreme
    reading is never thrown away; they only catch numbers that are not a pressure.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    systolic: tuple[float, float] = (40.0, 300.0)
    diastolic: tuple[float, float] = (10.0, 250.0)
    map: tuple[float, float] = (15.0, 275.0)
    hr: tuple[float, float] = (20.0, 300.0)
    require_order: bool = Field(default=True, description="diastolic < MAP < systolic")

    @model_validator(mode="after")
    def _check_ranges(self) -> BpPlausibility:
        for name in ("systolic", "diastolic", "map", "hr"):
            low, high = getattr(self, name)
            if not 0 <= low < high <= 350:
                raise ValueError(f"{name}: range must be 0 <= low < high <= 350, got {low}-{high}")
        return self

    def problem(self, systolic: float, diastolic: float, map_: float) -> str | None:
        """Return why a result is not a blood pressure, or ``None`` if it is plausible.

        Parameters
        ----------
        systolic, diastolic, map_ : float
            The pressures as the module sent them (mmHg).
        """
        shown = f"{_num(systolic)}/{_num(diastolic)} mmHg, MAP {_num(map_)}"
        for name, value, (low, high) in (
            ("systolic", systolic, self.systolic),
            ("diastolic", diastolic, self.diastolic),
            ("MAP", map_, self.map),
        ):
            if not low <= value <= high:
                return f"implausible result {shown}: {name} outside {_num(low)}-{_num(high)}"
        if self.require_order and not diastolic < map_ < systolic:
            return f"implausible result {shown}: needs diastolic < MAP < systolic"
        return None

    def hr_ok(self, hr: float) -> bool:
        """Whether ``hr`` is a heart rate (0 and out-of-range values are "no value")."""
        low, high = self.hr
        return low <= hr <= high


#: The rule in force (the defaults above).
DEFAULT_BP_PLAUSIBILITY = BpPlausibility()


def _num(value: float) -> str:
    return f"{value:g}"
