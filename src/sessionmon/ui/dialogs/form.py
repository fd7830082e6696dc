"""A form layout that shows each field's validation message right under the field."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget


class ValidatedForm(QFormLayout):
    """A :class:`QFormLayout` whose rows carry an error line that :meth:`show_errors` fills.

    Typed values are never cleared: a failed validation only shows messages and marks fields.
    """

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.labels: dict[str, str] = {}

    def add_field(self, name: str, label: str, widget: QWidget) -> QWidget:
        """Add a row ``label: widget`` with an (initially hidden) error line under the widget."""
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel("")
        error.setObjectName("fieldError")
        error.setVisible(False)
        column.addWidget(error)
        self.addRow(label, holder)
        self.fields[name] = widget
        self.errors[name] = error
        self.labels[name] = label
        return widget

    def show_errors(self, errors: dict[str, str]) -> None:
        """Show ``errors`` (field name -> message) and clear the others."""
        for name, label in self.errors.items():
            message = errors.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
            widget = self.fields[name]
            widget.setProperty("invalid", bool(message))
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def error_text(self, name: str) -> str:
        """The message shown for field ``name`` ("" if none)."""
        return self.errors[name].text()
