"""Benchmark the session store.

Prints
------
* sustained append rates under the durability rules (commit once the oldest buffered item is
  1 s old; ``synchronous=FULL``), with a ManualClock advanced by the real time spent, so the
  store commits at least once per real second while the benchmark pushes as fast as it can;
* replay speed of a realistic stream (1 Hz hr/spo2/pi, 75 Hz pleth in 0.2 s chunks) with
  one commit per simulated second;
* the time to open a database holding an 8-hour session, list it and load it.

Every figure is measured twice, back to back: on a plain SQLite database and on an
SQLCipher-encrypted one (a random raw 256-bit key, as ``sessionmon db key new`` makes), and
printed side by side with the encryption's cost. The machine load (``os.getloadavg``) is printed
before and after: figures taken under load say so.

Run: ``.venv/bin/python bench/store.py`` (``--quick`` skips the 8-hour session)
"""

from __future__ import annotations

import os
import statistics
import sys
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
from sessionmon.store import SessionStore, driver, keys

PLETH_HZ = 75
NUMERICS = ((Kind.HR, 72.0, "/min"), (Kind.SPO2, 98.0, "%"), (Kind.PI, 3.5, "%"))
SOURCE = "oximeter:bench"
#: Appending waits while this many rows wait for the writer thread (its buffer holds 100,000).
BACKLOG = 20_000
#: The encrypted runs' key: random per run (a raw key: SQLCipher's own KDF does not run).
BENCH_KEY = keys.DbKey(keys.new_secret(), "bench")


def open_store(path: Path, clock: ManualClock, encrypted: bool, **options) -> SessionStore:
    """Open a new bench database, plain or encrypted."""
    stem = path.with_name(("enc-" if encrypted else "plain-") + path.name)
    if encrypted:
        return SessionStore.open(stem, clock, key=BENCH_KEY, encrypt_new=True, **options)
    return SessionStore.open(stem, clock, key=None, encrypt_new=False, **options)


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


def sustained_rates(folder: Path, encrypted: bool, seconds: float = 2.0) -> tuple[float, float]:
    """Push numerics, then 75-sample chunks, as fast as possible for ``seconds`` each."""
    clock = ManualClock()
    with open_store(folder / "rates.db", clock, encrypted) as store:
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


def replay_speed(
    folder: Path, encrypted: bool, sim_seconds: int = 600
) -> tuple[float, list[float]]:
    """Replay a realistic stream: 5 polls per simulated second, commit every simulated second."""
    clock = ManualClock()
    commit_times: list[float] = []
    with open_store(folder / "replay.db", clock, encrypted) as store:
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


def build_eight_hours(path: Path, encrypted: bool) -> Session:
    """Write an 8-hour session (1 Hz hr/spo2/pi, 75 Hz pleth in 1 s chunks)."""
    clock = ManualClock()
    hours = 8
    # Built with 10-minute commits to keep the setup quick; the load time does not depend on it.
    with open_store(path, clock, encrypted, commit_interval_s=600) as store:
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
            if store.pending_count > 20_000:  # faster than the disk: wait, drop nothing
                store.flush()
    return session


def time_open_list_load(path: Path, encrypted: bool) -> dict[str, float]:
    clock = ManualClock(start=None)
    clock.advance(timedelta(hours=9).total_seconds())
    timings: dict[str, float] = {}
    stem = path.with_name(("enc-" if encrypted else "plain-") + path.name)
    t0 = time.perf_counter()
    store = SessionStore.open(stem, clock, key=BENCH_KEY if encrypted else None)
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


def event_commit_ms(folder: Path, encrypted: bool, anchored: bool, events: int = 300) -> float:
    """Median real time of one waited ``add_event`` (one commit each), with or without the
    ``<db>.audit-head`` anchor writes (two atomic, fsynced sidecar writes per commit)."""
    clock = ManualClock()
    name = "anchored.db" if anchored else "unanchored.db"
    times = []
    with open_store(folder / name, clock, encrypted) as store:
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


def _row(what: str, plain: float, enc: float, unit: str, fmt: str = ",.2f") -> str:
    cost = (enc / plain - 1) * 100 if plain else float("nan")
    return f"  {what:34s} {plain:>12{fmt}} {enc:>12{fmt}} {unit:9s} {cost:+6.0f} %"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    print(f"SQLCipher {driver.cipher_version()}; before: {_load()}")
    with tempfile.TemporaryDirectory(prefix="sessionmon-bench-") as name:
        folder = Path(name)
        print(f"  {'':34s} {'plain':>12s} {'encrypted':>12s} {'':9s} {'cost':>8s}")
        rates = [sustained_rates(folder, enc) for enc in (False, True)]
        print("sustained append rate (commit >= 1/s, synchronous=FULL, WAL)")
        print(_row("numerics", rates[0][0], rates[1][0], "rows/s", ",.0f"))
        print(_row("waveform (75-sample chunks)", rates[0][1], rates[1][1], "samples/s", ",.0f"))

        replays = [replay_speed(folder, enc) for enc in (False, True)]
        print("realistic stream (3 numerics/s + 75 Hz pleth in 0.2 s chunks, 1 commit per sim s)")
        print(_row("replay speed", replays[0][0], replays[1][0], "x real", ",.0f"))
        for label, pick in (("append median", 0.5), ("append p99", 0.99)):
            values = []
            for _, commits in replays:
                ms = sorted(c * 1000 for c in commits)
                values.append(ms[min(len(ms) - 1, int(len(ms) * pick))])
            print(_row(label, values[0], values[1], "ms", ".3f"))

        print("one waited commit (add_event, synchronous=FULL): median")
        for anchored in (False, True):
            plain = event_commit_ms(folder, False, anchored)
            enc = event_commit_ms(folder, True, anchored)
            label = "with the audit head anchor" if anchored else "without the anchor"
            print(_row(label, plain, enc, "ms"))

        if not quick:
            path = folder / "eight_hours.db"
            built, sizes, timings = [], [], []
            for enc in (False, True):
                t0 = time.perf_counter()
                build_eight_hours(path, enc)
                built.append(time.perf_counter() - t0)
                prefix = ("enc-" if enc else "plain-") + "eight_hours.db"
                sizes.append(
                    sum(p.stat().st_size for p in folder.glob(prefix + "*") if p.is_file())
                )
                timings.append(time_open_list_load(path, enc))
            print("8-hour session: 86,400 numerics rows + 2,160,000 pleth samples in 28,800 chunks")
            print(_row("size", sizes[0] / 1e6, sizes[1] / 1e6, "MB", ".1f"))
            print(_row("built in", built[0], built[1], "s", ".1f"))
            for what in timings[0]:
                print(_row(what, timings[0][what] * 1000, timings[1][what] * 1000, "ms", ".1f"))
            totals = [t["open"] + t["list"] for t in timings]
            print(_row("open + list", totals[0] * 1000, totals[1] * 1000, "ms", ".1f"))
            full = [
                tot + t["load numerics"] + t["load pleth"]
                for tot, t in zip(totals, timings, strict=True)
            ]
            print(
                _row("open + list + load everything", full[0] * 1000, full[1] * 1000, "ms", ".0f")
            )
    print(f"after: {_load()}")


if __name__ == "__main__":
    main()
