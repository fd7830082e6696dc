"""Helpers that drive a console on its manual clock."""

from __future__ import annotations

from sessionmon.clock import ManualClock
from sessionmon.ui.app import Console


def run_for(console: Console, clock: ManualClock, seconds: float, step_s: float = 5.0) -> None:
    """Advance the session ``seconds`` in ticks of ``step_s``, then redraw once."""
    remaining = seconds
    while remaining > 1e-9:
        step = min(step_s, remaining)
        clock.advance(step)
        console.controller.acquire()
        remaining -= step
    console.controller.refresh()


def run_until(console: Console, clock: ManualClock, condition, limit_s: float, step_s: float = 1.0):
    """Advance until ``condition()`` is true (fails after ``limit_s`` simulated seconds)."""
    elapsed = 0.0
    while not condition():
        assert elapsed < limit_s, f"condition not met within {limit_s} simulated seconds"
        clock.advance(step_s)
        console.controller.step()
        elapsed += step_s
    return elapsed


def make_scaled_console(qtbot, store, clock, config_dir):
    """A training console on a ScaledClock (for speed and pause)."""
    from sessionmon.ui.app import application, build_console
    from sessionmon.ui.settings import ConsoleSettings

    application()
    console = build_console(
        store,
        clock,
        ConsoleSettings.load(config_dir),
        True,
        settings_saver=lambda s: s.save(config_dir),
        start_audio=False,
    )
    qtbot.addWidget(console.window)
    return console
