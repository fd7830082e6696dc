"""Time each export format on a 4-hour session.

Builds, in a temporary store, a 4-hour esketamine session: 75 Hz pleth (2 s chunks), HR, SpO2
and PI at 1 Hz, an NIBP reading every 5 minutes, checklists, notes and a few alarms; then
exports it in every format, in process and as a new ``sessionmon export`` process (what a user
waits for), and prints the median seconds of several runs.

Run: ``.venv/bin/python bench/export.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
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


RUNS = [
    ("pdf", False),
    ("rems", False),
    ("csv", False),
    ("csv", True),
    ("parquet", False),
    ("parquet", True),
    ("json", False),
    ("json", True),
    ("fhir", False),
    ("hl7", False),
]


def _cli_seconds(db: Path, session_id: str, fmt: str, waveform: bool, out: Path) -> float:
    """Wall seconds of one ``sessionmon export`` run as a user types it (a new process)."""
    command = [
        sys.executable,
        "-m",
        "sessionmon",
        "--db",
        str(db),
        "export",
        "--session",
        session_id,
        "--format",
        fmt,
        "--out",
        str(out),
        "--quiet",
    ] + (["--waveform"] if waveform else [])
    t0 = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    """Build the session, export it in every format, print median timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per format (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        clock = ManualClock(START + timedelta(hours=HOURS + 1))
        with SessionStore.open(db, clock) as store:
            t0 = time.perf_counter()
            session = build(store)
            print(
                f"built a {HOURS}-hour session in {time.perf_counter() - t0:.1f} s "
                f"({len(store.measurements(session.id))} numerics, "
                f"{sum(len(c.samples) for c in store.waveform(session.id))} pleth samples)"
            )
            in_process: dict[tuple[str, bool], list[float]] = {}
            sizes: dict[tuple[str, bool], float] = {}
            for fmt, waveform in RUNS:
                out = Path(folder) / f"out-{fmt}-{waveform}.{fmt}"
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    result = export_session(
                        store,
                        session.id,
                        fmt,
                        out,
                        clock=clock,
                        waveform=waveform,
                        record_event=False,
                    )
                    in_process.setdefault((fmt, waveform), []).append(time.perf_counter() - t0)
                sizes[(fmt, waveform)] = sum(p.stat().st_size for p in result.paths) / 1e6
        print(f"median of {args.repeat} runs each; 'cli' is a new `sessionmon export` process")
        print(f"{'format':<18}{'in process s':>14}{'cli s':>8}{'size':>12}")
        for fmt, waveform in RUNS:
            out = Path(folder) / f"cli-{fmt}-{waveform}.{fmt}"
            cli = [
                _cli_seconds(db, str(session.id), fmt, waveform, out) for _ in range(args.repeat)
            ]
            label = fmt + (" +waveform" if waveform else "")
            print(
                f"{label:<18}{statistics.median(in_process[(fmt, waveform)]):>14.2f}"
                f"{statistics.median(cli):>8.2f}{sizes[(fmt, waveform)]:>10.1f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
