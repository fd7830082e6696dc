"""Launch reminder: records that are not finished (unsigned, REMS form due soon or overdue).

Shown at console launch, non-modal, so the nurse can start monitoring at once and come back to
it. Each line is one session; buttons open it in the session history or export its REMS form.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ReminderDialog(QDialog):
    """Lists :class:`~sessionmon.export.Reminder` items.

    Signals
    -------
    history_requested(object)
        Open the session history with this session id selected.
    rems_export_requested(object)
        Export the REMS form of this session id.
    """

    history_requested = Signal(object)
    rems_export_requested = Signal(object)

    def __init__(self, reminders: Sequence[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Records to finish")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.resize(900, 360)
        self.reminders = list(reminders)
        count = len(self.reminders)
        title = QLabel(
            f"Records to finish ({count}): each session is signed, and its REMS monitoring"
            " form sent within 7 days."
        )
        title.setWordWrap(True)
        title.setStyleSheet("font-size: 20px; font-weight: bold; color: #FFD400;")
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSpacing(3)
        self.setMinimumWidth(820)
        for reminder in self.reminders:
            item = QListWidgetItem(reminder.message)
            item.setData(Qt.ItemDataRole.UserRole, reminder.session_id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.history_button = QPushButton("Open in session history")
        self.export_button = QPushButton("Export REMS form...")
        later = QPushButton("Later")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.history_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(later)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        self.history_button.clicked.connect(lambda: self._emit(self.history_requested))
        self.export_button.clicked.connect(lambda: self._emit(self.rems_export_requested))
        self.list.itemDoubleClicked.connect(lambda _item: self._emit(self.history_requested))
        later.clicked.connect(self.close)
        self.list.currentRowChanged.connect(self._selection_changed)
        self._selection_changed()

    def messages(self) -> list[str]:
        """The lines shown."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def selected_session(self) -> Any | None:
        """The session id of the selected line."""
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _selection_changed(self) -> None:
        chosen = self.selected_session()
        self.history_button.setEnabled(chosen is not None)
        reminder = next((r for r in self.reminders if r.session_id == chosen), None)
        self.export_button.setEnabled(reminder is not None and reminder.state.rems_required)

    def _emit(self, signal) -> None:
        chosen = self.selected_session()
        if chosen is not None:
            signal.emit(chosen)
