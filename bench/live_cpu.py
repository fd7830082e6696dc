"""Whole-process CPU of the console at 1x: one CMS50 v7 oximeter and a SunTech NIBP on ptys.

The bench plays both devices in real time on ptys (the wire simulator on the real clock, in this
process). The console runs in a child process of its own, exactly as a nurse's console: the real
drivers and pyserial read the ptys, the session is started from the New session form's values,
the window is shown (offscreen unless ``QT_QPA_PLATFORM`` says otherwise) and its timers run.
After a warm-up the bench reads the child's CPU time (user + system, all its threads) from
``/proc/PID/stat`` over ``--seconds`` of wall time, and prints it as a share of one core. The NIBP
measures every minute (the console's own auto-cycle is set to its shortest, 5 min, and the bench
presses Start at once, so at least one measurement falls in the window).

The peer GUI ``cms50ew`` (PyQt5 + pyqtgraph) runs beside it when it can be installed into a venv
of its own (``bench/peer_venv.py``: from ``--peer-source PATH_OR_GIT_URL`` or the
``SESSIONMON_PEER_SOURCE`` environment variable, else from the package registry, where it is not
today; else the bench says so and prints the console's figure alone). ``bench/peer_cms50ew.py``
then runs it live on the same simulated oximeter, as its user would, under the same
``QT_QPA_PLATFORM``. The runs are interleaved (console with both devices, console with the
oximeter alone, the peer; again...), each measured the same way, and the bench prints the median
of each and what the peer decoded. The simulated oximeter behaves as a real CMS50 V7 unit: it
streams only after the host's start command and answers its other commands (the peer greets the
device and waits for the line to fall silent before it starts the stream; the console sends the
start command when it opens the port).

``--profile FILE`` writes the child's cProfile statistics (its GUI thread) to ``FILE``.
``--signed-in`` signs a staff account in first (the clinic's first account, an admin), as at a
clinic with staff accounts: the lock screen is then armed and watches the application's input.

Usage: ``python bench/live_cpu.py [--seconds 30] [--runs 3] [--profile F] [--signed-in]
[--peer-source PATH_OR_GIT_URL]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import peer_venv

HERE = Path(__file__).resolve()
TICKS = os.sysconf("SC_CLK_TCK")
WARMUP_S = 3.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Devices:
    """The oximeter and (unless ``nibp`` is False) the NIBP module, played in real time on ptys.

    A context manager. The oximeter streams only between the host's start and stop commands.
    """

    def __init__(self, folder: Path, nibp: bool = True) -> None:
        from sessionmon.clock import SystemClock
        from sessionmon.devices.pty_port import PtyPort
        from sessionmon.sim.wire_sim import WireSimulator

        clock = SystemClock()
        self.ports = [PtyPort(link=folder / "ttyUSB0")]
        oximeter = WireSimulator(
            "cms50-v7", self.ports[0], clock, hr=72, spo2=97, seed=3, commanded=True
        )
        self.sims = [oximeter]
        if nibp:
            self.ports.append(PtyPort(link=folder / "ttyUSB1"))
            self.sims.append(
                WireSimulator("suntech", self.ports[1], clock, sys=128, dia=80, seed=5)
            )
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
    """The console process: start a session on the ports and run for ``seconds``.

    ``nibp`` is ``-`` for a console with the oximeter alone.
    """
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
    devices = {"oximeter": DeviceChoice("cms50-v7", oximeter)}
    if nibp != "-":
        devices["nibp"] = DeviceChoice("suntech", nibp)
    settings = ConsoleSettings(devices=devices, nibp_auto_interval_min=5)
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
    if nibp != "-":
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


def share_of_core(proc: subprocess.Popen[str], seconds: float) -> float:
    """Wait for ``ready`` and the warm-up; the process's CPU share of one core over ``seconds``."""
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        proc.wait()
        raise SystemExit(f"{proc.args[1]} did not start")
    time.sleep(WARMUP_S)
    cpu0, wall0 = cpu_s(proc.pid), time.monotonic()
    time.sleep(seconds)
    cpu1, wall1 = cpu_s(proc.pid), time.monotonic()
    return (cpu1 - cpu0) / (wall1 - wall0)


def measure(
    seconds: float, profile: str | None, signed_in: bool = False, nibp: bool = True
) -> float:
    """One run: the console's whole-process CPU share of one core over ``seconds``."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with Devices(folder, nibp) as devices:
            env = dict(os.environ, SESSIONMON_CONFIG_DIR=str(folder))
            command = [sys.executable, str(HERE), "--child", devices.ports[0].path]
            command += [devices.ports[1].path if nibp else "-", str(seconds + WARMUP_S + 1)]
            if profile:
                command += ["--profile", profile]
            if signed_in:
                command += ["--signed-in"]
            proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
            share = share_of_core(proc, seconds)
            proc.wait(30)
    return share


#: What the peer does with the stream, from its source (``cms50ew_qt.py``, ``cms50ew.py``), so a
#: reader can judge the comparison.
PEER_DOES = (
    "peer cms50ew shows two trend plots (pulse rate, SpO2; pyqtgraph, antialiased) and two labels;"
    " its reader thread reads the port one byte per read() call and every 20 packets (3 a second)"
    " sets the labels and both curves' data (every point since Live was pressed) itself, off the"
    " GUI thread, so its plots are painted only as often as the line above counts; no pleth"
    " waveform, no alarms, no storage (the points stay in memory until saved as CSV), no NIBP,"
    " no keep-alive"
)


def measure_peer(peer: peer_venv.Peer, seconds: float) -> tuple[float, dict[str, object]]:
    """One run of the peer live on the simulated oximeter: its CPU share and what it decoded."""
    with tempfile.TemporaryDirectory() as tmp, Devices(Path(tmp), nibp=False) as devices:
        command = [str(peer.python), str(HERE.parent / "peer_cms50ew.py"), devices.ports[0].path]
        command.append(str(seconds + WARMUP_S + 1))
        errors = Path(tmp) / "peer.err"
        with errors.open("w") as err:  # Qt's warnings; shown if the peer fails
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True)
            try:
                share = share_of_core(proc, seconds)
                out, _ = proc.communicate(timeout=30)
            except BaseException:
                print(errors.read_text()[-2000:], file=sys.stderr)
                raise
        lines = out.strip().splitlines()
        seen = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        if not seen:
            print(f"peer cms50ew: {out[-1000:]}{errors.read_text()[-2000:]}", file=sys.stderr)
    seen["rate"] = seen.get("packets", 0) / (seconds + WARMUP_S + 1)
    return share, seen


def median_line(what: str, shares: list[float]) -> str:
    """``what``: the median of ``shares`` and each run, in % of a core."""
    return (
        f"{what}: median {statistics.median(shares) * 100:.1f} % of a core"
        f" (runs: {', '.join(f'{s * 100:.1f}' for s in shares)} %)"
    )


def peer_lines(peer: peer_venv.Peer, shares: list[float], seen: dict[str, object]) -> list[str]:
    """The peer's figure, what it decoded (the last run) and what it does."""
    decoded = (
        f"it decoded {seen['rate']:.0f} packets/s, its labels read '{seen.get('pulse_label')}'"
        f" and '{seen.get('spo2_label')}', its curves {seen.get('curve_points')} points,"
        f" its two plots painted {seen.get('plot_paints_per_s', 0):.1f} times a second"
        if seen.get("packets")
        else "IT DECODED NOTHING: the figure does not compare"
    )
    versions = f"PyQt {seen.get('pyqt')}, Qt {seen.get('qt')}, pyqtgraph {seen.get('pyqtgraph')}"
    return [
        median_line("peer cms50ew at 1x, the same cms50-v7 stream", shares),
        f"peer cms50ew: {decoded}; {versions}; from {peer.origin}",
        *(f"peer cms50ew: {note}" for note in peer.notes),
        PEER_DOES,
    ]


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " / ".join(Path("/proc/loadavg").read_text().split()[:3])


def main(argv: list[str] | None = None) -> int:
    """Run the console (and the peer) ``--runs`` times, interleaved; print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured wall seconds")
    parser.add_argument("--runs", type=int, default=3, help="runs (the median is printed)")
    parser.add_argument("--profile", help="cProfile statistics of the console's GUI thread")
    parser.add_argument(
        "--signed-in", action="store_true", help="a staff account signed in (lock armed)"
    )
    parser.add_argument(
        "--peer-source",
        default=os.environ.get(peer_venv.ENV_VAR),
        metavar="PATH_OR_GIT_URL",
        help=f"a cms50ew checkout or git URL to run the peer from (default: ${peer_venv.ENV_VAR})",
    )
    parser.add_argument("--no-peer", action="store_true", help="measure the console alone")
    parser.add_argument("--child", nargs=3, metavar=("OXIMETER", "NIBP", "SECONDS"))
    args = parser.parse_args(argv)
    if args.child:
        child_args = (args.child[0], args.child[1], float(args.child[2]), args.profile)
        return child(*child_args, args.signed_in)
    peer = None if args.no_peer else peer_venv.peer(args.peer_source)
    if isinstance(peer, str):
        print(f"peer cms50ew skipped: {peer}", flush=True)
        peer = None
    loads = [load()]
    full: list[float] = []
    alone: list[float] = []
    theirs: list[float] = []
    seen: dict[str, object] = {}
    for i in range(args.runs):
        full.append(measure(args.seconds, args.profile if i == 0 else None, args.signed_in))
        if peer is not None:
            alone.append(measure(args.seconds, None, args.signed_in, nibp=False))
            share, seen = measure_peer(peer, args.seconds)
            theirs.append(share)
    loads.append(load())
    who = ", staff signed in" if args.signed_in else ""
    print(median_line(f"console at 1x, cms50-v7 (60 packets/s) + suntech on ptys{who}", full))
    if peer is not None:
        print(
            median_line(f"console at 1x, cms50-v7 alone (like for like with the peer){who}", alone)
        )
        print("\n".join(peer_lines(peer, theirs, seen)))
    order = "console + NIBP, console alone, peer" if peer is not None else "console"
    print(
        f"{args.runs} round{'s' if args.runs != 1 else ''} of ({order}), {args.seconds:g} s each"
        f" after {WARMUP_S:g} s warm-up,"
        f" QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM', 'offscreen')};"
        f" load {loads[0]} before, {loads[1]} after"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
