"""Drawing the console's state: one :class:`~sessionmon.ui.viewmodel.ConsoleView` per frame,
the respiration tiles' place, the trends' turns, messages and failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QMessageBox,
)

from sessionmon.model import SessionPhase
from sessionmon.ui import theme
from sessionmon.ui.viewmodel import ConsoleView

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.window_wiring import ConsoleWindow

    _Base = ConsoleWindow
else:
    _Base = object

#: Below this tile-row width the RR tile folds into the etCO2 tile (px).
RESP_COMPACT_BELOW_PX = 1100
#: Below this width even three tiles and the etCO2 tile do not fit one row (a 1024 px laptop
#: with the trainer panel open): the etCO2 tile, with its capnogram and the RR, moves beside
#: the trends (px).
RESP_BESIDE_TRENDS_BELOW_PX = 1000
#: The etCO2 tile's width beside the trends (px).
RESP_BESIDE_TRENDS_WIDTH_PX = 200


def _worst(resp):
    """The higher alarm priority of the RR and etCO2 numerics (None if neither alarms)."""
    found = [p for p in (resp.rr.priority, resp.etco2.priority) if p is not None]
    return max(found, key=lambda p: p.rank) if found else None


#: Each trend plot is redrawn once every this many frames (25 Hz / 12, about 2 Hz): trends
#: span minutes and get a point a second at most. The plots take turns on consecutive frames,
#: so a moving time axis never repaints all of them in one frame.
TREND_EVERY_N_FRAMES = 12


def dose_offset_min(view: ConsoleView) -> float | None:
    """Minutes from the session start to the dose (the trend axis counts from it), or None."""
    if view.dose_at is None or view.session_start is None:
        return None
    return (view.dose_at - view.session_start).total_seconds() / 60.0


class FrameDrawing(_Base):
    """Shows a view per frame (25 Hz) and the one-line messages and failure dialogs."""

    __slots__ = ()  # the window keeps the state; a mixin adds no instance layout

    def flash_phase(self) -> float:
        """Seconds of display time for the alarm flashing."""
        if self.flash_phase_override is not None:
            return self.flash_phase_override
        return self._flash_clock.elapsed() / 1000.0

    def show_view(self, view: ConsoleView) -> None:
        """Draw ``view`` (called at 25 Hz by the controller's frame timer)."""
        phase = self.flash_phase()
        self.header.set_view(view.header)
        self.checks.set_checks(view.checks)
        self.device_status.set_devices(view.devices)
        self.hr_tile.set_view(view.hr, theme.flash_on(view.hr.priority, phase))
        self.spo2_tile.set_spo2(view.spo2, theme.flash_on(view.spo2.spo2.priority, phase))
        self.nibp_tile.set_nibp(view.nibp, theme.flash_on(view.nibp.priority, phase))
        self._show_respiration(view, phase)
        self.alarm_bar.set_state(view.alarms, view.audio, phase)
        now_s = (
            (view.now - view.session_start).total_seconds()
            if view.now and view.session_start
            else 0.0
        )
        self.trends.set_dose_offset(dose_offset_min(view))
        self._frames += 1
        if self._frames == 0 or view.markers != self._markers_shown or self.trends.range_pending:
            # The first frame, a new marker or a new window choice: every plot now.
            self._markers_shown = view.markers
            self.trends.redraw(self.controller.trends, view.markers, now_s)
        else:
            # Trends move slowly: one plot a frame, each about twice a second; the pleth and
            # the numerics are drawn at the full rate.
            turn = self._frames % TREND_EVERY_N_FRAMES
            if turn < len(self.trends.all_plots):
                self.trends.redraw(self.controller.trends, view.markers, now_s, (turn,))
        self.banner.setVisible(self.controller.simulator or view.header.simulated)
        live = self.controller.has_session and not view.header.locked
        phase_text = self.controller.runtime.phase if self.controller.runtime else None
        self.baseline_button.setEnabled(live and phase_text is SessionPhase.PLANNED)
        self.dose_button.setEnabled(
            live
            and phase_text in (SessionPhase.PLANNED, SessionPhase.BASELINE, SessionPhase.DOSING)
        )
        for button in (self.checklist_button, self.note_button, self.discharge_button):
            button.setEnabled(live)

    def _show_respiration(self, view, phase: float) -> None:
        """RR and etCO2 tiles and trend, only when the session has a respiration source.

        Where the tile row is narrower than :data:`RESP_COMPACT_BELOW_PX` (a small laptop, or the
        trainer panel open) the RR tile folds into the etCO2 tile's bottom line, so no tile is
        squeezed below readable."""
        resp = view.respiration
        shown = resp is not None
        row_px = self.hr_tile.parentWidget().width()
        compact = shown and row_px < RESP_COMPACT_BELOW_PX
        # only once shown: a window not laid out yet has no width to judge by
        if self.isVisible():
            self._place_etco2(shown and row_px < RESP_BESIDE_TRENDS_BELOW_PX)
        if self.etco2_tile.isVisibleTo(self) != shown:
            self.etco2_tile.setVisible(shown)
            self.trends.set_respiration(shown)
        if self.rr_tile.isVisibleTo(self) != (shown and not compact):
            self.rr_tile.setVisible(shown and not compact)
        if resp is None:
            return
        etco2 = resp.etco2
        if compact:
            self.etco2_tile.set_co2(
                resp,
                theme.flash_on(_worst(resp), phase),
                rr=resp.rr,
                capnogram=self._etco2_beside_trends,  # beside the trends there is room for it
            )
        else:
            self.rr_tile.set_view(resp.rr, theme.flash_on(resp.rr.priority, phase))
            self.etco2_tile.set_co2(resp, theme.flash_on(etco2.priority, phase))

    def _place_etco2(self, beside_trends: bool) -> None:
        """Move the etCO2 tile between the tile row and the trends row."""
        if beside_trends == self._etco2_beside_trends:
            return
        self._etco2_beside_trends = beside_trends
        tile = self.etco2_tile
        if beside_trends:
            self._tiles_row.removeWidget(tile)
            self._trends_row.addWidget(tile, 0)
            tile.setFixedWidth(RESP_BESIDE_TRENDS_WIDTH_PX)
        else:
            self._trends_row.removeWidget(tile)
            tile.setMinimumWidth(0)
            tile.setMaximumWidth(16777215)
            self._tiles_row.addWidget(tile, 5)
        self.centralWidget().layout().activate()  # lay out now: the tiles size their digits

    @property
    def etco2_beside_trends(self) -> bool:
        """Whether the etCO2 tile stands beside the trends (a very narrow tile row)."""
        return self._etco2_beside_trends

    def redraw_trends(self) -> None:
        """Redraw the trends now (they otherwise follow at 5 Hz)."""
        view = self.controller.view
        now_s = (
            (view.now - view.session_start).total_seconds()
            if view.now and view.session_start
            else 0.0
        )
        self._markers_shown = view.markers
        self.trends.redraw(self.controller.trends, view.markers, now_s)

    def show_message(self, text: str) -> None:
        """Show a one-line message (refusals and notices) under the action buttons."""
        self.message.setText(text)

    def show_failure(self, title: str, message: str, details: str = "") -> QMessageBox:
        """Show a failure in full in a dialog (the traceback under "Show Details...")."""
        box = QMessageBox(
            QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, self
        )
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if details:
            box.setDetailedText(details)
        box.setWindowModality(Qt.WindowModality.NonModal)
        self.show_message(message)
        old = self.dialogs.get("failure")
        if old is not None:
            old.close()
            old.deleteLater()
        self.dialogs["failure"] = box
        box.show()
        return box

    def _session_changed(self, session) -> None:
        self.message.setText("")
