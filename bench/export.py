"""Time each export format on a 4-hour session.

Builds, in a temporary store, a 4-hour esketamine session: 75 Hz pleth (2 s chunks), HR, SpO2
and PI at 1 Hz, an NIBP reading every 5 minutes, checklists, notes and a few alarms; then
exports it in every format and prints the seconds each took.

Run: ``.venv/bin/python bench/export.py``
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sessionmon.clock import ManualClock
from sessionmon.export import export_session
from sessionmon.model import (
    AlarmCategory,
    AlarmLogAction,
    AlarmLogEntry,
    AlarmPriority,
    AlarmRecord,
    Event,
    EventKind,
    Kind,
    Measurement,
    Patient,
    Session,
    SessionPhase,
    Treatment,
    TreatmentId,
    WaveformChunk,
)
from sessionmon.store import SessionStore

HOURS = 4
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def build(store: SessionStore) -> Session:
    """Record the 4-hour session into ``store``."""
    dose = START + timedelta(minutes=5)
    end = START + timedelta(hours=HOURS)
    session = Session(
        patient=Patient(pseudonym="BENCH-1", name="Bench Patient"),
        treatment=Treatment.for_protocol(TreatmentId.ESKETAMINE_84, lot_number="B-1"),
        staff=("RN Bench",),
        clinic="Bench Clinic",
        phase=SessionPhase.CLOSED,
        created_at=START,
        dose_at=dose,
        ended_at=end,
        signed_by="RN Bench",
        signed_at=end,
    )
    store.create_session(session)
    sid = session.id
    seconds = HOURS * 3600
    batch: list[Measurement] = []
    for s in range(seconds):
        at = START + timedelta(seconds=s)
        for kind, value, unit in (
            (Kind.HR, 72 + 6 * math.sin(s / 600), "/min"),
            (Kind.SPO2, 97 - (4 if 1800 < s < 2000 else 0), "%"),
            (Kind.PI, 3.1, "%"),
        ):
            batch.append(
                Measurement.model_construct(
                    session_id=sid,
                    kind=kind,
                    value=round(value),
                    unit=unit,
                    received_at=at,
                    device_time=None,
                    source="oximeter:bench",
                    flags=(),
                )
            )
        if s % 300 == 30:
            for kind, value in (
                (Kind.NIBP_SYS, 128),
                (Kind.NIBP_DIA, 80),
                (Kind.NIBP_MAP, 96),
                (Kind.NIBP_HR, 72),
            ):
                unit = "/min" if kind is Kind.NIBP_HR else "mm[Hg]"
                batch.append(
                    Measurement.model_construct(
                        session_id=sid,
                        kind=kind,
                        value=value,
                        unit=unit,
                        received_at=at,
                        device_time=None,
                        source="nibp:bench",
                        flags=(),
                    )
                )
        if s % 2 == 0:
            store.append_waveform(
                WaveformChunk.model_construct(
                    session_id=sid,
                    kind=Kind.PLETH,
                    start=at,
                    sample_rate_hz=75.0,
                    samples=tuple(float((i * 7) % 100) for i in range(150)),
                    source="oximeter:bench",
                )
            )
        if len(batch) > 20_000:
            store.append_measurements(batch)
            batch = []
    store.append_measurements(batch)
    store.flush()
    for minute, scale, total in (
        (40, "moaas", 4),
        (42, "cadss", 6),
        (115, "moaas", 5),
        (116, "aldrete", 10),
    ):
        store.add_event(
            Event(
                session_id=sid,
                kind=EventKind.CHECKLIST,
                at=dose + timedelta(minutes=minute),
                by="RN Bench",
                payload={"scale": scale, "total": total},
            )
        )
    store.add_event(
        Event(
            session_id=sid,
            kind=EventKind.DOSE_GIVEN,
            at=dose,
            payload={"first": True, "dose_mg": 84.0},
        )
    )
    for hour in range(HOURS):
        store.add_event(
            Event(
                session_id=sid,
                kind=EventKind.ANNOTATION,
                at=START + timedelta(hours=hour, minutes=17),
                text=f"note {hour}",
            )
        )
        start = START + timedelta(hours=hour, minutes=31)
        alarm = AlarmRecord(
            session_id=sid,
            condition="spo2_low",
            priority=AlarmPriority.MEDIUM,
            category=AlarmCategory.PHYSIOLOGICAL,
            start=start,
            end=start + timedelta(minutes=2),
        )
        store.save_alarm(alarm)
        for action, at in (
            (AlarmLogAction.RAISED, start),
            (AlarmLogAction.ENDED, start + timedelta(minutes=2)),
        ):
            store.add_alarm_log(
                AlarmLogEntry(
                    session_id=sid, alarm_id=alarm.id, condition="spo2_low", action=action, at=at
                )
            )
    return session


def main() -> int:
    """Build the session, export it in every format, print the timings."""
    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(START + timedelta(hours=HOURS + 1))
        with SessionStore.open(Path(folder) / "bench.db", clock) as store:
            t0 = time.perf_counter()
            session = build(store)
            print(
                f"built a {HOURS}-hour session in {time.perf_counter() - t0:.1f} s "
                f"({len(store.measurements(session.id))} numerics, "
                f"{sum(len(c.samples) for c in store.waveform(session.id))} pleth samples)"
            )
            runs = [
                ("pdf", False),
                ("rems", False),
                ("csv", False),
                ("csv", True),
                ("json", False),
                ("json", True),
                ("fhir", False),
                ("hl7", False),
            ]
            print(f"{'format':<18}{'seconds':>8}{'size':>12}")
            for fmt, waveform in runs:
                out = Path(folder) / f"out-{fmt}-{waveform}.{fmt}"
                t0 = time.perf_counter()
                result = export_session(store, session.id, fmt, out, clock=clock, waveform=waveform)
                elapsed = time.perf_counter() - t0
                size = sum(p.stat().st_size for p in result.paths)
                label = fmt + (" +waveform" if waveform else "")
                print(f"{label:<18}{elapsed:>8.2f}{size / 1e6:>10.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
