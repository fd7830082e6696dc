"""Checks a JSON export passes before ``sessionmon import`` writes any of it.

:func:`check_record` looks at the whole record body and raises one :class:`UserError` line for the
first problem: a row that belongs to another session (an import must never add to a record
already in the database, signed or not), a duplicate event or alarm id, a correction of an event
the file does not hold (or a loop of corrections), a value outside the range its kind can take,
a checklist total its scale cannot give, or a number that is not finite. It returns the events
in the order they can be written (each correction after the event it corrects). The store then
writes everything in one transaction (:meth:`SessionStore.import_session`), which also refuses
ids already recorded in the database.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from typing import Any

from sessionmon.errors import UserError
from sessionmon.model import VALID_RANGES, Event, EventKind, Kind

#: The pre-session safety checklist is recorded as a checklist event without a scored total.
SAFETY_CHECKLIST = "safety"
#: Highest waveform sample rate accepted (Hz); pulse oximeters send 50-100 Hz.
MAX_SAMPLE_RATE_HZ = 1000.0


def _refuse(path: Any, text: str) -> UserError:
    return UserError(f"{path}: {text}; nothing was imported")


def _check_owner(path: Any, session_id: uuid.UUID, rows: Iterable[Any], what: str) -> None:
    for index, row in enumerate(rows):
        if row.session_id != session_id:
            raise _refuse(
                path,
                f"{what} {index} belongs to session {row.session_id}, not to the exported "
                f"session {session_id}",
            )


def _check_measurements(path: Any, measurements: Iterable[Any]) -> None:
    for index, m in enumerate(measurements):
        low, high = VALID_RANGES[Kind(m.kind)]
        if not math.isfinite(m.value) or not low <= m.value <= high:
            raise _refuse(
                path,
                f"measurement {index} ({Kind(m.kind).value}) is {m.value}, outside "
                f"{low:g}-{high:g}",
            )


def _check_waveform(path: Any, chunks: Iterable[Any]) -> None:
    low, high = VALID_RANGES[Kind.PLETH]
    for index, chunk in enumerate(chunks):
        if not 0 < chunk.sample_rate_hz <= MAX_SAMPLE_RATE_HZ:
            raise _refuse(
                path,
                f"waveform chunk {index} has sample rate {chunk.sample_rate_hz} Hz "
                f"(0-{MAX_SAMPLE_RATE_HZ:g})",
            )
        if any(not (math.isfinite(v) and low <= v <= high) for v in chunk.samples):
            raise _refuse(path, f"waveform chunk {index} has a sample outside {low:g}-{high:g}")


def _check_checklist(path: Any, index: int, event: Event) -> None:
    from sessionmon.protocol.scales import get_scale

    scale_id = event.payload.get("scale")
    total = event.payload.get("total")
    if scale_id == SAFETY_CHECKLIST:
        return  # answers, not a scored total
    try:
        scale = get_scale(str(scale_id))
    except Exception:
        raise _refuse(path, f"event {index} is a checklist of unknown scale {scale_id!r}") from None
    low, high = scale.total_range
    if isinstance(total, bool) or not isinstance(total, int) or not low <= total <= high:
        raise _refuse(
            path, f"event {index} gives {scale_id} a total of {total!r}; it scores {low}-{high}"
        )


def _ordered(path: Any, events: list[Event]) -> list[Event]:
    """Events in file order, each correction moved after the event it corrects."""
    ids = {e.id for e in events}
    for index, event in enumerate(events):
        if event.supersedes is not None and event.supersedes not in ids:
            raise _refuse(
                path,
                f"event {index} corrects event {event.supersedes}, which is not in the file",
            )
    done: set[uuid.UUID] = set()
    pending, ordered = list(events), []
    while pending:
        waiting = []
        for event in pending:
            if event.supersedes is None or event.supersedes in done:
                ordered.append(event)
                done.add(event.id)
            else:
                waiting.append(event)
        if len(waiting) == len(pending):
            raise _refuse(path, f"events {waiting[0].id} and others correct each other in a loop")
        pending = waiting
    return ordered


def _finite(value: Any) -> bool:
    """Whether every number inside ``value`` (payloads are free-form JSON) is finite."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_finite(v) for v in value)
    return True


def check_record(path: Any, body: Any) -> list[Event]:
    """Check an export's record body; return its events in the order to write them.

    Parameters
    ----------
    path : path-like
        The file, named in messages.
    body : RecordBody
        The validated ``record`` part of the document.

    Raises
    ------
    UserError
        For the first problem found (one line, naming the row and saying nothing was imported).
    """
    session_id = body.session.id
    events = [e.event for e in body.events]
    _check_owner(path, session_id, body.measurements, "measurement")
    _check_owner(path, session_id, body.waveform or (), "waveform chunk")
    _check_owner(path, session_id, events, "event")
    _check_owner(path, session_id, body.alarms, "alarm")
    _check_owner(path, session_id, body.alarm_log, "alarm-log entry")
    seen: set[uuid.UUID] = set()
    for index, event in enumerate(events):
        if event.id in seen:
            raise _refuse(path, f"event {index} repeats event id {event.id}")
        seen.add(event.id)
        if not _finite(event.payload):
            raise _refuse(path, f"event {index} holds a number that is not finite")
        if event.kind is EventKind.CHECKLIST:
            _check_checklist(path, index, event)
    alarm_ids: set[uuid.UUID] = set()
    for index, alarm in enumerate(body.alarms):
        if alarm.id in alarm_ids:
            raise _refuse(path, f"alarm {index} repeats alarm id {alarm.id}")
        alarm_ids.add(alarm.id)
        if not _finite(alarm.limits):
            raise _refuse(path, f"alarm {index} has a limit that is not finite")
    for index, entry in enumerate(body.alarm_log):
        if entry.alarm_id is not None and entry.alarm_id not in alarm_ids:
            raise _refuse(
                path, f"alarm-log entry {index} names alarm {entry.alarm_id}, not in the file"
            )
        if not (entry.value is None or math.isfinite(entry.value)) or not _finite(entry.limits):
            raise _refuse(path, f"alarm-log entry {index} has a number that is not finite")
    _check_measurements(path, body.measurements)
    _check_waveform(path, body.waveform or ())
    return _ordered(path, events)
