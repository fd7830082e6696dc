"""The canonical record of one session, read from the store for export.

Exporters never talk to acquisition: they read a :class:`SessionRecord` that :func:`load_record`
builds from the store, and derive everything (BP readings, checklists, REMS fields) from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from sessionmon.errors import UserError
from sessionmon.export.stored import StoredMeasurements, StoredWaveform, list_range
from sessionmon.model import (
    AlarmLogEntry,
    AlarmRecord,
    Event,
    EventKind,
    Kind,
    Measurement,
    Session,
    SessionPhase,
    WaveformChunk,
)

if TYPE_CHECKING:  # the dosing rules are read by the formats that print doses, when they do
    from sessionmon.protocol.dosing import Administration, DrugLogRow

#: Short names of the scales, as reports print them.
SCALE_LABELS = {
    "moaas": "MOAA/S",
    "cadss": "CADSS",
    "cadss6": "CADSS-6",
    "aldrete": "Aldrete",
    "rass": "RASS",
    "side_effects": "Side effects",
    "safety": "Safety checklist",
}


def scale_label(scale_id: str) -> str:
    """``MOAA/S`` for ``moaas`` and so on (a scale's short name, else the id upper-cased)."""
    if scale_id in SCALE_LABELS:
        return SCALE_LABELS[scale_id]
    from sessionmon.protocol.scales import SCALES

    found = SCALES.get(scale_id)
    return found.short if found else scale_id.upper()


#: Called with the fraction done, 0.0 to 1.0, as an export proceeds.
Progress = Callable[[float], None]

#: NIBP values taken within this many seconds of a systolic value belong to the same reading.
BP_PAIRING_S = 5.0


def report(progress: Progress | None, fraction: float) -> None:
    """Call ``progress`` with ``fraction`` clamped to [0, 1], if a callback was given."""
    if progress is not None:
        progress(min(1.0, max(0.0, fraction)))


class AuditEntry(BaseModel):
    """One entry of the store's hash-chained audit trail that touched this session."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int
    at: datetime
    action: str
    target: str
    first_row: int
    last_row: int
    payload_sha256: str
    prev_sha256: str
    entry_sha256: str


@dataclass(frozen=True)
class BpReading:
    """One NIBP measurement: systolic, diastolic, mean and pulse taken together."""

    at: datetime
    sys: float
    dia: float
    map: float | None
    pulse: float | None
    source: str


@dataclass(frozen=True)
class ChecklistRow:
    """One scored checklist (scale, total, interpretation) from a checklist event."""

    at: datetime
    scale: str
    total: int
    interpretation: str
    by: str | None
    event_id: uuid.UUID
    items: Any = None


@dataclass(frozen=True)
class SessionRecord:
    """Everything recorded about one session.

    Attributes
    ----------
    session : Session
        The latest version of the session.
    measurements : StoredMeasurements or list of Measurement
        Every numeric value, in receive-time order (read from the store when first used, see
        :class:`StoredMeasurements`).
    waveform : StoredWaveform, list of WaveformChunk or None
        The pleth chunks, when asked for (they are large: read from the store page by page
        as an exporter iterates, see :class:`StoredWaveform`).
    events : list of Event
        Every event, corrected (superseded) ones included, in time order.
    alarms : list of AlarmRecord
        The latest version of each alarm.
    alarm_log : list of AlarmLogEntry
        Every alarm state change, in the order written.
    audit : list of AuditEntry
        The audit-trail entries that cover this session's rows.
    phase_before : SessionPhase or None
        For an interrupted session, the phase it was in.
    """

    session: Session
    measurements: StoredMeasurements | list[Measurement]
    waveform: StoredWaveform | list[WaveformChunk] | None
    events: list[Event]
    alarms: list[AlarmRecord]
    alarm_log: list[AlarmLogEntry]
    audit: list[AuditEntry] = field(default_factory=list)
    phase_before: SessionPhase | None = None
    #: The CO2 wave (capnogram) chunks, read with the pleth (``waveform=True``); None without.
    co2_waveform: StoredWaveform | list[WaveformChunk] | None = None

    # ------------------------------------------------------------------ events

    @cached_property
    def superseded_ids(self) -> frozenset[uuid.UUID]:
        """Ids of events that a later correction replaced."""
        return frozenset(e.supersedes for e in self.events if e.supersedes is not None)

    def is_superseded(self, event: Event) -> bool:
        """Whether ``event`` was replaced by a correction."""
        return event.id in self.superseded_ids

    @cached_property
    def active_events(self) -> list[Event]:
        """Events in force (corrections applied), in time order."""
        return [e for e in self.events if e.id not in self.superseded_ids]

    def events_of(self, kind: EventKind) -> list[Event]:
        """Events in force of one kind."""
        return [e for e in self.active_events if e.kind is kind]

    @cached_property
    def administrations(self) -> list[Administration]:
        """Each dose as given (nasal device or infusion); see :mod:`sessionmon.protocol.dosing`."""
        from sessionmon.protocol.dosing import administrations

        t = self.session.treatment
        return administrations(self.active_events, t.dose_mg, t.lot_number)

    @cached_property
    def drug_log(self) -> list[DrugLogRow]:
        """The controlled-substance log: every amount given and wasted, with lot and witness."""
        from sessionmon.protocol.dosing import controlled_substance_log

        t = self.session.treatment
        return controlled_substance_log(self.active_events, t.dose_mg, t.lot_number)

    @cached_property
    def checklists(self) -> list[ChecklistRow]:
        """Scored checklists in force, in time order."""
        rows = []
        for event in self.events_of(EventKind.CHECKLIST):
            payload = event.payload
            if "total" not in payload:
                continue
            rows.append(
                ChecklistRow(
                    at=event.at,
                    scale=str(payload.get("scale", "?")),
                    total=int(payload["total"]),
                    interpretation=str(payload.get("interpretation") or ""),
                    by=event.by,
                    event_id=event.id,
                    items=payload.get("items"),
                )
            )
        return rows

    @cached_property
    def annotations(self) -> list[Event]:
        """Free-text notes in force."""
        return self.events_of(EventKind.ANNOTATION)

    # ------------------------------------------------------------------ times

    @cached_property
    def dose_at(self) -> datetime | None:
        """The first dose: the session's ``dose_at``, else the first dose event."""
        if self.session.dose_at is not None:
            return self.session.dose_at
        doses = self.events_of(EventKind.DOSE_GIVEN)
        return doses[0].at if doses else None

    @cached_property
    def end_of_monitoring(self) -> datetime | None:
        """When monitoring ended: the session's ``ended_at``, else the last thing recorded."""
        if self.session.ended_at is not None:
            return self.session.ended_at
        times = [e.at for e in self.events if e.kind is not EventKind.EXPORT]
        received = self.received_range()
        if received is not None:
            times.append(received[1])
        return max(times) if times else None

    def seconds_since_dose(self, moment: datetime) -> float | None:
        """Seconds from the first dose to ``moment`` (negative before it); None if no dose."""
        dose = self.dose_at
        return None if dose is None else (moment - dose).total_seconds()

    # ------------------------------------------------------------------ numerics

    @cached_property
    def _by_kind(self) -> dict[Kind, list[Measurement]]:
        grouped: dict[Kind, list[Measurement]] = {}
        for m in self.measurements:
            grouped.setdefault(m.kind, []).append(m)
        return grouped

    def series(self, kind: Kind) -> list[Measurement]:
        """Measurements of one kind, in time order (grouped once, on first use; read from the
        store kind by kind when the record was loaded from it)."""
        if isinstance(self.measurements, StoredMeasurements):
            return list(self.measurements.of_kind(kind))
        return list(self._by_kind.get(kind, ()))

    def stream(self, kind: Kind) -> Iterator[Measurement]:
        """Measurements of one kind, in time order, for a writer that passes over them once:
        read from the store a page at a time and not kept (what :meth:`series` gives, without
        holding it)."""
        if isinstance(self.measurements, StoredMeasurements):
            return self.measurements.stream(kind)
        return iter(self._by_kind.get(kind, ()))

    def readings(self, kind: Kind) -> Iterator[tuple[datetime, float, tuple[str, ...]]]:
        """``(received_at, value, flags)`` of one kind's measurements, in time order, for a
        writer that needs only these: from the stored rows without building measurements."""
        if isinstance(self.measurements, StoredMeasurements):
            return self.measurements.readings(kind)
        return ((m.received_at, m.value, m.flags) for m in self._by_kind.get(kind, ()))

    def sources(self, kind: Kind) -> list[str]:
        """The sources of one kind's measurements, in the order they first appear."""
        if isinstance(self.measurements, StoredMeasurements):
            return self.measurements.sources(kind)
        return list(dict.fromkeys(m.source for m in self._by_kind.get(kind, ())))

    def received_range(self) -> tuple[datetime, datetime] | None:
        """The first and last receive time of the measurements (None without any)."""
        if isinstance(self.measurements, StoredMeasurements):
            return self.measurements.received_range()
        return list_range(self.measurements)

    @cached_property
    def bp_readings(self) -> list[BpReading]:
        """NIBP readings, pairing each systolic value with the diastolic, mean and pulse taken
        with it (within :data:`BP_PAIRING_S`)."""
        others = {k: self.series(k) for k in (Kind.NIBP_DIA, Kind.NIBP_MAP, Kind.NIBP_HR)}
        used: set[int] = set()
        readings = []
        window = timedelta(seconds=BP_PAIRING_S)

        def partner(kind: Kind, at: datetime) -> Measurement | None:
            for m in others[kind]:
                if id(m) not in used and abs(m.received_at - at) <= window:
                    used.add(id(m))
                    return m
            return None

        for sys_m in self.series(Kind.NIBP_SYS):
            dia = partner(Kind.NIBP_DIA, sys_m.received_at)
            if dia is None:
                continue
            mean = partner(Kind.NIBP_MAP, sys_m.received_at)
            pulse = partner(Kind.NIBP_HR, sys_m.received_at)
            readings.append(
                BpReading(
                    at=sys_m.received_at,
                    sys=sys_m.value,
                    dia=dia.value,
                    map=None if mean is None else mean.value,
                    pulse=None if pulse is None else pulse.value,
                    source=sys_m.source,
                )
            )
        return readings

    @property
    def last_audit_hash(self) -> str | None:
        """The hash of the last audit entry covering this session (it chains all before it)."""
        return self.audit[-1].entry_sha256 if self.audit else None


# --------------------------------------------------------------------------- loading


def resolve_session_id(store: Any, text: str) -> uuid.UUID:
    """Turn ``latest``, a full id or a unique id prefix into a session id.

    ``latest`` is the real (not simulated) session that started last; in a database holding
    only training sessions, the training session that started last.

    Raises
    ------
    UserError
        If the database is empty, or the text matches no session or more than one.
    """
    text = text.strip().lower()
    if text == "latest":
        # The latest patient session by start time; training sessions only when there are no
        # others (a training database). Asked of SQL: no session body is parsed.
        latest = store.latest_started_session_id()
        if latest is None:
            raise UserError(f"no sessions recorded in {store.path}")
        return latest
    matches = [sid for sid in store.session_ids() if str(sid) == text or str(sid).startswith(text)]
    if not text or not matches:
        raise UserError(
            f"no session {text!r} in {store.path} "
            f"(see 'sessionmon --db {store.path} sessions list')"
        )
    if len(matches) > 1:
        raise UserError(f"{text!r} matches {len(matches)} sessions; give more of the id")
    return matches[0]


def load_record(
    store: Any,
    session_id: uuid.UUID,
    *,
    waveform: bool = False,
    progress: Progress | None = None,
) -> SessionRecord:
    """Read a session's whole record from the store.

    Parameters
    ----------
    store : SessionStore
        The open store.
    session_id : UUID
        The session.
    waveform : bool
        Also read the pleth waveform (large: about 1 M samples for 4 hours) and the CO2 wave.
    progress : callable, optional
        Called with the fraction read (0.0 to 1.0).

    Raises
    ------
    StoreError
        If there is no such session.
    """
    session = store.get_session(session_id)
    phase_before = None
    if session.phase is SessionPhase.INTERRUPTED:
        for summary in store.list_sessions():
            if summary.id == session_id:
                phase_before = summary.phase_before
    report(progress, 0.05)
    from sessionmon.store.export_reads import last_measurement_id

    measurements = StoredMeasurements(store, session_id, last_measurement_id(store))
    report(progress, 0.4)
    chunks = StoredWaveform(store, session_id) if waveform else None
    report(progress, 0.7)
    events = store.events(session_id, include_superseded=True)
    alarms = store.alarms(session_id)
    alarm_log = store.alarm_log(session_id)
    report(progress, 0.8)
    audit = read_audit_entries(store, session_id)
    report(progress, 1.0)
    return SessionRecord(
        session=session,
        measurements=measurements,
        waveform=chunks,
        events=events,
        alarms=alarms,
        alarm_log=alarm_log,
        audit=audit,
        phase_before=phase_before,
        co2_waveform=StoredWaveform(store, session_id, kind=Kind.CO2) if waveform else None,
    )


def read_audit_entries(store: Any, session_id: uuid.UUID) -> list[AuditEntry]:
    """Return the audit entries that wrote rows of ``session_id``, in chain order
    (from :meth:`SessionStore.audit_entries`)."""
    # The store built these entries from its own rows (typed dataclasses): they are copied,
    # not validated again (a session recorded for hours has an entry per second's commit).
    fields = tuple(AuditEntry.model_fields)
    return [
        AuditEntry.model_construct(**{name: getattr(entry, name) for name in fields})
        for entry in store.audit_entries(session_id)
    ]
