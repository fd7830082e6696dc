"""Editable protocol settings per treatment.

Every clinical number here is a default a clinic may change (several are marked unconfirmed in
the clinical reference: they must never be hard-coded). Times are minutes after the first dose.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sessionmon.errors import UserError
from sessionmon.model import TreatmentId


class ProtocolConfig(BaseModel):
    """Settings of one session protocol. Frozen: change with ``model_copy(update=...)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    treatment: TreatmentId
    min_observation_min: float = Field(
        120.0, gt=0, description="Minimum observation after the first dose (REMS: 120 for Spravato)"
    )
    # --- the blood pressure peak check (esketamine 40 min; also the IV 40-min reading)
    peak_bp_at_min: float = Field(40.0, gt=0)
    peak_bp_window_start_min: float = Field(35.0, ge=0)
    peak_bp_window_end_min: float = Field(45.0, gt=0)
    peak_bp_accept_start_min: float = Field(
        30.0, ge=0, description="Discharge: the 40-min BP counts from this long after the dose"
    )
    peak_bp_accept_end_min: float = Field(
        60.0, gt=0, description="Discharge: the 40-min BP counts until this long after the dose"
    )
    # --- assessments around the peak and before discharge
    assessment_at_min: float = Field(40.0, gt=0, description="MOAA/S and CADSS around the peak")
    assessment_window_start_min: float = Field(30.0, ge=0)
    assessment_window_end_min: float = Field(50.0, gt=0)
    predischarge_assessment_window_min: float = Field(
        30.0,
        gt=0,
        description="MOAA/S, CADSS, Aldrete count for discharge only if this recent (minutes)",
    )
    # --- IV infusion cadence (ignored for esketamine)
    infusion_min: float = Field(40.0, ge=0, description="IV infusion length; 0 for esketamine")
    bp_interval_infusion_min: float = Field(10.0, gt=0)
    bp_interval_after_min: float = Field(15.0, gt=0)
    bp_after_infusion_min: float = Field(
        30.0, ge=0, description="How long after the infusion the 15-min BP schedule lasts"
    )
    # --- dosing as given (see sessionmon.protocol.dosing)
    nasal_device_mg: float = Field(28.0, gt=0, description="Esketamine per nasal device (label)")
    nasal_device_accept_max_min: float = Field(
        15.0, gt=0, description="A further device is accepted up to this long after the last"
    )
    nasal_device_gap_warn_below_min: float = Field(4.0, ge=0)
    nasal_device_gap_warn_above_min: float = Field(7.0, gt=0)
    iv_dose_low_mg_per_kg: float = Field(0.5, gt=0, description="IV ketamine: warn below")
    iv_dose_high_mg_per_kg: float = Field(1.0, gt=0, description="IV ketamine: warn above")
    # --- pre-dose blood pressure (unconfirmed wording: 'consider delaying' above 140/90)
    predose_sys_above: float = Field(140.0, gt=0)
    predose_dia_above: float = Field(90.0, gt=0)
    # --- discharge
    discharge_bp_recent_min: float = Field(
        30.0, gt=0, description="The pre-discharge BP must be this recent (minutes)"
    )
    # Used only when the session's alarm limits are not known (the limits in force decide).
    discharge_sys_limit: float = Field(160.0, gt=0, description="Systolic at or above blocks")
    discharge_dia_limit: float = Field(100.0, gt=0, description="Diastolic at or above blocks")
    discharge_sys_rise: float = Field(40.0, gt=0, description="Rise over baseline that blocks")
    discharge_dia_rise: float = Field(25.0, gt=0, description="Rise over baseline that blocks")
    discharge_technical_quiet_min: float = Field(
        10.0,
        ge=0,
        description="No oximetry technical alarm (sensor off, no data, disconnected) this recent",
    )
    cadss_cutoff: int = Field(
        4, ge=0, le=92, description="CADSS-23 total above this counts as dissociation"
    )
    discharge_moaas: int = Field(5, ge=0, le=5, description="Latest MOAA/S must be at least this")
    discharge_aldrete_min: int = Field(9, ge=0, le=10)
    discharge_resp_rate_range: tuple[float, float] = Field(
        (8.0, 30.0), description="With capnography: current RR must lie in this range, /min"
    )
    discharge_etco2_range: tuple[float, float] = Field(
        (15.0, 50.0), description="With capnography: current etCO2 must lie in this range, mmHg"
    )
    discharge_breathing_recent_s: float = Field(
        30.0, gt=0, description="RR and etCO2 count as current when this recent"
    )
    require_peak_bp: bool = True
    require_aldrete: bool = True
    require_cadss_resolved: bool = Field(
        True,
        description="Where dissociation was recorded, a recent CADSS must be back at the cut-off",
    )
    nibp_slot_tolerance_min: float = Field(
        2.0, ge=0, description="A BP this long before a scheduled auto-cycle slot satisfies it"
    )

    @model_validator(mode="after")
    def _windows(self) -> ProtocolConfig:
        if not self.peak_bp_window_start_min <= self.peak_bp_at_min <= self.peak_bp_window_end_min:
            raise ValueError(
                f"peak_bp_at_min {self.peak_bp_at_min:g} must lie in its window "
                f"peak_bp_window_start_min {self.peak_bp_window_start_min:g} to "
                f"peak_bp_window_end_min {self.peak_bp_window_end_min:g}"
            )
        if not (
            self.assessment_window_start_min
            <= self.assessment_at_min
            <= self.assessment_window_end_min
        ):
            raise ValueError(
                f"assessment_at_min {self.assessment_at_min:g} must lie in its window "
                f"assessment_window_start_min {self.assessment_window_start_min:g} to "
                f"assessment_window_end_min {self.assessment_window_end_min:g}"
            )
        if self.nasal_device_gap_warn_below_min >= self.nasal_device_gap_warn_above_min:
            raise ValueError("nasal_device_gap_warn_below_min must be below ..._above_min")
        if self.iv_dose_low_mg_per_kg >= self.iv_dose_high_mg_per_kg:
            raise ValueError("iv_dose_low_mg_per_kg must be below iv_dose_high_mg_per_kg")
        if not self.peak_bp_accept_start_min < self.peak_bp_accept_end_min:
            raise ValueError(
                f"peak_bp_accept_start_min {self.peak_bp_accept_start_min:g} must be before "
                f"peak_bp_accept_end_min {self.peak_bp_accept_end_min:g}"
            )
        return self

    @property
    def is_infusion(self) -> bool:
        """Whether the protocol has a timed infusion with its own BP cadence (IV ketamine)."""
        return self.treatment is TreatmentId.KETAMINE_IV

    @classmethod
    def for_treatment(
        cls, treatment: TreatmentId | str, overrides: dict[str, Any] | None = None
    ) -> ProtocolConfig:
        """Return the default settings of a treatment, with ``overrides`` applied.

        Raises
        ------
        UserError
            Unknown treatment, unknown setting or a value out of range; the message names it.
        """
        try:
            treatment = TreatmentId(treatment)
        except ValueError:
            known = ", ".join(t.value for t in TreatmentId)
            raise UserError(f"unknown treatment {treatment!r}; known: {known}") from None
        values: dict[str, Any] = {"treatment": treatment}
        if treatment is TreatmentId.KETAMINE_IV:
            values.update(min_observation_min=70.0, infusion_min=40.0)
        else:
            values.update(min_observation_min=120.0, infusion_min=0.0)
        values.update(overrides or {})
        try:
            return cls(**values)
        except ValidationError as exc:
            first = exc.errors()[0]
            message = first["msg"].removeprefix("Value error, ")
            field = ".".join(str(p) for p in first["loc"])
            if first["type"] == "extra_forbidden":
                message = "is not a protocol setting"
            where = f"protocol setting {field}" if field else "protocol settings"
            raise UserError(f"{where}: {message}") from None
