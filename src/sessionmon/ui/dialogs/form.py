"""A form layout that shows each field's validation message right under the field.

Forms submit through the controller (:meth:`ConsoleController.submit`) and stay open when the
core refuses the intent: the refusal is shown next to the field it names, else at the top.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

#: Carries out a form's intent; returns the core's refusal (one line), or None when done.
Submit = Callable[[], str | None]


def label_words(label: str) -> str:
    """``"Lot number *"`` -> ``"lot number"``: how a message would name the field."""
    words = re.sub(r"\(.*?\)", "", label).replace("*", "")
    return " ".join(words.lower().split())


def submitted(submit: Submit | None, show_refusal: Callable[[str], None]) -> bool:
    """Run ``submit`` (if any); show its refusal with ``show_refusal``. True when it was done."""
    if submit is None:
        return True
    refusal = submit()
    if refusal:
        show_refusal(refusal)
        return False
    return True


def _change_signal(widget: QWidget):
    """The signal a field emits when the nurse edits it (None for compound fields)."""
    for name in ("textEdited", "textChanged", "currentIndexChanged", "valueChanged", "toggled"):
        signal = getattr(widget, name, None)
        if signal is not None and hasattr(signal, "connect"):
            return signal
    return None


class ValidatedForm(QFormLayout):
    """A :class:`QFormLayout` whose rows carry an error line that :meth:`show_errors` fills.

    Its first row is a form-wide message line (hidden until :meth:`show_refusal` needs it).
    Typed values are never cleared: a failed validation only shows messages and marks fields.
    """

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.labels: dict[str, str] = {}
        self.refusal = QLabel("")
        self.refusal.setObjectName("fieldError")
        self.refusal.setWordWrap(True)
        self.refusal.setVisible(False)
        self.addRow(self.refusal)

    def add_field(self, name: str, label: str, widget: QWidget) -> QWidget:
        """Add a row ``label: widget`` with an (initially hidden) error line under the widget."""
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel("")
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.setVisible(False)
        column.addWidget(error)
        self.addRow(label, holder)
        self.fields[name] = widget
        self.errors[name] = error
        self.labels[name] = label
        changed = _change_signal(widget)
        if changed is not None:  # editing a field clears its message (checked again on OK)
            changed.connect(lambda *_args, n=name: self.clear_error(n))
        return widget

    def clear_error(self, name: str) -> None:
        """Hide field ``name``'s message and its red mark (the field was edited)."""
        label = self.errors[name]
        if not label.text():
            return
        label.setText("")
        label.setVisible(False)
        widget = self.fields[name]
        widget.setProperty("invalid", False)
        widget.style().unpolish(widget)
        widget.style().polish(widget)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Show ``errors`` (field name -> message) and clear the others and the top line."""
        self._show_top("")
        for name, label in self.errors.items():
            message = errors.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
            widget = self.fields[name]
            widget.setProperty("invalid", bool(message))
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def field_named_in(self, message: str) -> str | None:
        """The field whose label ``message`` names (the longest such label), or None."""
        lowered = message.lower()
        best: tuple[int, str] | None = None
        for name, label in self.labels.items():
            words = label_words(label)
            named = bool(words) and re.search(rf"\b{re.escape(words)}\b", lowered)
            if named and (best is None or len(words) > best[0]):
                best = (len(words), name)
        return best[1] if best else None

    def show_refusal(self, message: str) -> None:
        """Show the core's refusal next to the field it names, else on the top line."""
        field = self.field_named_in(message)
        self.show_errors({field: message} if field else {})
        if field is None:
            self._show_top(message)
        else:
            self.fields[field].setFocus()

    def _show_top(self, message: str) -> None:
        self.refusal.setText(message)
        self.refusal.setVisible(bool(message))

    def error_text(self, name: str) -> str:
        """The message shown for field ``name`` ("" if none)."""
        return self.errors[name].text()

    def refusal_text(self) -> str:
        """The form-wide message shown on the top line ("" if none)."""
        return self.refusal.text()
