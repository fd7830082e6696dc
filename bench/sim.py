"""Benchmark: a 2-hour simulated session, both devices polled once per simulated second.

Run: ``.venv/bin/python bench/sim.py``. Prints the median wall time of five runs
and the number of outputs.
"""

from __future__ import annotations

import statistics
import time

from sessionmon.clock import ManualClock
from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedNibp, SimulatedOximeter


def run_session(seconds: int = 2 * 3600, seed: int = 7) -> tuple[float, int]:
    """Simulate ``seconds`` of a session; return (wall seconds, outputs produced)."""
    clock = ManualClock()
    phys = Physiology(clock, PhysiologyTargets(hr=74, spo2=98, sys=126, dia=80), seed=seed)
    oximeter = SimulatedOximeter(clock, phys, seed=seed)
    nibp = SimulatedNibp(clock, phys, seed=seed)
    oximeter.start()
    nibp.start()
    nibp.set_auto_interval(300)
    outputs = 0
    began = time.perf_counter()
    for second in range(seconds):
        if second == 35 * 60:
            phys.set_targets(at=clock.now(), over_s=480, sys=186, dia=114, hr=96)
        if second == 50 * 60:
            oximeter.inject_fault("sensor_off", duration_s=40)
        clock.advance(1.0)
        outputs += len(oximeter.poll()) + len(nibp.poll())
    return time.perf_counter() - began, outputs


def main() -> None:
    """Print the median of five runs."""
    runs = [run_session() for _ in range(5)]
    median = statistics.median(wall for wall, _ in runs)
    outputs = runs[0][1]
    print(
        f"2 h session, oximeter + NIBP polled at 1 Hz: {median * 1000:.0f} ms"
        f" (median of {len(runs)} runs), {outputs} outputs"
    )


if __name__ == "__main__":
    main()
