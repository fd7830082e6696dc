"""A lighter console (issue 12 item 2): nothing is restyled or re-ranged that did not change.

A style sheet set on a widget re-polishes and re-lays it out (Qt sends it a StyleChange event);
an auto-ranged plot measures its data on every paint. The tiles must do neither per frame: the
NIBP tile restyles its MEASURING badge only when a measurement starts or ends, and the pleth
keeps a fixed vertical range until the trace leaves it or shrinks well inside it.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QObject

from sessionmon.ui.viewmodel import NibpView, NumericView, Spo2View
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


def _pleth(amplitude: float, phase: float = 0.0) -> Spo2View:
    t = np.arange(450) / 75.0
    samples = (64 + amplitude * np.sin(2 * np.pi * 1.2 * t + phase)).astype(np.float32)
    return Spo2View(NumericView("SpO2", "97", "%"), signal_quality=0.9, pleth=samples)


def test_the_pleth_keeps_a_fixed_range_and_widens_only_for_a_bigger_trace(qtbot):
    tile = Spo2Tile()
    qtbot.addWidget(tile)
    tile.resize(500, 200)
    tile.show()
    box = tile.plot.getViewBox()
    tile.set_spo2(_pleth(40))
    assert box.autoRangeEnabled() == [False, False]
    first = box.viewRange()[1]
    assert first[0] <= 24 and first[1] >= 104, "the whole trace is in view"
    for frame in range(50):  # two seconds of frames: the trace moves, the range does not
        tile.set_spo2(_pleth(40, phase=frame / 10))
        assert box.viewRange()[1] == first
    tile.set_spo2(_pleth(60))  # a stronger pulse: the range grows to hold it
    bottom, top = box.viewRange()[1]
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
