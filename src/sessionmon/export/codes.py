"""Code systems shared by the FHIR and HL7 exports (LOINC, IEEE 11073 MDC, UCUM).

Only the codes listed in the clinical reference are used; kinds without a confirmed code
(perfusion index, cuff pressure, pleth, inspired CO2, the CO2 wave) are not exported to FHIR or
HL7. MDC_AWAY_CO2_ET is 151728: partition 2 (SCADA) x 65536 + term code 20656 (0x50B0, the
IntelliVue's NOM_AWAY_CO2_ET, whose other codes are the 11073 term codes too; see
docs/decisions/resp.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sessionmon.model import Kind

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
MDC_SYSTEM = "urn:iso:std:iso:11073:10101"


@dataclass(frozen=True)
class MetricCode:
    """How one kind is coded: LOINC code(s), MDC code and reference name, units."""

    loinc: tuple[tuple[str, str], ...]
    mdc_code: int
    mdc_name: str
    ucum: str
    mdc_unit_code: int
    mdc_unit_name: str
    display: str


_BPM = (264864, "MDC_DIM_BEAT_PER_MIN")
_MMHG = (266016, "MDC_DIM_MMHG")

METRICS: dict[Kind, MetricCode] = {
    Kind.HR: MetricCode(
        (("8867-4", "Heart rate"),), 149530, "MDC_PULS_OXIM_PULS_RATE", "/min", *_BPM, "Pulse rate"
    ),
    Kind.SPO2: MetricCode(
        (
            ("2708-6", "Oxygen saturation in Arterial blood"),
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        ),
        150456,
        "MDC_PULS_OXIM_SAT_O2",
        "%",
        262688,
        "MDC_DIM_PERCENT",
        "SpO2",
    ),
    Kind.NIBP_SYS: MetricCode(
        (("8480-6", "Systolic blood pressure"),),
        150021,
        "MDC_PRESS_BLD_NONINV_SYS",
        "mm[Hg]",
        *_MMHG,
        "Systolic",
    ),
    Kind.NIBP_DIA: MetricCode(
        (("8462-4", "Diastolic blood pressure"),),
        150022,
        "MDC_PRESS_BLD_NONINV_DIA",
        "mm[Hg]",
        *_MMHG,
        "Diastolic",
    ),
    Kind.NIBP_MAP: MetricCode(
        (("8478-0", "Mean blood pressure"),),
        150023,
        "MDC_PRESS_BLD_NONINV_MEAN",
        "mm[Hg]",
        *_MMHG,
        "Mean",
    ),
    Kind.NIBP_HR: MetricCode(
        (("8867-4", "Heart rate"),), 149546, "MDC_PULS_RATE_NON_INV", "/min", *_BPM, "NIBP pulse"
    ),
    Kind.RESP_RATE: MetricCode(
        (("9279-1", "Respiratory rate"),),
        151562,
        "MDC_RESP_RATE",
        "/min",
        264928,
        "MDC_DIM_RESP_PER_MIN",
        "Respiratory rate",
    ),
    Kind.ETCO2: MetricCode(
        (("19889-5", "Carbon dioxide [Partial pressure] in Exhaled gas --at end expiration"),),
        151728,
        "MDC_AWAY_CO2_ET",
        "mm[Hg]",
        *_MMHG,
        "etCO2",
    ),
}

BP_PANEL_LOINC = ("85354-9", "Blood pressure panel with all children optional")
BP_PANEL_MDC = (150020, "MDC_PRESS_BLD_NONINV")
VITALS_PANEL_LOINC = ("85353-1", "Vital signs, weight, height, head circumference, oxygen")
