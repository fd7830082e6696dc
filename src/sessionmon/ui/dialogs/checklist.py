"""Checklist dialog, generated from the scale definitions (MOAA/S, CADSS, side effects, ...)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sessionmon.errors import UserError
from sessionmon.ui.dialogs.form import Submit, submitted

UNANSWERED = "(not answered)"
NOT_ANSWERED = "Answer every item; not answered: "


def total_text(short: str, answers: dict[int, int], count: int) -> str:
    """``CADSS total 12 so far (5 of 23 items answered)``; nothing answered: no total."""
    if not answers:
        return f"{short}: not answered yet" if count == 1 else f"{short}: no item answered yet"
    total = sum(answers.values())
    if count == 1:
        return f"{short} {total}"
    if len(answers) < count:
        return f"{short} total {total} so far ({len(answers)} of {count} items answered)"
    return f"{short} total {total} (all {count} items answered)"


class ChecklistDialog(QDialog):
    """One combo box per item of the chosen scale; the total is shown as answers are picked.

    Parameters
    ----------
    scales : mapping
        Scale id -> ``ScaleDefinition`` (the protocol's ``SCALES``, possibly with clinic wording).
    scale_id : str
        The scale to start with.
    load_wording : callable, optional
        ``load_wording(path, scale_id) -> ScaleDefinition`` applying a clinic's licensed item
        wording; enables the "Load item wording" button.

    Attributes
    ----------
    submit : callable, optional
        Records the checklist; returns the core's refusal (shown at the top, the answers kept).
    """

    def __init__(
        self,
        scales: Mapping[str, object],
        scale_id: str = "moaas",
        load_wording: Callable[[str, str], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Checklist")
        self.submit: Submit | None = None
        self.setMinimumSize(760, 560)
        self.scales = dict(scales)
        self._load_wording = load_wording
        self.scale_box = QComboBox()
        for sid, scale in self.scales.items():
            self.scale_box.addItem(f"{scale.short}: {scale.title}", sid)
        # The whole scale name shows, in the box and in its list.
        self.scale_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.scale_box.view().setMinimumWidth(self.scale_box.sizeHint().width())
        self.setMinimumWidth(max(760, self.scale_box.sizeHint().width() + 300))
        self.wording_button = QPushButton("Load item wording...")
        self.wording_button.setVisible(load_wording is not None)
        self.wording_button.clicked.connect(self._choose_wording)
        self.items_area = QScrollArea()
        self.items_area.setWidgetResizable(True)
        self.total_label = QLabel()
        self.total_label.setStyleSheet("font-size: 24px; font-weight: bold;")
        self.error_label = QLabel("")
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record checklist")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        top = QHBoxLayout()
        top.addWidget(QLabel("Scale"))
        top.addWidget(self.scale_box, 1)
        top.addWidget(self.wording_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.items_area, 1)
        layout.addWidget(self.total_label)
        layout.addWidget(buttons)
        self.item_boxes: dict[int, QComboBox] = {}
        self._answers_by_scale: dict[str, dict[int, int]] = {}
        self.scale_box.currentIndexChanged.connect(self._build_items)
        self.scale_box.setCurrentIndex(max(0, self.scale_box.findData(scale_id)))
        self._build_items()

    @property
    def scale(self):
        """The scale definition shown."""
        return self.scales[self.scale_box.currentData()]

    def _build_items(self) -> None:
        scale = self.scale
        kept = self._answers_by_scale.get(scale.id, {})
        holder = QWidget()
        form = QFormLayout(holder)
        self.item_boxes = {}
        for item in scale.items:
            box = QComboBox()
            box.addItem(UNANSWERED, None)
            for choice in sorted(item.choices, key=lambda c: -c.score):
                box.addItem(f"{choice.score}  {choice.label}", choice.score)
            if item.number in kept:
                box.setCurrentIndex(box.findData(kept[item.number]))
            box.currentIndexChanged.connect(self._update_total)
            label = QLabel(f"{item.number}. {item.label}")
            label.setWordWrap(True)
            form.addRow(label, box)
            self.item_boxes[item.number] = box
        self.items_area.setWidget(holder)
        self._update_total()

    def _choose_wording(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Item wording file", "", "Wording (*.toml *.json)"
        )
        if path:
            self.apply_wording(path)

    def apply_wording(self, path: str) -> bool:
        """Load a clinic's item wording for the shown scale; a bad file shows its message."""
        assert self._load_wording is not None
        try:
            self.scales[self.scale.id] = self._load_wording(path, self.scale.id)
        except UserError as exc:
            self.error_label.setText(str(exc))
            return False
        self._remember()
        self._build_items()
        self.error_label.setText("")
        return True

    def answers(self) -> dict[int, int]:
        """Item number -> chosen score, for the items answered."""
        return {
            number: box.currentData()
            for number, box in self.item_boxes.items()
            if box.currentData() is not None
        }

    def set_answer(self, number: int, score: int) -> None:
        """Choose ``score`` for item ``number`` (keyboard users and tests)."""
        box = self.item_boxes[number]
        box.setCurrentIndex(box.findData(score))

    def _remember(self) -> None:
        self._answers_by_scale[self.scale.id] = self.answers()

    def _update_total(self) -> None:
        self._remember()
        self.total_label.setText(total_text(self.scale.short, self.answers(), len(self.item_boxes)))
        if self.error_label.text().startswith(NOT_ANSWERED):
            self._show_missing()  # the list shrinks as items are answered, and goes

    def missing(self) -> list[int]:
        """The numbers of the items not answered yet."""
        return [n for n, box in self.item_boxes.items() if box.currentData() is None]

    def _show_missing(self) -> bool:
        missing = self.missing()
        if not missing:
            self.error_label.setText("")
            return False
        shown = ", ".join(str(n) for n in missing[:10])
        more = "..." if len(missing) > 10 else ""
        self.error_label.setText(f"{NOT_ANSWERED}{shown}{more}.")
        return True

    def try_accept(self) -> bool:
        """Record when every item is answered; otherwise say which are missing.

        A refusal of the core (e.g. a total the scale rejects, a locked session) is shown at
        the top and every answer stays chosen.
        """
        if self._show_missing():
            return False
        self.error_label.setText("")
        if not submitted(self.submit, self.error_label.setText):
            return False
        self.accept()
        return True
