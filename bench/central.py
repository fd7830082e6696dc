"""Central station at 4, 16 and 64 chairs: latency from a chair's publish to central's state,
and central's CPU and memory.

Starts Mosquitto on a free loopback port, one ``sessionmon central --headless --json`` process
and N chairs: headless simulated sessions (built-in scenarios, staggered so they are in
different phases) run at real time in this process, each with its own chair link (its own MQTT
connection). Central's JSON lines carry the latency percentiles (publish stamp to the message
applied to central's state); its CPU and memory come from ``/proc``.

Run: ``.venv/bin/python bench/central.py`` (``--chairs 16`` for one size, ``--seconds 20``).
``--screenshot FILE`` instead renders ``sessionmon central`` with six chairs, one in a
high-priority alarm and one offline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sessionmon.central.chair_link import ChairLink
from sessionmon.central.config import CentralConfig
from sessionmon.clock import ManualClock
from sessionmon.scenarios import load_scenario
from sessionmon.scenarios.loader import list_builtin
from sessionmon.scenarios.runner import ScenarioRun
from sessionmon.store import SessionStore

GOAL_P99_MS = 250.0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_broker(folder: Path) -> tuple[subprocess.Popen, int]:
    """Mosquitto on a free loopback port (waits until it accepts)."""
    mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 10000\n")
    process = subprocess.Popen(
        [mosquitto, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(500):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process, port
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("mosquitto did not start")


class Fleet:
    """N chairs: scenario runs in real time, each published by its chair link."""

    def __init__(self, store: SessionStore, url_port: int, count: int) -> None:
        scenarios = [load_scenario(s.id) for s in list_builtin()]
        self.runs: list[tuple[ScenarioRun, list, ChairLink]] = []
        for i in range(count):
            scenario = scenarios[i % len(scenarios)]
            run = ScenarioRun(scenario, store)
            config = CentralConfig(
                host="127.0.0.1", port=url_port, clinic="bench", chair=f"chair{i + 1:02d}"
            )
            link = ChairLink(config, run.clock)
            link.start()
            link.attach(run.runtime)
            run.runtime.start_baseline(by="bench")
            steps = sorted(enumerate(scenario.steps), key=lambda p: p[1].at)
            self.runs.append((run, steps, link))
            self.advance(run, steps, 60.0 + (i * 7 % 90) * 60.0)  # stagger: different phases

    @staticmethod
    def advance(run: ScenarioRun, steps: list, to_s: float) -> None:
        to_s = min(to_s, run.scenario.duration - 1)
        while steps and steps[0][1].at <= to_s:
            index, step = steps.pop(0)
            run.advance_to(step.at)
            run.apply(index, step)
        run.advance_to(to_s)

    def tick(self, seconds: float) -> None:
        for run, steps, _link in self.runs:
            self.advance(run, steps, run.elapsed_s + seconds)

    def stop(self) -> None:
        for run, _steps, link in self.runs:
            link.stop()
            run.runtime.close()


def proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(count: int, seconds: float, folder: Path) -> dict:
    """Run ``count`` chairs and one central for ``seconds``; return central's figures."""
    broker, port = start_broker(folder)
    central = None
    out_path = folder / f"central{count}.jsonl"
    try:
        with SessionStore.open(folder / f"bench{count}.db", ManualClock()) as store:
            fleet = Fleet(store, port, count)
            clock = Pace(fleet)
            clock.run(3.0)
            with out_path.open("w") as out:
                central = subprocess.Popen(
                    [sys.executable, "-m", "sessionmon", "central", "--headless", "--json",
                     "--central", f"mqtt://127.0.0.1:{port}", "--clinic", "bench"],
                    stdout=out, stderr=subprocess.DEVNULL, text=True,
                )  # fmt: skip
            clock.run(3.0)  # central connects, takes the retained state
            cpu0, t0 = proc_cpu_s(central.pid), time.monotonic()
            clock.run(seconds)
            cpu = (proc_cpu_s(central.pid) - cpu0) / (time.monotonic() - t0) * 100.0
            rss = proc_rss_mb(central.pid)
            clock.run(1.2)
            last = json.loads(out_path.read_text().splitlines()[-1])
            fleet.stop()
        online = sum(1 for c in last["chairs"] if c["online"])
        return {
            "chairs": count,
            "central_cpu_percent": round(cpu, 1),
            "central_rss_mb": round(rss, 1),
            "latency_ms": last["latency_ms"],
            "messages": last["messages"],
            "chairs_seen": len(last["chairs"]),
            "online": online,
            "central_alarms": len(last["alarms"]),
        }
    finally:
        if central is not None and central.poll() is None:
            central.terminate()
            central.wait(10)
        broker.kill()
        broker.wait()


class Pace:
    """Ticks the fleet once a real second."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.next_at = time.monotonic()

    def run(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.next_at += 1.0
            self.fleet.tick(1.0)
            time.sleep(max(0.0, min(self.next_at, end) - time.monotonic()))


def screenshot(path: Path, folder: Path) -> None:
    """Render the central window with six chairs: one in a high alarm, one offline."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from sessionmon.central.state import CentralState
    from sessionmon.central.station import CentralStation
    from sessionmon.clock import SystemClock
    from sessionmon.ui.app import application
    from sessionmon.ui.central_window import CentralWindow

    app = application()
    broker, port = start_broker(folder)
    try:
        with SessionStore.open(folder / "shot.db", ManualClock()) as store:
            fleet = Fleet(store, port, 6)
            names = [f"chair{i:02d}" for i in range(1, 7)]
            config = CentralConfig(host="127.0.0.1", port=port, clinic="bench", chairs=names)
            state = CentralState("bench", SystemClock(), names)
            station = CentralStation(config, state)
            station.start()
            window = CentralWindow(state, station, SystemClock())
            window.flash_phase_override = 0.0  # the alarm colours lit
            window.resize(1600, 900)
            window.show()
            alarm_run = fleet.runs[1][0]
            alarm_run.physiology.set_targets(at=alarm_run.clock.now(), over_s=1, spo2=80)
            Fleet.advance(alarm_run, fleet.runs[1][1], alarm_run.elapsed_s + 30)
            for _ in range(4):
                fleet.tick(1.0)
                app.processEvents()
                time.sleep(1.0)
            fleet.runs[4][2].stop()  # chair05 goes away: its last will / online false
            for _ in range(3):
                fleet.tick(1.0)
                window.refresh()
                app.processEvents()
                time.sleep(0.5)
            assert any(a.condition == "spo2_low" for a in state.chairs()[1].alarms), "no spo2 alarm"
            window.refresh()
            app.processEvents()
            window.grab().save(str(path))
            print(f"wrote {path}")
            station.stop()
            fleet.stop()
    finally:
        broker.kill()
        broker.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chairs", type=int, nargs="*", default=[4, 16, 64])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--screenshot", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.screenshot:
            screenshot(args.screenshot, Path(tmp))
            return 0
        results = [measure(n, args.seconds, Path(tmp)) for n in args.chairs]
    for r in results:
        lat = r["latency_ms"]
        ok = "ok" if lat["p99"] is not None and lat["p99"] <= GOAL_P99_MS else "OVER GOAL"
        print(
            f"{r['chairs']:3d} chairs: latency p50 {lat['p50']} ms, p99 {lat['p99']} ms "
            f"(goal <= {GOAL_P99_MS:.0f}: {ok}), n={lat['n']}; central CPU "
            f"{r['central_cpu_percent']} %, RSS {r['central_rss_mb']} MB; "
            f"{r['online']}/{r['chairs_seen']} chairs online, {r['central_alarms']} central alarms"
        )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
