"""One entry point for every export format: read the record, write the file(s), note the export.

``export_session`` is what the command line and the console call. After a successful export it
adds an ``export`` event to the session (format, file name, SHA-256, whether it is the REMS
form), so the record shows what left and when, and the record state knows the REMS form went.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from sessionmon.clock import Clock
from sessionmon.errors import UserError
from sessionmon.export.record import Progress, load_record, report
from sessionmon.export.scratch import make_scratch, remove_stale_scratch
from sessionmon.model import Event, EventKind

#: The formats, with a short description for ``--help``.
FORMATS: dict[str, str] = {
    "pdf": "PDF session report (chart, tables, REMS fields, sign-off)",
    "rems": "PDF REMS patient monitoring form only",
    "csv": "tidy numerics CSV (and a pleth CSV with --waveform)",
    "parquet": "tidy numerics as Parquet (and a pleth Parquet file with --waveform)",
    "json": "whole record as JSON (importable)",
    "fhir": "FHIR R4 Bundle (JSON)",
    "hl7": "HL7 v2.6 ORU^R01, IHE PCD-01",
}
#: Formats that can carry the pleth waveform (``--waveform``).
WAVEFORM_FORMATS = frozenset({"csv", "parquet", "json"})
#: Every export a session has: each format, and with the waveform where it takes one.
FORMAT_RUNS: tuple[tuple[str, bool], ...] = tuple(
    (fmt, waveform)
    for fmt in FORMATS
    for waveform in (False, True)
    if not waveform or fmt in WAVEFORM_FORMATS
)
#: File mode of every exported file.
EXPORT_MODE = 0o600
#: Formats that fill the REMS monitoring form (when not de-identified).
REMS_FORMATS = frozenset({"pdf", "rems"})


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    session_id: uuid.UUID
    format: str
    paths: list[Path]
    deidentified: bool
    rems_form: bool
    sha256: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_out(out: Path) -> Path:
    out = Path(out)
    if out.is_dir():
        raise UserError(f"{out} is a folder; give a file name to export to")
    if not out.parent.exists():
        raise UserError(f"cannot write {out}: folder {out.parent} does not exist")
    return out


def _refuse_database_files(paths: list[Path], store: Any) -> None:
    """Refuse to export onto the session database or its journal files."""
    db_path = getattr(store, "path", None)
    if db_path is None:
        return
    db_path = Path(db_path).resolve()
    protected = {db_path} | {db_path.with_name(db_path.name + s) for s in ("-wal", "-shm")}
    for path in paths:
        if path.resolve() in protected:
            raise UserError(f"{path} is the session database; choose another file to export to")


def _write_format(
    fmt: str,
    record: Any,
    out: Path,
    now: datetime,
    tz: tzinfo | None,
    waveform: bool,
    deidentify: bool,
    progress: Callable[[float], None],
) -> list[Path]:
    """Write ``record`` as ``fmt`` to ``out`` and return the files written."""
    if fmt in ("pdf", "rems"):
        from sessionmon.export.pdf import export_pdf

        return [
            export_pdf(
                record, out, exported_at=now, tz=tz, rems_only=fmt == "rems", progress=progress
            )
        ]
    if fmt == "csv":
        from sessionmon.export.csv_export import export_csv

        return export_csv(record, out, waveform=waveform, progress=progress)
    if fmt == "parquet":
        from sessionmon.export.parquet_export import export_parquet

        return export_parquet(
            record, out, waveform=waveform, deidentified=deidentify, progress=progress
        )
    if fmt == "json":
        from sessionmon.export.json_export import export_json

        return [
            export_json(record, out, exported_at=now, deidentified=deidentify, progress=progress)
        ]
    if fmt == "fhir":
        from sessionmon.export.fhir_bundle import export_fhir

        return [export_fhir(record, out, exported_at=now, progress=progress)]
    from sessionmon.export.hl7 import export_hl7

    return [export_hl7(record, out, exported_at=now, progress=progress)]


def export_session(
    store: Any,
    session_id: uuid.UUID,
    fmt: str,
    out: Path,
    *,
    clock: Clock,
    deidentify: bool = False,
    waveform: bool = False,
    progress: Progress | None = None,
    tz: tzinfo | None = None,
    record_event: bool = True,
    by: str | None = None,
) -> ExportResult:
    """Export one session.

    Parameters
    ----------
    store : SessionStore
        The open store.
    session_id : UUID
        The session.
    fmt : str
        One of :data:`FORMATS`.
    out : Path
        The file to write (CSV or Parquet with ``waveform`` also writes ``<stem>-pleth.csv`` or
        ``<stem>-pleth.parquet`` beside it).
    clock : Clock
        For the export time stamp and the export event.
    deidentify : bool
        Drop name and date of birth and shift every time by a random per-export offset.
    waveform : bool
        Include the pleth waveform (CSV, Parquet and JSON only).
    progress : callable, optional
        Called with the fraction done, 0.0 to 1.0.
    tz : tzinfo, optional
        Zone for times printed in the PDF (the computer's zone by default).
    record_event : bool
        Add an ``export`` event to the session afterwards.
    by : str, optional
        Who exported (kept in the export event).

    Raises
    ------
    UserError
        Unknown format, an output path that cannot be written, or a store error.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    if waveform and fmt not in WAVEFORM_FORMATS:
        raise UserError(f"--waveform applies to csv, parquet and json exports, not {fmt}")
    out = _check_out(out)
    planned = [out]
    if fmt in ("csv", "parquet") and waveform:
        from sessionmon.export.csv_export import waveform_path_for

        planned.append(waveform_path_for(out, ".parquet" if fmt == "parquet" else ".csv"))
    _refuse_database_files(planned, store)
    now = clock.now()
    record = load_record(
        store, session_id, waveform=waveform, progress=lambda f: report(progress, 0.3 * f)
    )
    if deidentify:
        from sessionmon.export.deidentify import deidentify as strip
        from sessionmon.export.deidentify import random_offset

        offset = random_offset()
        record = strip(record, offset)
        now = now + offset  # the export time would date the session too

    def rest(fraction: float) -> None:
        report(progress, 0.3 + 0.65 * fraction)

    # Write into a scratch folder beside the target and move the files into place only when the
    # whole export succeeded: a failed export never leaves half a file, nor removes an old one.
    remove_stale_scratch(out.parent)
    try:
        scratch = make_scratch(out.parent)
    except OSError as exc:
        raise UserError(f"cannot write in {out.parent}: {exc.strerror or exc}") from None
    staged = scratch / out.name
    try:
        staged_files = _write_format(fmt, record, staged, now, tz, waveform, deidentify, rest)
        written = []
        for path in staged_files:
            target = out.parent / path.name
            os.chmod(path, EXPORT_MODE)  # a record of a patient: readable by its owner only
            os.replace(path, target)
            written.append(target)
    except OSError as exc:
        raise UserError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    digest = _sha256(written[0])
    rems_form = fmt in REMS_FORMATS and not deidentify
    if record_event:
        store.add_event(
            Event(
                session_id=session_id,
                kind=EventKind.EXPORT,
                at=clock.now(),
                by=by,
                text=f"exported as {fmt}"
                + (" (REMS monitoring form)" if fmt == "rems" and rems_form else "")
                + (", de-identified" if deidentify else ""),
                payload={
                    "format": fmt,
                    "file": written[0].name,
                    "sha256": digest,
                    "deidentified": deidentify,
                    "waveform": waveform,
                    "rems_form": rems_form,
                },
            )
        )
    report(progress, 1.0)
    return ExportResult(session_id, fmt, written, deidentify, rems_form, digest)
