"""How fast the whole core runs an 8-hour scenario headless, and how much memory it needs.

Runs an 8-hour IV-ketamine-style scenario (simulated oximeter at 75 Hz pleth, NIBP every 15 min,
alarms, protocol, a temporary SQLite store) at maximum speed, twice: once timed (peak RSS from
``resource``), once under ``tracemalloc`` for the Python heap peak. Prints the speed-up over real
time.

Run: ``.venv/bin/python bench/simulate.py``
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from sessionmon.clock import ManualClock
from sessionmon.scenarios import parse_scenario
from sessionmon.scenarios.runner import run_scenario
from sessionmon.store import SessionStore

EIGHT_HOURS = """\
name = "Eight-hour benchmark session"
treatment = "esketamine-84"
duration = "08:00:00"
seed = 99

[nibp]
interval = "00:15:00"

[[step]]
at = "00:02:00"
action = "measure_bp"

[[step]]
at = "00:05:00"
action = "dose"

[[step]]
at = "00:30:00"
change = { sys = 176, dia = 104, hr = 96 }
over = "00:10:00"

[[step]]
at = "01:00:00"
change = { sys = 128, dia = 80, hr = 74 }
over = "00:30:00"

[[step]]
at = "02:00:00"
fault = "sensor_off"
duration = "00:01:00"

[[step]]
at = "03:00:00"
change = { spo2 = 86 }
over = "00:02:00"

[[step]]
at = "03:05:00"
action = "acknowledge"

[[step]]
at = "03:06:00"
change = { spo2 = 97 }
over = "00:02:00"

[[step]]
at = "05:00:00"
fault = "disconnect"
device = "oximeter"
duration = "00:02:00"

[[step]]
at = "07:50:00"
action = "checklist"
scale = "moaas"
score = 5

[[step]]
at = "07:51:00"
action = "checklist"
scale = "aldrete"
score = 10

[[step]]
at = "07:52:00"
action = "acknowledge"

[[step]]
at = "07:55:00"
action = "discharge"

[[step]]
at = "07:56:00"
action = "sign"
by = "bench"
"""


def _status_kib(field: str) -> int:
    """A ``/proc/self/status`` figure in KiB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reset_peak() -> bool:
    """Reset the process's peak RSS (``VmHWM``) to its current RSS; whether it worked."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def run_once(folder: Path, name: str, trace: bool = False) -> tuple[float, dict, int, int]:
    """Run the scenario; return wall seconds, the summary, the heap peak and the RSS peak.

    The RSS peak (KiB) is the simulation's own: the process's high-water mark is reset just
    before the run and read right after it, before anything is loaded back from the store.
    """
    scenario = parse_scenario(EIGHT_HOURS, "bench-8h.toml")
    with SessionStore.open(folder / f"{name}.db", ManualClock()) as store:
        if trace:
            tracemalloc.start()
        _reset_peak()
        started = time.perf_counter()
        summary = run_scenario(scenario, store)
        elapsed = time.perf_counter() - started
        rss_peak = _status_kib("VmHWM")
        heap_peak = 0
        if trace:
            heap_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        rows = store.measurements(summary["session_id"], kinds=["spo2", "hr", "nibp_sys"])
        summary["rows"] = len(rows)
        summary["chunks"] = len(store.waveform(summary["session_id"]))
    return elapsed, summary, heap_peak, rss_peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        before_kib = _status_kib("VmRSS")  # imports done, nothing simulated yet
        runs = [run_once(folder, f"timed{i}") for i in range(max(1, args.runs))]
        after_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        if sys.platform == "darwin":
            after_kib //= 1024
        db_mib = (folder / "timed0.db").stat().st_size / 2**20
        _, _, heap_peak, _ = run_once(folder, "traced", trace=True)
    elapsed = statistics.median(r[0] for r in runs)
    summary = runs[0][1]
    # The first run's peak: later runs start where the rows loaded back after the previous run
    # left the process (memory the allocator keeps), so their peaks are not the simulation's.
    run_peak_kib = runs[0][3]
    simulated = summary["duration_s"]
    print("sessionmon headless simulation benchmark (8-hour scenario, max speed)")
    print(f"  runs                  {len(runs)} timed (median shown), 1 traced")
    print(f"  simulated time        {simulated / 3600:.0f} h ({simulated:.0f} s)")
    print(
        f"  wall time             {elapsed:.2f} s (runs: {', '.join(f'{r[0]:.2f}' for r in runs)})"
    )
    print(f"  faster than real time {simulated / elapsed:,.0f}x")
    print(f"  per simulated hour    {elapsed / (simulated / 3600) * 1000:.0f} ms")
    print(
        f"  recorded              {summary['rows']:,} SpO2/HR/systolic values (plus PI, cuff...),"
    )
    print(f"{'':24}{summary['chunks']:,} pleth chunks, {len(summary['alarms'])} alarms")
    print(f"  database              {db_mib:.1f} MiB")
    print(f"  final phase           {summary['phase']}")
    if run_peak_kib:
        print(
            f"  peak RSS of the run   {run_peak_kib / 1024:.0f} MiB (the first run, simulation"
            f" only: peak reset before it, read before loading back; {before_kib / 1024:.0f} MiB"
            " of it imports)"
        )
    print(
        f"  peak RSS of process   {after_kib / 1024:.0f} MiB (incl. loading every row back"
        " after the runs)"
    )
    print(f"  peak Python heap      {heap_peak / 2**20:.1f} MiB (tracemalloc, during a traced run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
