"""Session records out: PDF report and REMS form, CSV, JSON (and import), FHIR R4, HL7 v2.

Exporters read the canonical record from the store (:func:`load_record`); they are never wired
into acquisition. Heavy libraries (reportlab, fhir.resources) are imported only by their format.

>>> from sessionmon.export import export_session            # doctest: +SKIP
>>> export_session(store, sid, "pdf", Path("s.pdf"), clock=SystemClock())  # doctest: +SKIP
"""

from sessionmon.export.record import SessionRecord, load_record, resolve_session_id
from sessionmon.export.record_state import RecordState, Reminder, record_state_for, reminders
from sessionmon.export.run import FORMATS, ExportResult, export_session

__all__ = [
    "FORMATS",
    "ExportResult",
    "RecordState",
    "Reminder",
    "SessionRecord",
    "export_session",
    "load_record",
    "record_state_for",
    "reminders",
    "resolve_session_id",
]
