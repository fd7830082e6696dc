"""The whole record as one JSON document, with a versioned schema, and its import.

The document (:class:`ExportDocument`) has three parts: ``record`` (what was recorded; importing
it restores the session), ``derived`` (the checklist table and the REMS fields, recomputed from
the record on every export) and ``provenance`` (when and how it was exported, and the audit-trail
entries of the database it came from). Its JSON Schema is in ``docs/export-json-schema.json``
(regenerate with ``python -m sessionmon.export.json_export --schema``) and described in
``docs/export-json-schema.md``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sessionmon.errors import UserError
from sessionmon.export.record import (
    AuditEntry,
    Progress,
    SessionRecord,
    StoredMeasurements,
    report,
)
from sessionmon.export.rems import rems_summary
from sessionmon.model import (
    AlarmLogEntry,
    AlarmRecord,
    Event,
    Measurement,
    Session,
    SessionPhase,
    WaveformChunk,
)

#: Bumped on any incompatible change of the document layout.
SCHEMA_VERSION = 1
FORMAT_NAME = "sessionmon-session-record"


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExportedEvent(_Doc):
    """An event and whether a later correction replaced it."""

    event: Event
    superseded: bool = Field(description="True when a later event corrects this one")


class RecordBody(_Doc):
    """What was recorded about the session (import restores exactly this)."""

    session: Session
    phase_before: SessionPhase | None = Field(
        None, description="For an interrupted session, the phase it was in"
    )
    measurements: list[Measurement]
    waveform: list[WaveformChunk] | None = Field(
        None,
        description="Pleth chunks, then CO2 wave (capnogram) chunks (each chunk names its "
        "kind); present only when exported with --waveform",
    )
    events: list[ExportedEvent]
    alarms: list[AlarmRecord] = Field(description="Latest version of each alarm")
    alarm_log: list[AlarmLogEntry]


class ChecklistView(_Doc):
    """One scored checklist, as a row."""

    at: datetime
    seconds_since_dose: float | None
    scale: str
    total: int
    interpretation: str
    by: str | None
    event_id: uuid.UUID


class DoseView(_Doc):
    """One administration as given: a nasal device, or an infusion with weight and rate."""

    at: datetime
    seconds_since_dose: float | None
    drug: str
    route: str
    dose_mg: float
    lot_number: str | None
    by: str | None
    device: int | None = None
    devices_planned: int | None = None
    weight_kg: float | None = None
    mg_per_kg: float | None = None
    rate_mg_per_h: float | None = None
    end: datetime | None = Field(None, description="Infusion stop")
    warning: str | None = None
    event_id: uuid.UUID


class DrugLogView(_Doc):
    """One line of the controlled-substance log."""

    at: datetime
    action: Literal["given", "wasted"]
    drug: str
    amount_mg: float
    lot_number: str | None
    by: str | None
    witness: str | None
    detail: str


def _doses(record: SessionRecord) -> list[DoseView]:
    return [
        DoseView(
            seconds_since_dose=record.seconds_since_dose(a.at),
            **{k: getattr(a, k) for k in DoseView.model_fields if hasattr(a, k)},
        )
        for a in record.administrations
    ]


def _drug_log(record: SessionRecord) -> list[DrugLogView]:
    return [
        DrugLogView(**{k: getattr(r, k) for k in DrugLogView.model_fields}) for r in record.drug_log
    ]


class RemsView(_Doc):
    """The REMS monitoring-form fields (see :mod:`sessionmon.export.rems`)."""

    applies: bool
    total_monitoring_min: float | None
    minutes_until_ready: float | None
    bp_before_dose: str
    bp_at_40_min: str
    bp_before_discharge: str
    vitals_ok_before_dose: bool | None
    vitals_ok_before_leaving: bool | None
    sedation: bool | None
    sedation_details: str
    dissociation: bool | None
    dissociation_details: str
    respiratory_depression: bool | None
    respiratory_details: str
    serious_adverse_events: bool | None
    serious_adverse_event_details: str
    missing: list[str]


class Derived(_Doc):
    """Views computed from the record; ignored on import."""

    checklists: list[ChecklistView]
    doses: list[DoseView] = Field(default_factory=list, description="Each dose as given")
    total_dose_mg: float = Field(0.0, description="The session total: the sum of the doses")
    drug_log: list[DrugLogView] = Field(
        default_factory=list, description="Controlled-substance log: given and wasted"
    )
    rems: RemsView


class Provenance(_Doc):
    """How the document was made; not part of the record."""

    exported_at: datetime
    generator: str
    deidentified: bool = Field(description="Name and date of birth removed, times shifted")
    audit_trail: list[AuditEntry] = Field(
        description="Entries of the source database's hash-chained audit trail for this session"
    )
    last_audit_sha256: str | None


class ExportDocument(_Doc):
    """A sessionmon JSON export."""

    format: Literal["sessionmon-session-record"] = FORMAT_NAME
    schema_version: int = SCHEMA_VERSION
    record: RecordBody
    derived: Derived
    provenance: Provenance


def _bp(reading, dose) -> str:
    from sessionmon.export.rems import bp_text

    return bp_text(reading, dose)


def build_document(
    record: SessionRecord,
    exported_at: datetime,
    deidentified: bool,
    *,
    measurements: list[Measurement] | None = None,
) -> ExportDocument:
    """Build the export document of a record (with ``measurements`` in its body instead of
    the record's, e.g. ``[]`` where :func:`export_json` streams them in)."""
    from sessionmon import __version__

    if measurements is None:
        # Read them all once, before the REMS fields ask for their kinds (which then come
        # from this list, not from the store again).
        measurements = list(record.measurements)
    rems = rems_summary(record)
    dose = record.dose_at
    body = RecordBody.model_construct(
        session=record.session,
        phase_before=record.phase_before,
        measurements=measurements,
        waveform=record.waveform,
        events=[
            ExportedEvent.model_construct(event=e, superseded=record.is_superseded(e))
            for e in record.events
        ],
        alarms=record.alarms,
        alarm_log=record.alarm_log,
    )
    derived = Derived(
        checklists=[
            ChecklistView(
                at=c.at,
                seconds_since_dose=record.seconds_since_dose(c.at),
                scale=c.scale,
                total=c.total,
                interpretation=c.interpretation,
                by=c.by,
                event_id=c.event_id,
            )
            for c in record.checklists
        ],
        doses=_doses(record),
        total_dose_mg=sum(a.dose_mg for a in record.administrations),
        drug_log=_drug_log(record),
        rems=RemsView(
            applies=rems.applies,
            total_monitoring_min=rems.total_monitoring_min,
            minutes_until_ready=rems.minutes_until_ready,
            bp_before_dose=_bp(rems.bp_before_dose, dose),
            bp_at_40_min=_bp(rems.bp_at_40_min, dose),
            bp_before_discharge=_bp(rems.bp_before_discharge, dose),
            vitals_ok_before_dose=rems.vitals_ok_before_dose,
            vitals_ok_before_leaving=rems.vitals_ok_before_leaving,
            sedation=rems.sedation.occurred,
            sedation_details=rems.sedation.details,
            dissociation=rems.dissociation.occurred,
            dissociation_details=rems.dissociation.details,
            respiratory_depression=rems.respiratory_depression.occurred,
            respiratory_details=rems.respiratory_depression.details,
            serious_adverse_events=rems.serious_adverse_events.occurred,
            serious_adverse_event_details=rems.serious_adverse_events.details,
            missing=rems.missing,
        ),
    )
    provenance = Provenance(
        exported_at=exported_at,
        generator=f"sessionmon {__version__}",
        deidentified=deidentified,
        audit_trail=record.audit,
        last_audit_sha256=record.last_audit_hash,
    )
    return ExportDocument.model_construct(
        format=FORMAT_NAME,
        schema_version=SCHEMA_VERSION,
        record=body,
        derived=derived,
        provenance=provenance,
    )


def export_json(
    record: SessionRecord,
    path: Path,
    *,
    exported_at: datetime,
    deidentified: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the record as a JSON document to ``path`` and return it.

    The measurements of a record read from the store and the waveform, when there is one, are
    streamed into the file a page and a chunk at a time (the rest of the document is built in
    memory), so a long session is never held as one string nor as one list of measurements.
    """
    chunks = record.waveform
    if chunks is not None:
        co2 = record.co2_waveform
        if co2 is not None and len(co2):
            chunks = _Chained(chunks, co2)
        record = dataclasses.replace(record, waveform=[], co2_waveform=None)
    stored = record.measurements if isinstance(record.measurements, StoredMeasurements) else None
    document = build_document(
        record, exported_at, deidentified, measurements=None if stored is None else []
    )
    report(progress, 0.3)
    data = document.model_dump_json(indent=1, warnings=False)
    report(progress, 0.4)
    with open(path, "w", encoding="utf-8") as handle:
        rest = data
        if stored is not None:
            head, rest = _split_at(rest, _MEASUREMENTS_SLOT)
            handle.write(head)
            _write_measurements(handle, stored)
        report(progress, 0.5)
        if chunks is not None:
            head, rest = _split_at(rest, _WAVEFORM_SLOT)
            handle.write(head)
            handle.write("[")
            total = max(1, len(chunks))
            for index, chunk in enumerate(chunks):
                handle.write(",\n" if index else "\n")
                handle.write(chunk.model_dump_json())
                if index % 500 == 0:
                    report(progress, 0.5 + 0.5 * index / total)
            handle.write("\n  ]")
        handle.write(rest)
        handle.write("\n")
    report(progress, 1.0)
    return Path(path)


def _write_measurements(handle: Any, measurements: StoredMeasurements) -> None:
    """Write the body's measurement list as ``model_dump_json(indent=1)`` of the whole document
    writes it (items three spaces in), one page of measurements at a time."""
    adapter = _measurement_list()
    written = False
    for page in measurements.pages():
        if not page:
            continue
        text = adapter.dump_json(page, indent=1, warnings=False).decode()
        items = text[2:-2]  # without the list's own "[\n" and "\n]"
        handle.write(",\n" if written else "[\n")
        handle.write("  " + items.replace("\n", "\n  "))  # one level in -> three
        written = True
        del page, text, items  # not kept while the next page is built
    handle.write("\n  ]" if written else "[]")


@functools.cache
def _measurement_list() -> TypeAdapter:
    return TypeAdapter(list[Measurement])


class _Chained:
    """The pleth chunks then the CO2 chunks, with a length (for the progress)."""

    def __init__(self, *parts: Any) -> None:
        self._parts = parts

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def __iter__(self):
        for part in self._parts:
            yield from part


#: How the empty waveform list of the body reads in the document (a key, so never inside a
#: string value, where its quotes would be escaped).
_WAVEFORM_SLOT = '"waveform": []'
#: How the empty measurement list of the body reads (with its indentation: a payload key of the
#: same name would sit deeper).
_MEASUREMENTS_SLOT = '\n  "measurements": []'


def _split_at(data: str, slot: str) -> tuple[str, str]:
    """Split the document text around the empty list of ``slot``: the text up to the list,
    and the text after it."""
    at = data.find(slot)
    if at < 0 or data.find(slot, at + 1) >= 0:
        raise RuntimeError(f"the export document has no single {slot.strip()} slot")
    start = at + len(slot) - 2
    return data[:start], data[start + 2 :]


# --------------------------------------------------------------------------- import


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number an export can hold")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:20]} is too large a number for an export")
    return value


def read_document(path: Path) -> ExportDocument:
    """Read and validate a JSON export.

    Raises
    ------
    UserError
        If the file cannot be read, is not JSON, is not a sessionmon export, has a newer schema
        version, or does not match the schema (the message names the first bad field).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if data.startswith(b"%PDF"):
            raise UnicodeDecodeError("utf-8", data[:1], 0, 1, "a PDF")
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        what = "a PDF report" if data.startswith(b"%PDF") else "a binary file"
        raise UserError(
            f"{path} is {what}, not a sessionmon JSON export: import reads the .json file "
            "that 'sessionmon export --format json' writes"
        ) from None
    try:
        raw = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}") from None
    except ValueError as exc:
        raise UserError(f"{path} is not a sessionmon export: {exc}") from None
    except RecursionError:
        raise UserError(f"{path} is not a sessionmon export: nested too deeply") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise UserError(f"{path} is not a sessionmon session export")
    version = raw.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise UserError(
            f"{path} has schema version {version!r}; this sessionmon reads up to "
            f"{SCHEMA_VERSION}: please update sessionmon"
        )
    try:
        return ExportDocument.model_validate(raw)
    except RecursionError:
        raise UserError(f"{path} is not a sessionmon export: nested too deeply") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(
            f"{path} does not match the export schema at {where}: {first['msg']}"
        ) from None


def import_json(path: Path, store: Any, progress: Progress | None = None) -> uuid.UUID:
    """Restore an exported session into ``store`` with the same ids; return its id.

    The whole file is checked (:func:`sessionmon.export.import_check.check_record`) before
    anything is written, and then written in one transaction: a refused or failed import leaves
    the database as it was.

    Raises
    ------
    UserError
        If the file is not a valid export, a row belongs to another session, a value is out of
        range, or the session (or an event or alarm id) is already in the store.
    """
    return import_document(read_document(path), store, progress, source=path)


def import_document(
    document: ExportDocument,
    store: Any,
    progress: Progress | None = None,
    source: Any = "the imported document",
) -> uuid.UUID:
    """Restore a validated export document into ``store`` (see :func:`import_json`).

    ``source`` names the file (or the course export it came in) in messages.
    """
    from sessionmon.export.import_check import check_record

    body = document.record
    session = body.session
    events = check_record(source, body)
    report(progress, 0.1)
    if session.phase is SessionPhase.INTERRUPTED:
        session = session.model_copy(update={"phase": body.phase_before or SessionPhase.PLANNED})
    store.import_session(
        session, body.measurements, body.waveform or (), events, body.alarms, body.alarm_log
    )
    report(progress, 1.0)
    return session.id


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`ExportDocument`."""
    return ExportDocument.model_json_schema()


if __name__ == "__main__":  # pragma: no cover - documentation helper
    if "--schema" in sys.argv:
        print(json.dumps(json_schema(), indent=2))
