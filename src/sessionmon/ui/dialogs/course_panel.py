"""The course view's actions: edit the indication and schedule, close the course with a reason,
export it (de-identified by default). Shows the fields and emits intent through callables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from sessionmon.course.model import Course, CourseStatus
from sessionmon.course.plan import CLOSE_LABELS, INDICATION_LABELS, format_schedule
from sessionmon.errors import UserError
from sessionmon.ui.course_intents import EXPORT_FORMATS

#: ``edit(indication, other, schedule, reason, by)``, ``close(reason, note, by)``,
#: ``export(fmt, path, deidentified)``: each returns the line to show or raises UserError.
Action = Callable[..., str]


class CourseActions(QWidget):
    """Edit / close / export rows under the course view.

    Attributes
    ----------
    on_edit, on_close, on_export : callable, optional
        Set by the window; see :data:`Action`.
    """

    def __init__(self, course: Course, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on_edit: Action | None = None
        self.on_close: Action | None = None
        self.on_export: Action | None = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        editing = QGroupBox("Change the course")
        grid = QGridLayout(editing)
        self.indication = QComboBox()
        for indication, label in INDICATION_LABELS.items():
            self.indication.addItem(label, indication.value)
        self.indication.setCurrentIndex(self.indication.findData(course.indication.value))
        self.other = QLineEdit(course.indication_other or "")
        self.other.setPlaceholderText("what it is, for 'Other'")
        self.schedule = QLineEdit(format_schedule(course.schedule))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("why (kept with the change)")
        self.by = QLineEdit()
        self.by.setPlaceholderText("your name")
        self.save_button = QPushButton("Save changes")
        for r, (label, widget) in enumerate(
            (
                ("Indication", self.indication),
                ("Other", self.other),
                ("Schedule", self.schedule),
                ("Reason", self.reason),
                ("By", self.by),
            )
        ):
            grid.addWidget(QLabel(label), r, 0)
            grid.addWidget(widget, r, 1)
        grid.addWidget(self.save_button, 5, 1)
        closing = QGroupBox("Close the course")
        grid = QGridLayout(closing)
        self.close_reason = QComboBox()
        for reason, label in CLOSE_LABELS.items():
            self.close_reason.addItem(label, reason.value)
        self.close_note = QLineEdit()
        self.close_note.setPlaceholderText("note (needed for 'Other')")
        self.close_button = QPushButton("Close course")
        grid.addWidget(QLabel("Reason"), 0, 0)
        grid.addWidget(self.close_reason, 0, 1)
        grid.addWidget(QLabel("Note"), 1, 0)
        grid.addWidget(self.close_note, 1, 1)
        grid.addWidget(self.close_button, 2, 1)
        exporting = QGroupBox("Export the course")
        grid = QGridLayout(exporting)
        self.format = QComboBox()
        for fmt in EXPORT_FORMATS:
            self.format.addItem(fmt.upper() if fmt != "fhir" else "FHIR", fmt)
        self.deidentify = QCheckBox("De-identify (no name, DOB, MRN or staff; dates shifted)")
        self.deidentify.setChecked(True)
        self.path = QLineEdit()
        self.path.setPlaceholderText("file to write, e.g. ~/course.csv")
        self.export_button = QPushButton("Export")
        grid.addWidget(QLabel("Format"), 0, 0)
        grid.addWidget(self.format, 0, 1)
        grid.addWidget(self.deidentify, 1, 0, 1, 2)
        grid.addWidget(QLabel("File"), 2, 0)
        grid.addWidget(self.path, 2, 1)
        grid.addWidget(self.export_button, 3, 1)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        if course.status is CourseStatus.CLOSED:
            editing.setEnabled(False)
            closing.setEnabled(False)
            editing.setToolTip("A closed course cannot change; open a new course instead.")
        row.addWidget(editing, 2)
        row.addWidget(closing, 1)
        row.addWidget(exporting, 2)
        self.save_button.clicked.connect(self._save)
        self.close_button.clicked.connect(self._close)
        self.export_button.clicked.connect(self._export)

    def _run(self, action: Action | None, *args: Any) -> None:
        if action is None:
            return
        try:
            self.message.setText(action(*args))
        except UserError as exc:
            self.message.setText(f"Not done: {exc}")

    def _save(self) -> None:
        self._run(
            self.on_edit,
            self.indication.currentData(),
            self.other.text(),
            self.schedule.text(),
            self.reason.text(),
            self.by.text(),
        )

    def _close(self) -> None:
        self._run(
            self.on_close, self.close_reason.currentData(), self.close_note.text(), self.by.text()
        )

    def _export(self) -> None:
        self._run(
            self.on_export, self.format.currentData(), self.path.text(), self.deidentify.isChecked()
        )
