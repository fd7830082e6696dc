"""The alarm bar: active alarms in their colours and markers, audio state, acknowledge/pause."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from sessionmon.model import AlarmPriority
from sessionmon.ui import theme
from sessionmon.ui.viewmodel import AlarmItemView, AudioView

SHOWN_ALARMS = 3


def alarm_text(alarm: AlarmItemView) -> str:
    """Return the bar text of an alarm, e.g. ``*** SpO2 LOW 84``."""
    marker = theme.ALARM_MARKERS[alarm.priority]
    suffix = " (ACK)" if alarm.acknowledged else ""
    return f"{marker} {alarm.message}{suffix}"


class AlarmLabel(QLabel):
    """One alarm in the bar, flashing at its priority's rate."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedHeight(52)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.full_text = ""
        self.alarm: AlarmItemView | None = None
        self._style: str | None = None

    def show_alarm(self, alarm: AlarmItemView | None, lit: bool) -> None:
        """Show ``alarm`` (or hide when ``None``)."""
        self.alarm = alarm
        if alarm is None:
            self.setVisible(False)
            return
        self.setVisible(True)
        text = alarm_text(alarm)
        if self.full_text != text:
            self.full_text = text
            self.setToolTip(text)
            self._elide()
        colour = theme.ALARM_COLOURS[alarm.priority]
        flashing = not alarm.acknowledged
        if lit or not flashing:
            style = (
                f"background-color: {colour}; color: {theme.ALARM_TEXT[alarm.priority]};"
                f" font-size: 22px; font-weight: bold; border-radius: 6px; padding: 2px 8px;"
            )
        else:
            style = (
                f"background-color: {theme.BACKGROUND}; color: {colour};"
                f" border: 3px solid {colour};"
                f" font-size: 22px; font-weight: bold; border-radius: 6px; padding: 2px 8px;"
            )
        if style != self._style:
            self._style = style
            self.setStyleSheet(style)
            self._elide()

    def _elide(self) -> None:
        width = max(20, self.width() - 20)
        self.setText(
            self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, width)
        )

    def resizeEvent(self, event) -> None:
        """Re-elide the text to the new width."""
        super().resizeEvent(event)
        self._elide()

    @property
    def colour(self) -> str | None:
        """The alarm colour shown, or ``None`` when hidden."""
        return theme.ALARM_COLOURS[self.alarm.priority] if self.alarm else None


class AlarmBar(QFrame):
    """Active alarms, audio state and the acknowledge / audio-pause buttons.

    Signals
    -------
    acknowledge_requested()
        The nurse acknowledged (button or F1).
    audio_pause_requested()
        The nurse paused the audio (button or F2).
    """

    acknowledge_requested = Signal()
    audio_pause_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.labels = [AlarmLabel() for _ in range(SHOWN_ALARMS)]
        self.no_alarm = QLabel("No active alarms")
        self.no_alarm.setObjectName("dim")
        self.no_alarm.setStyleSheet(f"color: {theme.TEXT_DIM}; font-size: 22px;")
        self.more = QLabel("")
        self.more.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.audio = QLabel("AUDIO ON")
        self.audio.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.audio.setMinimumWidth(200)
        self.ack_button = QPushButton("Acknowledge\nF1")
        self.pause_button = QPushButton("Audio pause\nF2")
        for button in (self.ack_button, self.pause_button):
            button.setMinimumHeight(52)
            button.setStyleSheet("font-size: 17px; padding: 2px 10px;")
        alarms = QHBoxLayout()
        alarms.setSpacing(8)
        alarms.addWidget(self.no_alarm, 1)
        for index, label in enumerate(self.labels):
            alarms.addWidget(label, 4 if index == 0 else 3)
        alarms.addWidget(self.more)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(alarms, 1)
        layout.addWidget(self.ack_button)
        layout.addWidget(self.pause_button)
        self.ack_button.clicked.connect(self.acknowledge_requested)
        self.pause_button.clicked.connect(self.audio_pause_requested)
        self._audio_style: str | None = None
        self.set_state((), AudioView(), 0.0)

    def set_state(
        self, alarms: tuple[AlarmItemView, ...], audio: AudioView, phase_s: float
    ) -> None:
        """Show ``alarms`` (highest priority first) and the audio state at flash ``phase_s``."""
        ordered = sorted(alarms, key=lambda a: (a.acknowledged, -a.priority.rank))
        for index, label in enumerate(self.labels):
            alarm = ordered[index] if index < len(ordered) else None
            lit = theme.flash_on(alarm.priority, phase_s) if alarm else True
            label.show_alarm(alarm, lit)
        self.no_alarm.setVisible(not ordered)
        extra = len(ordered) - SHOWN_ALARMS
        self.more.setText(f"+{extra} more" if extra > 0 else "")
        self.ack_button.setEnabled(any(not a.acknowledged for a in ordered))
        self._show_audio(audio)

    def _show_audio(self, audio: AudioView) -> None:
        self.audio.setText(audio.text)
        if audio.state == "unavailable":
            style = "background: #FFD400; color: #000000;"
        elif audio.state == "paused":
            style = "background: #000000; color: #FFD400; border: 3px solid #FFD400;"
        else:
            style = "background: #000000; color: #39FF6A; border: 2px solid #39FF6A;"
        style += " font-size: 17px; font-weight: bold; padding: 4px 6px; border-radius: 6px;"
        if style != self._audio_style:
            self._audio_style = style
            self.audio.setStyleSheet(style)

    def shown_alarms(self) -> list[AlarmItemView]:
        """The alarms visible now, in display order."""
        return [label.alarm for label in self.labels if label.alarm is not None]

    def top_priority(self) -> AlarmPriority | None:
        """The priority of the first alarm shown."""
        shown = self.shown_alarms()
        return shown[0].priority if shown else None
