"""The console window's action buttons, Session menu and keyboard shortcuts, and the
controller's signals wired to the window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QPushButton,
)

from sessionmon.ui import sign_in_flow
from sessionmon.ui.dialogs.annotation import CANNED_NOTES
from sessionmon.ui.widgets.fit_row import FitRow

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.window_wiring import ConsoleWindow

    _Base = ConsoleWindow
else:
    _Base = object

#: Styles of the action buttons, biggest first: (font px, show the shortcut line). A narrow
#: window steps down until every label fits whole (the shortcut stays in the tooltip). A short
#: window (:attr:`compact`) never shows the shortcut line: its 10 px go to the tile row.
ACTION_LEVELS: tuple[tuple[int, bool], ...] = ((17, True), (15, True), (15, False), (13, False))
#: The action buttons' height with and without the shortcut line, px.
ACTION_HEIGHT_PX = {True: 50, False: 40}


class WindowActions(_Base):
    """Builds the action row, the menu and the shortcuts; connects the controller's signals."""

    __slots__ = ()  # the window keeps the state; a mixin adds no instance layout

    def _button(self, text: str, slot, shortcut: str | None = None) -> QPushButton:
        button = QPushButton(text)
        self.action_words[button] = (text, shortcut or "")
        if shortcut:
            button.setToolTip(f"{text} ({shortcut})")
        button.clicked.connect(slot)
        if shortcut:
            QShortcut(QKeySequence(shortcut), self, slot)
        return button

    def _style_actions(self, level: int) -> None:
        """Draw the action buttons at ``level`` (see :data:`ACTION_LEVELS`); a short window
        leaves the shortcut line out at every level."""
        px, with_shortcut = ACTION_LEVELS[level]
        with_shortcut = with_shortcut and not self.compact
        for button in self.action_buttons:
            label, shortcut = self.action_words[button]
            button.setText(f"{label}\n{shortcut}" if with_shortcut and shortcut else label)
            button.setMinimumHeight(ACTION_HEIGHT_PX[with_shortcut])
            button.setStyleSheet(f"font-size: {px}px; padding: 2px 6px;")

    def fit_actions_to_height(self) -> None:
        """Restyle the action row after :attr:`compact` changed (with or without shortcuts)."""
        self.action_row.remeasure()  # the widths of every level change with the text
        self._style_actions(self.action_row.level)
        self.action_row.updateGeometry()

    def _build_actions(self) -> None:
        self.action_words: dict[QPushButton, tuple[str, str]] = {}  # button -> (label, shortcut)
        self.new_button = self._button("New session", self.show_new_session, "Ctrl+Shift+N")
        self.baseline_button = self._button(
            "Start pre-dose", self.controller.start_baseline, "Ctrl+B"
        )
        self.dose_button = self._button("Dose given", self.show_dose, "Ctrl+D")
        self.checklist_button = self._button("Checklist", self.show_checklist, "Ctrl+K")
        self.note_button = self._button("Note", self.show_annotation, "Ctrl+N")
        self.discharge_button = self._button("Discharge", self.show_discharge, "Ctrl+E")
        self.action_buttons = (
            self.new_button,
            self.baseline_button,
            self.dose_button,
            self.checklist_button,
            self.note_button,
            self.discharge_button,
        )
        self.action_row = FitRow(
            [(button, 1) for button in self.action_buttons],
            len(ACTION_LEVELS),
            self._style_actions,
        )
        menu = self.menuBar().addMenu("&Session")
        for text, slot, key in (
            ("New session...", self.show_new_session, None),
            ("Patient details...", self.show_patient_details, None),
            ("End session...", self.show_end_session, None),
            ("Devices...", self.show_device_setup, None),
            ("Safety checklist...", self.show_safety_checklist, "Ctrl+Shift+S"),
            ("Drug wasted...", self.show_waste, None),
            ("Manual BP...", self.show_manual_bp, "Ctrl+M"),
            ("Alarm limits...", self.show_alarm_limits, None),
            ("Alarm log...", self.show_alarm_log, None),
            ("Clinic settings...", self.show_clinic_settings, None),
            ("Session history...", self.show_history, "Ctrl+H"),
            ("Treatment course...", self.show_course, "Ctrl+Shift+C"),
            ("Questionnaire...", self.show_questionnaire, "Ctrl+Shift+Q"),
            ("Questionnaire on the tablet (kiosk)...", self.show_kiosk_questionnaire, None),
            ("Export...", self.show_export, "Ctrl+Shift+E"),
        ):
            action = QAction(text, self)
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            if key:
                action.setShortcut(QKeySequence(key))
            menu.addAction(action)
        menu.addSeparator()
        quit_action = QAction("Quit", self)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)
        QShortcut(QKeySequence("F1"), self, self.controller.acknowledge)
        QShortcut(QKeySequence("F2"), self, self.controller.pause_audio)
        QShortcut(QKeySequence("F3"), self, self.controller.measure_bp)
        QShortcut(QKeySequence(sign_in_flow.SWITCH_USER_KEY), self, self.show_switch_user)
        for index, note in enumerate(CANNED_NOTES, start=1):
            QShortcut(
                QKeySequence(f"Ctrl+{index}"), self, lambda n=note: self.controller.annotate(n)
            )

    def _connect(self) -> None:
        c = self.controller
        c.view_changed.connect(self.show_view)
        c.error.connect(self.show_message)
        c.info.connect(self.show_message)
        c.session_changed.connect(self._session_changed)
        c.failure.connect(self.show_failure)
        self.alarm_bar.acknowledge_requested.connect(c.acknowledge)
        self.alarm_bar.audio_pause_requested.connect(c.pause_audio)
        self.nibp_tile.start_requested.connect(c.measure_bp)
        self.nibp_tile.stop_requested.connect(c.stop_bp)
        self.nibp_tile.interval_changed.connect(c.set_nibp_interval)
        self.nibp_tile.manual_requested.connect(self.show_manual_bp)
