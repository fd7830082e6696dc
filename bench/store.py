"""Benchmark the session store.

Prints
------
* sustained append rates under the durability rules (commit once the oldest buffered item is
  1 s old; ``synchronous=FULL``), with a ManualClock advanced by the real time spent, so the
  store commits at least once per real second while the benchmark pushes as fast as it can;
* replay speed of a realistic stream (1 Hz hr/spo2/pi, 75 Hz pleth in 0.2 s chunks) with
  one commit per simulated second;
* the time to open a database holding an 8-hour session, list it and load it.

Run: ``.venv/bin/python bench/store.py``
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from sessionmon.clock import ManualClock
from sessionmon.model import (
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

PLETH_HZ = 75
NUMERICS = ((Kind.HR, 72.0, "/min"), (Kind.SPO2, 98.0, "%"), (Kind.PI, 3.5, "%"))
SOURCE = "oximeter:bench"
#: Appending waits while this many rows wait for the writer thread (its buffer holds 100,000).
BACKLOG = 20_000


def new_session(clock: ManualClock) -> Session:
    return Session(
        patient=Patient(pseudonym="BENCH"),
        treatment=Treatment.for_protocol(TreatmentId.ESKETAMINE_84),
        created_at=clock.now(),
        phase=SessionPhase.PLANNED,
    )


def numerics_at(session: Session, clock: ManualClock) -> list[Measurement]:
    now = clock.now()
    return [
        Measurement(session_id=session.id, kind=k, value=v, unit=u, received_at=now, source=SOURCE)
        for k, v, u in NUMERICS
    ]


def pleth_chunk(session: Session, clock: ManualClock, samples: np.ndarray) -> WaveformChunk:
    return WaveformChunk(
        session_id=session.id,
        start=clock.now(),
        sample_rate_hz=PLETH_HZ,
        samples=tuple(samples.tolist()),
        source=SOURCE,
    )


def sustained_rates(folder: Path, seconds: float = 2.0) -> tuple[float, float]:
    """Push numerics, then 75-sample chunks, as fast as possible for ``seconds`` each."""
    clock = ManualClock()
    with SessionStore.open(folder / "rates.db", clock) as store:
        session = new_session(clock)
        store.create_session(session)
        batch = numerics_at(session, clock) * 10  # 30 rows per call
        rows = 0
        start = last = time.perf_counter()
        while last - start < seconds:
            store.append_measurements(batch)
            rows += len(batch)
            while store.pending_count > BACKLOG:  # what the writer thread commits, not drops
                time.sleep(0.001)
                clock.advance(0.001)
            now = time.perf_counter()
            clock.advance(now - last)
            last = now
        store.flush()
        row_rate = rows / (time.perf_counter() - start)

        wave = np.round(2048 + 1000 * np.sin(np.linspace(0, 2 * np.pi, PLETH_HZ)))
        chunk = pleth_chunk(session, clock, wave)
        samples = 0
        start = last = time.perf_counter()
        while last - start < seconds:
            store.append_waveform(chunk)
            samples += PLETH_HZ
            while store.pending_count > BACKLOG:
                time.sleep(0.001)
                clock.advance(0.001)
            now = time.perf_counter()
            clock.advance(now - last)
            last = now
        store.flush()
        sample_rate = samples / (time.perf_counter() - start)
    return row_rate, sample_rate


def replay_speed(folder: Path, sim_seconds: int = 600) -> tuple[float, list[float]]:
    """Replay a realistic stream: 5 polls per simulated second, commit every simulated second."""
    clock = ManualClock()
    commit_times: list[float] = []
    with SessionStore.open(folder / "replay.db", clock) as store:
        session = new_session(clock)
        store.create_session(session)
        wave = np.round(2048 + 1000 * np.sin(np.linspace(0, 2 * np.pi, 15)))
        start = time.perf_counter()
        for poll in range(sim_seconds * 5):
            t0 = time.perf_counter()  # what a tick pays: the writer thread commits meanwhile
            store.append_waveform(pleth_chunk(session, clock, wave))
            if poll % 5 == 0:
                store.append_measurements(numerics_at(session, clock))
            commit_times.append(time.perf_counter() - t0)
            clock.advance(0.2)
        store.flush()
        elapsed = time.perf_counter() - start
    return sim_seconds / elapsed, commit_times


def build_eight_hours(path: Path) -> Session:
    """Write an 8-hour session (1 Hz hr/spo2/pi, 75 Hz pleth in 1 s chunks)."""
    clock = ManualClock()
    hours = 8
    # Built with 10-minute commits to keep the setup quick; the load time does not depend on it.
    with SessionStore.open(path, clock, commit_interval_s=600) as store:
        session = new_session(clock)
        store.create_session(session)
        session = session.model_copy(update={"phase": SessionPhase.BASELINE})
        store.update_session(session)
        t = np.arange(PLETH_HZ) / PLETH_HZ
        for second in range(hours * 3600):
            wave = np.round(2048 + 1000 * np.sin(2 * np.pi * 1.2 * (second + t)))
            store.append_waveform(pleth_chunk(session, clock, wave))
            store.append_measurements(numerics_at(session, clock))
            clock.advance(1.0)
    return session


def time_open_list_load(path: Path) -> dict[str, float]:
    clock = ManualClock(start=None)
    clock.advance(timedelta(hours=9).total_seconds())
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    store = SessionStore.open(path, clock)
    timings["open"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    [summary] = store.list_sessions()
    timings["list"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    numerics = store.measurements(summary.id)
    timings["load numerics"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    chunks = store.waveform(summary.id)
    timings["load pleth"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = store.verify_audit()
    timings["verify audit"] = time.perf_counter() - t0
    store.close()
    assert len(numerics) == 8 * 3600 * 3, len(numerics)
    assert sum(len(c.samples) for c in chunks) == 8 * 3600 * PLETH_HZ
    assert report.ok, report.message
    return timings


def event_commit_ms(folder: Path, anchored: bool, events: int = 300) -> float:
    """Median real time of one waited ``add_event`` (one commit each), with or without the
    ``<db>.audit-head`` anchor writes (two atomic, fsynced sidecar writes per commit)."""
    clock = ManualClock()
    name = "anchored.db" if anchored else "unanchored.db"
    times = []
    with SessionStore.open(folder / name, clock) as store:
        if not anchored:
            store._writer._anchor = None  # the write path as it was before the anchor
        session = new_session(clock)
        store.create_session(session)
        for n in range(events):
            event = Event(
                session_id=session.id, kind=EventKind.ANNOTATION, at=clock.now(), text=f"{n}"
            )
            t0 = time.perf_counter()
            store.add_event(event)
            times.append(time.perf_counter() - t0)
            clock.advance(0.1)
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sessionmon-bench-") as name:
        folder = Path(name)
        row_rate, sample_rate = sustained_rates(folder)
        print("sustained append rate (commit >= 1/s, synchronous=FULL, WAL)")
        print(f"  numerics:  {row_rate:12,.0f} rows/s")
        print(f"  waveform:  {sample_rate:12,.0f} samples/s  (75-sample chunks)")

        speed, commits = replay_speed(folder)
        ms = sorted(c * 1000 for c in commits)
        print("realistic stream (3 numerics/s + 75 Hz pleth in 0.2 s chunks, 1 commit per sim s)")
        print(f"  replay speed: {speed:,.0f}x real time; {len(ms)} appends,")
        print(
            f"  append latency (the writer thread commits): median {statistics.median(ms):.3f} ms, "
            f"p99 {ms[int(len(ms) * 0.99)]:.2f} ms, max {ms[-1]:.2f} ms"
        )

        plain, anchored = event_commit_ms(folder, False), event_commit_ms(folder, True)
        print("one waited commit (add_event, synchronous=FULL): median")
        print(f"  without the audit head anchor {plain:.2f} ms, with it {anchored:.2f} ms")

        path = folder / "eight_hours.db"
        t0 = time.perf_counter()
        build_eight_hours(path)
        built = time.perf_counter() - t0
        size_mb = sum(p.stat().st_size for p in folder.glob("eight_hours.db*") if p.is_file())
        print(
            f"8-hour session: 86,400 numerics rows + 2,160,000 pleth samples in 28,800 chunks; "
            f"{size_mb / 1e6:.1f} MB; built in {built:.1f} s"
        )
        timings = time_open_list_load(path)
        for what, seconds in timings.items():
            print(f"  {what:14s} {seconds * 1000:9.1f} ms")
        total = timings["open"] + timings["list"]
        print(f"  open + list    {total * 1000:9.1f} ms")
        full = total + timings["load numerics"] + timings["load pleth"]
        print(f"  open + list + load everything {full * 1000:.0f} ms")


if __name__ == "__main__":
    main()
