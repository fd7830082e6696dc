"""Frames with nothing new cost nothing, and nothing shown comes late (issue 12, the CPU at 1x).

The frame timer (25 Hz) builds the console's view again only when the runtime counted a change
or the time its snapshot named has come; the other frames publish the last view with the newest
waveform samples. A time-driven change missed would be a stale value shown as live, so every
test here drives the real console on its manual clock frame by frame (40 ms) and checks, frame
after frame, that what the frame published is what a view built from scratch at that moment
shows: values going stale, checks falling due, the elapsed time, the audio pause countdown, a
new reading, and the alarm flashing.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
from console_helpers import run_for

from sessionmon.model import AlarmPriority, Kind
from sessionmon.ui import adapter, theme
from sessionmon.ui.adapter import format_duration
from sessionmon.ui.controller import ACQUISITION_MS, FRAME_MS
from sessionmon.ui.viewmodel import AudioView

#: The parts of the view the window draws (the trend markers and the time are left out).
SHOWN = ("header", "hr", "spo2", "nibp", "respiration", "alarms", "audio", "devices", "checks")


def _differences(ours, fresh, path="view") -> list[str]:
    """Where two views (or parts of them) differ; numpy arrays compared by value, the audio
    pause by what it shows (its seconds left are a float the indicator rounds)."""
    if isinstance(ours, AudioView) and isinstance(fresh, AudioView):
        ours, fresh = (ours.text, ours.sounding), (fresh.text, fresh.sounding)
    if isinstance(ours, np.ndarray) or isinstance(fresh, np.ndarray):
        same = np.array_equal(np.asarray(ours), np.asarray(fresh))
        return [] if same else [path]
    if dataclasses.is_dataclass(ours) and type(ours) is type(fresh):
        found = []
        for f in dataclasses.fields(ours):
            found += _differences(getattr(ours, f.name), getattr(fresh, f.name), f"{path}.{f.name}")
        return found
    if isinstance(ours, tuple) and isinstance(fresh, tuple) and len(ours) == len(fresh):
        found = []
        for i, (a, b) in enumerate(zip(ours, fresh, strict=True)):
            found += _differences(a, b, f"{path}[{i}]")
        return found
    return [] if ours == fresh else [f"{path}: {ours!r} != {fresh!r}"]


class Frames:
    """Drives the console frame by frame as its timers would, on the manual clock."""

    def __init__(self, console, clock) -> None:
        self.controller = console.controller
        self.clock = clock
        self.frames = 0
        self.built = 0  # frames whose view was built from a snapshot
        self._since_acquired_ms = 0

    def run(self, seconds: float, acquire: bool = True, check=None) -> None:
        """``seconds`` of frames; acquisition every 100 ms unless ``acquire`` is False.

        After each frame the published view must equal a view built from scratch now, and
        ``check(view)`` (if given) must hold.
        """
        c = self.controller
        for _ in range(round(seconds * 1000 / FRAME_MS)):
            self.clock.advance(FRAME_MS / 1000)
            self._since_acquired_ms += FRAME_MS
            if acquire and self._since_acquired_ms >= ACQUISITION_MS:
                self._since_acquired_ms -= ACQUISITION_MS
                c.acquire()
            made = c._view_made
            view = c.draw_frame()
            self.frames += 1
            if c._view_made is not made:
                self.built += 1
            fresh = adapter.console_view(c.runtime.snapshot())
            wrong = [
                d
                for name in SHOWN
                for d in _differences(getattr(view, name), getattr(fresh, name), name)
            ]
            assert not wrong, f"frame {self.frames} at {self.clock.now()}: {wrong}"
            assert view.now == self.clock.now()
            if check is not None:
                check(view)


def _dosed(console, clock):
    """A training session dosed 30 s ago; the session, its readings, the dose and the clock's
    seconds each start at a different fraction of a second (so no build for one of them
    happens to show another's change on time)."""
    c = console.controller
    clock.advance(0.37)
    c.start_simulated_session()
    c.start_baseline()
    c.measure_bp()
    run_for(console, clock, 120.25, 1.0)
    assert c.dose("RN A", confirm_unanswered=True) is not None
    run_for(console, clock, 30, 1.0)
    return c


def test_most_frames_of_a_quiet_session_reuse_the_view_and_show_all_it_would(
    training_console, clock
):
    _dosed(training_console, clock)
    frames = Frames(training_console, clock)
    frames.run(20)
    # the header's clock, the elapsed time, the NIBP's "ago" and new values step about once a
    # second each: a handful of builds a second instead of 25
    assert frames.built <= frames.frames * 0.3, (frames.built, frames.frames)
    assert frames.built >= 20, "the clock on the header steps every second"


def test_the_elapsed_time_and_the_clock_step_in_the_frame_their_second_comes(
    training_console, clock
):
    c = _dosed(training_console, clock)
    dose_at = c.runtime.session.dose_at

    def on_time(view):
        now = clock.now()
        assert view.header.since_dose == f"Dose +{format_duration((now - dose_at).total_seconds())}"
        assert view.header.clock == now.astimezone().strftime("%H:%M:%S")

    Frames(training_console, clock).run(5, check=on_time)


def test_values_go_stale_in_the_frame_they_turn_stale_with_no_acquisition_at_all(
    training_console, clock
):
    """Nothing arrives (the console acquires nothing): only time makes the numerics stale."""
    c = _dosed(training_console, clock)
    frames = Frames(training_console, clock)
    frames.run(1)
    last = c.runtime._ingest.values[Kind.HR][1]

    def on_time(view):
        age = (clock.now() - last).total_seconds()
        assert view.hr.stale == (age > 10.0), (age, view.hr)

    frames.run(12, acquire=False, check=on_time)
    assert c.view.hr.stale and c.view.spo2.spo2.stale
    assert frames.built <= 12 * 4, "stale values and the clock: a few builds a second"


def test_a_check_falls_due_in_the_frame_its_window_opens(training_console, clock):
    c = _dosed(training_console, clock)
    dose_at = c.runtime.session.dose_at
    opens = dose_at + timedelta(minutes=35)  # esketamine: the BP at 40 min, window 35-45
    run_for(training_console, clock, (opens - clock.now()).total_seconds() - 1.0, 5.0)

    def on_time(view):
        status = next(ch.status for ch in view.checks if ch.check_id == "bp_40")
        assert status == ("due" if clock.now() >= opens else "upcoming"), clock.now()

    Frames(training_console, clock).run(2, check=on_time)
    assert next(ch.status for ch in c.view.checks if ch.check_id == "bp_40") == "due"


def test_the_audio_pause_counts_down_second_by_second(training_console, clock):
    c = _dosed(training_console, clock)
    c.inject_fault("oximeter", "sensor_off")
    run_for(training_console, clock, 15, 1.0)
    assert c.view.alarms, "an alarm to pause"
    c.pause_audio()
    frames = Frames(training_console, clock)
    shown = []
    frames.run(6, check=lambda view: shown.append(view.audio.text))
    steps = [t for i, t in enumerate(shown) if i == 0 or t != shown[i - 1]]
    assert len(steps) == 6 or len(steps) == 7, steps  # one step a second, none missed


def test_a_new_reading_shows_in_the_first_frame_after_it_is_acquired(training_console, clock):
    c = _dosed(training_console, clock)
    c.change_physiology({"hr": 118}, over_s=4)
    frames = Frames(training_console, clock)

    def latest_hr(view):
        value = c.runtime._ingest.values[Kind.HR][0]
        assert view.hr.value == f"{value:.0f}"

    frames.run(8, check=latest_hr)
    assert int(c.view.hr.value) > 100, "the HR rose"


def test_an_alarm_flashes_in_frames_that_reuse_the_view(training_console, clock):
    c = _dosed(training_console, clock)
    window = training_console.window
    c.change_physiology({"hr": 25}, over_s=1)
    frames = Frames(training_console, clock)
    frames.run(30)
    assert c.view.hr.priority is not None, "a low-HR alarm colours the HR tile"
    lit = theme.ALARM_COLOURS[c.view.hr.priority]
    fills, built = [], []
    for phase in (0.05, 0.3, 0.55, 0.8, 1.05, 1.3):  # flashing runs on the window's own clock
        window.flash_phase_override = phase
        before = frames.built
        frames.run(0.04, acquire=False)
        built.append(frames.built - before)
        fills.append(window.hr_tile.background_colour)
        expected = lit if theme.flash_on(c.view.hr.priority, phase) else theme.PANEL
        assert fills[-1] == expected, (phase, fills)
    assert len(set(fills)) == 2, fills
    assert 0 in built, "some of these frames reused the view"
    assert c.view.hr.priority in (AlarmPriority.HIGH, AlarmPriority.MEDIUM)


def _window_shows(window) -> dict:
    """What a console window shows: the tiles' numbers and colours, the bar, the header (the
    digits' size follows the window's, not the view)."""
    shown = {
        name: (tile.value.text(), tile.styleSheet(), tile.value.styleSheet().split(";")[0])
        for name in ("hr_tile", "spo2_tile", "nibp_tile", "rr_tile")
        if (tile := getattr(window, name)) is not None
    }
    shown["bar"] = [
        (label.text(), label.styleSheet())
        for label in window.alarm_bar.labels
        if not label.isHidden()
    ]
    # (the header's clock is left out: whether it fits depends on the trainer panel beside it)
    shown["header"] = (window.header.phase.text(), window.header.since_dose.text())
    shown["pleth"] = (window.spo2_tile.wave.isHidden(), window.spo2_tile.wave.has_trace)
    return shown


def test_the_window_after_frames_with_nothing_new_shows_what_a_fresh_window_shows(
    qtbot, training_console, clock
):
    from sessionmon.ui.main_window import MainWindow

    c = _dosed(training_console, clock)
    window = training_console.window
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    frames = Frames(training_console, clock)
    frames.run(2)
    frames.run(3, acquire=False)  # no new sample: the controller reuses every part
    assert frames.built <= 2 * 25 * 0.5
    window.resize(1000, 700)  # narrower than the tile row needs: etCO2 goes beside the trends
    qtbot.waitUntil(lambda: window.hr_tile.parentWidget().width() < 1100, timeout=2000)
    frames.run(0.2, acquire=False)
    assert window.etco2_beside_trends, "a frame with nothing new still places the tiles"
    fresh = MainWindow(c)
    qtbot.addWidget(fresh)
    fresh.flash_phase_override = 0.0
    fresh.resize(window.size())
    fresh.show()
    qtbot.waitExposed(fresh)
    qtbot.waitUntil(lambda: fresh.hr_tile.parentWidget().width() < 1100, timeout=2000)
    fresh.show_view(c.view)
    assert _window_shows(window) == _window_shows(fresh)
