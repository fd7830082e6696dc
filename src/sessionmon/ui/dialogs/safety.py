"""Pre-session safety checklist dialog and the prescriber's contraindication override.

The checklist is built from the core's data (:mod:`sessionmon.protocol.safety`): one row per
item with Yes / No, contraindications first (a "yes" blocks the dose), then the other checks.
Unanswered rows stay unanswered: the dose dialog then asks for confirmation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.dialogs.form import Submit, ValidatedForm, submitted

#: Section headings by item kind, in the order shown.
SECTIONS = (
    ("contraindication", "Contraindications (label): a yes blocks the dose"),
    ("caution", "Cautions"),
    ("confirm", "Before the dose (the answer should be yes)"),
    ("info", "For the record"),
)


class SafetyChecklistDialog(QDialog):
    """Yes / No for each item of the pre-session safety checklist.

    Parameters
    ----------
    items : sequence
        The ``SafetyItem`` definitions that apply to the session's drug.
    answers : mapping
        Answers recorded before (item key -> ``yes`` / ``no`` / None), shown again.

    Attributes
    ----------
    submit : callable, optional
        Records the checklist; returns the core's refusal (shown in place).
    """

    def __init__(
        self,
        items: Sequence[Any],
        answers: Mapping[str, str | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Safety checklist")
        self.submit: Submit | None = None
        self.items = tuple(items)
        self.groups: dict[str, QButtonGroup] = {}
        self.buttons: dict[str, dict[str, QRadioButton]] = {}
        self.form_layout = ValidatedForm()
        grid_holder = QWidget()
        grid = QGridLayout(grid_holder)
        grid.setColumnStretch(0, 1)
        row = 0
        answers = dict(answers or {})
        for kind, heading in SECTIONS:
            chosen = [i for i in items if i.kind == kind]
            if not chosen:
                continue
            title = QLabel(heading)
            title.setStyleSheet("font-weight: bold; margin-top: 8px;")
            grid.addWidget(title, row, 0, 1, 3)
            row += 1
            for item in chosen:
                label = QLabel(item.label)
                label.setWordWrap(True)
                label.setToolTip(f"Source: {item.source}")
                grid.addWidget(label, row, 0)
                group = QButtonGroup(self)
                group.setExclusive(False)  # a click on the checked answer clears it
                pair = {}
                for column, answer in ((1, "yes"), (2, "no")):
                    button = QRadioButton(answer.capitalize())
                    button.setAutoExclusive(False)
                    button.setChecked(answers.get(item.key) == answer)
                    group.addButton(button)
                    grid.addWidget(button, row, column)
                    pair[answer] = button
                pair["yes"].toggled.connect(lambda on, p=pair: on and p["no"].setChecked(False))
                pair["no"].toggled.connect(lambda on, p=pair: on and p["yes"].setChecked(False))
                self.groups[item.key] = group
                self.buttons[item.key] = pair
                row += 1
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_holder)
        scroll.setMinimumSize(760, 600)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form_layout)
        layout.addWidget(scroll)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Record checklist")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for pair in self.buttons.values():
            for button in pair.values():
                button.toggled.connect(self._summarise)
        self._summarise()

    def answer(self, key: str, value: str | None) -> None:
        """Set one answer (``yes``, ``no`` or None), as a click would."""
        for answer, button in self.buttons[key].items():
            button.setChecked(answer == value)

    def answers(self) -> dict[str, str | None]:
        """Item key -> ``yes`` / ``no`` / None (unanswered)."""
        result: dict[str, str | None] = {}
        for key, pair in self.buttons.items():
            chosen = [a for a, b in pair.items() if b.isChecked()]
            result[key] = chosen[0] if chosen else None
        return result

    def _summarise(self) -> None:
        open_ = sum(1 for v in self.answers().values() if v is None)
        self.summary.setText(f"{open_} item(s) not answered." if open_ else "Every item answered.")

    def try_accept(self) -> bool:
        """Record the checklist; a refusal keeps the dialog open with the answers."""
        if not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True


class OverrideDialog(QDialog):
    """A prescriber allows the dose despite a contraindication: name and reason, both required.

    Attributes
    ----------
    submit : callable, optional
        Records the override; returns the core's refusal (shown in place).
    """

    def __init__(self, contraindications: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Prescriber override")
        self.submit: Submit | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Answered yes: " + "; ".join(contraindications) + "\n"
            "Only a prescriber may allow the dose. The override, with the name and reason, is "
            "kept in the record and on the report."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.form_layout = ValidatedForm()
        self.prescriber = self.form_layout.add_field("prescriber", "Prescriber *", QLineEdit())
        self.reason = self.form_layout.add_field("reason", "Reason *", QPlainTextEdit())
        self.reason.setMinimumHeight(90)
        layout.addLayout(self.form_layout)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Allow the dose")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)

    def try_accept(self) -> bool:
        """Record the override once name and reason are given."""
        errors = {}
        if not self.prescriber.text().strip():
            errors["prescriber"] = "Enter the prescriber's name."
        if not self.reason.toPlainText().strip():
            errors["reason"] = "Enter the reason for the override."
        self.form_layout.show_errors(errors)
        if errors or not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
