"""A lighter console (issue 12 item 2): nothing is restyled or re-ranged that did not change.

A style sheet set on a widget re-polishes and re-lays it out (Qt sends it a StyleChange event);
an auto-ranged plot measures its data on every paint. The tiles must do neither per frame: the
NIBP tile restyles its MEASURING badge only when a measurement starts or ends, and the pleth
keeps a fixed vertical range until the trace leaves it or shrinks well inside it. The pleth is
drawn in sweep mode: a frame repaints only the strip its new samples went in.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from paint_helpers import PaintedRegions
from PySide6.QtCore import QEvent, QObject

from sessionmon.model import AlarmCategory, AlarmPriority
from sessionmon.ui import theme
from sessionmon.ui.viewmodel import AlarmItemView, ConsoleView, NibpView, NumericView, Spo2View
from sessionmon.ui.widgets.nibp_tile import NibpTile
from sessionmon.ui.widgets.spo2_tile import PLETH_SHRINK_BELOW, Spo2Tile, pleth_range


class StyleChanges(QObject):
    """Counts the StyleChange events a widget receives (one per style sheet set on it)."""

    def __init__(self, widget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.StyleChange:
            self.count += 1
        return False


def test_the_nibp_tile_restyles_its_badge_only_when_measuring_starts_or_ends(qtbot):
    tile = NibpTile()
    qtbot.addWidget(tile)
    tile.show()
    changes = StyleChanges(tile.measuring_label)
    result = NibpView(systolic="124", diastolic="78", mean="93", last_measured="at 10:02")
    for _ in range(25):  # one second of frames with nothing new
        tile.set_nibp(result)
    assert changes.count == 0
    tile.set_nibp(NibpView(measuring=True, cuff_pressure="142"))
    assert tile.measuring_label.text() == "MEASURING"
    assert "background: #FFFFFF" in tile.measuring_label.styleSheet()
    assert changes.count >= 1
    started = changes.count
    for pressure in ("120", "98", "76"):
        tile.set_nibp(NibpView(measuring=True, cuff_pressure=pressure))
    assert changes.count == started, "the cuff pressure falling is not a reason to restyle"
    tile.set_nibp(result)
    assert tile.measuring_label.text() == "" and tile.measuring_label.styleSheet() == ""
    assert changes.count > started
    ended = changes.count
    for _ in range(25):
        tile.set_nibp(result)
    assert changes.count == ended


def _pleth(amplitude: float, phase: float = 0.0, received: int = 0) -> Spo2View:
    t = np.arange(450) / 75.0
    samples = (64 + amplitude * np.sin(2 * np.pi * 1.2 * t + phase)).astype(np.float32)
    return Spo2View(
        NumericView("SpO2", "97", "%"), signal_quality=0.9, pleth=samples, pleth_received=received
    )


def test_the_pleth_keeps_a_fixed_range_and_widens_only_for_a_bigger_trace(qtbot):
    tile = Spo2Tile()
    qtbot.addWidget(tile)
    tile.resize(500, 200)
    tile.show()
    tile.set_spo2(_pleth(40, received=450))
    first = tile.wave.value_range
    assert first[0] <= 24 and first[1] >= 104, "the whole trace is in view"
    for frame in range(50):  # two seconds of frames: the trace moves, the range does not
        tile.set_spo2(_pleth(40, phase=frame / 10, received=453 + 3 * frame))
        assert tile.wave.value_range == first
    tile.set_spo2(_pleth(60, received=700))  # a stronger pulse: the range grows to hold it
    bottom, top = tile.wave.value_range
    assert bottom <= 4 and top >= 124


@given(
    st.floats(-1e4, 1e4),
    st.floats(0, 1e4),
    st.none() | st.tuples(st.floats(-1e4, 1e4), st.floats(0.001, 1e4)),
)
def test_the_pleth_range_always_holds_the_trace(low, span, shown):
    high = low + span
    if shown is not None:
        shown = (shown[0], shown[0] + shown[1])
    wanted = pleth_range(low, high, shown)
    bottom, top = wanted if wanted is not None else shown
    assert bottom <= low and high <= top
    if wanted is None:
        assert max(span, 1e-6) >= PLETH_SHRINK_BELOW * (top - bottom)


def _frame(pleth: np.ndarray, hr: str = "72", priority=None, received: int = 0) -> ConsoleView:
    alarms = ()
    if priority is not None:
        alarms = (AlarmItemView("hr_low", "HR LOW", priority, AlarmCategory.PHYSIOLOGICAL),)
    return ConsoleView(
        hr=NumericView("HR", hr, "/min", priority),
        spo2=Spo2View(
            NumericView("SpO2", "97", "%"),
            signal_quality=0.9,
            pleth=pleth,
            pleth_received=received if len(pleth) else 0,
        ),
        alarms=alarms,
    )


def test_a_frame_paints_only_the_new_pleth_samples_in_a_narrow_strip(console, qtbot):
    window = console.window
    window.show()
    qtbot.waitExposed(window)
    wave = window.spo2_tile.wave
    painted = PaintedRegions(wave)
    samples = _pleth(40).pleth
    window.show_view(_frame(samples, received=450))
    assert np.array_equal(wave.trace[wave.gap_slots :], samples[wave.gap_slots :])
    painted.flush()
    drawn = wave.trace.copy()
    window.show_view(_frame(samples.copy(), hr="73", received=450))  # a new HR, no new sample
    assert window.hr_tile.value.text() == "73"
    assert painted.flush() == [], "the pleth is not painted again"
    assert np.array_equal(wave.trace, drawn, equal_nan=True)
    newer = np.append(samples[1:], np.float32(80.0))  # one new sample arrived
    window.show_view(_frame(newer, hr="73", received=451))
    assert wave.write_slot == 0 and wave.trace[0] == 80.0, "written at the write point"
    strip = painted.flush()
    assert strip and sum(r.width() for r in strip) < wave.width() / 8, "only a strip"
    window.show_view(_frame(newer[:0], hr="73"))  # the signal is lost: no frozen trace
    assert window.spo2_tile.wave.isHidden() and not window.spo2_tile.no_signal.isHidden()
    assert not wave.has_trace


def test_an_alarm_still_flashes_when_nothing_else_changes(console):
    window = console.window
    samples = _pleth(40).pleth
    fills = []
    bar = []
    for phase in (0.1, 0.3, 0.1, 0.3):  # a high-priority alarm flashes at 2 Hz
        window.flash_phase_override = phase
        window.show_view(_frame(samples, hr="38", priority=AlarmPriority.HIGH))
        fills.append(window.hr_tile.background_colour)
        bar.append(window.alarm_bar.labels[0].styleSheet())
    lit, dark = theme.ALARM_COLOURS[AlarmPriority.HIGH], theme.PANEL
    assert fills == [lit, dark, lit, dark]
    assert bar[0] == bar[2] != bar[1] == bar[3]


def _drawn(wave) -> dict[int, float]:
    """The pleth on screen: each drawn slot and its value."""
    return {int(i): float(wave.trace[i]) for i in np.flatnonzero(np.isfinite(wave.trace))}


def _shown_labels(window) -> list:
    """The alarm bar's visible labels, text and style (a hidden label keeps its old style)."""
    return [
        (label.text(), label.styleSheet())
        for label in window.alarm_bar.labels
        if not label.isHidden()
    ]


def test_the_window_drawn_frame_by_frame_shows_what_a_fresh_window_shows(console, qtbot):
    """Parts are drawn only when they changed: after any run of frames the window shows
    exactly what a window that drew only the last frame shows."""
    from sessionmon.ui.main_window import MainWindow

    window = console.window
    samples = _pleth(40).pleth
    frames = [
        _frame(samples, "72", received=450),
        _frame(samples, "38", AlarmPriority.HIGH, received=450),
        _frame(samples[:0], "38", AlarmPriority.HIGH),
        _frame(samples, "74", received=450),
    ]
    for index, last in enumerate(frames):
        for view in frames[: index + 1]:
            window.show_view(view)
        fresh = MainWindow(console.controller)
        qtbot.addWidget(fresh)
        fresh.flash_phase_override = 0.0
        fresh.show_view(last)
        for name in ("hr_tile", "spo2_tile", "nibp_tile"):
            ours, theirs = getattr(window, name), getattr(fresh, name)
            assert ours.value.text() == theirs.value.text()
            assert ours.styleSheet() == theirs.styleSheet()
            assert ours.value.styleSheet() == theirs.value.styleSheet()
        assert _shown_labels(window) == _shown_labels(fresh)
        assert window.alarm_bar.no_alarm.isHidden() == fresh.alarm_bar.no_alarm.isHidden()
        assert window.spo2_tile.wave.isHidden() == fresh.spo2_tile.wave.isHidden()
        assert _drawn(window.spo2_tile.wave) == _drawn(fresh.spo2_tile.wave), "the same pleth"
        assert window.header.clock.text() == fresh.header.clock.text()
