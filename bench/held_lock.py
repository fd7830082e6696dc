"""Monitoring under a held database lock: another connection holds ``BEGIN EXCLUSIVE`` for 20 s.

A real :class:`SessionRuntime` on a real store (as the console opens it: ``busy_timeout_s=2``,
background flush 0.5 s) and a simulated oximeter on the system clock is ticked at 10 Hz, like the
console's acquisition timer. One second after the lock is taken SpO2 starts to fall. Prints the
longest tick and the longest gap between ticks while the lock is held, when the SpO2 alarm came
after the first value at or below 85 %, when ``storage_failure`` was raised after the lock and
cleared after its release, and whether every value taken meanwhile reached the database.

Run: ``.venv/bin/python bench/held_lock.py [hold_seconds]``
"""

from __future__ import annotations

import itertools
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from sessionmon.clock import SystemClock
from sessionmon.model import Kind, Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedOximeter
from sessionmon.store import SessionStore

_PAUSE = threading.Event()


def main() -> None:
    hold_s = float(sys.argv[1]) if len(sys.argv) > 1 else 20.0
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sessions.db"
        store = SessionStore.open(path, clock, busy_timeout_s=2.0)
        store.start_autoflush(0.5)
        phys = Physiology(clock, PhysiologyTargets(hr=72, spo2=97, sys=120, dia=80), seed=1)
        runtime = SessionRuntime(
            store,
            clock,
            patient=Patient(pseudonym="LOCK"),
            treatment="esketamine-84",
            oximeter=SimulatedOximeter(clock, phys, seed=2),
        )
        ticks: list[tuple[float, float]] = []
        marks: dict[str, float] = {}

        def run(seconds: float) -> None:
            began = time.monotonic()
            while time.monotonic() - began < seconds:
                start = time.monotonic()
                runtime.tick()
                ticks.append((start, time.monotonic() - start))
                value = runtime.snapshot().values.get(Kind.SPO2)
                if value is not None and value.value is not None and value.value <= 85:
                    marks.setdefault("spo2_low_value", start)
                for condition in ("spo2_low", "storage_failure"):
                    if runtime.engine.alarm(condition) is not None:
                        marks.setdefault(condition, start)
                if "released" in marks and runtime.engine.alarm("storage_failure") is None:
                    marks.setdefault("cleared", start)
                _PAUSE.wait(max(0.0, start + 0.1 - time.monotonic()))

        run(2.0)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        marks["held"] = time.monotonic()
        run(1.0)
        phys.set_targets(clock.now(), spo2=50)
        run(hold_s - 1.0)
        holder.execute("ROLLBACK")
        holder.close()
        marks["released"] = time.monotonic()
        run(3.0)
        runtime.close()
        stored = len(store.measurements(runtime.session_id, kinds=[Kind.SPO2]))
        store.close()
    held = [d for s, d in ticks if marks["held"] <= s <= marks["released"]]
    gaps = [
        b[0] - a[0]
        for a, b in itertools.pairwise(ticks)
        if marks["held"] - 0.1 <= a[0] <= marks["released"]
    ]
    print(f"lock held {hold_s:g} s; {len(held)} ticks meanwhile")
    print(
        f"tick duration: max {max(held) * 1000:.1f} ms, median "
        f"{statistics.median(held) * 1000:.2f} ms; longest gap between ticks "
        f"{max(gaps) * 1000:.0f} ms"
    )
    if "spo2_low" in marks:
        delay = marks["spo2_low"] - marks["spo2_low_value"]
        print(
            f"spo2_low raised {marks['spo2_low'] - marks['held']:.2f} s into the hold, "
            f"{delay * 1000:.0f} ms after the first value <= 85 %"
        )
    print(
        f"storage_failure raised {marks['storage_failure'] - marks['held']:.2f} s after the "
        f"lock was taken; cleared {marks['cleared'] - marks['released']:.2f} s after release"
    )
    print(f"SpO2 values stored: {stored} (one a second, none lost)")


if __name__ == "__main__":
    main()
