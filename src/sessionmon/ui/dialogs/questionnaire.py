"""The questionnaire form (PHQ-9, GAD-7, PCL-5, the 0-10 anxiety rating): one large button row
per item, for the nurse or, in the kiosk view, for the patient on a tablet."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sessionmon.protocol.scales import get_scale


class QuestionnaireForm(QDialog):
    """Answer every item, then Done (emits ``submitted(scale_id)``; read :meth:`answers`).

    ``kiosk`` shows it full screen with larger text and no staff controls: the patient's view.
    """

    submitted = Signal(str)

    def __init__(self, scale_id: str, parent: QWidget | None = None, kiosk: bool = False) -> None:
        super().__init__(parent)
        self.scale = get_scale(scale_id)
        self.kiosk = kiosk
        self.setWindowTitle(f"{self.scale.short} questionnaire")
        size = 17 if kiosk else 12
        font = QFont(self.font())
        font.setPointSizeF(size)
        self.setFont(font)
        self.setStyleSheet(
            "QPushButton:checked { background: #1565c0; color: white; font-weight: bold; }"
        )
        inner = QWidget()
        grid = QGridLayout(inner)
        self.groups: dict[int, QButtonGroup] = {}
        for row, item in enumerate(self.scale.items):
            label = QLabel(f"{item.number}. {item.label}")
            label.setWordWrap(True)
            grid.addWidget(label, row * 2, 0, 1, 2)
            buttons = QHBoxLayout()
            group = QButtonGroup(self)
            for choice in sorted(item.choices, key=lambda c: c.score):
                button = QPushButton(
                    f"{choice.label}" if len(item.choices) <= 5 else str(choice.score)
                )
                button.setCheckable(True)
                button.setMinimumHeight(56 if kiosk else 36)
                group.addButton(button, choice.score)
                buttons.addWidget(button)
            group.buttonClicked.connect(self._changed)
            self.groups[item.number] = group
            grid.addLayout(buttons, row * 2 + 1, 0, 1, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        title = QLabel(self.scale.title)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        bold = QFont(font)
        bold.setBold(True)
        title.setFont(bold)
        self.status = QLabel()
        self.done_button = QPushButton("Done")
        self.done_button.setMinimumHeight(60 if kiosk else 40)
        self.done_button.clicked.connect(self._submit)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        row.addWidget(cancel)
        row.addWidget(self.done_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(scroll, 1)
        layout.addLayout(row)
        self.resize(900, 760)
        self._changed()

    def answers(self) -> dict[int, int]:
        """The answers given so far, item number -> score."""
        return {n: g.checkedId() for n, g in self.groups.items() if g.checkedId() >= 0}

    def _changed(self, *_args: object) -> None:
        left = len(self.groups) - len(self.answers())
        self.status.setText(f"{left} question(s) left" if left else "All answered.")
        self.done_button.setEnabled(left == 0)

    def _submit(self) -> None:
        self.submitted.emit(self.scale.id)
        self.accept()
