"""Console benchmark: frame time, main-thread CPU share and memory growth over 8 simulated hours.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``) with a simulated session:

1. **Live at 60x** (``--live-s`` real seconds, default 30 s = 30 simulated minutes): the real
   console timers run (acquisition 10 Hz, redraw 25 Hz) on a ``ScaledClock`` at 60x. Per frame
   we time the view update (snapshot -> view model -> widgets) and the paint (Qt's repaint of the
   dirty widgets, timed by an event filter on the window). The main thread's CPU time is
   compared with wall time.
2. **Memory over 8 simulated hours**: the same tick/redraw sequence as 60x (one acquisition tick
   per 6 simulated seconds, one frame per 2.4 simulated seconds) driven by a ``ManualClock`` as
   fast as the machine goes, so it finishes in minutes; the resident set size is read after a
   30-minute warm-up and at the end.

``--profile FILE`` runs the live part under cProfile and writes its statistics to ``FILE`` (read
them with ``python -m pstats FILE``); ``--hours 0`` skips the memory part.

Usage: ``QT_QPA_PLATFORM=offscreen python bench/ui.py [--live-s 30] [--hours 8] [--profile F]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject, QTimer

from sessionmon.clock import ManualClock, ScaledClock, SystemClock
from sessionmon.store import SessionStore
from sessionmon.ui.app import application, build_console
from sessionmon.ui.settings import ConsoleSettings

SPEED = 60.0
SIZE = (1366, 768)


class PaintTimer(QObject):
    """Adds up the time the console's window spends repainting (its UpdateRequest events).

    An event filter on the window alone: Qt paints the dirty widgets of a window while it
    handles the window's UpdateRequest. (An earlier version overrode ``QApplication.notify``,
    which put a Python call in front of every event of the application and so charged the
    console's figures with the bench's own cost.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.paint_total = 0.0

    def eventFilter(self, watched, event) -> bool:
        """Deliver an UpdateRequest to the window here, timed; let every other event pass."""
        if event.type() != QEvent.Type.UpdateRequest:
            return False
        start = time.perf_counter()
        watched.event(event)
        self.paint_total += time.perf_counter() - start
        return True


def rss_mib() -> float:
    """Resident set size of this process in MiB (Linux /proc; falls back to peak RSS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def new_console(clock, folder: Path):
    store = SessionStore.open(folder / f"bench-{time.monotonic_ns()}.db", clock)
    console = build_console(
        store, clock, ConsoleSettings(), True, settings_saver=lambda s: None, start_audio=False
    )
    console.window.resize(*SIZE)
    console.window.show()
    console.controller.start_simulated_session()
    console.controller.set_nibp_interval(5)
    console.controller.start_baseline()
    console.controller.dose("bench")
    return console, store


def live(app, folder: Path, seconds: float) -> dict[str, float]:
    """Run the real timers at 60x for ``seconds`` of wall time."""
    clock = ScaledClock(SystemClock(), SPEED)
    console, store = new_console(clock, folder)
    controller = console.controller
    timer = PaintTimer()
    console.window.installEventFilter(timer)
    frames: list[float] = []
    ticks: list[float] = []
    paints: list[float] = []  # paint time between one frame and the next
    app.processEvents()
    last_paint_total = [timer.paint_total]

    def frame() -> None:
        paints.append(timer.paint_total - last_paint_total[0])
        last_paint_total[0] = timer.paint_total
        start = time.perf_counter()
        controller.draw_frame()  # what the frame timer does
        frames.append(time.perf_counter() - start)

    def tick() -> None:
        start = time.perf_counter()
        controller.acquire()
        ticks.append(time.perf_counter() - start)

    controller.frame_timer.timeout.disconnect()
    controller.frame_timer.timeout.connect(frame)
    controller.acquisition_timer.timeout.disconnect()
    controller.acquisition_timer.timeout.connect(tick)
    controller.start_timers()
    QTimer.singleShot(int(seconds * 1000), lambda: app.exit(0))  # quit() asks the window
    wall0, cpu0 = time.perf_counter(), time.thread_time()
    app.exec()
    wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
    simulated = clock.monotonic()
    console.close()
    store.close()
    paints = paints[1:]
    return {
        "frames": len(frames),
        "fps": len(frames) / wall,
        "update_p50_ms": statistics.median(frames) * 1000,
        "update_p95_ms": percentile(frames, 0.95) * 1000,
        "paint_p50_ms": statistics.median(paints) * 1000,
        "paint_p95_ms": percentile(paints, 0.95) * 1000,
        "tick_p50_ms": statistics.median(ticks) * 1000,
        "tick_p95_ms": percentile(ticks, 0.95) * 1000,
        "cpu_share": cpu / wall,
        "wall_s": wall,
        "simulated_min": simulated / 60,
    }


def memory(app, folder: Path, hours: float) -> dict[str, float]:
    """Drive 60x-equivalent ticks and frames on a manual clock for ``hours`` simulated hours."""
    clock = ManualClock()
    console, store = new_console(clock, folder)
    controller = console.controller
    tick_s = 0.1 * SPEED  # 10 Hz acquisition at 60x
    frame_s = 0.04 * SPEED  # 25 Hz redraw at 60x
    total = hours * 3600.0
    warmup = 1800.0
    elapsed = 0.0
    next_frame = 0.0
    frames = 0
    start_rss = None
    wall0 = time.perf_counter()
    while elapsed < total:
        clock.advance(tick_s)
        elapsed += tick_s
        controller.acquire()
        while next_frame <= elapsed:
            controller.refresh()
            app.processEvents()  # paints what changed
            next_frame += frame_s
            frames += 1
        if start_rss is None and elapsed >= warmup:
            app.processEvents()
            start_rss = rss_mib()
    app.processEvents()
    end_rss = rss_mib()
    wall = time.perf_counter() - wall0
    console.close()
    store.close()
    return {
        "hours": hours,
        "rss_after_warmup_mib": start_rss or end_rss,
        "rss_end_mib": end_rss,
        "growth_mib": end_rss - (start_rss or end_rss),
        "wall_s": wall,
        "speedup": total / wall,
        "frames": frames,
    }


def main(argv: list[str] | None = None) -> int:
    """Run both parts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--live-s", type=float, default=30.0, help="wall seconds at 60x")
    parser.add_argument("--hours", type=float, default=8.0, help="simulated hours for memory")
    parser.add_argument("--profile", help="write cProfile statistics of the live part here")
    args = parser.parse_args(argv)
    app = application()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            figures = profiler.runcall(live, app, folder, args.live_s)
            profiler.dump_stats(args.profile)
        else:
            figures = live(app, folder, args.live_s)
        print(
            f"live 60x, {figures['wall_s']:.0f} s wall = {figures['simulated_min']:.0f} simulated"
            f" min, {SIZE[0]}x{SIZE[1]} offscreen"
        )
        print(
            f"  paint per frame: p50 {figures['paint_p50_ms']:.1f} ms,"
            f" p95 {figures['paint_p95_ms']:.1f} ms"
        )
        print(
            f"  view update per frame: p50 {figures['update_p50_ms']:.1f} ms,"
            f" p95 {figures['update_p95_ms']:.1f} ms ({figures['fps']:.1f} frames/s)"
        )
        print(
            f"  acquisition tick (6 simulated s each): p50 {figures['tick_p50_ms']:.1f} ms,"
            f" p95 {figures['tick_p95_ms']:.1f} ms"
        )
        print(f"  main-thread CPU share: {figures['cpu_share'] * 100:.0f} %")
        if args.hours <= 0:
            return 0
        mem = memory(app, folder, args.hours)
        print(
            f"memory over {mem['hours']:g} simulated hours (60x tick/frame pattern, run"
            f" {mem['speedup']:.0f}x faster than real time, {mem['wall_s']:.0f} s wall):"
        )
        print(
            f"  RSS after 30 min {mem['rss_after_warmup_mib']:.1f} MiB, at end"
            f" {mem['rss_end_mib']:.1f} MiB, growth {mem['growth_mib']:+.1f} MiB"
        )
        print(
            f"  frames driven: {figures['frames']:,} live (one run; percentiles over them),"
            f" {mem['frames']:,} in the memory part (one every {0.04 * SPEED:g} simulated s;"
            f" a real {mem['hours']:g}-hour session at 25 frames/s paints"
            f" {mem['hours'] * 3600 * 25:,.0f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
