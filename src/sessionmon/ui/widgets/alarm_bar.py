"""The alarm bar: active alarms in their colours and markers, audio state, acknowledge/pause."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
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
from sessionmon.ui.widgets.elide import elide_words

SHOWN_ALARMS = 3
#: Font size of the first (highest priority) alarm and of the others, px.
FIRST_ALARM_PX = 24
OTHER_ALARM_PX = 19
#: When alarms do not fit, their text shrinks down to this size before being cut, px.
MIN_ALARM_PX = 15
#: Height of the alarms and buttons, px (normal and in a short window).
HEIGHT_PX = 52
COMPACT_HEIGHT_PX = 44
#: Border and padding around an alarm's text, px.
LABEL_PADDING_PX = 18


#: Shown after an acknowledged alarm's label; never cut away when the text is elided.
ACK_SUFFIX = " (ACK)"


def alarm_text(alarm: AlarmItemView) -> str:
    """Return the bar text of an alarm: marker and short label, e.g. ``*** SpO2 LOW 80``."""
    marker = theme.ALARM_MARKERS[alarm.priority]
    suffix = ACK_SUFFIX if alarm.acknowledged else ""
    if alarm.seen_by and not alarm.acknowledged:
        suffix = f" · seen at central by {alarm.seen_by}"
    return f"{marker} {alarm.short or alarm.message}{suffix}"


def alarm_tooltip(alarm: AlarmItemView) -> str:
    """Return the full description of an alarm for its tooltip."""
    text = f"{theme.ALARM_MARKERS[alarm.priority]} {alarm.message}"
    details = [alarm.priority.value + " priority"]
    if alarm.started:
        details.append(f"since {alarm.started}")
    if alarm.acknowledged:
        details.append("acknowledged")
    if alarm.latched:
        details.append("latched")
    if alarm.seen_by:
        details.append(f"seen at central by {alarm.seen_by}")
    return f"{text}\n{', '.join(details)}"


class AlarmLabel(QLabel):
    """One alarm in the bar, flashing at its priority's rate.

    Parameters
    ----------
    font_px : int
        Text size (the first, highest-priority alarm is the biggest).
    """

    def __init__(self, font_px: int = OTHER_ALARM_PX, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedHeight(HEIGHT_PX)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.nominal_px = font_px
        self.font_px = font_px
        self._lit = True
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
        tooltip = alarm_tooltip(alarm)
        if self.toolTip() != tooltip:
            self.setToolTip(tooltip)
        if self.full_text != text:
            self.full_text = text
            self._elide()
        self._lit = lit
        self._restyle()

    def _restyle(self) -> None:
        alarm = self.alarm
        if alarm is None:
            return
        colour = theme.ALARM_COLOURS[alarm.priority]
        flashing = not alarm.acknowledged
        font = f" font-size: {self.font_px}px; font-weight: bold; border-radius: 6px;"
        if self._lit or not flashing:
            style = (
                f"background-color: {colour}; color: {theme.ALARM_TEXT[alarm.priority]};"
                f" border: 3px solid {colour};{font} padding: 2px 4px;"
            )
        else:
            style = (
                f"background-color: {theme.BACKGROUND}; color: {colour};"
                f" border: 3px solid {colour};{font} padding: 2px 4px;"
            )
        if style != self._style:
            self._style = style
            self.setStyleSheet(style)
            self._elide()

    def set_font_px(self, px: int) -> None:
        """Draw the text at ``px`` (the bar shrinks it when several alarms must fit)."""
        if px != self.font_px:
            self.font_px = px
            self._restyle()

    def width_at(self, px: int) -> int:
        """Pixels the whole text needs at font size ``px`` (with the padding and border)."""
        font = QFont(self.font())
        font.setPixelSize(px)
        font.setBold(True)
        return QFontMetrics(font).horizontalAdvance(self.full_text) + LABEL_PADDING_PX

    def text_width(self) -> int:
        """Pixels the whole text needs at its current size (with the padding and border)."""
        return self.width_at(self.font_px)

    @property
    def elided(self) -> bool:
        """Whether the text is cut to fit."""
        return self.text() != self.full_text

    def _elide(self) -> None:
        """Cut the label to the width, keeping the marker and "(ACK)": acknowledged must show."""
        self.ensurePolished()
        width = max(20, self.width() - 14)
        metrics = self.fontMetrics()
        text = self.full_text
        suffix = ACK_SUFFIX if text.endswith(ACK_SUFFIX) else ""
        if suffix and metrics.horizontalAdvance(text) > width:
            body = text[: -len(suffix)]
            room = max(20, width - metrics.horizontalAdvance(suffix))
            self.setText(elide_words(body, metrics, room) + suffix)
            return
        self.setText(elide_words(text, metrics, width))

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
        self.labels = [
            AlarmLabel(FIRST_ALARM_PX if index == 0 else OTHER_ALARM_PX)
            for index in range(SHOWN_ALARMS)
        ]
        self.no_alarm = QLabel("No active alarms")
        self.no_alarm.setObjectName("dim")
        self.no_alarm.setStyleSheet(f"color: {theme.TEXT_DIM}; font-size: 22px;")
        self.more = QLabel("")
        self.more.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.audio = QLabel("AUDIO ON")
        self.audio.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ack_button = QPushButton("Acknowledge\nF1")
        self.pause_button = QPushButton("Audio pause\nF2")
        for button in (self.ack_button, self.pause_button):
            button.setMinimumHeight(HEIGHT_PX)
            button.setStyleSheet("font-size: 15px; padding: 2px 6px;")
        self.alarm_row = alarms = QHBoxLayout()
        alarms.setSpacing(6)
        alarms.addWidget(self.no_alarm, 1)
        for label in self.labels:
            alarms.addWidget(label, 1)
        alarms.addWidget(self.more)
        self._fit_key: tuple = ()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(alarms, 1)
        layout.addWidget(self.ack_button)
        layout.addWidget(self.pause_button)
        self.ack_button.clicked.connect(self.acknowledge_requested)
        self.pause_button.clicked.connect(self.audio_pause_requested)
        self._audio_style: str | None = None
        self._shown: tuple = ()
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
        self._share_width()
        self.ack_button.setEnabled(any(not a.acknowledged for a in ordered))
        self._show_audio(audio)
        shown = tuple((a.condition, a.priority, a.acknowledged) for a in ordered)
        if shown != self._shown and self.isVisible():
            # An alarm that starts or ends is drawn now, not when the window next paints (the
            # rest of the window waits for its turn); its label is laid out first.
            self.layout().activate()
            self.repaint()
        self._shown = shown

    def alarm_room(self) -> int:
        """Pixels the alarms may take: the bar less its buttons, margins and gaps."""
        layout = self.layout()
        margins = layout.contentsMargins()
        shown = sum(1 for label in self.labels if label.alarm is not None)
        more = self.more.sizeHint().width() + self.alarm_row.spacing() if self.more.text() else 0
        return (
            self.width()
            - margins.left()
            - margins.right()
            - self.ack_button.sizeHint().width()
            - self.pause_button.sizeHint().width()
            - 2 * layout.spacing()
            - max(0, shown - 1) * self.alarm_row.spacing()
            - more
        )

    def _share_width(self) -> None:
        """Fit the alarms: shrink their text if needed (the first stays the biggest), then give
        each room in proportion to its text, so the short labels are not cut."""
        shown = [label for label in self.labels if label.alarm is not None]
        # What the room depends on, cheaper to compare on every frame than the room itself.
        key = (
            tuple(label.full_text for label in shown),
            self.width(),
            self.more.text(),
            self.ack_button.minimumHeight(),
        )
        if key == self._fit_key:
            return
        self._fit_key = key
        room = self.alarm_room()
        sizes = [label.nominal_px for label in shown]
        while sum(label.width_at(px) for label, px in zip(shown, sizes, strict=True)) > room:
            if all(px <= MIN_ALARM_PX for px in sizes):
                break  # the text is cut (elided), with the whole message in the tooltip
            sizes = [max(MIN_ALARM_PX, px - 1) for px in sizes]
        for label, px in zip(shown, sizes, strict=True):
            label.set_font_px(px)
        for index, label in enumerate(self.labels):
            self.alarm_row.setStretch(index + 1, label.text_width() if label.alarm else 1)

    def set_compact(self, compact: bool) -> None:
        """Use the lower bar (a short window): alarms and buttons 44 px high instead of 52."""
        height = COMPACT_HEIGHT_PX if compact else HEIGHT_PX
        for label in self.labels:
            label.setFixedHeight(height)
        for button in (self.ack_button, self.pause_button):
            button.setMinimumHeight(height)

    def resizeEvent(self, event) -> None:
        """Fit the alarms to the new width."""
        super().resizeEvent(event)
        self._share_width()

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
