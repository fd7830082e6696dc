"""Run the benches of ``make bench`` one after another and write one table of their figures.

Run: ``.venv/bin/python bench/run_all.py [--out bench/results.md] [--only NAME ...]``

Each bench runs as its own process (the console bench offscreen), its output is shown as it
comes and kept; ``bench/results.md`` then gets one table with every figure line of every
bench, under the machine, the date and the load average (``/proc/loadavg``) before each bench,
since the development machine is shared and a loaded machine gives slower figures. Each bench
prints how many runs its medians are of.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (name, script, arguments): the order ``make bench`` runs them in. Benches another change
#: adds (``latency``, ``live_cpu``) run when their script is there.
BENCHES: list[tuple[str, str, list[str]]] = [
    ("store", "store.py", []),
    ("devices", "devices.py", ["--no-peers"]),
    # the peers on a tenth of the bytes: systole's reader runs at about 0.01 MB/s
    ("devices and peers, 0.1 MB", "devices.py", ["--mb", "0.1", "--runs", "3"]),
    ("simulate", "simulate.py", []),
    ("sim", "sim.py", []),
    ("export 4 h", "export.py", ["--hours", "4", "--repeat", "5"]),
    ("export 24 h", "export.py", ["--hours", "24", "--repeat", "3"]),
    ("ui", "ui.py", []),
    ("waves", "waves.py", []),
    ("latency", "latency.py", []),
    ("live_cpu", "live_cpu.py", []),
]


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


#: Qt's own warnings that say nothing about a bench (the offscreen platform's): not in the table.
QT_NOISE = frozenset({"This plugin does not support propagateSizeHints()"})


def run(script: Path, arguments: list[str]) -> tuple[int, list[str], float]:
    """Run one bench; return its exit code, its output lines and its wall seconds."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(script), *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.strip() not in QT_NOISE:
            lines.append(line.rstrip("\n"))
    return process.wait(), lines, time.perf_counter() - started


def _cell(text: str) -> str:
    return text.replace("|", "\\|").strip() or " "


def table(results: list[tuple[str, str, int, list[str], float]]) -> str:
    """The markdown of the results: one table, one row per output line."""
    out = [
        "# Bench results",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC;"
        f" {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, {platform.system()} {platform.machine()}.",
        "The machine may be shared: the load average before each bench is given with it.",
        "",
        "| bench | load before (1/5/15 min) | figure |",
        "|---|---|---|",
    ]
    for name, load_before, code, lines, wall in results:
        status = f"exit {code}, " if code else ""
        out.append(f"| **{name}** | {load_before} | ({status}{wall:.0f} s wall) |")
        for line in lines:
            if line.strip():
                out.append(f"| {name} | | `{_cell(line)}` |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benches and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "results.md", help="table to write")
    parser.add_argument("--only", nargs="*", default=None, help="bench names to run")
    args = parser.parse_args(argv)
    results = []
    failed = 0
    for name, script, arguments in BENCHES:
        if args.only is not None and name not in args.only and script[:-3] not in args.only:
            continue
        path = HERE / script
        if not path.exists():
            continue
        print(f"=== {name}: {script} {' '.join(arguments)} (load {load()})", flush=True)
        load_before = load()
        code, lines, wall = run(path, arguments)
        failed += code != 0
        results.append((name, load_before, code, lines, wall))
    args.out.write_text(table(results))
    print(f"wrote {args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
