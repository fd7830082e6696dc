"""Input widgets for the REMS patient fields shared by New session and Patient details."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QWidget

from sessionmon.ui.forms import CONCOMITANT_MEDICINES, SEXES


def sex_chooser() -> QComboBox:
    """Return a combo box of the sexes the REMS form takes, starting on "(choose)"."""
    combo = QComboBox()
    combo.addItem("(choose)", "")
    for sex in SEXES:
        combo.addItem(sex, sex)
    return combo


def medicine_checkboxes() -> tuple[QWidget, dict[str, QCheckBox]]:
    """Return a two-column grid of concomitant-medicine check boxes and the boxes by name."""
    widget = QWidget()
    grid = QGridLayout(widget)
    grid.setContentsMargins(0, 0, 0, 0)
    boxes: dict[str, QCheckBox] = {}
    for index, medicine in enumerate(CONCOMITANT_MEDICINES):
        box = QCheckBox(medicine)
        grid.addWidget(box, index // 2, index % 2)
        boxes[medicine] = box
    return widget, boxes
