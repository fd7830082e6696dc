"""De-identification for research exports.

A de-identified record has no patient name and no date of birth, and every time in it is moved
by one random offset chosen per export (whole days plus seconds, from the operating system's
random source, never written to the file). Intervals, and so every offset from the dose, are
unchanged. The pseudonym is kept: it is already a pseudonymous id, and it lets a research site
link one patient's sessions. Staff names are removed too, and every known name (patient, staff,
provider, signer) is replaced by ``[name removed]`` wherever it appears in free text; other
identifying words typed into notes cannot be found automatically.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from sessionmon.export.record import SessionRecord, StoredWaveform
from sessionmon.model import AlarmLogEntry, AlarmRecord, Event, Measurement, WaveformChunk

#: The shift goes back between one and eleven years.
MIN_SHIFT_DAYS = 365
SHIFT_SPAN_DAYS = 3650


def random_offset() -> timedelta:
    """A fresh random shift into the past: whole days plus seconds (``secrets``-based)."""
    days = MIN_SHIFT_DAYS + secrets.randbelow(SHIFT_SPAN_DAYS)
    seconds = secrets.randbelow(86_400)
    return -timedelta(days=days, seconds=seconds)


def _shift(value, offset: timedelta):
    return None if value is None else value + offset


def deidentify(record: SessionRecord, offset: timedelta | None = None) -> SessionRecord:
    """Return a copy of ``record`` without name, date of birth or staff names, all times shifted.

    Parameters
    ----------
    record : SessionRecord
        The identified record.
    offset : timedelta, optional
        The shift to apply; a fresh :func:`random_offset` when omitted (tests pass one).
    """
    offset = random_offset() if offset is None else offset
    s = record.session
    scrub = _scrubber(record)
    session = s.model_copy(
        update={
            "patient": s.patient.model_copy(update={"name": None, "date_of_birth": None}),
            "staff": (),
            "monitoring_provider": None,
            "signed_by": "(signed)" if s.signed_by else None,
            "created_at": s.created_at + offset,
            "dose_at": _shift(s.dose_at, offset),
            "ended_at": _shift(s.ended_at, offset),
            "signed_at": _shift(s.signed_at, offset),
            "notes": scrub(s.notes),
            "ending": None
            if s.ending is None
            else s.ending.model_copy(
                update={
                    "by": "(staff)",
                    "at": s.ending.at + offset,
                    "reason": scrub(s.ending.reason),
                    "destination": scrub(s.ending.destination),
                }
            ),
        }
    )
    measurements = [
        Measurement.model_construct(
            **{
                **m.__dict__,
                "received_at": m.received_at + offset,
                "device_time": _shift(m.device_time, offset),
            }
        )
        for m in record.measurements
    ]
    waveform = record.waveform
    if isinstance(waveform, StoredWaveform):
        waveform = waveform.shifted(offset)
    elif waveform is not None:
        waveform = [
            WaveformChunk.model_construct(**{**c.__dict__, "start": c.start + offset})
            for c in waveform
        ]
    events = [
        Event.model_construct(
            **{
                **e.__dict__,
                "at": e.at + offset,
                "by": _staff(e.by),
                "text": scrub(e.text),
                "payload": _scrub_payload(e.payload, scrub),
            }
        )
        for e in record.events
    ]
    alarms = [
        AlarmRecord.model_construct(
            **{
                **a.__dict__,
                "start": a.start + offset,
                "end": _shift(a.end, offset),
                "acknowledged_at": _shift(a.acknowledged_at, offset),
                "acknowledged_by": _staff(a.acknowledged_by),
                "message": scrub(a.message),
            }
        )
        for a in record.alarms
    ]
    log = [
        AlarmLogEntry.model_construct(
            **{**e.__dict__, "at": e.at + offset, "by": _staff(e.by), "detail": scrub(e.detail)}
        )
        for e in record.alarm_log
    ]
    audit = [a.model_copy(update={"at": a.at + offset}) for a in record.audit]
    return SessionRecord(
        session=session,
        measurements=measurements,
        waveform=waveform,
        events=events,
        alarms=alarms,
        alarm_log=log,
        audit=audit,
        phase_before=record.phase_before,
    )


#: Payload keys that hold a person's name (waste witness, prescriber of an override).
_NAME_KEYS = ("witness", "prescriber")


def _scrub_payload(value: Any, scrub: Any) -> Any:
    """An event payload with the names in it replaced (nested values too)."""
    if isinstance(value, dict):
        return {
            k: _staff(v) if k in _NAME_KEYS and isinstance(v, str) else _scrub_payload(v, scrub)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_scrub_payload(v, scrub) for v in value]
    return scrub(value) if isinstance(value, str) else value


def _names_in(payload: Any) -> set[str]:
    if isinstance(payload, dict):
        found = {v for k, v in payload.items() if k in _NAME_KEYS and isinstance(v, str)}
        for v in payload.values():
            found |= _names_in(v)
        return found
    return set()


def _staff(name: str | None) -> str | None:
    return None if name is None else "(staff)"


def _scrubber(record: SessionRecord):
    """A function replacing every known person's name in free text."""
    s = record.session
    names = {s.patient.name, s.monitoring_provider, s.signed_by, *s.staff}
    names |= {e.by for e in record.events} | {e.by for e in record.alarm_log}
    names |= {a.acknowledged_by for a in record.alarms}
    names |= {n for e in record.events for n in _names_in(e.payload)}
    known = sorted({n.strip() for n in names if n and len(n.strip()) >= 3}, key=len, reverse=True)
    if not known:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(n) for n in known), re.IGNORECASE)

    def scrub(text: str | None) -> str | None:
        return None if text is None else pattern.sub("[name removed]", text)

    return scrub
