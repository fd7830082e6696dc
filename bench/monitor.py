"""``sessionmon monitor`` against ``sessionmon simulate-device`` ptys, for every protocol.

Run: ``.venv/bin/python bench/monitor.py [--seconds 15] [--bp-seconds 60] [--only NAME]``

For each protocol a ``simulate-device`` process plays the device on a pty (a symlink in a
temporary folder) and ``sessionmon monitor --json`` reads it as typed, in its own process, into
a fresh database; after ``--seconds`` of readings the bench sends SIGINT (Ctrl+C) and waits for
the exit. An oximeter protocol is the ``--oximeter``; ``suntech`` is the ``--nibp`` (with a
``nonin-df8`` oximeter, and ``--bp-every 1`` so a measurement starts at once), run for
``--bp-seconds`` so a whole measurement (20-40 s) fits.

Printed per protocol (real clock, this machine):

- startup: from starting the monitor process to its ``session`` line (Python start, imports,
  ports opened);
- first reading: from the ``session`` line to the device's first reading line (for SunTech
  also to the first BP result);
- readings/s: the device's reading lines per second after the first one, and which kinds;
- Ctrl+C: exit code (130) and seconds from SIGINT to exit; the session's phase afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from sessionmon.devices.protocols import PROTOCOLS
from sessionmon.devices.source import DeviceRole

PYTHON = [sys.executable, "-m", "sessionmon"]


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put((time.monotonic(), line))
    into.put((time.monotonic(), None))


def _wait_for_link(path: Path, timeout_s: float = 30.0) -> None:
    end = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > end:
            raise SystemExit(f"simulate-device did not create {path}")
        threading.Event().wait(0.05)


def run_one(protocol: str, seconds: float, folder: Path) -> dict:
    """Run one protocol and return its figures."""
    nibp = PROTOCOLS[protocol].role is DeviceRole.NIBP
    devices = [("nonin-df8", "ox"), (protocol, "bp")] if nibp else [(protocol, "ox")]
    sims = []
    for name, tag in devices:
        link = folder / f"{protocol}-{tag}"
        sims.append(
            subprocess.Popen(
                [*PYTHON, "simulate-device", "--protocol", name, "--link", str(link)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        _wait_for_link(link)
    db = folder / f"{protocol}.db"
    argv = [*PYTHON, "--db", str(db), "monitor", "--json"]
    argv += ["--oximeter", f"{devices[0][0]}:{folder / f'{protocol}-ox'}"]
    if nibp:
        argv += ["--nibp", f"suntech:{folder / f'{protocol}-bp'}", "--bp-every", "1"]
    device = "nibp" if nibp else "oximeter"
    started = time.monotonic()
    monitor = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(monitor.stdout, lines), daemon=True).start()
    session_at = first_at = bp_at = last_at = None
    kinds: Counter[str] = Counter()
    readings = 0
    stopped = None
    interrupted_at = None
    deadline = None
    try:
        while True:
            timeout = 1.0 if deadline is None else max(0.05, deadline - time.monotonic())
            try:
                at, line = lines.get(timeout=timeout)
            except queue.Empty:
                at, line = time.monotonic(), ""
            if line is None:
                break
            if line:
                obj = json.loads(line)
                if obj["type"] == "session":
                    session_at = at
                elif obj["type"] == "reading" and obj["device"] == device:
                    readings += 1
                    kinds[obj["kind"]] += 1
                    first_at = first_at or at
                    last_at = at
                    if obj["kind"] == "nibp_sys" and bp_at is None:
                        bp_at = at
                elif obj["type"] == "stopped":
                    stopped = obj
            if first_at is not None and deadline is None:
                deadline = first_at + seconds
            if deadline is not None and interrupted_at is None and time.monotonic() >= deadline:
                interrupted_at = time.monotonic()
                monitor.send_signal(signal.SIGINT)
            if time.monotonic() - started > seconds + 120:
                raise SystemExit(f"{protocol}: no readings in time")
        code = monitor.wait(30)
        exited_at = time.monotonic()
    finally:
        if monitor.poll() is None:
            monitor.kill()
        for sim in sims:
            sim.send_signal(signal.SIGINT)
            sim.wait(10)
    phase = subprocess.run(
        [*PYTHON, "--db", str(db), "sessions", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    listed = json.loads(phase.stdout)
    span = (last_at - first_at) if first_at and last_at and last_at > first_at else None
    return {
        "protocol": protocol,
        "startup_s": (session_at - started) if session_at else None,
        "first_reading_s": (first_at - session_at) if first_at and session_at else None,
        "first_bp_s": (bp_at - session_at) if bp_at and session_at else None,
        "readings": readings,
        "readings_per_s": (readings - 1) / span if span else None,
        "kinds": dict(kinds),
        "exit_code": code,
        "sigint_to_exit_s": exited_at - interrupted_at if interrupted_at else None,
        "stopped_why": stopped and stopped["why"],
        "phase_after": listed[0]["phase"] if listed else None,
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> int:
    """Run the bench and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="readings per oximeter run")
    parser.add_argument("--bp-seconds", type=float, default=60.0, help="seconds of the NIBP run")
    parser.add_argument("--only", action="append", help="only this protocol (repeatable)")
    args = parser.parse_args()
    names = args.only or sorted(PROTOCOLS)
    print(
        f"{'protocol':<13} {'startup s':>9} {'1st read s':>10} {'1st BP s':>8} "
        f"{'readings':>8} {'per s':>6} {'exit':>4} {'^C->exit s':>10}  phase after / kinds"
    )
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            nibp = PROTOCOLS[name].role is DeviceRole.NIBP
            row = run_one(name, args.bp_seconds if nibp else args.seconds, Path(folder))
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(row["kinds"].items()))
            print(
                f"{name:<13} {_fmt(row['startup_s']):>9} {_fmt(row['first_reading_s']):>10} "
                f"{_fmt(row['first_bp_s'], 1):>8} {row['readings']:>8} "
                f"{_fmt(row['readings_per_s']):>6} {row['exit_code']:>4} "
                f"{_fmt(row['sigint_to_exit_s']):>10}  {row['phase_after']} / {kinds}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
