"""One chair's tile at the central station, and what it shows (plain text, testable)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.central.state import CentralState, ChairState
from sessionmon.model import AlarmPriority
from sessionmon.ui import theme

#: Numerics on a tile: (kind, label, colour, decimals).
TILE_NUMERICS = (
    ("hr", "HR", theme.HR_COLOUR),
    ("spo2", "SpO2", theme.SPO2_COLOUR),
    ("bp", "BP", theme.NIBP_COLOUR),
    ("resp_rate", "RR", "#FFB000"),
    ("etco2", "etCO2", "#FFB000"),
)
NUMERIC_PX = theme.NUMERIC_SMALL_PX
AGE_PX = 15


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


@dataclass(frozen=True)
class TileView:
    """Everything a tile shows (built from the central state, no Qt)."""

    chair: str
    online: bool
    pseudonym: str
    phase: str
    numerics: tuple[tuple[str, str, str, str], ...]  # (label, value, age, colour)
    alarm_text: str
    alarm_priority: AlarmPriority | None
    alarm_seen: bool
    next_check: str


def tile_view(state: CentralState, chair: ChairState) -> TileView:
    """What ``chair``'s tile shows now."""
    offline = state.chair_alarm(chair.chair)
    status = chair.status
    pseudonym = status.pseudonym if status and status.pseudonym else "no session"
    phase = ""
    if status and status.phase:
        phase = status.phase.value.replace("_", " ")
        if status.minutes_since_dose is not None:
            phase += f" · {status.minutes_since_dose:.0f} min since dose"
    values = chair.vitals.values if chair.vitals else {}
    numerics = []
    for kind, label, colour in TILE_NUMERICS:
        if kind == "bp":
            sys_, dia = values.get("nibp_sys"), values.get("nibp_dia")
            if sys_ is None or dia is None:
                numerics.append((label, "-/-", "", colour))
                continue
            numerics.append(
                (
                    label,
                    f"{sys_.value:.0f}/{dia.value:.0f}",
                    _age(state.vitals_age_s(chair, "nibp_sys")),
                    colour,
                )
            )
            continue
        item = values.get(kind)
        if item is None:
            if kind in ("resp_rate", "etco2"):
                continue  # shown only when the chair has them
            numerics.append((label, "-", "", colour))
            continue
        shown = colour if not item.stale else theme.STALE
        numerics.append((label, f"{item.value:.0f}", _age(state.vitals_age_s(chair, kind)), shown))
    top = chair.highest_alarm()
    if offline is not None:
        alarm_text = f"{theme.ALARM_MARKERS[offline.priority]} {offline.message}"
        priority, seen = offline.priority, offline.acknowledged
    elif top is not None:
        seen = state.seen_at_central(top)
        more = f"  +{len(chair.alarms) - 1}" if len(chair.alarms) > 1 else ""
        ack = " (ACK)" if top.acknowledged else (" (seen)" if seen else "")
        alarm_text = f"{theme.ALARM_MARKERS[top.priority]} {top.message}{ack}{more}"
        priority = top.priority
    else:
        alarm_text, priority, seen = "No alarms", None, False
    next_check = ""
    if status and status.next_check:
        check = status.next_check
        when = f" at {check.due_at.astimezone().strftime('%H:%M')}" if check.due_at else ""
        next_check = f"Next: {check.label}{when} ({check.status})"
    return TileView(
        chair=chair.chair,
        online=offline is None and chair.online is True,
        pseudonym=pseudonym,
        phase=phase,
        numerics=tuple(numerics),
        alarm_text=alarm_text,
        alarm_priority=priority,
        alarm_seen=seen,
        next_check=next_check,
    )


class ChairTile(QFrame):
    """A chair at central: name, pseudonym, phase, numerics with age, top alarm, next check."""

    clicked = Signal(str)
    acknowledge_requested = Signal(str)

    def __init__(self, chair: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chair = chair
        self.setObjectName("chairTile")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        self.title = QLabel(chair)
        self.title.setStyleSheet(f"font-size: 28px; font-weight: bold; color: {theme.TEXT};")
        self.subtitle = QLabel("")
        self.subtitle.setStyleSheet(f"font-size: 18px; color: {theme.TEXT_DIM};")
        self.ack_button = QPushButton("Acknowledge")
        self.ack_button.setToolTip("Silence central for this chair (the chair keeps its alarm)")
        self.ack_button.clicked.connect(lambda: self.acknowledge_requested.emit(self.chair))
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.ack_button)
        layout.addLayout(header)
        layout.addWidget(self.subtitle)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(18)
        layout.addLayout(self.grid)
        self._cells: list[tuple[QLabel, QLabel, QLabel]] = []
        self.alarm = QLabel("")
        self.alarm.setWordWrap(True)
        self.alarm.setMinimumHeight(40)
        self.next_check = QLabel("")
        self.next_check.setStyleSheet(f"font-size: 17px; color: {theme.TEXT};")
        layout.addWidget(self.alarm)
        layout.addWidget(self.next_check)
        layout.addStretch(1)
        self.view: TileView | None = None

    def _cell(self, index: int) -> tuple[QLabel, QLabel, QLabel]:
        while len(self._cells) <= index:
            col = len(self._cells)
            label, value, age = QLabel(), QLabel(), QLabel()
            label.setStyleSheet(f"font-size: 16px; color: {theme.TEXT_DIM};")
            age.setStyleSheet(f"font-size: {AGE_PX}px; color: {theme.TEXT_DIM};")
            self.grid.addWidget(label, 0, col)
            self.grid.addWidget(value, 1, col)
            self.grid.addWidget(age, 2, col)
            self._cells.append((label, value, age))
        return self._cells[index]

    def show_view(self, view: TileView, lit: bool) -> None:
        """Show ``view``; ``lit`` is the flash phase of the alarm colour."""
        self.view = view
        self.title.setText(view.chair if view.online else f"{view.chair} — OFFLINE")
        self.subtitle.setText(" · ".join(p for p in (view.pseudonym, view.phase) if p))
        for i, (label, value, age, colour) in enumerate(view.numerics):
            cells = self._cell(i)
            cells[0].setText(label)
            cells[1].setText(value)
            colour = colour if view.online else theme.STALE
            cells[1].setStyleSheet(
                f"font-size: {NUMERIC_PX}px; font-weight: bold; color: {colour};"
            )
            cells[2].setText(age)
        for cells in self._cells[len(view.numerics) :]:
            for cell in cells:
                cell.setText("")
        self.alarm.setText(view.alarm_text)
        self.ack_button.setEnabled(view.alarm_priority is not None and not view.alarm_seen)
        self.next_check.setText(view.next_check)
        priority = view.alarm_priority
        border = theme.PANEL_BORDER
        if priority is None:
            self.alarm.setStyleSheet(f"font-size: 20px; color: {theme.TEXT_DIM}; padding: 4px;")
        else:
            colour = theme.ALARM_COLOURS[priority]
            border = colour
            if lit or view.alarm_seen:
                self.alarm.setStyleSheet(
                    f"font-size: 20px; font-weight: bold; background: {colour}; "
                    f"color: {theme.ALARM_TEXT[priority]}; padding: 4px;"
                )
            else:
                self.alarm.setStyleSheet(
                    f"font-size: 20px; font-weight: bold; color: {colour}; padding: 4px;"
                )
        background = theme.PANEL if view.online else "#1C1C1C"
        self.setStyleSheet(
            f"#chairTile {{ background: {background}; border: 3px solid {border}; "
            "border-radius: 6px; }"
        )

    def mousePressEvent(self, event) -> None:
        """A click opens the chair's trends."""
        self.clicked.emit(self.chair)
        super().mousePressEvent(event)
