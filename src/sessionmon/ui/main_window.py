"""The console's main window: lays out the widgets, wires their intents to the controller.

:class:`MainWindow` is put together from mixins, one job each: the action buttons, menu and
shortcuts (:mod:`~sessionmon.ui.window_actions`), drawing a view per frame
(:mod:`~sessionmon.ui.frame_drawing`), the session's dialogs
(:mod:`~sessionmon.ui.session_dialogs`), the device, alarm and record dialogs
(:mod:`~sessionmon.ui.record_dialogs`), exporting (:mod:`~sessionmon.ui.export_dialogs`) and
the window's geometry and closing (:mod:`~sessionmon.ui.window_geometry`). The parts type
against :class:`~sessionmon.ui.window_wiring.ConsoleWindow`, as do the lock screen and the
sign-in flow.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QRect
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressDialog,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui import sign_in_flow, theme
from sessionmon.ui.controller import ConsoleController
from sessionmon.ui.export_dialogs import ExportDialogs
from sessionmon.ui.export_job import ExportJob
from sessionmon.ui.frame_drawing import (
    RESP_BESIDE_TRENDS_BELOW_PX,
    RESP_BESIDE_TRENDS_WIDTH_PX,
    TREND_EVERY_N_FRAMES,
    FrameDrawing,
    dose_offset_min,
)
from sessionmon.ui.lock_screen import LockScreen
from sessionmon.ui.record_dialogs import RecordDialogs
from sessionmon.ui.session_dialogs import SessionDialogs
from sessionmon.ui.widgets.alarm_bar import AlarmBar
from sessionmon.ui.widgets.banner import SimulationBanner
from sessionmon.ui.widgets.check_timeline import CheckTimeline
from sessionmon.ui.widgets.device_status import DeviceStatus
from sessionmon.ui.widgets.header import SessionHeader
from sessionmon.ui.widgets.nibp_tile import NibpTile
from sessionmon.ui.widgets.numeric_tile import NumericTile
from sessionmon.ui.widgets.respiration_tiles import Etco2Tile, RespRateTile
from sessionmon.ui.widgets.spo2_tile import Spo2Tile
from sessionmon.ui.widgets.trends import TrendsPanel
from sessionmon.ui.window_actions import ACTION_LEVELS, WindowActions
from sessionmon.ui.window_geometry import COMPACT_BELOW_HEIGHT, WindowGeometry

#: The smallest window the console lays out without cutting a word (a small laptop).
MIN_WINDOW = (1024, 600)


class MainWindow(
    WindowActions,
    FrameDrawing,
    SessionDialogs,
    RecordDialogs,
    ExportDialogs,
    WindowGeometry,
    QMainWindow,
):
    """The nurse's console.

    Parameters
    ----------
    controller : ConsoleController
        Carries out every intent; the window only shows and forwards.
    trainer : QDockWidget, optional
        The trainer panel (training mode).
    """

    def __init__(self, controller: ConsoleController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setWindowTitle("sessionmon - session monitor (not a certified medical device)")
        self.setMinimumSize(*MIN_WINDOW)
        self.open_maximized = False  # set by restore_layout()
        self.quit_confirmed = False  # set to quit without asking (a signal, the quit prompt)
        self.compact = False  # a short window: lower alarm bar and smaller check chips
        self.available_geometry: QRect | None = None
        self._flash_clock = QElapsedTimer()
        self._flash_clock.start()
        self.flash_phase_override: float | None = None
        self.dialogs: dict[str, QWidget] = {}
        self._frames = -1  # the first frame draws the trends
        self.export_job: ExportJob | None = None
        self.export_progress: QProgressDialog | None = None
        self.last_export_progress = 0  # percent the progress dialog showed last
        self._markers_shown: tuple = ()
        self._parts_drawn: dict[str, object] = {}  # what each part was last drawn with
        self.banner = SimulationBanner()
        self.alarm_bar = AlarmBar()
        self.header = SessionHeader()
        self.checks = CheckTimeline()
        self.device_status = DeviceStatus()
        self.hr_tile = NumericTile(theme.HR_COLOUR)
        self.spo2_tile = Spo2Tile()
        self.nibp_tile = NibpTile()
        self.rr_tile = RespRateTile()
        self.etco2_tile = Etco2Tile()
        self.rr_tile.setVisible(False)  # shown only with a respiration source
        self.etco2_tile.setVisible(False)
        self.trends = TrendsPanel()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #FFD400; font-weight: bold; font-size: 18px;")
        self.user_label = sign_in_flow.user_label()
        self._build_actions()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.alarm_bar)
        layout.addWidget(self.header)
        self.header.extra.addWidget(self.alarm_bar.audio)  # audio state beside the clock
        layout.addWidget(self.checks)
        tiles = QHBoxLayout()
        tiles.setSpacing(6)
        tiles.addWidget(self.hr_tile, 5)
        tiles.addWidget(self.spo2_tile, 9)
        tiles.addWidget(self.nibp_tile, 8)
        tiles.addWidget(self.rr_tile, 3)
        tiles.addWidget(self.etco2_tile, 5)
        self._tiles_row = tiles
        layout.addLayout(tiles, 5)
        trends_row = QHBoxLayout()
        trends_row.setSpacing(6)
        trends_row.addWidget(self.trends, 1)
        self._trends_row = trends_row
        self._etco2_beside_trends = False
        self._rr_beside_trends = False
        self._etco2_folded = False  # etCO2 on the RR tile's bottom line (no etCO2 tile)
        layout.addLayout(trends_row, 6)
        layout.addWidget(self.action_row)
        self.lock_screen = LockScreen(self)
        layout.addWidget(self.lock_screen.panel)
        bottom = QHBoxLayout()
        bottom.addWidget(self.device_status)
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.user_label)
        layout.addLayout(bottom)
        self.setCentralWidget(central)
        self.banner.setVisible(controller.simulator)
        self._connect()
        sign_in_flow.show_user(self)
        self.show_view(controller.view)


__all__ = [
    "ACTION_LEVELS",
    "COMPACT_BELOW_HEIGHT",
    "MIN_WINDOW",
    "RESP_BESIDE_TRENDS_BELOW_PX",
    "RESP_BESIDE_TRENDS_WIDTH_PX",
    "TREND_EVERY_N_FRAMES",
    "MainWindow",
    "dose_offset_min",
]
