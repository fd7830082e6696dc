"""The console window's geometry: restored and saved layout, the trainer panel's width, the
compact mode of a short window, and closing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDockWidget,
)

from sessionmon.ui.window_placement import clamp_to_screen, trainer_width

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.window_wiring import ConsoleWindow

    _Base = ConsoleWindow
else:
    _Base = object

#: Windows shorter than this use the compact alarm bar and check timeline, action buttons
#: without their shortcut line and numeric tiles with narrower margins, px.
COMPACT_BELOW_HEIGHT = 700


class WindowGeometry(_Base):
    """Places, fits and saves the window; asks before closing a live session."""

    __slots__ = ()  # the window keeps the state; a mixin adds no instance layout

    def restore_layout(self, available: QRect | None = None) -> None:
        """Restore the saved window geometry and dock layout, fitted to the screen.

        Parameters
        ----------
        available : QRect, optional
            The screen's available geometry (default: the window's screen). With nothing
            saved (first launch) the window fills it and opens maximized; a saved geometry
            from a bigger screen is shrunk and moved onto this one.
        """
        if available is None:
            screen = self.screen() or QGuiApplication.primaryScreen()
            available = screen.availableGeometry()
        self.available_geometry = available
        settings = self.controller.settings
        restored = bool(settings.window_geometry) and self.restoreGeometry(
            QByteArray.fromBase64(settings.window_geometry.encode())
        )
        if restored:
            self.open_maximized = bool(self.windowState() & Qt.WindowState.WindowMaximized)
            saved = self.normalGeometry() if self.open_maximized else self.geometry()
            self.setWindowState(Qt.WindowState.WindowNoState)
            self.setGeometry(clamp_to_screen(saved, available, self.minimumSize()))
        else:
            self.open_maximized = True
            self.setGeometry(available)
        if settings.window_state:
            self.restoreState(QByteArray.fromBase64(settings.window_state.encode()))

    def show_at_launch(self) -> None:
        """Show the window as :meth:`restore_layout` placed it (maximized on a first launch).

        The window is also sized to the screen before maximizing, so it fills the screen even
        where no window manager carries out the maximize (a kiosk X session, Xvfb).
        """
        if self.open_maximized:
            self.setGeometry(self.available_geometry)
            self.showMaximized()
        else:
            self.show()

    def resizeEvent(self, event) -> None:
        """Fit the trainer panel's width and the compact mode to the new window size."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit_docks()
        compact = event.size().height() < COMPACT_BELOW_HEIGHT
        if compact != self.compact:
            self.compact = compact
            self.alarm_bar.set_compact(compact)
            self.checks.set_compact(compact)
            self.fit_actions_to_height()
            tiles = (self.hr_tile, self.spo2_tile, self.nibp_tile, self.rr_tile, self.etco2_tile)
            for tile in tiles:
                tile.set_compact(compact)

    def fit_docks(self) -> None:
        """Size the docked panels so the console keeps the room it needs."""
        for dock in self.findChildren(QDockWidget):
            if dock.isFloating() or dock.isHidden():
                continue
            width = trainer_width(self.width(), dock.minimumWidth(), dock.maximumWidth())
            self.resizeDocks([dock], [width], Qt.Orientation.Horizontal)

    def save_layout(self) -> None:
        """Remember the window geometry and dock layout."""
        settings = self.controller.settings
        settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        settings.window_state = bytes(self.saveState().toBase64()).decode()
        self.controller.save_settings()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask first with a live session; then save the layout, stop timers and devices."""
        runtime = self.controller.runtime
        if not self.quit_confirmed and runtime is not None and not runtime.locked:
            event.ignore()
            self.show_quit_prompt()
            return
        self.save_layout()
        if self.export_job is not None:
            self.export_job.wait()  # an export in progress finishes writing its file
        for dialog in self.dialogs.values():
            dialog.close()
        self.controller.shutdown()
        self.lock_screen.close()  # its application-wide input filter goes with the window
        super().closeEvent(event)
