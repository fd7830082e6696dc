"""The REMS patient monitoring form, filled only as far as the session record supports it.

Definitions (each states what the console can know from the record):

* patient first name, middle initial, last name: the recorded name split at spaces (first word,
  initial of the second of three or more words, last word); date of birth, sex as recorded;
* concomitant medicines: yes/no per REMS class, from the classes recorded for the session;
* monitoring provider (first and last name, telephone, email) and healthcare setting (name,
  address, city, state, ZIP): as confirmed at sign-off (from the clinic settings);
* total monitoring minutes: first dose to the end of monitoring (sign-off, else the last thing
  recorded);
* minutes until ready to leave: the clinician's entry at sign-off; the computed suggestion is the
  first moment every discharge criterion other than the minimum time was met (the record replayed:
  vital signs, alarms, assessments, BP);
* BP before dosing: the last reading before the first dose; at 40 minutes: the reading in the
  protocol's acceptance window (30-60 min) closest to 40; before leaving: the last after the dose;
* vital signs acceptable before dosing / before leaving: SpO2, pulse and BP inside the session's
  alarm limits then (before leaving: also the last discharge check was met without an override);
* sedation, dissociation, respiratory depression, serious adverse events: see
  :mod:`sessionmon.export.rems_findings`. What the record cannot support is left to the
  clinician, who answers at sign-off; until then the form says so and never says "No".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sessionmon.errors import UserError
from sessionmon.export import rems_findings as findings
from sessionmon.export.record import BpReading, SessionRecord
from sessionmon.export.rems_findings import ASK_CLINICIAN, Finding
from sessionmon.export.rems_replay import PatientReplay
from sessionmon.model import Drug, EventKind
from sessionmon.protocol import ProtocolConfig, ProtocolState, SessionProtocol

__all__ = [
    "ASK_CLINICIAN",
    "MEDICINE_CLASSES",
    "QUESTIONS",
    "Finding",
    "RemsSummary",
    "bp_text",
    "protocol_state",
    "rems_summary",
    "yes_no",
]

#: REMS concomitant-medicine classes.
MEDICINE_CLASSES: tuple[str, ...] = (
    "benzodiazepines",
    "non-benzodiazepine sedative hypnotics",
    "psychostimulants",
    "MAOIs",
    "opioids",
)

#: The yes/no questions a clinician may have to answer, id -> how the form names them.
QUESTIONS: dict[str, str] = {
    "vitals_before_dose": "Vital signs acceptable before dosing",
    "vitals_before_leaving": "Vital signs acceptable before leaving",
    "sedation": "Sedation",
    "dissociation": "Dissociation",
    "respiratory_depression": "Respiratory depression",
    "serious_adverse_events": "Serious adverse events",
}

PROVIDER_FIELDS = ("first_name", "last_name", "phone", "email")
SETTING_FIELDS = ("name", "address", "city", "state", "zip")


@dataclass(frozen=True)
class RemsSummary:
    """The REMS monitoring-form fields of a session record."""

    patient_first_name: str | None
    patient_middle_initial: str | None
    patient_last_name: str | None
    date_of_birth: Any
    sex: str | None
    medicines: dict[str, bool]
    provider: dict[str, str]
    setting: dict[str, str]
    treatment_date: datetime | None
    dose_mg: float
    lot_number: str | None
    devices_count: int | None
    first_dose_at: datetime | None
    end_of_monitoring: datetime | None
    total_monitoring_min: float | None
    minutes_until_ready: float | None
    minutes_until_ready_suggested: float | None
    bp_before_dose: BpReading | None
    bp_at_40_min: BpReading | None
    bp_before_discharge: BpReading | None
    vitals_before_dose: Finding
    vitals_before_leaving: Finding
    sedation: Finding
    dissociation: Finding
    respiratory_depression: Finding
    serious_adverse_events: Finding
    applies: bool
    signed_answers: bool
    missing: list[str] = field(default_factory=list)

    @property
    def vitals_ok_before_dose(self) -> bool | None:
        """Yes/No, or None while the clinician has to answer."""
        return self.vitals_before_dose.occurred

    @property
    def vitals_ok_before_leaving(self) -> bool | None:
        """Yes/No, or None while the clinician has to answer."""
        return self.vitals_before_leaving.occurred

    @property
    def open_questions(self) -> list[str]:
        """Ids (keys of :data:`QUESTIONS`) of the yes/no questions still to answer."""
        return [q for q in QUESTIONS if getattr(self, q).open]

    def finding(self, question: str) -> Finding:
        """The answer to one of :data:`QUESTIONS`."""
        return getattr(self, question)


def _min(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0


def _protocol(record: SessionRecord) -> SessionProtocol | None:
    try:
        return SessionProtocol.for_treatment(record.session.treatment.protocol)
    except UserError:
        return None


def protocol_state(record: SessionRecord) -> ProtocolState:
    """The protocol's view of a finished record (dose, BP readings, checklists)."""
    baseline = None
    for event in record.events_of(EventKind.DOSE_GIVEN):
        given = event.payload.get("baseline_bp")
        if event.payload.get("first") and given:
            baseline = (float(given[0]), float(given[1]))
    return ProtocolState(
        dose_at=record.dose_at,
        first_dose_at=record.dose_at,
        baseline_bp=baseline,
        bp_readings=[(r.at, r.sys, r.dia) for r in record.bp_readings],
        checklists=[(c.at, c.scale, c.total) for c in record.checklists],
    )


def _lot(record: SessionRecord) -> str | None:
    if record.session.treatment.lot_number:
        return record.session.treatment.lot_number
    for event in record.events_of(EventKind.DOSE_GIVEN):
        if event.payload.get("lot_number"):
            return str(event.payload["lot_number"])
    return None


def _split_name(name: str | None) -> tuple[str | None, str | None, str | None]:
    words = (name or "").split()
    if not words:
        return None, None, None
    if len(words) == 1:
        return words[0], None, None
    middle = words[1][0].upper() if len(words) >= 3 else None
    return words[0], middle, words[-1]


def signed_rems(record: SessionRecord) -> dict[str, Any]:
    """The clinician's REMS entries recorded with the sign-off (``{}`` when not signed)."""
    for event in reversed(record.events_of(EventKind.SIGN_OFF)):
        rems = event.payload.get("rems")
        if isinstance(rems, dict):
            return rems
    return {}


def _last_attempt(record: SessionRecord) -> dict | None:
    attempts = record.events_of(EventKind.DISCHARGE_ATTEMPT)
    return dict(attempts[-1].payload) if attempts else None


def _with_answers(found: dict[str, Finding], answers: dict[str, Any]) -> dict[str, Finding]:
    result = dict(found)
    for question, finding in found.items():
        given = answers.get(question)
        if finding.open and isinstance(given, dict) and given.get("occurred") is not None:
            result[question] = finding.answered(
                bool(given["occurred"]), str(given.get("details", ""))
            )
    return result


def _at_40(record: SessionRecord, config: ProtocolConfig | None, after: list[BpReading]):
    dose = record.dose_at
    if dose is None or config is None:
        return None
    window = [
        r
        for r in after
        if config.peak_bp_accept_start_min <= _min(r.at - dose) <= config.peak_bp_accept_end_min
    ]
    if not window:
        return None
    return min(window, key=lambda r: abs(_min(r.at - dose) - config.peak_bp_at_min))


def _suggested(record: SessionRecord, proto: SessionProtocol | None, replay: PatientReplay):
    end = record.end_of_monitoring
    if proto is None or record.dose_at is None or end is None:
        return None
    quiet = proto.config.discharge_technical_quiet_min
    return proto.minutes_until_ready(
        protocol_state(record), end, replay.at, replay.alarm_ends(quiet)
    )


def rems_summary(record: SessionRecord, entries: dict[str, Any] | None = None) -> RemsSummary:
    """Fill the REMS monitoring-form fields from a record (see the module docstring).

    Parameters
    ----------
    record : SessionRecord
        The session.
    entries : dict, optional
        The clinician's entries (as recorded with the sign-off: ``minutes_until_ready``,
        ``answers``, ``provider``, ``setting``); by default those of the record's sign-off.
    """
    session = record.session
    treatment = session.treatment
    dose = record.dose_at
    end = record.end_of_monitoring
    proto = _protocol(record)
    config = proto.config if proto is not None else None
    replay = PatientReplay(record)
    entries = signed_rems(record) if entries is None else entries
    readings = record.bp_readings
    before = [r for r in readings if dose is not None and r.at < dose]
    after = [r for r in readings if dose is not None and r.at >= dose]
    bp_before = before[-1] if before else None
    bp_leaving = after[-1] if after else None
    first, middle, last = _split_name(session.patient.name)
    found = {
        "vitals_before_dose": findings.vitals_before_dose(
            record, replay, (bp_before.sys, bp_before.dia) if bp_before else None
        ),
        "vitals_before_leaving": findings.vitals_before_leaving(
            record,
            replay,
            (bp_leaving.sys, bp_leaving.dia) if bp_leaving else None,
            _last_attempt(record),
        ),
        "sedation": findings.sedation(record, dose),
        "dissociation": findings.dissociation(
            record, dose, config or ProtocolConfig.for_treatment(treatment.protocol)
        ),
        "respiratory_depression": findings.respiratory_depression(record, replay, dose),
        "serious_adverse_events": findings.serious_adverse_events(record),
    }
    found = _with_answers(found, entries.get("answers") or {})
    entered = entries.get("minutes_until_ready")
    provider = {k: str((entries.get("provider") or {}).get(k) or "") for k in PROVIDER_FIELDS}
    setting = {k: str((entries.get("setting") or {}).get(k) or "") for k in SETTING_FIELDS}
    if not setting["name"] and session.clinic:
        setting["name"] = session.clinic
    summary = RemsSummary(
        patient_first_name=first,
        patient_middle_initial=middle,
        patient_last_name=last,
        date_of_birth=session.patient.date_of_birth,
        sex=session.patient.sex,
        medicines={m: m in session.concomitant_medicines for m in MEDICINE_CLASSES},
        provider=provider,
        setting=setting,
        treatment_date=dose or session.created_at,
        dose_mg=sum(a.dose_mg for a in record.administrations) or treatment.dose_mg,
        lot_number=_lot(record),
        devices_count=(
            round(
                sum(a.dose_mg for a in record.administrations)
                / (config.nasal_device_mg if config else 28.0)
            )
            if treatment.drug is Drug.ESKETAMINE and record.administrations
            else treatment.devices_count
        ),
        first_dose_at=dose,
        end_of_monitoring=end,
        total_monitoring_min=None if dose is None or end is None else _min(end - dose),
        minutes_until_ready=float(entered) if isinstance(entered, int | float) else None,
        minutes_until_ready_suggested=_suggested(record, proto, replay),
        bp_before_dose=bp_before,
        bp_at_40_min=_at_40(record, config, after),
        bp_before_discharge=bp_leaving,
        applies=treatment.drug is Drug.ESKETAMINE,
        signed_answers=bool(entries),
        **found,
    )
    return RemsSummary(**{**summary.__dict__, "missing": missing_fields(summary)})


def missing_fields(summary: RemsSummary) -> list[str]:
    """The form's fields the record and the sign-off entries leave empty, as the form names
    them (the required ones, and the lot number and BPs the form asks for)."""
    checks: list[tuple[str, Any]] = [
        ("patient first name", summary.patient_first_name),
        ("patient last name", summary.patient_last_name),
        ("date of birth", summary.date_of_birth),
        ("sex", summary.sex),
        ("provider first name", summary.provider["first_name"]),
        ("provider last name", summary.provider["last_name"]),
        ("provider telephone", summary.provider["phone"]),
        ("provider email", summary.provider["email"]),
        ("setting name", summary.setting["name"]),
        ("setting address", summary.setting["address"]),
        ("setting city", summary.setting["city"]),
        ("setting state", summary.setting["state"]),
        ("setting ZIP", summary.setting["zip"]),
        ("first dose time", summary.first_dose_at),
        ("lot number", summary.lot_number),
        ("BP before dosing", summary.bp_before_dose),
        ("BP at 40 minutes", summary.bp_at_40_min),
        ("BP before leaving", summary.bp_before_discharge),
        ("minutes until ready to leave", summary.minutes_until_ready),
    ]
    missing = [label for label, value in checks if value in (None, "")]
    missing += [f"{QUESTIONS[q].lower()} (clinician)" for q in summary.open_questions]
    return missing


def yes_no(value: bool | None) -> str:
    """``Yes``, ``No`` or :data:`ASK_CLINICIAN`."""
    return {True: "Yes", False: "No", None: ASK_CLINICIAN}[value]


def bp_text(reading: BpReading | None, dose: datetime | None = None) -> str:
    """``126/80 mmHg at 41 min`` (or ``Not recorded``)."""
    if reading is None:
        return "Not recorded"
    text = f"{reading.sys:g}/{reading.dia:g} mmHg"
    if dose is not None:
        text += f" at {round((reading.at - dose).total_seconds() / 60) + 0:d} min"
    return text
