"""The REMS monitoring form as rows to print: (section, [(label, value, mark)]).

``mark`` is ``""`` for what the record shows, ``"clinician"`` for an answer the clinician gave at
sign-off and ``"open"`` for a question still to answer (printed so that it stands out).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sessionmon.export.rems import QUESTIONS, RemsSummary, bp_text
from sessionmon.export.rems_findings import Finding

Row = tuple[str, str, str]


def _minutes(value: float | None) -> str:
    return "Not recorded" if value is None else f"{value:.0f} min"


def _or_blank(value: str | None, blank: str = "to be entered at sign-off") -> str:
    return value if value else blank


def _finding_row(label: str, finding: Finding) -> Row:
    if finding.open:
        lean = ""
        if finding.suggestion is not None:
            lean = f"; the record suggests {'Yes' if finding.suggestion else 'No'}"
        return (label, f"{finding.answer()}: {finding.details}{lean}", "open")
    mark = "clinician" if finding.source == "clinician" else ""
    return (label, f"{finding.answer()}: {finding.details}", mark)


def _ready_row(rems: RemsSummary) -> Row:
    label = "Minutes until ready to leave (had there been no 2-hour minimum)"
    suggested = rems.minutes_until_ready_suggested
    hint = (
        f"computed suggestion {suggested:.0f} min"
        if suggested is not None
        else "no computed suggestion (the criteria were never all met)"
    )
    if rems.minutes_until_ready is None:
        return (label, f"To be entered by the clinician at sign-off ({hint})", "open")
    return (label, f"{rems.minutes_until_ready:.0f} min, clinician's entry ({hint})", "clinician")


def rems_rows(
    rems: RemsSummary, dose: datetime | None, date_text: Callable[[datetime | None], str]
) -> list[tuple[str, list[Row]]]:
    """Every field of the current Patient Monitoring Form, grouped as the form groups them."""
    dose_text = f"{rems.dose_mg:g} mg"
    if rems.dose_mg not in (56, 84):
        dose_text += " (other)"
    if rems.devices_count:
        dose_text += f", {rems.devices_count} device{'s' if rems.devices_count != 1 else ''} given"
    dob = rems.date_of_birth.isoformat() if rems.date_of_birth else ""
    sections: list[tuple[str, list[Row]]] = [
        (
            "Patient",
            [
                ("First name", _or_blank(rems.patient_first_name, "not recorded"), ""),
                ("Middle initial", rems.patient_middle_initial or "-", ""),
                ("Last name", _or_blank(rems.patient_last_name, "not recorded"), ""),
                ("Date of birth", _or_blank(dob, "not recorded"), ""),
                ("Sex", _or_blank(rems.sex, "not recorded"), ""),
            ],
        ),
        (
            "Concomitant medicines",
            [
                (name[0].upper() + name[1:], "Yes" if taken else "No", "")
                for name, taken in rems.medicines.items()
            ],
        ),
        (
            "Monitoring healthcare provider",
            [
                ("First name", _or_blank(rems.provider["first_name"]), ""),
                ("Last name", _or_blank(rems.provider["last_name"]), ""),
                ("Telephone", _or_blank(rems.provider["phone"]), ""),
                ("Email", _or_blank(rems.provider["email"]), ""),
            ],
        ),
        (
            "Healthcare setting",
            [
                ("Name", _or_blank(rems.setting["name"], "not set (File > Clinic settings)"), ""),
                ("Address", _or_blank(rems.setting["address"]), ""),
                ("City", _or_blank(rems.setting["city"]), ""),
                ("State", _or_blank(rems.setting["state"]), ""),
                ("ZIP", _or_blank(rems.setting["zip"]), ""),
            ],
        ),
        (
            "Treatment and monitoring",
            [
                ("Treatment date", date_text(rems.treatment_date), ""),
                ("Dose", dose_text, ""),
                ("Lot number", rems.lot_number or "not recorded", ""),
                (
                    "Total minutes, first device to end of monitoring",
                    _minutes(rems.total_monitoring_min),
                    "",
                ),
                _ready_row(rems),
                _finding_row(QUESTIONS["vitals_before_dose"], rems.vitals_before_dose),
                ("BP before dosing", bp_text(rems.bp_before_dose, dose), ""),
                ("BP at about 40 minutes", bp_text(rems.bp_at_40_min, dose), ""),
                ("BP before leaving", bp_text(rems.bp_before_discharge, dose), ""),
                _finding_row(QUESTIONS["vitals_before_leaving"], rems.vitals_before_leaving),
            ],
        ),
        (
            "During monitoring",
            [
                _finding_row(QUESTIONS[q], rems.finding(q))
                for q in ("sedation", "dissociation", "respiratory_depression")
            ]
            + [_finding_row(QUESTIONS["serious_adverse_events"], rems.serious_adverse_events)],
        ),
    ]
    return sections
