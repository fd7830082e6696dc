"""Drawing the console's state: one :class:`~sessionmon.ui.viewmodel.ConsoleView` per frame,
the respiration tiles' place, the trends' turns, messages and failures."""

from __future__ import annotations

from dataclasses import fields
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

#: Below this tile-row width the five tiles do not fit one row (a clinic laptop with the
#: trainer panel open, a small laptop): the etCO2 tile, with its capnogram, moves beside the
#: trends; the RR keeps its own tile in the row at every width (px).
RESP_BESIDE_TRENDS_BELOW_PX = 1100
#: The etCO2 tile's width beside the trends (px).
RESP_BESIDE_TRENDS_WIDTH_PX = 200
#: Narrower still, where HR, SpO2, NIBP and RR do not fit one row at their minimum widths
#: (readable digits), the RR tile stands beside the trends too; where the trends then leave
#: room for one tile only (a 1024 px laptop with the trainer panel open), etCO2 and FiCO2 go
#: on the RR tile's bottom line. Beside the trends the RR tile is as wide as its minimum
#: (as the etCO2 tile, when it carries the etCO2 line).


def _worst(resp):
    """The higher alarm priority of the RR and etCO2 numerics (None if neither alarms)."""
    found = [p for p in (resp.rr.priority, resp.etco2.priority) if p is not None]
    return max(found, key=lambda p: p.rank) if found else None


#: Each trend plot is redrawn once every this many frames (25 Hz / 50: every 2 s): trends span
#: minutes, get a point a second at most, and their time axis steps every 1/60 of the window
#: (10 s in a 10-minute window); the numerics and waves beside them are live. The plots take
#: turns on consecutive frames, so a moving time axis never repaints all of them in one frame.
TREND_EVERY_N_FRAMES = 50

#: What a part of the window was last drawn with, before its first frame (equal to nothing).
_NOT_DRAWN = object()

#: The parts of a view besides its time. While nothing changes the controller publishes, frame
#: after frame, the very same part objects with a new time (``AcquisitionCycle.draw_frame``).
_PARTS = tuple(f.name for f in fields(ConsoleView) if f.name != "now")


def _same_but_time(view: ConsoleView, last: ConsoleView) -> bool:
    """Whether ``view`` holds the very part objects of ``last`` (only its time differs)."""
    return all(getattr(view, name) is getattr(last, name) for name in _PARTS)


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

    def _changed(self, part: str, key: object) -> bool:
        """Whether ``part`` of the window must be drawn again for ``key`` (what it shows).

        A part is drawn only when what it shows changed since it was last drawn (its view and
        its flash state): at 1x most frames change nothing but the pleth, and every call into a
        widget costs Python and Qt time even when it ends up setting nothing.
        """
        if self._parts_drawn.get(part, _NOT_DRAWN) == key:
            return False
        self._parts_drawn[part] = key
        return True

    def show_view(self, view: ConsoleView) -> None:
        """Draw ``view`` (called at 25 Hz by the controller's frame timer): each part whose view
        or flash state changed since the last frame.

        A frame with nothing new (every part the very object of the last frame, no alarm that
        could flash, the same NIBP interval entry) draws only what time moves: the breathing
        tiles' place at the window's width, and the trends' turn.
        """
        phase = self.flash_phase()
        shown_interval = self.nibp_tile.interval_box.currentIndex()
        last = self._parts_drawn.get("frame")
        self._parts_drawn["frame"] = (view, shown_interval)
        if (
            last is not None
            and not view.alarms
            and last[1] == shown_interval
            and _same_but_time(view, last[0])
        ):
            self._show_respiration(view, phase)
            self._draw_trends(view)
            return
        # The audio indicator sits in the header's row: its text is part of the header's fit.
        if self._changed("header", (view.header, self.alarm_bar.audio.text())):
            self.header.set_view(view.header)
        self.checks.set_checks(view.checks)
        self.device_status.set_devices(view.devices)
        hr_lit = theme.flash_on(view.hr.priority, phase)
        if self._changed("hr", (view.hr, hr_lit)):
            self.hr_tile.set_view(view.hr, hr_lit)
        self.spo2_tile.set_spo2(view.spo2, theme.flash_on(view.spo2.spo2.priority, phase))
        nibp_lit = theme.flash_on(view.nibp.priority, phase)
        # the interval list too: a choice the console refused is put back by the next frame
        if self._changed("nibp", (view.nibp, nibp_lit, shown_interval)):
            self.nibp_tile.set_nibp(view.nibp, nibp_lit)
        self._show_respiration(view, phase)
        alarms_lit = tuple(theme.flash_on(a.priority, phase) for a in view.alarms)
        if self._changed("alarms", (view.alarms, view.audio, alarms_lit)):
            self.alarm_bar.set_state(view.alarms, view.audio, phase)
        self._draw_trends(view)
        simulated = self.controller.simulator or view.header.simulated
        live = self.controller.has_session and not view.header.locked
        phase_text = self.controller.runtime.phase if self.controller.runtime else None
        if self._changed("actions", (simulated, live, phase_text)):
            self.banner.setVisible(simulated)
            self.baseline_button.setEnabled(live and phase_text is SessionPhase.PLANNED)
            self.dose_button.setEnabled(
                live
                and phase_text in (SessionPhase.PLANNED, SessionPhase.BASELINE, SessionPhase.DOSING)
            )
            for button in (self.checklist_button, self.note_button, self.discharge_button):
                button.setEnabled(live)

    def _draw_trends(self, view: ConsoleView) -> None:
        """The trends: every plot on the first frame, a new marker or a new window choice;
        otherwise one plot a frame in turn."""
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
            # Trends move slowly: one plot a frame, each every 2 s; the pleth and
            # the numerics are drawn at the full rate.
            turn = self._frames % TREND_EVERY_N_FRAMES
            if turn < len(self.trends.all_plots):
                self.trends.redraw(self.controller.trends, view.markers, now_s, (turn,))

    def _show_respiration(self, view, phase: float) -> None:
        """RR and etCO2 tiles and trend, only when the session has a respiration source.

        Where the tile row is narrower than :data:`RESP_BESIDE_TRENDS_BELOW_PX` (a small laptop,
        or the trainer panel open) the etCO2 tile stands beside the trends; RR keeps its tile
        (as readable as HR: respiratory depression is the main risk of ketamine)."""
        resp = view.respiration
        shown = resp is not None
        row_px = self.hr_tile.parentWidget().width()
        # only once shown: a window not laid out yet has no width to judge by
        if self.isVisible():
            self._place_etco2(*self._respiration_places(row_px if shown else None))
        if self.trends.respiration != shown:
            self.trends.set_respiration(shown)
        etco2_shown = shown and not self._etco2_folded
        if self.etco2_tile.isVisibleTo(self) != etco2_shown:
            self.etco2_tile.setVisible(etco2_shown)
        if self.rr_tile.isVisibleTo(self) != shown:
            self.rr_tile.setVisible(shown)
        if resp is None:
            return
        numerics = (resp.rr, resp.etco2, resp.fico2_text)  # what the RR tile may show
        if etco2_shown:
            rr_lit = theme.flash_on(resp.rr.priority, phase)
            if self._changed("rr", (numerics, rr_lit, False)):
                self.rr_tile.set_rr(resp, rr_lit)
            self.etco2_tile.set_co2(resp, theme.flash_on(resp.etco2.priority, phase))
        else:
            rr_lit = theme.flash_on(_worst(resp), phase)
            if self._changed("rr", (numerics, rr_lit, True)):
                self.rr_tile.set_rr(resp, rr_lit, co2_line=True)

    def _respiration_places(self, row_px: int | None) -> tuple[bool, bool, bool]:
        """Where the breathing tiles go in a tile row ``row_px`` wide (None: not shown):
        (etCO2 beside the trends, RR beside the trends, etCO2 folded into the RR tile)."""
        if row_px is None or row_px >= RESP_BESIDE_TRENDS_BELOW_PX:
            return (False, False, False)
        margins = self.centralWidget().layout().contentsMargins()
        room = row_px - margins.left() - margins.right()
        gap = self._tiles_row.spacing()
        tiles = (self.hr_tile, self.spo2_tile, self.nibp_tile, self.rr_tile)
        if sum(t.minimumSizeHint().width() for t in tiles) + 3 * gap <= room:
            return (True, False, False)
        trends = self.trends.minimumSizeHint().width() + 2 * self._trends_row.spacing()
        both = trends + self.rr_tile.minimumSizeHint().width() + RESP_BESIDE_TRENDS_WIDTH_PX
        return (True, True, both > room)

    def _place_etco2(self, beside_trends: bool, rr_beside: bool, folded: bool) -> None:
        """Move the etCO2 tile, and the RR tile with ``rr_beside``, between the tile row and
        the trends row (``folded``: no etCO2 tile, its numbers on the RR tile)."""
        wanted = (beside_trends, rr_beside, folded)
        if wanted == (self._etco2_beside_trends, self._rr_beside_trends, self._etco2_folded):
            return
        self._etco2_beside_trends, self._rr_beside_trends, self._etco2_folded = wanted
        # folded, the RR tile takes the etCO2 tile's place (and width, for the etCO2 line)
        rr_px = RESP_BESIDE_TRENDS_WIDTH_PX if folded else self.rr_tile.minimumSizeHint().width()
        for tile in (self.rr_tile, self.etco2_tile):  # out of both rows, back in order
            self._tiles_row.removeWidget(tile)
            self._trends_row.removeWidget(tile)
        for tile, beside, width, stretch in (
            (self.rr_tile, rr_beside, rr_px, 3),
            (self.etco2_tile, beside_trends, RESP_BESIDE_TRENDS_WIDTH_PX, 5),
        ):
            if beside:
                self._trends_row.addWidget(tile, 0)
                tile.setFixedWidth(width)
            else:
                tile.setMinimumWidth(0)
                tile.setMaximumWidth(16777215)
                self._tiles_row.addWidget(tile, stretch)
        if folded:
            self.etco2_tile.setVisible(False)  # before the layout runs: it takes no room
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
