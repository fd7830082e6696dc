"""The live waveform in sweep mode, as a nurse sees it on a bedside monitor.

The trace stays put; the newest samples are written at the write point, which moves left to
right; a gap just ahead of it has erased the oldest trace; at the right edge it wraps to the
left. Each frame Qt repaints only the narrow strip where the new samples went, never the whole
waveform (the console's CPU at 1x, issue 12). The pixels are read from the widget's picture.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from paint_helpers import PaintedRegions, trace_columns
from PySide6.QtGui import QImage

from sessionmon.ui import theme
from sessionmon.ui.viewmodel import NumericView, RespirationView
from sessionmon.ui.widgets.respiration_tiles import CO2_Y_RANGE, Etco2Tile
from sessionmon.ui.widgets.sweep_waveform import SweepWaveform

RATE = 75.0
COLOUR = theme.SPO2_COLOUR
#: 6 s at 75 Hz: one slot per sample across the width.
SLOTS = 450
#: A pleth-like stream: 64 +- 40 at 1.2 beats a second.
STREAM = (64 + 40 * np.sin(2 * np.pi * 1.2 * np.arange(4000) / RATE)).astype(np.float32)


def _wave(qtbot, width: int = 600, height: int = 100, shown: bool = False) -> SweepWaveform:
    wave = SweepWaveform(COLOUR, theme.BACKGROUND, 6.0)
    qtbot.addWidget(wave)
    wave.resize(width, height)
    wave.set_range(0.0, 128.0)
    if shown:
        wave.show()
        qtbot.waitExposed(wave)
    return wave


def _feed(wave: SweepWaveform, received: int, window: int = SLOTS, rate: float = RATE) -> None:
    """The frame after ``received`` samples: the newest ``window`` of them, as the view has."""
    wave.show_samples(STREAM[max(0, received - window) : received], received, rate)


def _columns(wave: SweepWaveform, first_slot: float, last_slot: float) -> range:
    """The pixel columns strictly inside slots ``first_slot``..``last_slot``, clear of the pen."""
    return range(
        math.ceil(wave.x_of_slot(first_slot)) + 2, math.floor(wave.x_of_slot(last_slot)) - 1
    )


def test_new_samples_are_drawn_at_the_write_point_with_the_gap_ahead(qtbot):
    wave = _wave(qtbot)
    _feed(wave, 450)  # a full sweep: the write point at the right edge
    assert wave.write_slot == 449
    _feed(wave, 455)  # five new samples: they wrap to the left edge
    assert wave.write_slot == 4
    assert np.array_equal(wave.trace[:5], STREAM[450:455]), "the new samples, in place"
    image = wave.grab().toImage()
    drawn = trace_columns(image, COLOUR)
    assert set(range(1, 5)) <= drawn, "the newest trace is at the left edge"
    gap = wave.gap_slots
    assert gap >= 10
    assert not drawn & set(_columns(wave, 4, 5 + gap)), "the gap ahead of the write point"
    beyond = set(_columns(wave, 5 + gap, SLOTS))
    assert len(beyond & drawn) >= 0.95 * len(beyond), "the older trace stays where it was"
    # the trace beyond the gap is the previous sweep, unmoved
    assert np.array_equal(wave.trace[5 + gap :], STREAM[5 + gap : 450])


def test_each_frame_repaints_only_the_strip_the_new_samples_went_in(qtbot):
    wave = _wave(qtbot, shown=True)
    painted = PaintedRegions(wave)
    _feed(wave, 300)
    assert any(r == wave.rect() for r in painted.flush()), "the first frame draws it all"
    for received in range(303, 360, 3):  # three samples a frame, as at 1x
        _feed(wave, received)
        strip = painted.flush()
        assert strip, "the new samples are painted"
        assert all(r.height() == wave.height() for r in strip)
        assert sum(r.width() for r in strip) <= 40, "a narrow strip, not the 600 px wave"
        left = min(r.left() for r in strip)
        assert left <= wave.x_of_slot((received - 3) % SLOTS) <= left + 10
    # a frame with nothing new paints nothing
    _feed(wave, 357)
    assert painted.flush() == []
    # at the right edge the strip is split: the end of the sweep and the start of the next
    _feed(wave, 448)
    painted.flush()
    _feed(wave, 451)
    strip = painted.flush()
    assert min(r.left() for r in strip) == 0 and max(r.right() for r in strip) == 599
    assert sum(r.width() for r in strip) <= 40


def test_losing_the_signal_clears_the_trace_and_its_return_draws_afresh(qtbot):
    wave = _wave(qtbot)
    _feed(wave, 700)
    assert wave.has_trace
    wave.show_samples(STREAM[:0], 700, RATE)  # no live signal: no frozen waveform
    assert not wave.has_trace
    assert not trace_columns(wave.grab().toImage(), COLOUR)
    wave.show_samples(STREAM[:0], 715, RATE)  # still lost: junk may arrive meanwhile
    _feed(wave, 775)  # the signal is back: one second of it after the loss
    drawn = np.isfinite(wave.trace)
    assert drawn.sum() == 60, "what came since, nothing from before the loss"
    assert np.array_equal(wave.trace[np.arange(715, 775) % SLOTS], STREAM[715:775])
    assert wave.write_slot == 774 % SLOTS


def test_a_resized_waveform_is_drawn_whole_at_the_new_width(qtbot):
    wave = _wave(qtbot, shown=True)
    painted = PaintedRegions(wave)
    _feed(wave, 1000)
    painted.flush()
    wave.resize(300, 80)
    assert any(r == wave.rect() for r in painted.flush())
    drawn = trace_columns(wave.grab().toImage(), COLOUR)
    assert max(drawn) >= 296 and min(drawn) <= 3, "the sweep spans the new width"
    gap = set(_columns(wave, wave.write_slot, wave.write_slot + 1 + wave.gap_slots))
    assert gap and not drawn & gap


def test_a_new_sample_rate_starts_a_new_sweep(qtbot):
    wave = _wave(qtbot)
    _feed(wave, 900)
    wave.show_samples(STREAM[:100], 1000, 50.0)  # the oximeter now sends 50 Hz
    assert wave.slots == 300, "still 6 s across the width"
    assert np.isfinite(wave.trace).sum() == 100, "nothing of the 75 Hz trace is left"


def test_on_a_high_dpi_screen_the_trace_is_drawn_at_device_resolution(qtbot):
    wave = _wave(qtbot)
    _feed(wave, 455)
    image = QImage(1200, 200, QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(2.0)
    wave.render(image)
    drawn = trace_columns(image, COLOUR)
    assert max(drawn) >= 1196, "edge to edge in device pixels"
    gap = range(
        math.ceil(2 * wave.x_of_slot(4)) + 3, math.floor(2 * wave.x_of_slot(5 + wave.gap_slots)) - 2
    )
    assert len(gap) > 40 and not drawn & set(gap)
    # the pen is 2 px wide in screen units: 4 device pixels at 2x
    column = 2 * round(wave.x_of_slot(200))
    rows = [y for y in range(200) if image.pixel(column, y) == image.pixel(column, 0)]
    assert len(rows) < 200 - 3


def test_a_window_without_a_sample_count_is_drawn_whole_when_it_changes(qtbot):
    wave = _wave(qtbot, shown=True)
    painted = PaintedRegions(wave)
    wave.show_samples(STREAM[:450], 0, RATE)
    painted.flush()
    wave.show_samples(STREAM[:450].copy(), 0, RATE)  # the same trace: nothing drawn
    assert painted.flush() == []
    wave.show_samples(STREAM[1:451], 0, RATE)  # changed: drawn whole, from the left
    assert any(r == wave.rect() for r in painted.flush())
    gap = wave.gap_slots  # a full window ends at the right edge: the gap is at the left
    assert np.array_equal(wave.trace[gap:], STREAM[1 + gap : 451])


def _breaths(received: int) -> RespirationView:
    """The etCO2 tile's view after ``received`` CO2 samples at 25 Hz (12 s shown)."""
    t = np.arange(received - 300, received) / 25.0
    co2 = np.where((t % 4.0) < 2.0, 38.0, 0.0).astype(np.float32)  # a breath every 4 s
    return RespirationView(
        etco2=NumericView("etCO2", "38", "mmHg"), co2=co2, co2_rate_hz=25.0, co2_received=received
    )


def test_the_capnogram_is_swept_on_its_fixed_scale_and_cleared_without_data(qtbot):
    tile = Etco2Tile()
    qtbot.addWidget(tile)
    tile.resize(420, 200)
    tile.show()
    qtbot.waitExposed(tile)
    wave = tile.wave
    assert wave.value_range == CO2_Y_RANGE and wave.slots == 0
    tile.set_co2(_breaths(400))
    assert wave.slots == 300, "12 s at 25 Hz across the width"
    painted = PaintedRegions(wave)
    painted.flush()
    tile.set_co2(_breaths(402))  # two new samples
    assert wave.write_slot == 401 % 300
    strip = painted.flush()
    assert strip and sum(r.width() for r in strip) < wave.width() / 4
    assert wave.value_range == CO2_Y_RANGE, "a rising plateau shows as rising"
    tile.set_co2(RespirationView(etco2=NumericView("etCO2", "--", "mmHg")))  # no CO2 wave
    assert not wave.has_trace
    tile.set_co2(_breaths(500), rr=NumericView("RR", "14", "/min"))  # a narrow console
    assert not wave.isVisibleTo(tile), "no capnogram where RR is folded into the tile"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 700), min_size=1, max_size=25), st.integers(60, 450))
def test_drawn_frame_by_frame_the_sweep_is_what_the_stream_says(qapp, frames, window):
    """Whatever the frames bring (nothing, a few samples, more than a sweep after a stall),
    each slot holds the newest sample of the stream that falls in it, the gap ahead of the
    write point is empty, and nothing older than the view's window survives a stall."""
    wave = SweepWaveform(COLOUR, theme.BACKGROUND, 6.0)
    wave.resize(600, 100)
    received = 0
    for step in frames:
        received = min(received + step, len(STREAM))
        if received == 0:
            continue
        _feed(wave, received, window)
        expected = np.full(SLOTS, np.nan)
        oldest = max(0, received - SLOTS + wave.gap_slots)
        for index in range(oldest, received):
            expected[index % SLOTS] = STREAM[index]
        kept = np.isfinite(wave.trace)
        assert wave.write_slot == (received - 1) % SLOTS
        # every sample drawn is the stream's own, in its slot
        assert np.array_equal(wave.trace[kept], expected[kept])
        # the newest window is always all there
        for index in range(max(oldest, received - window), received):
            assert kept[index % SLOTS]
        # the gap is empty
        for index in range(received, received + wave.gap_slots):
            assert not kept[index % SLOTS]
    wave.deleteLater()
