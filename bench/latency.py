"""Byte on the wire to alarm raised, and to the alarm on screen, through the real console.

The real console (window shown offscreen, painting, its real acquisition and frame timers on the
real clock) reads a CMS50 v7 oximeter through the real driver and pyserial on a pty. A feeder
thread plays the device at its real rate (60 packets/s, SpO2 97 %). Each run writes a
desaturating packet (SpO2 88 %, below the 90 % low limit) and keeps sending it; the bench times
from just before the first such byte is written to

- **alarm raised**: the session runtime reports the new ``spo2_low`` alarm (alarm listener, on
  the GUI thread);
- **on screen**: the alarm bar has painted that alarm (a paint of the bar's alarm label showing
  it, timed when that paint pass has finished).

Then SpO2 goes back to 97 %, the alarm is acknowledged and ends, and after a random pause
(0.3-0.8 s, so runs fall anywhere between timer ticks) the next run starts. The alarm profile's
condition delays for ``spo2_low`` are set to 0 s for the bench, so the figures are the console's
own delay, not the clinical one.

``--timer-only`` disconnects acquisition on arrival and the immediate redraw of a new alarm: the
console then acquires at its 100 ms acquisition timer only and draws the alarm at the next 25 Hz
frame, as it did before issue 12 (the "before" figures).

Usage: ``QT_QPA_PLATFORM=offscreen python bench/latency.py [--runs 40] [--timer-only]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QTimer

from sessionmon.clock import SystemClock
from sessionmon.devices.protocols.cms50_v7 import encode_packet
from sessionmon.devices.pty_port import PtyPort

SIZE = (1366, 768)
RATE_HZ = 60.0
NORMAL, DESAT = 97, 88
#: The bench's profile: the SpO2-low alarm without its clinical condition delay.
NO_DELAY = {"spo2_low": {"medium": {"delay_s": 0.0}, "high": {"delay_s": 0.0}}}


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Feeder(threading.Thread):
    """Plays the oximeter on the pty: one packet every 1/60 s with the SpO2 asked for."""

    def __init__(self, port: PtyPort) -> None:
        super().__init__(daemon=True, name="bench-feeder")
        self.port = port
        self.spo2 = NORMAL
        self.stop = threading.Event()
        self.desat_written: float | None = None  # perf_counter before the first desat byte
        self._want_desat = threading.Event()

    def desaturate(self) -> None:
        """From the next packet on, SpO2 is 88 %."""
        self._want_desat.set()

    def recover(self) -> None:
        """Back to 97 %."""
        self._want_desat.clear()
        self.spo2 = NORMAL

    def run(self) -> None:
        """Write packets at the device's rate until stopped."""
        period = 1.0 / RATE_HZ
        next_at = time.perf_counter()
        n = 0
        while not self.stop.is_set():
            if self._want_desat.is_set() and self.spo2 != DESAT:
                self.spo2 = DESAT
                packet = encode_packet(72, DESAT, 64.0, 2.0)
                self.desat_written = time.perf_counter()
                self.port.write(packet)
            else:
                pleth = 64.0 + 50.0 * ((n % 60) / 60.0)
                self.port.write(encode_packet(72, self.spo2, pleth, 2.0))
            n += 1
            next_at += period
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.perf_counter()


class PaintWatch(QObject):
    """Notes when the alarm bar paints a label showing an SpO2 alarm."""

    def __init__(self, labels) -> None:
        super().__init__()
        self.labels = labels
        self.armed = False
        self.painted_at: float | None = None
        for label in labels:
            label.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        """On a paint of a label showing the SpO2 alarm, time the end of this paint pass."""
        if self.armed and event.type() == QEvent.Type.Paint:
            alarm = getattr(obj, "alarm", None)
            if alarm is not None and alarm.condition.startswith("spo2"):
                self.armed = False
                QTimer.singleShot(0, self._done)  # runs once the paint pass has finished
        return False

    def _done(self) -> None:
        self.painted_at = time.perf_counter()


def run(runs: int, timer_only: bool, folder: Path) -> dict[str, list[float]]:
    """Run the console and time ``runs`` desaturations; returns the two lists of seconds."""
    os.environ["SESSIONMON_CONFIG_DIR"] = str(folder / "config")
    from sessionmon.store import SessionStore
    from sessionmon.ui.app import application, build_console
    from sessionmon.ui.forms import NewSessionForm
    from sessionmon.ui.settings import ConsoleSettings, DeviceChoice

    app = application()
    clock = SystemClock()
    port = PtyPort(link=folder / "ttyUSB0")
    store = SessionStore.open(folder / "latency.db", clock)
    settings = ConsoleSettings(
        devices={"oximeter": DeviceChoice("cms50-v7", port.path)}, alarm_limits=NO_DELAY
    )
    console = build_console(
        store, clock, settings, False, settings_saver=lambda s: None, start_audio=False
    )
    controller, window = console.controller, console.window
    window.resize(*SIZE)
    window.show()
    feeder = Feeder(port)
    feeder.start()
    form = NewSessionForm(
        pseudonym="BENCH-01",
        date_of_birth="1980-01-01",
        sex="female",
        lot_number="L1",
        monitoring_provider="Dr. Bench",
    )
    if controller.new_session(form) is None:
        raise SystemExit(f"session did not start: {window.message.text()}")
    if timer_only:  # as before issue 12: the timer's plain acquisition step, nothing else
        controller.arrival.arrived.disconnect()
        controller.acquisition_timer.timeout.disconnect()
        controller.acquisition_timer.timeout.connect(controller.acquire)
    watch = PaintWatch(window.alarm_bar.labels)
    to_alarm: list[float] = []
    to_pixels: list[float] = []
    raised: list[float] = []

    def on_alarms(active) -> None:
        desat = feeder.desat_written is not None and not raised
        if desat and any(a.condition.startswith("spo2") for a in active):
            raised.append(time.perf_counter())

    controller.runtime.add_alarm_listener(on_alarms)
    controller.start_timers()
    state = {"phase": "settle", "until": time.perf_counter() + 2.0}
    rng = random.Random(12)

    def spo2_alarm_active() -> bool:
        return any(a.condition.startswith("spo2") for a in controller.runtime.engine.active_alarms)

    def step() -> None:
        now = time.perf_counter()
        phase = state["phase"]
        if phase == "settle" and now >= state["until"] and not spo2_alarm_active():
            raised.clear()
            watch.painted_at = None
            watch.armed = True
            feeder.desat_written = None
            feeder.desaturate()
            state.update(phase="wait", until=now + 5.0)
        elif phase == "wait":
            if raised and watch.painted_at is not None and feeder.desat_written is not None:
                to_alarm.append(raised[0] - feeder.desat_written)
                to_pixels.append(watch.painted_at - feeder.desat_written)
                feeder.recover()
                controller.acknowledge()
                state.update(phase="settle", until=now + rng.uniform(0.3, 0.8))
                if len(to_alarm) >= runs:
                    app.exit(0)
            elif now >= state["until"]:
                raise SystemExit("no alarm within 5 s of the desaturation: the bench is broken")

    poll = QTimer()
    poll.setInterval(1)
    poll.timeout.connect(step)
    poll.start()
    app.exec()
    poll.stop()
    feeder.stop.set()
    feeder.join(1.0)
    console.close()
    store.close()
    port.close()
    return {"alarm": to_alarm, "pixels": to_pixels, "wakeups": [controller.arrival.wakeups]}


def main(argv: list[str] | None = None) -> int:
    """Measure and print p50 / p99 / max of both latencies."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="desaturations to time")
    parser.add_argument(
        "--timer-only", action="store_true", help="acquire at the 100 ms timer only (before)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(args.runs, args.timer_only, Path(tmp))
    mode = "timer only (100 ms acquisition tick)" if args.timer_only else "acquisition on arrival"
    print(f"byte to alarm, real console offscreen {SIZE[0]}x{SIZE[1]}, cms50-v7 on a pty, {mode}")
    for name, label in (("alarm", "alarm raised"), ("pixels", "alarm bar painted")):
        values = [v * 1000 for v in figures[name]]
        print(
            f"  {label:18s} p50 {statistics.median(values):6.1f} ms  p99"
            f" {percentile(values, 0.99):6.1f} ms  max {max(values):6.1f} ms  ({len(values)} runs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
