"""Device fault figures: time to the technical alarm, re-plug, noise -> false readings.

Run: ``.venv/bin/python bench/device_faults.py [--only noise|alarms|replug]``

1. ``noise``: 1 MB of random bytes (seeds 0..N-1) fed to each parser frame by frame (every
   value emitted, as ``decode`` prints them) and with the live driver's thinning: SpO2 readings
   out, and how many of them lie in 94-100 %. Uses only the parsers' registry, so it runs
   against an older checkout too (``PYTHONPATH=/old/src``) for the "before" figure.
2. ``alarms``: a simulated device on a pty, the real driver (pyserial) and a SessionRuntime
   with a SQLite store on one ManualClock moved 0.1 s a step, as in
   ``tests/test_device_fault_alarms.py``: device seconds from the fault to its technical
   alarm, for noise, every wrong protocol, "no value" markers, a 100x stream and a silent
   SunTech module.
3. ``replug``: device seconds from the port being open again to the first stored SpO2, with
   the parser's value filter restarted (now) and not restarted (before).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

from sessionmon.devices.protocols import PROTOCOLS
from sessionmon.devices.readings import Reading
from sessionmon.model import Kind

_PAUSE = threading.Event()


def wait_until(predicate, timeout_s: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        _PAUSE.wait(0.001)
    return predicate()


# ---------------------------------------------------------------------- 1. noise


def noise_figures(megabytes: int) -> None:
    print(f"noise -> SpO2 readings, {megabytes} x 1 MB random bytes")
    for name in ("cms50-legacy", "nonin-df8", "cms50-v7", "nonin-df2", "nonin-ascii"):
        for every, label in ((1, "every frame"), (None, "live thinning")):
            total = plausible = 0
            for seed in range(megabytes):
                data = random.Random(seed).randbytes(1_000_000)
                parser = PROTOCOLS[name].make_parser(numerics_every=every)
                spo2 = [
                    i.value
                    for i in parser.feed(data)
                    if isinstance(i, Reading) and i.kind is Kind.SPO2
                ]
                total += len(spo2)
                plausible += sum(94 <= v <= 100 for v in spo2)
            print(
                f"  {name:13} {label:13}: {total / megabytes:9.2f} SpO2/MB, "
                f"{plausible / megabytes:8.2f} of them 94-100 %/MB"
            )


# ---------------------------------------------------------------------- 2. and 3. rig


class Rig:
    """A simulated device on a pty, its real driver and a runtime, on one manual clock."""

    def __init__(self, folder: Path, device: str, driver: str | None = None) -> None:
        from sessionmon.clock import ManualClock
        from sessionmon.devices.pty_port import PtyPort
        from sessionmon.devices.serial_device import SerialOximeter
        from sessionmon.devices.source import DeviceRole, LinkState
        from sessionmon.devices.suntech_driver import SuntechNibp
        from sessionmon.model import Patient
        from sessionmon.runtime import SessionRuntime
        from sessionmon.sim.wire_sim import WireSimulator
        from sessionmon.store import SessionStore

        self.clock = ManualClock()
        self.port = PtyPort(link=folder / "ttyDEV")
        self.sim = WireSimulator(device, self.port, self.clock, hr=70, spo2=97, seed=2)
        self.store = SessionStore.open(folder / "sessions.db", self.clock)
        driver = driver or device
        if PROTOCOLS[driver].role is DeviceRole.NIBP:
            self.driver = SuntechNibp(
                self.port.path, self.clock, poll_interval_s=0.5, read_timeout_s=0.002
            )
            devices = {"nibp": self.driver}
        else:
            self.driver = SerialOximeter(driver, self.port.path, self.clock, read_timeout_s=0.002)
            devices = {"oximeter": self.driver}
        self.runtime = SessionRuntime(
            self.store,
            self.clock,
            patient=Patient(pseudonym="BENCH"),
            treatment="esketamine-84",
            protocol_nibp_requests=False,
            flush_interval_s=0.05,
            **devices,
        )
        wait_until(lambda: self.driver.state is LinkState.STREAMING)

    def close(self) -> None:
        self.runtime.close()
        self.store.close()
        self.port.close()

    def step(self) -> None:
        link = self.driver.link
        ticks = getattr(link, "ticks", None)  # absent in older checkouts
        self.clock.advance(0.1)
        if self.port.plugged:
            self.sim.receive(self.port.read_available())
            self.sim.step()
            wait_until(lambda: link.bytes_in >= self.sim.bytes_out, 2.0)
            if ticks is not None:
                wait_until(lambda: link.ticks >= ticks + 2, 1.0)
            else:
                _PAUSE.wait(0.03)
        self.runtime.tick()

    def run_until(self, condition, limit_s: float = 30.0) -> float | None:
        start = self.clock.monotonic()
        while self.clock.monotonic() - start < limit_s:
            self.step()
            if condition():
                return round(self.clock.monotonic() - start, 2)
        return None

    def alarm(self, condition: str) -> bool:
        return any(a.condition == condition for a in self.runtime.snapshot().alarms)

    def has_spo2(self, since) -> bool:
        self.runtime.tick()
        rows = self.store.measurements(self.runtime.session_id, kinds=[Kind.SPO2])
        return any(m.received_at >= since for m in rows)


OXIMETERS = [n for n, s in PROTOCOLS.items() if s.role.value == "oximeter"]


def _fault_time(device: str, fault: str | None, alarm: str, driver: str | None = None) -> str:
    with tempfile.TemporaryDirectory() as folder:
        rig = Rig(Path(folder), device, driver)
        try:
            if fault is not None:
                rig.run_until(lambda: False, limit_s=3.0)  # healthy first
                rig.sim.set_wire_fault(fault, True)
            took = rig.run_until(lambda: rig.alarm(alarm), limit_s=30.0)
        finally:
            rig.close()
    return "none in 30 s" if took is None else f"{took:.1f} s"


def alarm_figures() -> None:
    print("time to the technical alarm (device seconds from the fault)")
    for name in OXIMETERS:
        print(f"  noise on {name:13}: {_fault_time(name, 'noise', 'oximeter_no_valid_data')}")
    for configured in ("cms50-v7", "nonin-df2", "nonin-ascii", "masimo-ascii"):
        for sent in OXIMETERS:
            if sent == configured:
                continue
            took = _fault_time(sent, None, "oximeter_no_valid_data", driver=configured)
            print(f"  {configured:13} set, {sent:13} sent: {took}")
    for name in OXIMETERS:
        print(
            f"  no-value markers, {name:13}: {_fault_time(name, 'no_value', 'oximeter_sensor_off')}"
        )
    for name in OXIMETERS:
        print(f"  100x stream, {name:13}: {_fault_time(name, 'fast', 'oximeter_no_valid_data')}")
    print(
        f"  SunTech idle, stops answering: {_fault_time('suntech', 'silent', 'nibp_disconnected')}"
    )


def _replug_time(name: str, healthy_s: float) -> float | None:
    from sessionmon.devices.source import LinkState

    with tempfile.TemporaryDirectory() as folder:
        rig = Rig(Path(folder), name)
        try:
            rig.run_until(lambda: False, limit_s=healthy_s)
            rig.port.unplug()
            wait_until(lambda: rig.driver.state is not LinkState.STREAMING)
            rig.step()
            rig.port.replug()
            wait_until(lambda: rig.driver.state is LinkState.STREAMING, 5.0)
            since = rig.clock.now()
            took = rig.run_until(lambda: rig.has_spo2(since), limit_s=10.0)
        finally:
            rig.close()
    return took


def replug_figures(trials: int = 5) -> None:
    """Run with ``PYTHONPATH=<old checkout>/src`` for the figures before the fix."""
    print(
        "SpO2 after re-plug: device seconds from the port open again to the first stored SpO2, "
        f"{trials} re-plugs each (after 2.0-4.0 s of data)"
    )
    for name in OXIMETERS:
        times = [_replug_time(name, 2.0 + 2.0 * i / max(1, trials - 1)) for i in range(trials)]
        shown = [t for t in times if t is not None]
        missing = len(times) - len(shown)
        print(
            f"  {name:13}: min {min(shown):.1f} s, max {max(shown):.1f} s"
            + (f", {missing} without a value in 10 s" if missing else "")
        )


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--only", choices=("noise", "alarms", "replug"))
    args.add_argument("--mb", type=int, default=1, help="megabytes of noise per protocol")
    ns = args.parse_args(argv)
    if ns.only in (None, "noise"):
        noise_figures(ns.mb)
    if ns.only in (None, "alarms"):
        alarm_figures()
    if ns.only in (None, "replug"):
        replug_figures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
