"""The REMS patient monitoring form fields, derived from a session record.

Definitions (each states what the console can know from the record):

* total monitoring minutes: first dose to the end of monitoring (sign-off, else the last thing
  recorded);
* minutes until ready to leave: from the session protocol, the first moment every discharge
  criterion other than the minimum observation time was met;
* BP before dosing: the last reading before the first dose; at 40 minutes: the reading in the
  protocol's peak window (35-45 min) closest to 40; before leaving: the last reading after the dose;
* sedation: any MOAA/S below 5 after the dose; dissociation: any CADSS total above 4 (or any
  CADSS-6 total above 0) after the dose; respiratory depression: any ``spo2_low`` alarm;
* vital signs acceptable before dosing: the pre-dose BP below the protocol's pre-dose limits and
  the last pre-dose SpO2 and pulse inside the default alarm limits; before leaving: the last
  discharge attempt was allowed;
* serious adverse events: annotations flagged ``serious_adverse_event`` in their payload, or whose
  text mentions "serious adverse event".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sessionmon.errors import UserError
from sessionmon.export.record import BpReading, SessionRecord, scale_label
from sessionmon.model import Drug, EventKind, Kind
from sessionmon.protocol import ProtocolState, SessionProtocol

#: SpO2 at or above this, and pulse within these bounds, count as acceptable before dosing
#: (the default profile's medium alarm limits).
SPO2_ACCEPTABLE = 90.0
PULSE_ACCEPTABLE = (50.0, 120.0)


@dataclass(frozen=True)
class Finding:
    """Whether something occurred (``None`` when nothing was recorded to tell), and details."""

    occurred: bool | None
    details: str

    def answer(self) -> str:
        """``Yes``, ``No`` or ``Not recorded``."""
        return {True: "Yes", False: "No", None: "Not recorded"}[self.occurred]


@dataclass(frozen=True)
class RemsSummary:
    """The REMS monitoring-form fields a session record can fill."""

    treatment_date: datetime | None
    dose_mg: float
    lot_number: str | None
    devices_count: int | None
    first_dose_at: datetime | None
    end_of_monitoring: datetime | None
    total_monitoring_min: float | None
    minutes_until_ready: float | None
    bp_before_dose: BpReading | None
    bp_at_40_min: BpReading | None
    bp_before_discharge: BpReading | None
    vitals_ok_before_dose: bool | None
    vitals_ok_before_leaving: bool | None
    sedation: Finding
    dissociation: Finding
    respiratory_depression: Finding
    serious_adverse_events: Finding
    applies: bool
    missing: list[str] = field(default_factory=list)


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


def _at_min(record: SessionRecord, moment: datetime) -> str:
    since = record.seconds_since_dose(moment)
    return f"{moment:%H:%M} UTC" if since is None else f"{since / 60:.0f} min"


def _scale_finding(record: SessionRecord, dose: datetime | None, scales: dict[str, int]) -> Finding:
    """Any entry of ``scales`` (id -> 'occurred above this total') after the dose."""
    entries = [c for c in record.checklists if c.scale in scales and (dose is None or c.at >= dose)]
    if not entries:
        return Finding(None, "no assessment recorded after the dose")
    hits = [c for c in entries if c.total > scales[c.scale]]
    listing = ", ".join(
        f"{scale_label(c.scale)} {c.total} at {_at_min(record, c.at)}" for c in entries
    )
    return Finding(bool(hits), listing)


def _sedation(record: SessionRecord, dose: datetime | None) -> Finding:
    entries = [
        c for c in record.checklists if c.scale == "moaas" and (dose is None or c.at >= dose)
    ]
    if not entries:
        return Finding(None, "no MOAA/S recorded after the dose")
    lowest = min(entries, key=lambda c: c.total)
    listing = ", ".join(f"{c.total} at {_at_min(record, c.at)}" for c in entries)
    if lowest.total < 5:
        return Finding(True, f"MOAA/S {listing} (lowest {lowest.total})")
    return Finding(False, f"MOAA/S {listing}")


def _respiratory(record: SessionRecord) -> Finding:
    alarms = [a for a in record.alarms if a.condition == "spo2_low"]
    if not alarms:
        spo2 = record.series(Kind.SPO2)
        if not spo2:
            return Finding(None, "no pulse oximetry recorded")
        lowest = min(m.value for m in spo2)
        return Finding(False, f"no SpO2 alarm; lowest SpO2 {lowest:g} %")
    parts = []
    for alarm in alarms:
        end = alarm.end or record.end_of_monitoring or alarm.start
        values = [m.value for m in record.series(Kind.SPO2) if alarm.start <= m.received_at <= end]
        low = f", lowest {min(values):g} %" if values else ""
        seconds = (end - alarm.start).total_seconds()
        parts.append(
            f"SpO2 low ({alarm.priority.value}) at {_at_min(record, alarm.start)} "
            f"for {seconds / 60:.0f} min{low}"
        )
    return Finding(True, "; ".join(parts))


def _serious(record: SessionRecord) -> Finding:
    flagged = [
        e
        for e in record.annotations
        if e.payload.get("serious_adverse_event")
        or "serious adverse event" in (e.text or "").lower()
    ]
    if not flagged:
        return Finding(False, "none recorded")
    return Finding(True, "; ".join(f"{_at_min(record, e.at)}: {e.text or ''}" for e in flagged))


def _last_before(values: list, moment: datetime):
    before = [m for m in values if m.received_at < moment]
    return before[-1] if before else None


def _vitals_ok_before_dose(
    record: SessionRecord, proto: SessionProtocol | None, bp: BpReading | None
) -> bool | None:
    dose = record.dose_at
    if dose is None or bp is None:
        return None
    ok = True
    if proto is not None:
        cfg = proto.config
        ok = bp.sys <= cfg.predose_sys_above and bp.dia <= cfg.predose_dia_above
    spo2 = _last_before(record.series(Kind.SPO2), dose)
    pulse = _last_before(record.series(Kind.HR), dose)
    if spo2 is not None and spo2.value < SPO2_ACCEPTABLE:
        ok = False
    if pulse is not None and not PULSE_ACCEPTABLE[0] <= pulse.value <= PULSE_ACCEPTABLE[1]:
        ok = False
    return ok


def rems_summary(record: SessionRecord) -> RemsSummary:
    """Fill the REMS monitoring-form fields from a record (see the module docstring)."""
    session = record.session
    treatment = session.treatment
    dose = record.dose_at
    end = record.end_of_monitoring
    proto = _protocol(record)
    readings = record.bp_readings
    before = [r for r in readings if dose is not None and r.at < dose]
    after = [r for r in readings if dose is not None and r.at >= dose]
    at_40 = None
    if dose is not None and proto is not None:
        cfg = proto.config
        window = [
            r
            for r in after
            if cfg.peak_bp_window_start_min <= _min(r.at - dose) <= cfg.peak_bp_window_end_min
        ]
        if window:
            at_40 = min(window, key=lambda r: abs(_min(r.at - dose) - cfg.peak_bp_at_min))
    until_ready = None
    if proto is not None and dose is not None and end is not None:
        until_ready = proto.minutes_until_ready(protocol_state(record), end)
    attempts = record.events_of(EventKind.DISCHARGE_ATTEMPT)
    ok_leaving = bool(attempts[-1].payload.get("allowed")) if attempts else None
    bp_before = before[-1] if before else None
    summary = RemsSummary(
        treatment_date=dose or session.created_at,
        dose_mg=sum(a.dose_mg for a in record.administrations) or treatment.dose_mg,
        lot_number=_lot(record),
        devices_count=treatment.devices_count,
        first_dose_at=dose,
        end_of_monitoring=end,
        total_monitoring_min=None if dose is None or end is None else _min(end - dose),
        minutes_until_ready=until_ready,
        bp_before_dose=bp_before,
        bp_at_40_min=at_40,
        bp_before_discharge=after[-1] if after else None,
        vitals_ok_before_dose=_vitals_ok_before_dose(record, proto, bp_before),
        vitals_ok_before_leaving=ok_leaving,
        sedation=_sedation(record, dose),
        dissociation=_scale_finding(record, dose, {"cadss": 4, "cadss6": 0}),
        respiratory_depression=_respiratory(record),
        serious_adverse_events=_serious(record),
        applies=treatment.drug is Drug.ESKETAMINE,
    )
    missing = [
        label
        for label, value in (
            ("first dose time", summary.first_dose_at),
            ("lot number", summary.lot_number),
            ("BP before dosing", summary.bp_before_dose),
            ("BP at 40 minutes", summary.bp_at_40_min),
            ("BP before leaving", summary.bp_before_discharge),
            ("sedation assessment", summary.sedation.occurred),
            ("dissociation assessment", summary.dissociation.occurred),
        )
        if value is None
    ]
    return RemsSummary(**{**summary.__dict__, "missing": missing})


def yes_no(value: bool | None) -> str:
    """``Yes``, ``No`` or ``Not recorded``."""
    return {True: "Yes", False: "No", None: "Not recorded"}[value]


def bp_text(reading: BpReading | None, dose: datetime | None = None) -> str:
    """``126/80 mmHg at 41 min`` (or ``Not recorded``)."""
    if reading is None:
        return "Not recorded"
    text = f"{reading.sys:g}/{reading.dia:g} mmHg"
    if dose is not None:
        text += f" at {(reading.at - dose).total_seconds() / 60:.0f} min"
    return text
