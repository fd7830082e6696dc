"""The canonical record of one session, read from the store for export.

Exporters never talk to acquisition: they read a :class:`SessionRecord` that :func:`load_record`
builds from the store, and derive everything (BP readings, checklists, REMS fields) from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from sessionmon.errors import UserError
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


class StoredWaveform:
    """A session's pleth (or CO2) chunks, read from the store a page at a time as they are
    iterated.

    Exporters iterate it like a list; only one page (about ten minutes of pleth) is in memory
    at a time. ``shifted`` gives the same chunks with every start moved (de-identification).

    Parameters
    ----------
    store : SessionStore
        The open store (it must stay open while the waveform is iterated).
    session_id : UUID
        The session.
    offset : timedelta
        Added to every chunk's start.
    page_size : int
        Chunks read per page.
    kind : Kind
        Which wave (default the pleth; ``Kind.CO2`` the capnogram).
    """

    def __init__(
        self,
        store: Any,
        session_id: uuid.UUID,
        offset: timedelta = timedelta(0),
        page_size: int = 300,
        kind: Kind = Kind.PLETH,
    ) -> None:
        self.kind = kind
        self._store = store
        self._session_id = session_id
        self._offset = offset
        self._page_size = page_size
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._store.waveform_count(self._session_id, self.kind)
        return self._count

    def __iter__(self) -> Iterator[WaveformChunk]:
        key = None
        while True:
            chunks, key = self._store.waveform_page(
                self._session_id, key, self._page_size, kind=self.kind
            )
            for chunk in chunks:
                if self._offset:
                    chunk = WaveformChunk.model_construct(
                        **{**chunk.__dict__, "start": chunk.start + self._offset}
                    )
                yield chunk
            if key is None:
                return

    def shifted(self, offset: timedelta) -> StoredWaveform:
        """The same waveform with every start moved by ``offset`` more."""
        return StoredWaveform(
            self._store, self._session_id, self._offset + offset, self._page_size, self.kind
        )

    def row_pages(self) -> Iterator[list[tuple[int, float, bytes]]]:
        """The chunks as stored rows, a page at a time: ``(start_us, sample_rate_hz, samples)``
        with the start moved by the offset and ``samples`` the little-endian float32 bytes (for
        writers that want arrays, not a Python float per sample)."""
        from sessionmon.store.export_reads import chunk_pages

        shift = self._offset // timedelta(microseconds=1)
        for rows in chunk_pages(self._store, self._session_id, self.kind, self._page_size):
            yield [(start + shift, rate, blob) for start, rate, blob, _ in rows]


def _list_range(measurements: Sequence[Measurement]) -> tuple[datetime, datetime] | None:
    if not measurements:
        return None
    return measurements[0].received_at, measurements[-1].received_at


class StoredMeasurements(Sequence):
    """A session's numerics, read from the store when first used.

    It behaves as the list :meth:`SessionStore.measurements` returns (read once, on the first
    ``len``, index or iteration, then kept). A columnar writer (CSV, Parquet) instead reads the
    stored rows page by page with :meth:`row_pages` and never builds a measurement per row, so
    a long session's numerics are never all in memory.

    Parameters
    ----------
    store : SessionStore
        The open store (it must stay open while the record is used).
    session_id : UUID
        The session.
    upto_id : int, optional
        Leave out rows written after this one (the record is read as it was when loaded, even
        while the console goes on recording); see
        :func:`sessionmon.store.export_reads.last_measurement_id`.
    """

    def __init__(self, store: Any, session_id: uuid.UUID, upto_id: int | None = None) -> None:
        self._store = store
        self._session_id = session_id
        self._upto_id = upto_id
        self._loaded: list[Measurement] | None = None
        self._kinds: dict[Kind, list[Measurement]] = {}

    @property
    def _items(self) -> list[Measurement]:
        if self._loaded is None:
            from sessionmon.store.export_reads import measurements_of

            loaded: list[Measurement] = []
            for rows in self.row_pages():
                loaded += measurements_of(rows, self._session_id)
            self._loaded = loaded
        return self._loaded

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        return self._items[index]

    def __iter__(self) -> Iterator[Measurement]:
        return iter(self._items)

    def row_pages(self, kind: Kind | None = None) -> Iterator[list[tuple]]:
        """The stored rows (of one ``kind``, else all), a page at a time, in receive-time order:
        ``(kind, value, unit, received_us, device_us, source, flags, id)`` (see
        :func:`sessionmon.store.export_reads.measurement_pages`)."""
        from sessionmon.store.export_reads import MEASUREMENT_PAGE, measurement_pages

        return measurement_pages(
            self._store, self._session_id, self._upto_id, MEASUREMENT_PAGE, kind
        )

    def pages(self) -> Iterator[list[Measurement]]:
        """The measurements a page at a time, in order (a page is not kept once passed on).

        The kinds :meth:`of_kind` already read are taken from its lists, not built again: the
        n-th row of a kind in the whole order is the n-th of that kind's list.
        """
        from sessionmon.store.codec import KINDS
        from sessionmon.store.export_reads import measurements_of

        if self._loaded is not None:
            yield self._loaded
            return
        read = {kind: iter(found) for kind, found in self._kinds.items()}
        for rows in self.row_pages():
            fresh = iter(
                measurements_of([r for r in rows if KINDS[r[0]] not in read], self._session_id)
            )
            yield [next(read.get(KINDS[row[0]], fresh)) for row in rows]

    def of_kind(self, kind: Kind) -> list[Measurement]:
        """The measurements of one kind, in time order: read alone (the other kinds are not
        built) unless the whole list is already in memory; kept for the next call."""
        kind = Kind(kind)
        if self._loaded is not None:
            return [m for m in self._loaded if m.kind is kind]
        found = self._kinds.get(kind)
        if found is None:
            from sessionmon.store.export_reads import measurements_of

            found = []
            for rows in self.row_pages(kind):
                found += measurements_of(rows, self._session_id)
            self._kinds[kind] = found
        return found

    def received_range(self) -> tuple[datetime, datetime] | None:
        """The first and last receive time, or None when there are no measurements."""
        if self._loaded is not None:
            return _list_range(self._loaded)
        from sessionmon.store.codec import from_us
        from sessionmon.store.export_reads import received_range

        found = received_range(self._store, self._session_id, self._upto_id)
        return None if found is None else (from_us(found[0]), from_us(found[1]))

    def text_values(self) -> list[tuple]:
        """The distinct ``(kind, unit, source, flags)`` of the stored rows."""
        from sessionmon.store.export_reads import measurement_text_values

        return measurement_text_values(self._store, self._session_id, self._upto_id)


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

    def received_range(self) -> tuple[datetime, datetime] | None:
        """The first and last receive time of the measurements (None without any)."""
        if isinstance(self.measurements, StoredMeasurements):
            return self.measurements.received_range()
        return _list_range(self.measurements)

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
    summaries = store.list_sessions()
    if text == "latest":
        # The latest patient session by start time; training sessions only when there are no
        # others (a training database).
        real = [s for s in summaries if not s.simulated] or summaries
        if not real:
            raise UserError(f"no sessions recorded in {store.path}")
        return max(real, key=lambda s: s.created_at).id
    ids = [s.id for s in summaries]
    matches = [sid for sid in ids if str(sid) == text or str(sid).startswith(text)]
    if not text or not matches:
        raise UserError(f"no session {text!r} in {store.path} (see 'sessionmon sessions list')")
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
