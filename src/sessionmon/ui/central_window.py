"""The central station's window: one tile per chair, central's own alarms, audio pause.

The window reads :class:`~sessionmon.central.state.CentralState` four times a second (fed by
the MQTT station on its own thread), sounds the highest alarm not yet seen at central with the
consoles' IEC tones, and sends "seen at central" when the nurse acknowledges here.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.central.state import CentralState
from sessionmon.clock import Clock
from sessionmon.model import AlarmPriority
from sessionmon.ui import theme
from sessionmon.ui.central_tile import ChairTile, tile_view
from sessionmon.ui.viewmodel import AudioView

REFRESH_MS = 250


class CentralWindow(QMainWindow):
    """Every chair of the clinic on one screen.

    Parameters
    ----------
    state : CentralState
        What central knows.
    station : object
        Has ``acknowledge(chair=None) -> int`` (the MQTT station).
    clock : Clock
        Display time (the alarm flash phase).
    audio : AlarmAudio, optional
        Central's loudspeaker (its own audio pause).
    """

    def __init__(self, state: CentralState, station: Any, clock: Clock, audio=None) -> None:
        super().__init__()
        self.state = state
        self.station = station
        self._clock = clock
        self.audio = audio
        self.setWindowTitle(f"sessionmon central — {state.clinic}")
        body = QWidget()
        self.setCentralWidget(body)
        outer = QVBoxLayout(body)
        top = QHBoxLayout()
        self.heading = QLabel(f"Central station · {state.clinic}")
        self.heading.setStyleSheet(f"font-size: 24px; font-weight: bold; color: {theme.TEXT};")
        self.broker = QLabel("")
        self.own_alarms = QLabel("")
        self.own_alarms.setWordWrap(True)
        self.ack_button = QPushButton("Acknowledge all")
        self.ack_button.setToolTip("Silence central for every alarm shown (the chairs keep theirs)")
        self.ack_button.clicked.connect(lambda: self.acknowledge(None))
        self.pause_button = QPushButton("Audio pause")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.audio_label = QLabel("AUDIO ON")
        self.audio_label.setStyleSheet("font-size: 20px; font-weight: bold;")
        top.addWidget(self.heading)
        top.addWidget(self.broker)
        top.addStretch(1)
        top.addWidget(self.audio_label)
        top.addWidget(self.pause_button)
        top.addWidget(self.ack_button)
        outer.addLayout(top)
        outer.addWidget(self.own_alarms)
        self.grid = QGridLayout()
        self.grid.setSpacing(10)
        outer.addLayout(self.grid, 1)
        self.tiles: dict[str, ChairTile] = {}
        self.flash_phase_override: float | None = None  # screenshots: a fixed flash phase
        self.trends: TrendDialog | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def closeEvent(self, event) -> None:
        """Closing central stops its refresh and its sound."""
        self.timer.stop()
        if self.audio is not None:
            self.audio.stop()
        super().closeEvent(event)

    # ------------------------------------------------------------------ actions

    def acknowledge(self, chair: str | None) -> int:
        """Acknowledge at central (one chair or all); the chairs show who saw it."""
        count = self.station.acknowledge(chair)
        self.refresh()
        return count

    def toggle_pause(self) -> None:
        """Start or end central's audio pause."""
        if self.state.audio().paused:
            self.state.resume_audio()
        else:
            self.state.pause_audio()
        self.refresh()

    def show_trends(self, chair: str) -> TrendDialog:
        """Open the last 30 minutes of ``chair``'s trends."""
        self.trends = TrendDialog(self.state, chair, self)
        self.trends.show()
        return self.trends

    # ------------------------------------------------------------------ drawing

    def _tile(self, chair: str) -> ChairTile:
        tile = self.tiles.get(chair)
        if tile is None:
            tile = ChairTile(chair)
            tile.clicked.connect(self.show_trends)
            tile.acknowledge_requested.connect(self.acknowledge)
            self.tiles[chair] = tile
            count = len(self.tiles)
            columns = 3 if count > 4 else 2
            for i, name in enumerate(self.tiles):
                self.grid.addWidget(self.tiles[name], i // columns, i % columns)
        return tile

    def refresh(self) -> None:
        """Tick the state (central's own alarms) and redraw everything."""
        self.state.tick()
        phase = self._clock.monotonic()
        if self.flash_phase_override is not None:
            phase = self.flash_phase_override
        for chair in self.state.chairs():
            view = tile_view(self.state, chair)
            lit = theme.flash_on(view.alarm_priority, phase)
            self._tile(chair.chair).show_view(view, lit)
        own = self.state.alarms()
        if own:
            top = max(own, key=lambda a: a.priority.rank)
            colour = theme.ALARM_COLOURS[top.priority]
            self.own_alarms.setText(
                "   ".join(
                    f"{theme.ALARM_MARKERS[a.priority]} {a.message}"
                    + (" (ACK)" if a.acknowledged else "")
                    for a in own
                )
            )
            self.own_alarms.setStyleSheet(
                f"font-size: 22px; font-weight: bold; background: {colour}; "
                f"color: {theme.ALARM_TEXT[top.priority]}; padding: 6px;"
            )
            self.own_alarms.show()
        else:
            self.own_alarms.hide()
        connected = self.state.broker_connected
        self.broker.setText("broker connected" if connected else "BROKER UNREACHABLE")
        colour = theme.TEXT_DIM if connected else theme.ALARM_COLOURS[AlarmPriority.HIGH]
        self.broker.setStyleSheet(f"font-size: 18px; color: {colour};")
        audio = self.state.audio()
        view = AudioView(
            "paused" if audio.paused else "on", audio.pause_remaining_s, audio.sounding
        )
        self.audio_label.setText(view.text)
        self.pause_button.setText("Audio on" if audio.paused else "Audio pause")
        if self.audio is not None:
            self.audio.update(view)
        if self.trends is not None and self.trends.isVisible():
            self.trends.refresh()


class TrendDialog(QDialog):
    """The last 30 minutes of one chair's HR, SpO2 and BP (and RR / etCO2 when sent)."""

    def __init__(self, state: CentralState, chair: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        import pyqtgraph as pg

        self.state = state
        self.chair = chair
        self.setWindowTitle(f"{chair} — last 30 minutes")
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        self.plot.addLegend()
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        layout.addWidget(self.plot)
        colours = {
            "hr": theme.HR_COLOUR,
            "spo2": theme.SPO2_COLOUR,
            "nibp_sys": theme.NIBP_COLOUR,
            "nibp_dia": "#B0B0B0",
            "resp_rate": "#FFB000",
            "etco2": "#FF8000",
        }
        self.curves = {
            kind: self.plot.plot([], [], pen=pg.mkPen(colour, width=2), name=kind)
            for kind, colour in colours.items()
        }
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        layout.addWidget(close, alignment=Qt.AlignmentFlag.AlignRight)
        self.refresh()

    def points(self, kind: str) -> list[tuple[float, float]]:
        """The chair's ``kind`` samples kept (time, value)."""
        chair = next((c for c in self.state.chairs() if c.chair == self.chair), None)
        if chair is None:
            return []
        return [p for p in chair.trends.get(kind, ()) if math.isfinite(p[1])]

    def refresh(self) -> None:
        """Redraw from the state."""
        for kind, curve in self.curves.items():
            pts = self.points(kind)
            curve.setData([p[0] for p in pts], [p[1] for p in pts])
