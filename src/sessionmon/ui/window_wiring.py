"""What the console window's parts need from the window, as a type (no import of the window).

:class:`~sessionmon.ui.main_window.MainWindow` is put together from mixins (actions, frame
drawing, dialogs, export, geometry) and hands itself to the lock screen and the sign-in flow.
:class:`ConsoleWindow` names what they use of it, so they are typed against it without importing
``main_window`` (which imports them): the ``ui`` modules form no import circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover - typing only
    from PySide6.QtCore import QElapsedTimer, QObject, QRect
    from PySide6.QtWidgets import (
        QHBoxLayout,
        QLabel,
        QMenuBar,
        QProgressDialog,
        QPushButton,
        QWidget,
    )

    from sessionmon.ui.controller import ConsoleController
    from sessionmon.ui.export_job import ExportJob
    from sessionmon.ui.widgets.alarm_bar import AlarmBar
    from sessionmon.ui.widgets.banner import SimulationBanner
    from sessionmon.ui.widgets.check_timeline import CheckTimeline
    from sessionmon.ui.widgets.device_status import DeviceStatus
    from sessionmon.ui.widgets.fit_row import FitRow
    from sessionmon.ui.widgets.header import SessionHeader
    from sessionmon.ui.widgets.nibp_tile import NibpTile
    from sessionmon.ui.widgets.numeric_tile import NumericTile
    from sessionmon.ui.widgets.respiration_tiles import Etco2Tile, RespRateTile
    from sessionmon.ui.widgets.spo2_tile import Spo2Tile
    from sessionmon.ui.widgets.trends import TrendsPanel


class ScreenLock(Protocol):
    """What the window's parts use of the lock screen (``lock_screen.LockScreen``)."""

    locked: bool

    def show_unlock(self) -> QWidget: ...


class ConsoleWindow(Protocol):
    """The console window's widgets, state and helpers its parts use (see ``main_window``)."""

    controller: ConsoleController
    open_maximized: bool
    quit_confirmed: bool
    compact: bool
    available_geometry: QRect | None
    flash_phase_override: float | None
    dialogs: dict[str, QWidget]
    export_job: ExportJob | None
    export_progress: QProgressDialog | None
    last_export_progress: int
    banner: SimulationBanner
    alarm_bar: AlarmBar
    header: SessionHeader
    checks: CheckTimeline
    device_status: DeviceStatus
    hr_tile: NumericTile
    spo2_tile: Spo2Tile
    nibp_tile: NibpTile
    rr_tile: RespRateTile
    etco2_tile: Etco2Tile
    trends: TrendsPanel
    message: QLabel
    user_label: QLabel
    action_row: FitRow
    action_words: dict[QPushButton, tuple[str, str]]
    action_buttons: tuple[QPushButton, ...]
    lock_screen: ScreenLock
    _flash_clock: QElapsedTimer
    _frames: int
    _markers_shown: tuple
    _parts_drawn: dict[str, object]
    _tiles_row: QHBoxLayout
    _trends_row: QHBoxLayout
    _etco2_beside_trends: bool
    _rr_beside_trends: bool
    _etco2_folded: bool

    def _open(self, name: str, dialog: QWidget) -> QWidget: ...

    def show_message(self, text: str) -> None: ...

    def show_switch_user(self) -> QWidget | None: ...

    def menuBar(self) -> QMenuBar: ...

    def findChildren(self, kind: Any) -> list[QObject]: ...

    def close(self) -> bool: ...


__all__ = ["ConsoleWindow", "ScreenLock"]
