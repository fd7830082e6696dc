"""De-identification for research exports.

A de-identified record has no patient name, no date of birth, no clinic and no staff names, and
every time in it is moved by one random offset chosen per export (whole days plus seconds, from
the operating system's random source, never written to the file). Intervals, and so every offset
from the dose, are unchanged. The pseudonym is kept: it is already a pseudonymous id, and it lets
a research site link one patient's sessions.

Every name the record ever held (patient names before and after a correction, staff, provider,
signer), each part of it and its run-together form (``JaneDoe``), and every date of birth it ever
held, is replaced by ``[name removed]`` / ``[date removed]`` wherever it appears in free text and
in event payloads; so is any other calendar date typed in free text. A patient-details
correction keeps which fields changed, not the values of the identifying ones; an export event
keeps its format, not the file name or its SHA-256. The audit trail is left out: its hashes
cover the real times, so a hash could be matched against guessed times to undo the shift. Other
identifying words typed into notes cannot be found automatically.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from sessionmon.export.record import SessionRecord, StoredWaveform
from sessionmon.model import (
    AlarmLogEntry,
    AlarmRecord,
    Event,
    EventKind,
    Measurement,
    WaveformChunk,
)

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
            "clinic": None,
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
    waveform = _shifted_wave(record.waveform, offset)
    co2_waveform = _shifted_wave(record.co2_waveform, offset)
    events = [
        Event.model_construct(
            **{
                **e.__dict__,
                "at": e.at + offset,
                "by": _staff(e.by),
                "text": scrub(e.text),
                "payload": _payload(e, scrub),
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
    return SessionRecord(
        session=session,
        measurements=measurements,
        waveform=waveform,
        events=events,
        alarms=alarms,
        alarm_log=log,
        audit=[],
        phase_before=record.phase_before,
        co2_waveform=co2_waveform,
    )


def _shifted_wave(waveform: Any, offset: timedelta) -> Any:
    """A waveform (stored or a list of chunks) with every chunk start moved by ``offset``."""
    if isinstance(waveform, StoredWaveform):
        return waveform.shifted(offset)
    if waveform is None:
        return None
    return [
        WaveformChunk.model_construct(**{**c.__dict__, "start": c.start + offset}) for c in waveform
    ]


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


#: Patient-details fields whose old and new values a de-identified correction event drops.
IDENTIFYING_FIELDS = frozenset({"name", "date_of_birth", "monitoring_provider"})
REMOVED = "[removed]"


def _payload(event: Event, scrub) -> dict:
    """An event's payload with every string scrubbed and identifying values dropped."""
    payload = _scrub_payload(event.payload, scrub)
    if event.kind is EventKind.EXPORT:
        payload = {**payload, "file": REMOVED, "sha256": REMOVED}
    changed = payload.get("changed")
    if isinstance(changed, dict):
        payload["changed"] = {
            field: {"from": REMOVED, "to": REMOVED} if field in IDENTIFYING_FIELDS else change
            for field, change in changed.items()
        }
    return payload


def _names_and_dates(record: SessionRecord) -> tuple[set[str], set[str]]:
    """Every person's name and every date of birth the record holds or ever held."""
    s = record.session
    names = {s.patient.name, s.monitoring_provider, s.signed_by, *s.staff}
    names |= {e.by for e in record.events} | {e.by for e in record.alarm_log}
    names |= {a.acknowledged_by for a in record.alarms}
    names |= {n for e in record.events for n in _names_in(e.payload)}
    births = {s.patient.date_of_birth.isoformat()} if s.patient.date_of_birth else set()
    for event in record.events:
        changed = event.payload.get("changed")
        if not isinstance(changed, dict):
            continue
        for field in ("name", "monitoring_provider"):
            for side in ("from", "to"):
                value = (changed.get(field) or {}).get(side)
                names.add(value if isinstance(value, str) else None)
        for side in ("from", "to"):
            value = (changed.get("date_of_birth") or {}).get(side)
            if isinstance(value, str):
                births.add(value)
    return {n.strip() for n in names if n and n.strip()}, births


def _name_forms(name: str) -> set[str]:
    """The ways a name shows in text: whole, run together or joined (``Jane_Doe``), each part."""
    parts = [p for p in re.split(r"[\s,._-]+", name) if p]
    forms = {name, "".join(parts), *("_".join(parts), ".".join(parts), "-".join(parts))}
    forms |= {p for p in parts if len(p) >= 3 and p.lower() not in _TITLES}
    return {f for f in forms if len(f) >= 3}


#: Titles and grades that are name parts but not names ("RN Kim", "Dr. Lee").
_TITLES = frozenset({"mrs", "miss", "mr", "ms", "dr", "rn", "np", "md", "prof", "nurse", "the"})


def _date_forms(iso: str) -> set[str]:
    """An ISO date of birth as text may give it: 1980-02-29, 29/02/1980, 02/29/1980, 29.02.1980."""
    year, month, day = iso.split("-")
    return {iso, f"{day}/{month}/{year}", f"{month}/{day}/{year}", f"{day}.{month}.{year}"}


#: Any calendar date typed in free text (the times are shifted; a real date would undo it):
#: 2025-03-14, 20250314, 14/03/2025, 3/14/25, 14.03.2025.
_ANY_DATE = re.compile(
    r"(?<!\d)(?:(?:19|20)\d\d-?[01]\d-?[0-3]\d|[0-3]?\d[./][01]?\d[./](?:19|20)?\d\d)(?!\d)"
)


def _scrubber(record: SessionRecord):
    """A function replacing every name and date of birth the record ever held in free text."""
    names, births = _names_and_dates(record)
    forms = sorted({f for n in names for f in _name_forms(n)}, key=len, reverse=True)
    dates = sorted({d for b in births for d in _date_forms(b)}, key=len, reverse=True)
    if not forms and not dates:
        return lambda text: text
    # A name is matched where it is not part of a longer word (letters), so "JaneDoe_2025"
    # loses "JaneDoe" and "Ann" does not eat into "Annual"; case is ignored.
    name_pattern = (
        re.compile(
            "(?<![^\\W\\d_])(?:" + "|".join(re.escape(f) for f in forms) + ")(?![^\\W\\d_])",
            re.IGNORECASE,
        )
        if forms
        else None
    )
    date_pattern = (
        re.compile("(?<!\\d)(?:" + "|".join(re.escape(d) for d in dates) + ")(?!\\d)")
        if dates
        else None
    )

    def scrub(text: str | None) -> str | None:
        if text is None:
            return None
        if date_pattern is not None:
            text = date_pattern.sub("[date removed]", text)
        text = _ANY_DATE.sub("[date removed]", text)
        if name_pattern is not None:
            text = name_pattern.sub("[name removed]", text)
        return text

    return scrub
