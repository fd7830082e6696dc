"""Annotation dialog: a canned note or free text, recorded at the time it is confirmed."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QListWidget,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.dialogs.form import Submit, ValidatedForm, submitted

#: Canned notes, on Ctrl+1 .. Ctrl+5 in the main window.
CANNED_NOTES: tuple[str, ...] = (
    "Patient reports nausea",
    "Patient dissociating, reassured",
    "Patient asleep, rousable",
    "Patient to toilet, accompanied",
    "Escort present",
)


class AnnotationDialog(QDialog):
    """Choose a canned note or type one.

    Attributes
    ----------
    submit : callable, optional
        Records the note; returns the core's refusal (shown in place, the dialog stays open).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Annotation")
        self.submit: Submit | None = None
        self.canned = QListWidget()
        for index, note in enumerate(CANNED_NOTES, start=1):
            self.canned.addItem(f"Ctrl+{index}  {note}")
        # Every canned note whole, with no scrolling; none chosen until the nurse picks one.
        self.canned.setCurrentRow(-1)
        rows = self.canned.sizeHintForRow(0) * len(CANNED_NOTES)
        self.canned.setFixedHeight(rows + 2 * self.canned.frameWidth() + 4)
        self.setMinimumWidth(max(560, self.canned.sizeHintForColumn(0) + 60))
        self.form_layout = ValidatedForm()
        self.text = self.form_layout.add_field("text", "Note", QPlainTextEdit())
        self.text.setFixedHeight(90)
        self.canned.itemClicked.connect(self._pick)
        self.canned.itemActivated.connect(self._pick)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.canned)
        layout.addLayout(self.form_layout)
        layout.addWidget(buttons)

    def _pick(self, item) -> None:
        self.text.setPlainText(CANNED_NOTES[self.canned.row(item)])

    def pick(self, row: int) -> None:
        """Choose canned note ``row`` (0-based), as a click on it does."""
        self.canned.setCurrentRow(row)
        self._pick(self.canned.item(row))

    def note(self) -> str:
        """The note text."""
        return self.text.toPlainText().strip()

    def try_accept(self) -> bool:
        """Record the note if there is one; a refusal keeps the dialog (and the text) open."""
        errors = {} if self.note() else {"text": "Type a note or pick one from the list."}
        self.form_layout.show_errors(errors)
        if errors or not submitted(self.submit, self.form_layout.show_refusal):
            return False
        self.accept()
        return True
