"""Time each export format on a 4-hour session.

Builds, in a temporary store, a 4-hour esketamine session: 75 Hz pleth (2 s chunks), HR, SpO2
and PI at 1 Hz, an NIBP reading every 5 minutes, checklists, notes and a few alarms; then
exports it in every format, in process and as a new ``sessionmon export`` process (what a user
waits for), and prints the median seconds of several runs.

Run: ``.venv/bin/python bench/export.py [--repeat N] [--hours H] [--formats fhir,json]``
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
from sessionmon.export.run import FORMAT_RUNS
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


def build(store: SessionStore, hours: int = HOURS) -> Session:
    """Record a session of ``hours`` (4 by default) into ``store``."""
    dose = START + timedelta(minutes=5)
    end = START + timedelta(hours=hours)
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
    seconds = hours * 3600
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
            if store.pending_count > 40_000:  # faster than the disk: wait, drop nothing
                store.flush()
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
    for hour in range(hours):
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


RUNS = FORMAT_RUNS


#: Runs the CLI and, at exit, prints the process's own peak resident memory (Linux ``VmHWM``;
#: ``ru_maxrss`` of a child would include the memory of this big parent it was forked from).
_PEAK_WRAPPER = """
import atexit, resource, runpy, sys
def peak():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print("CPU_S", usage.ru_utime + usage.ru_stime, file=sys.stderr)
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                print("PEAK_KB", line.split()[1], file=sys.stderr)
    except OSError:
        pass
atexit.register(peak)
sys.argv = ["sessionmon", *sys.argv[1:]]
runpy.run_module("sessionmon", run_name="__main__")
"""


_FACTS = ("PEAK_K", "CPU_S ")


def _cli_run(
    db: Path, session_id: str, fmt: str, waveform: bool, out: Path
) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one ``sessionmon export`` process."""
    command = [
        sys.executable,
        "-c",
        _PEAK_WRAPPER,
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
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if result.returncode:
        raise SystemExit(f"export {fmt} failed ({result.returncode}): {result.stderr}")
    facts = dict(line.split()[:2] for line in result.stderr.splitlines() if line[:6] in _FACTS)
    peak_mib = int(facts["PEAK_KB"]) / 1024 if "PEAK_KB" in facts else float("nan")
    return elapsed, float(facts.get("CPU_S", "nan")), peak_mib


def main() -> int:
    """Build the session, export it in every format, print median timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per format (median shown)")
    parser.add_argument("--hours", type=int, default=HOURS, help="length of the session")
    parser.add_argument(
        "--formats",
        default=",".join(dict.fromkeys(fmt for fmt, _ in RUNS)),
        help="comma-separated formats to run (with and without the waveform; default: all)",
    )
    args = parser.parse_args()
    chosen = set(args.formats.split(","))
    if unknown := chosen - {fmt for fmt, _ in RUNS}:
        parser.error(f"unknown format {', '.join(sorted(unknown))}")
    runs = [(fmt, waveform) for fmt, waveform in RUNS if fmt in chosen]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        clock = ManualClock(START + timedelta(hours=args.hours + 1))
        with SessionStore.open(db, clock) as store:
            t0 = time.perf_counter()
            session = build(store, args.hours)
            print(
                f"built a {args.hours}-hour session in {time.perf_counter() - t0:.1f} s "
                f"({len(store.measurements(session.id))} numerics, "
                f"{sum(len(c.samples) for c in store.waveform(session.id))} pleth samples)"
            )
            in_process: dict[tuple[str, bool], list[float]] = {}
            sizes: dict[tuple[str, bool], float] = {}
            for fmt, waveform in runs:
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
        print(
            f"{'format':<18}{'in process s':>14}{'cli s':>8}{'cli cpu s':>11}{'cli peak':>11}"
            f"{'size':>12}"
        )
        for fmt, waveform in runs:
            out = Path(folder) / f"cli-{fmt}-{waveform}.{fmt}"
            runs = [_cli_run(db, str(session.id), fmt, waveform, out) for _ in range(args.repeat)]
            label = fmt + (" +waveform" if waveform else "")
            print(
                f"{label:<18}{statistics.median(in_process[(fmt, waveform)]):>14.2f}"
                f"{statistics.median(r[0] for r in runs):>8.2f}"
                f"{statistics.median(r[1] for r in runs):>11.2f}"
                f"{max(r[2] for r in runs):>7.0f} MiB{sizes[(fmt, waveform)]:>10.1f} MB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
