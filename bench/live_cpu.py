"""Whole-process CPU of the console at 1x: one CMS50 v7 oximeter and a SunTech NIBP on ptys.

The bench plays both devices in real time on ptys (the wire simulator on the real clock, in this
process). The console runs in a child process of its own, exactly as a nurse's console: the real
drivers and pyserial read the ptys, the session is started from the New session form's values,
the window is shown (offscreen unless ``QT_QPA_PLATFORM`` says otherwise) and its timers run.
After a warm-up the bench reads the child's CPU time (user + system, all its threads) from
``/proc/PID/stat`` over ``--seconds`` of wall time, and prints it as a share of one core. The NIBP
measures every minute (the console's own auto-cycle is set to its shortest, 5 min, and the bench
presses Start at once, so at least one measurement falls in the window).

The peer GUI ``cms50ew`` is installed into a venv of its own from the package registry, if it can
be; when it cannot, the bench says so and prints the console's figure alone.

``--profile FILE`` writes the child's cProfile statistics (its GUI thread) to ``FILE``.
``--signed-in`` signs a staff account in first (the clinic's first account, an admin), as at a
clinic with staff accounts: the lock screen is then armed and watches the application's input.

Usage: ``python bench/live_cpu.py [--seconds 30] [--runs 3] [--profile F] [--signed-in]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve()
TICKS = os.sysconf("SC_CLK_TCK")
WARMUP_S = 3.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Devices:
    """The oximeter and the NIBP module, played in real time on ptys (context manager)."""

    def __init__(self, folder: Path) -> None:
        from sessionmon.clock import SystemClock
        from sessionmon.devices.pty_port import PtyPort
        from sessionmon.sim.wire_sim import WireSimulator

        self.ports = [PtyPort(link=folder / "ttyUSB0"), PtyPort(link=folder / "ttyUSB1")]
        clock = SystemClock()
        self.sims = [
            WireSimulator("cms50-v7", self.ports[0], clock, hr=72, spo2=97, seed=3),
            WireSimulator("suntech", self.ports[1], clock, sys=128, dia=80, seed=5),
        ]
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=sim.run, args=(self._stop, port.read_available), daemon=True)
            for sim, port in zip(self.sims, self.ports, strict=True)
        ]

    def __enter__(self) -> Devices:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2.0)
        for port in self.ports:
            port.close()


def child(
    oximeter: str, nibp: str, seconds: float, profile: str | None, signed_in: bool = False
) -> int:
    """The console process: start a session on the two ports and run for ``seconds``."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from sessionmon.clock import SystemClock
    from sessionmon.store import SessionStore
    from sessionmon.ui.app import application, build_console
    from sessionmon.ui.forms import NewSessionForm
    from sessionmon.ui.settings import ConsoleSettings, DeviceChoice

    app = application()
    clock = SystemClock()
    folder = Path(os.environ["SESSIONMON_CONFIG_DIR"])
    store = SessionStore.open(folder / "live.db", clock)
    settings = ConsoleSettings(
        devices={
            "oximeter": DeviceChoice("cms50-v7", oximeter),
            "nibp": DeviceChoice("suntech", nibp),
        },
        nibp_auto_interval_min=5,
    )
    console = build_console(
        store, clock, settings, False, settings_saver=lambda s: None, start_audio=False
    )
    if signed_in:  # a clinic with staff accounts: the lock screen is armed
        from sessionmon.accounts import AccountBook, Role

        book = console.controller.user.book or AccountBook(store, clock)
        book.add("bench", "Bench Admin", Role.ADMIN, "bench-pin-1", "live_cpu bench")
        console.controller.user.book = book
        console.controller.user.sign_in("bench", "bench-pin-1")
    console.window.resize(1366, 768)
    console.window.show()
    form = NewSessionForm(
        pseudonym="LIVE-01",
        date_of_birth="1980-01-01",
        sex="female",
        lot_number="L1",
        monitoring_provider="Dr. Bench",
    )
    if console.controller.new_session(form) is None:
        print(f"session did not start: {console.window.message.text()}", file=sys.stderr)
        return 1
    console.controller.measure_bp()
    console.controller.start_timers()
    QTimer.singleShot(int(seconds * 1000), lambda: app.exit(0))
    print("ready", flush=True)
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.runcall(app.exec)
        profiler.dump_stats(profile)
    else:
        app.exec()
    console.controller.stop_timers()
    console.close()
    store.close()
    return 0


def measure(seconds: float, profile: str | None, signed_in: bool = False) -> float:
    """One run: the console's whole-process CPU share of one core over ``seconds``."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with Devices(folder) as devices:
            env = dict(os.environ, SESSIONMON_CONFIG_DIR=str(folder))
            command = [sys.executable, str(HERE), "--child", devices.ports[0].path]
            command += [devices.ports[1].path, str(seconds + WARMUP_S + 1)]
            if profile:
                command += ["--profile", profile]
            if signed_in:
                command += ["--signed-in"]
            proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
            if proc.stdout.readline().strip() != "ready":
                proc.wait()
                raise SystemExit("the console did not start its session")
            time.sleep(WARMUP_S)
            cpu0, wall0 = cpu_s(proc.pid), time.monotonic()
            time.sleep(seconds)
            cpu1, wall1 = cpu_s(proc.pid), time.monotonic()
            proc.wait(30)
    return (cpu1 - cpu0) / (wall1 - wall0)


def peer_venv(folder: Path) -> str | None:
    """Install the peer GUI ``cms50ew`` into a venv of its own; None (and why) if it cannot be."""
    venv = folder / "peer"
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True)
    if made.returncode != 0:
        return "a venv could not be made"
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "cms50ew"], capture_output=True, text=True
    )
    if pip.returncode != 0:
        last = (pip.stderr.strip().splitlines() or ["pip failed"])[-1]
        return f"cms50ew could not be installed from the package registry ({last})"
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the console ``--runs`` times and print the median CPU share; then the peer's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured wall seconds")
    parser.add_argument("--runs", type=int, default=3, help="runs (the median is printed)")
    parser.add_argument("--profile", help="cProfile statistics of the console's GUI thread")
    parser.add_argument(
        "--signed-in", action="store_true", help="a staff account signed in (lock armed)"
    )
    parser.add_argument("--child", nargs=3, metavar=("OXIMETER", "NIBP", "SECONDS"))
    args = parser.parse_args(argv)
    if args.child:
        child_args = (args.child[0], args.child[1], float(args.child[2]), args.profile)
        return child(*child_args, args.signed_in)
    shares = [
        measure(args.seconds, args.profile if i == 0 else None, args.signed_in)
        for i in range(args.runs)
    ]
    who = ", staff signed in" if args.signed_in else ""
    print(
        f"console at 1x, cms50-v7 (60 packets/s) + suntech on ptys{who}, {args.seconds:g} s each:"
        f" median {statistics.median(shares) * 100:.1f} % of a core"
        f" (runs: {', '.join(f'{s * 100:.1f}' for s in shares)} %)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        why = peer_venv(Path(tmp))
    if why is not None:
        print(f"peer cms50ew skipped: {why}")
    else:
        print("peer cms50ew installed, but the bench has no way yet to point it at the pty")
    return 0


if __name__ == "__main__":
    sys.exit(main())
