"""The check timeline's wrapping layout: the height it asks for follows its chips."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from sessionmon.ui.widgets.flow import FlowRow


def _row(qtbot, texts):
    parent = QWidget()
    qtbot.addWidget(parent)
    layout = FlowRow(parent)
    chips = [QLabel(text, parent) for text in texts]
    for chip in chips:
        layout.addWidget(chip)
    parent.show()
    qtbot.waitExposed(parent)
    layout.parent_widget = parent  # keep the window alive for the test
    return layout, chips


def test_a_chip_that_grows_past_the_width_wraps_the_row_at_once(qtbot):
    layout, chips = _row(qtbot, ["Pre-dose", "Dose", "BP 40 min"])
    width = sum(c.sizeHint().width() for c in chips) + 40
    one_row = layout.heightForWidth(width)
    assert layout.heightForWidth(width) == one_row  # asked again: the same answer
    chips[1].setText("Dose given at 10:42, second device confirmed")
    assert layout.heightForWidth(width) > one_row, "the grown chip must go to a second row"
    chips[1].hide()
    assert layout.heightForWidth(width) == one_row, "a hidden chip takes no room"


def test_a_chip_added_or_taken_away_changes_the_height_asked(qtbot):
    layout, chips = _row(qtbot, ["Pre-dose", "Dose"])
    width = sum(c.sizeHint().width() for c in chips) + 30
    one_row = layout.heightForWidth(width)
    extra = QLabel("Discharge criteria", chips[0].parentWidget())
    layout.addWidget(extra)
    extra.show()
    assert layout.heightForWidth(width) > one_row
    layout.removeWidget(extra)
    assert layout.heightForWidth(width) == one_row
