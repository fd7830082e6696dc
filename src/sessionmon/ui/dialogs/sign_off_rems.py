"""The REMS part of the sign-off dialog: what only the clinician can enter on the form.

The monitoring provider (picked from the clinic's staff list, editable), the healthcare setting
(from Clinic settings), the minutes until the patient would have been ready to leave (the
clinician's entry; the value computed from the record is shown as a suggestion, never filled in)
and a Yes/No for every question the record cannot answer, with what the record shows.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

CHOOSE = "- choose -"


class RemsSignOffBox(QGroupBox):
    """Collects the clinician's REMS entries (see :meth:`entries`).

    Parameters
    ----------
    rems : dict
        From :meth:`ConsoleController.rems_sign_off`.

    Signals
    -------
    clinic_requested()
        Open Clinic settings (the setting is incomplete).
    """

    clinic_requested = Signal()

    def __init__(self, rems: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__("REMS patient monitoring form: the clinician's entries", parent)
        self.staff = list(rems.get("staff") or [])
        columns = QHBoxLayout(self)
        left = QVBoxLayout()
        layout = QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(layout, 1)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.provider_pick = QComboBox()
        self.provider_pick.addItem("(type below)")
        for person in self.staff:
            self.provider_pick.addItem(person.full_name)
        self.provider_pick.currentIndexChanged.connect(self._picked)
        form.addRow("Monitoring provider", self.provider_pick)
        self.provider: dict[str, QLineEdit] = {}
        for key, label in (
            ("first_name", "Provider first name *"),
            ("last_name", "Provider last name *"),
            ("phone", "Provider telephone *"),
            ("email", "Provider email *"),
        ):
            self.provider[key] = QLineEdit()
            form.addRow(label, self.provider[key])
        if len(self.staff) == 1:
            self.provider_pick.setCurrentIndex(1)
        self.setting_label = QLabel()
        self.clinic_button = QPushButton("Clinic settings...")
        self.clinic_button.clicked.connect(self.clinic_requested)
        form.addRow("Healthcare setting *", self.setting_label)
        form.addRow("", self.clinic_button)
        self.minutes = QSpinBox()
        self.minutes.setRange(-1, 24 * 60)
        self.minutes.setSpecialValueText("- enter -")
        self.minutes.setValue(-1)
        self.minutes.setSuffix(" min")
        suggestion = rems.get("suggestion")
        self.suggestion = None if suggestion is None else round(suggestion)
        self.suggestion_label = QLabel(
            f"Suggested from the record: {self.suggestion} min"
            if self.suggestion is not None
            else "No suggestion from the record\n(the criteria were never all met)"
        )
        self.use_suggestion = QPushButton("Use suggestion")
        self.use_suggestion.setEnabled(self.suggestion is not None)
        self.use_suggestion.clicked.connect(lambda: self.minutes.setValue(self.suggestion or 0))
        minutes_row = QHBoxLayout()
        minutes_row.addWidget(self.minutes)
        minutes_row.addWidget(self.use_suggestion)
        form.addRow("Minutes until ready to leave *", minutes_row)
        form.addRow("", self.suggestion_label)
        left.addLayout(form)
        left.addStretch(1)
        self.answers: dict[str, tuple[QComboBox, QLineEdit]] = {}
        questions = rems.get("questions") or []
        if not questions:
            layout.addWidget(QLabel("The record answers every yes/no question of the form."))
        if questions:
            title = QLabel("The record cannot answer these; answer each (Yes or No):")
            title.setStyleSheet("font-weight: bold; color: #FFD400;")
            title.setWordWrap(True)
            layout.addWidget(title)
        for question, label, details, lean in questions:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 4, 0, 4)
            hint = f"Record: {details}"
            if lean is not None:
                hint += f" (the record suggests {'Yes' if lean else 'No'})"
            shown = QLabel(f"<b>{label} *</b><br>{hint}")
            shown.setWordWrap(True)
            choice = QComboBox()
            choice.addItems([CHOOSE, "Yes", "No"])
            note = QLineEdit()
            note.setPlaceholderText("details (what you saw)")
            row = QHBoxLayout()
            row.addWidget(choice)
            row.addWidget(note, 1)
            column.addWidget(shown)
            column.addLayout(row)
            layout.addWidget(box)
            self.answers[question] = (choice, note)
        layout.addStretch(1)
        self.set_setting(rems.get("setting") or {}, rems.get("setting_missing") or [])

    def _picked(self, index: int) -> None:
        if index <= 0:
            return
        person = self.staff[index - 1]
        for key, edit in self.provider.items():
            edit.setText(getattr(person, key))

    def set_setting(self, setting: dict[str, str], missing: list[str]) -> None:
        """Show the healthcare setting from the clinic settings (and what it lacks)."""
        self.setting = dict(setting)
        first = ", ".join(p for p in (setting.get("name"), setting.get("address")) if p)
        second = " ".join(
            p for p in (setting.get("city"), setting.get("state"), setting.get("zip")) if p
        )
        text = "\n".join(p for p in (first, second) if p) or "not set"
        if missing:
            text += f"\nmissing: {', '.join(missing)}"
            self.setting_label.setStyleSheet("color: #FF8A8A;")
        else:
            self.setting_label.setStyleSheet("")
        self.setting_label.setText(text)

    def entries(self) -> dict[str, Any]:
        """The entries as ``SessionRuntime.sign`` takes them (unanswered ones left out)."""
        answers = {}
        for question, (choice, note) in self.answers.items():
            if choice.currentText() in ("Yes", "No"):
                answers[question] = {
                    "occurred": choice.currentText() == "Yes",
                    "details": note.text().strip(),
                }
        result: dict[str, Any] = {
            "answers": answers,
            "provider": {key: edit.text().strip() for key, edit in self.provider.items()},
            "setting": {
                k: self.setting.get(k, "") for k in ("name", "address", "city", "state", "zip")
            },
        }
        if self.minutes.value() >= 0:
            result["minutes_until_ready"] = self.minutes.value()
        return result
