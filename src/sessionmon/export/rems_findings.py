"""The yes/no questions of the REMS form, answered only as far as the record supports them.

Each function returns a :class:`Finding`: ``occurred`` True or False when the record shows it,
None when it cannot (no SpO2 for part of the session, no CADSS after dissociation, the 6-item
CADSS above 0): such a question is left for the clinician, who answers it at sign-off, and is
never filled as "No".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import pairwise

from sessionmon.export import rems_breathing as breathing
from sessionmon.export.record import SessionRecord, scale_label
from sessionmon.export.rems_replay import PatientReplay
from sessionmon.protocol import ProtocolConfig

#: A gap longer than this in the SpO2 record counts as "no SpO2 for part of the session".
SPO2_GAP_S = 30.0

#: What the form says where no respiratory rate or etCO2 was recorded.
NOT_MONITORED = "breathing not monitored: no capnography or respiratory rate in the record"

#: How an open question is shown until the clinician answers it.
ASK_CLINICIAN = "To be answered by the clinician"


@dataclass(frozen=True)
class Finding:
    """A yes/no answer with its details and where it came from.

    Attributes
    ----------
    occurred : bool or None
        The answer; None while it is the clinician's to give.
    details : str
        What the record shows (values and times), or why it cannot answer.
    source : str
        ``record``, ``clinician`` (answered at sign-off) or ``open`` (still to answer).
    suggestion : bool or None
        For an open question, what the record leans to (shown, never filled in).
    """

    occurred: bool | None
    details: str
    source: str = "record"
    suggestion: bool | None = None

    @property
    def open(self) -> bool:
        """Whether the clinician still has to answer."""
        return self.occurred is None

    def answer(self) -> str:
        """``Yes``, ``No`` or :data:`ASK_CLINICIAN`; a clinician's answer says so."""
        if self.occurred is None:
            return ASK_CLINICIAN
        text = "Yes" if self.occurred else "No"
        return f"{text} (clinician)" if self.source == "clinician" else text

    def answered(self, occurred: bool, details: str = "") -> Finding:
        """This question as the clinician answered it."""
        joined = f"{details.strip()} - record: {self.details}" if details.strip() else self.details
        return replace(self, occurred=bool(occurred), details=joined, source="clinician")


def _open(details: str, suggestion: bool | None = None) -> Finding:
    return Finding(None, details, "open", suggestion)


def at_min(record: SessionRecord, moment: datetime) -> str:
    """``41 min`` after the dose (or the UTC time without a dose)."""
    since = record.seconds_since_dose(moment)
    return f"{moment:%H:%M} UTC" if since is None else f"{since / 60:.0f} min"


def _after(record: SessionRecord, scales: set[str], dose: datetime | None):
    return [c for c in record.checklists if c.scale in scales and (dose is None or c.at >= dose)]


def sedation(record: SessionRecord, dose: datetime | None) -> Finding:
    """Any MOAA/S below 5 after the dose."""
    entries = _after(record, {"moaas"}, dose)
    if not entries:
        return _open("no MOAA/S recorded after the dose")
    lowest = min(entries, key=lambda c: c.total)
    listing = ", ".join(f"{c.total} at {at_min(record, c.at)}" for c in entries)
    if lowest.total < 5:
        return Finding(True, f"MOAA/S {listing} (lowest {lowest.total})")
    return Finding(False, f"MOAA/S {listing}")


def dissociation(record: SessionRecord, dose: datetime | None, config: ProtocolConfig) -> Finding:
    """CADSS above the cut-off after the dose; the 6-item form above 0 is the clinician's."""
    entries = _after(record, {"cadss", "cadss6"}, dose)
    if not entries:
        return _open("no CADSS recorded after the dose")
    listing = ", ".join(
        f"{scale_label(c.scale)} {c.total} at {at_min(record, c.at)}" for c in entries
    )
    full = [c for c in entries if c.scale == "cadss"]
    if any(c.total > config.cadss_cutoff for c in full):
        return Finding(True, f"{listing} (CADSS above {config.cadss_cutoff} is dissociation)")
    if any(c.scale == "cadss6" and c.total > 0 for c in entries):
        return _open(
            f"{listing}: the 6-item CADSS has no validated cut-off; an item above 0 is for the "
            "clinician to judge",
            suggestion=True,
        )
    return Finding(False, listing)


def _spo2_gaps(
    record: SessionRecord, replay: PatientReplay, start: datetime, end: datetime
) -> float:
    """Seconds of the monitoring period with no SpO2 value (gaps over :data:`SPO2_GAP_S`)."""
    times = [start, *replay.between("spo2", start, end), end]
    return sum(
        (b - a).total_seconds() for a, b in pairwise(times) if (b - a).total_seconds() > SPO2_GAP_S
    )


def _spo2_alarm_parts(record: SessionRecord, replay: PatientReplay) -> list[str]:
    end = record.end_of_monitoring
    parts = []
    for alarm in (a for a in record.alarms if a.condition == "spo2_low"):
        until = alarm.end or end or alarm.start
        values = replay.values("spo2", alarm.start, until)
        low = f", lowest {min(values):g} %" if values else ""
        minutes = (until - alarm.start).total_seconds() / 60
        parts.append(
            f"SpO2 low ({alarm.priority.value}) at {at_min(record, alarm.start)} "
            f"for {minutes:.0f} min{low}"
        )
    return parts


def respiratory_depression(
    record: SessionRecord, replay: PatientReplay, dose: datetime | None
) -> Finding:
    """Breathing alarms, apnoea or an SpO2 low alarm; "No" only when breathing (RR or etCO2)
    and SpO2 were recorded throughout the monitoring and none occurred.

    Where no respiratory rate or etCO2 was recorded the record cannot show breathing was
    normal (SpO2 falls late): without an SpO2 alarm the question is the clinician's, and the
    details say plainly that breathing was not monitored.
    """
    end = record.end_of_monitoring
    spo2_parts = _spo2_alarm_parts(record, replay)
    evidence = None
    if dose is not None and end is not None:
        evidence = breathing.breathing_evidence(record, dose, end)
    if evidence is not None and evidence.measured:
        seen = breathing.describe(evidence, lambda moment: at_min(record, moment))
        if evidence.depressed or spo2_parts:
            return Finding(True, "; ".join([seen, *spo2_parts]))
        lowest_spo2 = replay.values("spo2", dose, end)
        spo2_text = f"SpO2 lowest {min(lowest_spo2):g} %" if lowest_spo2 else "no SpO2 recorded"
        holes = breathing.not_measured_gaps(evidence, lambda moment: at_min(record, moment))
        spo2_missing = _spo2_gaps(record, replay, dose, end) if lowest_spo2 else 1.0
        if holes or spo2_missing > 0:
            if spo2_missing > 0:
                holes.append("SpO2 not recorded throughout")
            return _open(
                f"{seen}; {spo2_text}; " + "; ".join(holes) + ": the record cannot show there "
                "was none",
                suggestion=False,
            )
        return Finding(False, f"no breathing or SpO2 alarm; {seen}; {spo2_text}")
    if spo2_parts:
        return Finding(True, "; ".join(spo2_parts) + f"; {NOT_MONITORED}")
    if dose is None or end is None:
        return _open("no dose or no end of monitoring recorded")
    if replay.latest("spo2", end) is None:
        return _open(f"no pulse oximetry recorded; {NOT_MONITORED}")
    missing_s = _spo2_gaps(record, replay, dose, end)
    technical = [a for a in replay.alarms if a.is_oximetry_technical and a.within(dose, end)]
    if missing_s > 0 or technical:
        why = [f"no SpO2 for {missing_s / 60:.0f} min of the monitoring"] if missing_s else []
        why += [f"{a.message or a.condition} at {at_min(record, a.started_at)}" for a in technical]
        return _open(
            "; ".join(why) + f"; {NOT_MONITORED}: the record cannot show there was none",
            suggestion=None,
        )
    lowest = min(v for v in replay.values("spo2", dose, end))
    return _open(
        f"{NOT_MONITORED}; SpO2 recorded throughout, lowest {lowest:g} %, no SpO2 alarm "
        "(SpO2 alone falls late)",
        suggestion=False,
    )


def serious_adverse_events(record: SessionRecord) -> Finding:
    """Annotations flagged ``serious_adverse_event`` (or whose text says so)."""
    flagged = [
        e
        for e in record.annotations
        if e.payload.get("serious_adverse_event")
        or "serious adverse event" in (e.text or "").lower()
    ]
    if not flagged:
        return Finding(False, "none recorded")
    return Finding(True, "; ".join(f"{at_min(record, e.at)}: {e.text or ''}" for e in flagged))


def _vitals_at(
    replay: PatientReplay, moment: datetime, bp: tuple[float, float] | None
) -> tuple[bool | None, list[str]]:
    """SpO2, pulse (and BP) at ``moment`` against the limits in force."""
    notes, ok = [], True
    for measure, label, unit in (("spo2", "SpO2", "%"), ("hr", "pulse", "/min")):
        found = replay.latest(measure, moment)
        if found is None or (moment - found[1]) > timedelta(minutes=2):
            return None, [f"no {label} recorded then"]
        value = found[0]
        outside = [lim for lim in replay.limits if lim.measure == measure and lim.breached(value)]
        ok = ok and not outside
        notes.append(f"{label} {value:g} {unit}" + (" (outside the limits)" if outside else ""))
    if bp is not None:
        outside = [
            lim
            for lim in replay.limits
            if (lim.measure == "nibp_sys" and lim.breached(bp[0]))
            or (lim.measure == "nibp_dia" and lim.breached(bp[1]))
        ]
        ok = ok and not outside
        notes.append(f"BP {bp[0]:g}/{bp[1]:g}" + (" (outside the limits)" if outside else ""))
    return ok, notes


def vitals_before_dose(
    record: SessionRecord, replay: PatientReplay, bp: tuple[float, float] | None
) -> Finding:
    """SpO2, pulse and BP before the first dose inside the session's alarm limits."""
    dose = record.dose_at
    if dose is None:
        return _open("no dose recorded")
    if bp is None:
        return _open("no BP recorded before the dose")
    ok, notes = _vitals_at(replay, dose, bp)
    if ok is None:
        return _open("; ".join(notes))
    return Finding(ok, ", ".join(notes) + " before the dose (session alarm limits)")


def vitals_before_leaving(
    record: SessionRecord,
    replay: PatientReplay,
    bp: tuple[float, float] | None,
    attempt: dict | None,
) -> Finding:
    """The last discharge attempt met every criterion; an override is the clinician's call."""
    end = record.end_of_monitoring
    if attempt is not None and attempt.get("override"):
        who = attempt["override"]
        return _open(
            f"discharged by {who.get('by')}'s override ({who.get('reason')}); criteria not met: "
            + "; ".join(attempt.get("blocking", [])),
        )
    if end is None or bp is None:
        return _open("no BP before leaving recorded")
    ok, notes = _vitals_at(replay, end, bp)
    if ok is None:
        return _open("; ".join(notes))
    if attempt is not None and not attempt.get("allowed"):
        return Finding(
            False, "the last discharge check was refused: " + "; ".join(attempt.get("blocking", []))
        )
    return Finding(ok, ", ".join(notes) + " before leaving (session alarm limits)")
