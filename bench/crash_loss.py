"""What a SIGKILL loses: a child process runs a session as the console does, and is killed.

The child runs a real :class:`SessionRuntime` on a real store (``busy_timeout_s=2``, the
background flush at 0.5 s, as the console), a simulated oximeter on the system clock, ticked at
10 Hz. SpO2 falls so alarms are raised; the nurse annotates and acknowledges every second. Before
handing anything to the store the child prints it (one JSON line, flushed), so the parent knows
what the runtime had taken when the kill came:

* ``m``: the receive times of the measurements handed to the store; ``w``: start and end of each
  pleth block the runtime received (the waveform still held in a chunk counts as received);
* ``e``: an event id, printed after ``add_event`` returned (committed);
* ``a`` / ``l``: an alarm version / alarm-log entry handed to the store (queued).

The parent kills the child at a random moment 2-8 s after it is ready, 20 times, then reads the
database and reports, per run, the seconds of measurements and waveform lost (the kill time minus
the oldest value the runtime had taken that is not in the database: "the last X s were lost") and
the events, alarm versions and log entries not committed.

Run: ``.venv/bin/python bench/crash_loss.py [runs]``
"""

from __future__ import annotations

import json
import os
import random
import selectors
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import hashlib, json, sys, time
    from datetime import timedelta
    from sessionmon.clock import SystemClock
    from sessionmon.devices.source import WaveformBlock
    from sessionmon.model import Patient
    from sessionmon.runtime import SessionRuntime
    from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedOximeter
    from sessionmon.store import SessionStore

    def say(**item):
        sys.stdout.write(json.dumps(item) + "\\n")
        sys.stdout.flush()

    def sha(model):
        return hashlib.sha256(model.model_dump_json().encode()).hexdigest()

    class Store(SessionStore):
        def append_measurements(self, measurements):
            measurements = list(measurements)
            if measurements:
                say(m=[m.received_at.timestamp() for m in measurements])
            super().append_measurements(measurements)
        def add_event(self, event, *, wait=True):
            super().add_event(event, wait=wait)
            say(e=str(event.id), queued=not wait)
        def save_alarm(self, record):
            say(a=sha(record))
            super().save_alarm(record)
        def add_alarm_log(self, entry):
            say(l=sha(entry))
            super().add_alarm_log(entry)

    class Watched:
        def __init__(self, source):
            self.source = source
        def __getattr__(self, name):
            return getattr(self.source, name)
        def poll(self):
            outputs = self.source.poll()
            for o in outputs:
                if isinstance(o.item, WaveformBlock):
                    end = o.at + timedelta(seconds=len(o.item.samples) / o.item.sample_rate_hz)
                    say(w=[o.at.timestamp(), end.timestamp()])
            return outputs

    clock = SystemClock()
    store = Store.open(sys.argv[1], clock, busy_timeout_s=2.0)
    store.start_autoflush(0.5)
    phys = Physiology(clock, PhysiologyTargets(hr=72, spo2=97, sys=120, dia=80), seed=1)
    oximeter = Watched(SimulatedOximeter(clock, phys, seed=2))
    runtime = SessionRuntime(store, clock, patient=Patient(pseudonym="KILL"),
                             treatment="esketamine-84", oximeter=oximeter)
    runtime.start_baseline(by="RN A")
    say(ready=str(runtime.session_id))
    phys.set_targets(clock.now(), spo2=50)
    start = time.monotonic()
    n = 0
    while True:
        n += 1
        time.sleep(max(0.0, start + n * 0.1 - time.monotonic()))
        runtime.tick()
        if n % 10 == 0:
            runtime.annotate(f"note {n}", by="RN A")
        if n % 20 == 5:
            runtime.acknowledge(by="RN A")
        if n == 40:
            phys.set_targets(clock.now(), spo2=97)
    """
)


def run_once(folder: Path, index: int, rng: random.Random) -> dict:
    db = folder / f"kill-{index}.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[dict] = []
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + 30
    kill_at = None
    while True:
        now = time.monotonic()
        if kill_at is not None and now >= kill_at:
            break
        if now > deadline:
            proc.kill()
            raise RuntimeError(f"child not ready: {proc.stderr.read()}")
        if selector.select(timeout=0.01):
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"child died: {proc.stderr.read()}")
            item = json.loads(line)
            lines.append(item)
            if "ready" in item:
                kill_at = time.monotonic() + rng.uniform(2.0, 8.0)
    killed_wall = time.time()
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=10)
    lines.extend(json.loads(line) for line in rest.splitlines() if line.strip())
    selector.close()
    return measure(db, lines, killed_wall)


def measure(db: Path, lines: list[dict], killed_wall: float) -> dict:
    """Losses of one run; seconds lost = kill time minus the oldest value taken, not committed."""
    session = next(item["ready"] for item in lines if "ready" in item)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        newest_m = conn.execute(
            "SELECT max(received_us) FROM measurements WHERE session_id = ?", (session,)
        ).fetchone()[0]
        newest_w = conn.execute(
            "SELECT max(end_us) FROM waveform_chunks WHERE session_id = ?", (session,)
        ).fetchone()[0]
        events = {row[0] for row in conn.execute("SELECT event_id FROM events")}
        alarm_bodies = {row[0] for row in conn.execute("SELECT body FROM alarm_versions")}
        log_bodies = {row[0] for row in conn.execute("SELECT body FROM alarm_log")}
    import hashlib

    def shas(bodies: set[str]) -> set[str]:
        return {hashlib.sha256(body.encode()).hexdigest() for body in bodies}

    taken_m = [at for item in lines if "m" in item for at in item["m"]]
    blocks = [item["w"] for item in lines if "w" in item]
    lost_m = [at for at in taken_m if at * 1e6 > (newest_m or 0) + 1]
    lost_w = [start for start, end in blocks if end * 1e6 > (newest_w or 0) + 1]
    committed_events = [i["e"] for i in lines if "e" in i and not i.get("queued")]
    queued_events = [i["e"] for i in lines if "e" in i and i.get("queued")]
    alarms = [i["a"] for i in lines if "a" in i]
    logs = [i["l"] for i in lines if "l" in i]
    committed_alarms, committed_logs = shas(alarm_bodies), shas(log_bodies)
    return {
        "measurements_lost_s": killed_wall - min(lost_m) if lost_m else 0.0,
        "measurements_lost": len(lost_m),
        "waveform_lost_s": killed_wall - min(lost_w) if lost_w else 0.0,
        "events": len(committed_events),
        "events_lost": sum(1 for e in committed_events if e not in events),
        "queued_events_lost": sum(1 for e in queued_events if e not in events),
        "alarm_versions": len(set(alarms)),
        "alarm_versions_lost": len(set(alarms) - committed_alarms),
        "log_entries": len(logs),
        "log_entries_lost": sum(1 for sha in logs if sha not in committed_logs),
    }


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rng = random.Random(10)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(runs):
            result = run_once(Path(folder), index, rng)
            results.append(result)
            print(
                f"run {index + 1:2d}: measurements {result['measurements_lost_s']:.2f} s "
                f"({result['measurements_lost']} values), "
                f"waveform {result['waveform_lost_s']:.2f} s, events "
                f"{result['events_lost']}/{result['events']}, alarm versions "
                f"{result['alarm_versions_lost']}/{result['alarm_versions']}, log entries "
                f"{result['log_entries_lost']}/{result['log_entries']}",
                flush=True,
            )
    worst_m = max(r["measurements_lost_s"] for r in results)
    worst_w = max(r["waveform_lost_s"] for r in results)
    mean_m = sum(r["measurements_lost_s"] for r in results) / len(results)
    mean_w = sum(r["waveform_lost_s"] for r in results) / len(results)
    print(
        f"{runs} SIGKILLs: measurements lost mean {mean_m:.2f} s, worst {worst_m:.2f} s; "
        f"waveform lost mean {mean_w:.2f} s, worst {worst_w:.2f} s; "
        f"events lost {sum(r['events_lost'] for r in results)}"
        f"/{sum(r['events'] for r in results)}; "
        f"alarm versions lost {sum(r['alarm_versions_lost'] for r in results)}"
        f"/{sum(r['alarm_versions'] for r in results)}; "
        f"log entries lost {sum(r['log_entries_lost'] for r in results)}"
        f"/{sum(r['log_entries'] for r in results)}"
    )


if __name__ == "__main__":
    main()
