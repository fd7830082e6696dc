"""Exporting a session from the console: the request, a default file name, a worker thread.

The export runs off the UI thread (:class:`ExportJob`, a ``QThread``) on its own connection to
the database, so a long session never freezes the screen nor holds up acquisition. The
exporter's progress callback is called in the worker thread; it only emits a signal, which Qt
delivers to the UI thread (queued), where the progress dialog is updated.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal

from sessionmon.clock import Clock
from sessionmon.errors import UserError
from sessionmon.export.run import WAVEFORM_FORMATS

__all__ = [
    "EXTENSIONS",
    "FORMAT_LABELS",
    "WAVEFORM_FORMATS",
    "ExportJob",
    "ExportRequest",
    "default_export_name",
    "unused_path",
]

log = logging.getLogger(__name__)

#: Format id -> what the nurse picks from (the order of the dialog's list).
FORMAT_LABELS: dict[str, str] = {
    "pdf": "PDF session report",
    "rems": "REMS patient monitoring form (PDF)",
    "csv": "CSV numerics (tidy table)",
    "parquet": "Parquet numerics (for research tools)",
    "json": "JSON, whole record (importable)",
    "fhir": "FHIR R4 bundle (JSON)",
    "hl7": "HL7 v2.6 ORU^R01 message",
}

#: Format id -> file name ending.
EXTENSIONS: dict[str, str] = {
    "pdf": ".pdf",
    "rems": "-rems.pdf",
    "csv": ".csv",
    "parquet": ".parquet",
    "json": ".json",
    "fhir": "-fhir.json",
    "hl7": ".hl7",
}


@dataclass(frozen=True)
class ExportRequest:
    """What the nurse asked for in the export dialog."""

    session_id: uuid.UUID
    fmt: str
    out: Path
    deidentify: bool = False
    waveform: bool = False


def default_export_name(
    pseudonym: str, session_id: uuid.UUID, started: datetime, fmt: str, deidentify: bool
) -> str:
    """Return a file name for an export, e.g. ``sessionmon-P-0042-20250301-0930.pdf``.

    A de-identified export carries no date in its name (its times are shifted; the file name
    must not date the session either): ``sessionmon-P-0042-deidentified.json``.
    """
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", pseudonym).strip("._") or "session"
    if deidentify:
        stem = f"sessionmon-{safe}-deidentified"
    else:
        stem = f"sessionmon-{safe}-{started.astimezone():%Y%m%d-%H%M}"
    return stem + EXTENSIONS[fmt]


def unused_path(path: Path) -> Path:
    """Return ``path``, or ``<stem>-2<suffix>``, ``-3``... if that file already exists."""
    if not path.exists():
        return path
    for number in range(2, 1000):
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        if not candidate.exists():
            return candidate
    return path


class ExportJob(QThread):
    """Runs one export in a worker thread.

    Parameters
    ----------
    db_path : Path
        The session database; the worker opens its own connection to it.
    request : ExportRequest
        What to export where.
    clock : Clock
        For the export time stamp and the export event.
    by : str, optional
        Who exported (kept in the export event).

    Signals
    -------
    progress(float)
        Fraction done, 0.0 to 1.0 (delivered in the UI thread).
    succeeded(object)
        The exporter's ``ExportResult``.
    failed(str)
        One clear line saying why the export did not happen.
    """

    progress = Signal(float)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        db_path: Path,
        request: ExportRequest,
        clock: Clock,
        by: str | None = None,
        parent: Any | None = None,
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.request = request
        self.clock = clock
        self.by = by
        self.result: Any | None = None
        self.error: str | None = None

    def run(self) -> None:
        """Open the database, export, report success or the reason of the failure."""
        from sessionmon.export import export_session
        from sessionmon.store import SessionStore

        request = self.request
        try:
            with SessionStore.open(self.db_path, self.clock) as store:
                self.result = export_session(
                    store,
                    request.session_id,
                    request.fmt,
                    request.out,
                    clock=self.clock,
                    deidentify=request.deidentify,
                    waveform=request.waveform,
                    progress=self.progress.emit,
                    by=self.by,
                )
        except UserError as exc:
            self.error = str(exc)
        except Exception as exc:  # a bug must not kill the console; say what happened
            log.exception("export failed")
            self.error = f"export failed: {type(exc).__name__}: {exc}"
        if self.error is not None:
            self.failed.emit(self.error)
        else:
            self.succeeded.emit(self.result)
