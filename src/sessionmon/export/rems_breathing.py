"""The breathing evidence for the REMS "respiratory depression" answer.

From the record's respiratory rate and end-tidal CO2 (any device that supplied them: a
capnograph, a multiparameter monitor): the lowest rate while breathing, the highest etCO2, the
apnoea episodes (runs of "no breath detected", a rate of 0) and the breathing alarms raised
after the dose. A record with neither measure says so: its answer rests on SpO2 alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

from sessionmon.export.record import SessionRecord
from sessionmon.model import Kind, Measurement

#: Alarms that show a depressed breathing (or its consequence) when they occur after the dose.
DEPRESSION_ALARMS: tuple[str, ...] = ("apnea", "resp_rate_low", "etco2_high")

#: A gap longer than this between breathing readings counts as "not measured for a while"
#: (as :data:`sessionmon.export.rems_findings.SPO2_GAP_S` for SpO2).
BREATHING_GAP_S = 30.0

#: Technical alarms meaning the breathing was not measured (capnograph unplugged, line blocked).
CAPNO_TECHNICAL_PREFIX = "capno_"


@dataclass(frozen=True)
class ApnoeaEpisode:
    """A run of "no breath detected" readings: from the first 0 to the next breath."""

    start: datetime
    seconds: float


@dataclass(frozen=True)
class BreathingEvidence:
    """What the record shows of the patient's breathing from the dose to the end.

    Attributes
    ----------
    measured : bool
        Whether any respiratory rate or etCO2 was recorded in that period.
    lowest_rr : tuple of (float, datetime) or None
        The lowest rate while breathing (the 0 of an apnoea excluded) and when.
    highest_etco2 : tuple of (float, datetime) or None
        The highest end-tidal CO2 (mmHg) and when.
    apnoeas : tuple of ApnoeaEpisode
        The apnoea episodes.
    alarms : tuple
        The breathing alarms (:data:`DEPRESSION_ALARMS`) started after the dose.
    gap_s : float
        Seconds with no breathing reading (gaps over :data:`BREATHING_GAP_S`).
    technical : tuple
        Capnography technical alarms in the period.
    """

    measured: bool
    lowest_rr: tuple[float, datetime] | None
    highest_etco2: tuple[float, datetime] | None
    apnoeas: tuple[ApnoeaEpisode, ...]
    alarms: tuple
    gap_s: float
    technical: tuple

    @property
    def depressed(self) -> bool:
        """Whether a breathing alarm or an apnoea shows respiratory depression."""
        return bool(self.alarms or self.apnoeas)


def _usable(record: SessionRecord, kind: Kind, start: datetime, end: datetime) -> list[Measurement]:
    return [
        m
        for m in record.stream(kind)  # read once, not kept
        if start <= m.received_at <= end and "searching" not in m.flags
    ]


def _apnoeas(rates: list[Measurement], end: datetime) -> tuple[ApnoeaEpisode, ...]:
    episodes, began = [], None
    for m in rates:
        if m.value < 1 and began is None:
            began = m.received_at
        elif m.value >= 1 and began is not None:
            episodes.append(ApnoeaEpisode(began, (m.received_at - began).total_seconds()))
            began = None
    if began is not None:
        episodes.append(ApnoeaEpisode(began, (end - began).total_seconds()))
    return tuple(episodes)


def breathing_evidence(record: SessionRecord, start: datetime, end: datetime) -> BreathingEvidence:
    """The breathing evidence of ``record`` from ``start`` (the dose) to ``end``."""
    rates = _usable(record, Kind.RESP_RATE, start, end)
    co2 = _usable(record, Kind.ETCO2, start, end)
    breathing = [m for m in rates if m.value >= 1]
    lowest = min(breathing, key=lambda m: m.value, default=None)
    highest = max(co2, key=lambda m: m.value, default=None)
    times = sorted({m.received_at for m in (*rates, *co2)})
    gap_s = 0.0
    if times:
        gap_s = sum(
            (b - a).total_seconds()
            for a, b in pairwise([start, *times, end])
            if (b - a).total_seconds() > BREATHING_GAP_S
        )
    alarms = tuple(
        a for a in record.alarms if a.condition in DEPRESSION_ALARMS and a.start >= start
    )
    technical = tuple(
        a
        for a in record.alarms
        if a.condition.startswith(CAPNO_TECHNICAL_PREFIX)
        and a.start <= end
        and (a.end is None or a.end >= start)
    )
    return BreathingEvidence(
        measured=bool(times),
        lowest_rr=(lowest.value, lowest.received_at) if lowest else None,
        highest_etco2=(highest.value, highest.received_at) if highest else None,
        apnoeas=_apnoeas(rates, end),
        alarms=alarms,
        gap_s=gap_s,
        technical=technical,
    )


def describe(evidence: BreathingEvidence, at_min) -> str:
    """The evidence as the form prints it, ``at_min(moment)`` naming each moment."""
    parts = []
    if evidence.lowest_rr is not None:
        value, at = evidence.lowest_rr
        parts.append(f"lowest RR {value:g} /min at {at_min(at)}")
    else:
        parts.append("no respiratory rate recorded")
    if evidence.highest_etco2 is not None:
        value, at = evidence.highest_etco2
        parts.append(f"highest etCO2 {value:g} mmHg at {at_min(at)}")
    else:
        parts.append("no etCO2 recorded")
    if evidence.apnoeas:
        listing = ", ".join(f"at {at_min(e.start)} for {e.seconds:.0f} s" for e in evidence.apnoeas)
        count = len(evidence.apnoeas)
        plural = "s" if count != 1 else ""
        parts.append(f"{count} apnoea episode{plural} (no breath detected {listing})")
    else:
        parts.append("no apnoea")
    for alarm in evidence.alarms:
        parts.append(f"{alarm.condition} ({alarm.priority.value}) at {at_min(alarm.start)}")
    return "; ".join(parts)


def not_measured_gaps(evidence: BreathingEvidence, at_min) -> list[str]:
    """Why the breathing record has holes (gaps, capnography technical alarms), or ``[]``."""
    why = []
    if evidence.gap_s > 0:
        why.append(f"no breathing reading for {evidence.gap_s / 60:.0f} min of the monitoring")
    why += [f"{a.message or a.condition} at {at_min(a.start)}" for a in evidence.technical]
    return why
