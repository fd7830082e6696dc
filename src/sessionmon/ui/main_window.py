"""The console's main window: lays out the widgets, wires their intents to the controller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QElapsedTimer, QRect, QStandardPaths, Qt
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sessionmon.errors import UserError
from sessionmon.model import SessionPhase
from sessionmon.ui import dosing_dialogs, sign_in_flow, theme
from sessionmon.ui.controller import ConsoleController
from sessionmon.ui.dialogs.alarm_limits import AlarmLimitsDialog
from sessionmon.ui.dialogs.alarm_log import AlarmLogDialog
from sessionmon.ui.dialogs.annotation import CANNED_NOTES, AnnotationDialog
from sessionmon.ui.dialogs.checklist import ChecklistDialog
from sessionmon.ui.dialogs.clinic_settings import ClinicSettingsDialog
from sessionmon.ui.dialogs.debrief_view import DebriefDialog
from sessionmon.ui.dialogs.device_setup import DeviceSetupDialog
from sessionmon.ui.dialogs.discharge import DischargeDialog
from sessionmon.ui.dialogs.dose import DoseDialog
from sessionmon.ui.dialogs.end_session import EndSessionDialog
from sessionmon.ui.dialogs.export_dialog import ExportDialog
from sessionmon.ui.dialogs.history import HistoryDialog
from sessionmon.ui.dialogs.manual_bp import ManualBpDialog
from sessionmon.ui.dialogs.new_session import NewSessionDialog
from sessionmon.ui.dialogs.patient_details import PatientDetailsDialog
from sessionmon.ui.dialogs.reminders import ReminderDialog
from sessionmon.ui.dialogs.session_prompts import QuitPrompt, ResumePrompt
from sessionmon.ui.dialogs.sign_off import SignOffDialog
from sessionmon.ui.export_job import ExportJob, ExportRequest
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.lock_screen import LockScreen
from sessionmon.ui.viewmodel import ConsoleView
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
from sessionmon.ui.window_placement import clamp_to_screen, trainer_width

#: The smallest window the console lays out without cutting a word (a small laptop).
MIN_WINDOW = (1024, 600)

#: Windows shorter than this use the compact alarm bar and check timeline, px.
COMPACT_BELOW_HEIGHT = 700

#: Styles of the action buttons, biggest first: (font px, show the shortcut line). A narrow
#: window steps down until every label fits whole (the shortcut stays in the tooltip).
ACTION_LEVELS: tuple[tuple[int, bool], ...] = ((17, True), (15, True), (15, False), (13, False))

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


#: Each trend plot is redrawn once every this many frames (25 Hz / 12, about 2 Hz): trends
#: span minutes and get a point a second at most. The plots take turns on consecutive frames,
#: so a moving time axis never repaints all of them in one frame.
TREND_EVERY_N_FRAMES = 12


def dose_offset_min(view: ConsoleView) -> float | None:
    """Minutes from the session start to the dose (the trend axis counts from it), or None."""
    if view.dose_at is None or view.session_start is None:
        return None
    return (view.dose_at - view.session_start).total_seconds() / 60.0


class MainWindow(QMainWindow):
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

    # ------------------------------------------------------------------ construction

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
        """Draw the action buttons at ``level`` (see :data:`ACTION_LEVELS`)."""
        px, with_shortcut = ACTION_LEVELS[level]
        for button in self.action_buttons:
            label, shortcut = self.action_words[button]
            button.setText(f"{label}\n{shortcut}" if with_shortcut and shortcut else label)
            button.setMinimumHeight(50 if with_shortcut else 40)
            button.setStyleSheet(f"font-size: {px}px; padding: 2px 6px;")

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

    # ------------------------------------------------------------------ showing state

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
        if etco2_shown:
            self.rr_tile.set_rr(resp, theme.flash_on(resp.rr.priority, phase))
            self.etco2_tile.set_co2(resp, theme.flash_on(resp.etco2.priority, phase))
        else:
            self.rr_tile.set_rr(resp, theme.flash_on(_worst(resp), phase), co2_line=True)

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

    # ------------------------------------------------------------------ dialogs

    def _open(self, name: str, dialog: QWidget) -> QWidget:
        old = self.dialogs.get(name)
        if old is not None:
            old.close()
            old.deleteLater()
        self.dialogs[name] = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        if name not in ("sign_in", "first_admin"):  # Ctrl+U from inside a dialog too
            QShortcut(QKeySequence(sign_in_flow.SWITCH_USER_KEY), dialog, self.show_switch_user)
        dialog.open()
        return dialog

    def show_switch_user(self) -> QWidget | None:
        """Ctrl+U: another member of staff signs in with their PIN."""
        if self.lock_screen.locked:
            return self.lock_screen.show_unlock()
        return sign_in_flow.show_switch_user(self)

    def show_new_session(self) -> NewSessionDialog:
        """Open the new-session form (what was typed before is still there)."""
        dialog = NewSessionDialog(self.controller.today, self.controller.draft, self)

        c = self.controller

        def rejected() -> None:
            c.draft = NewSessionForm()  # Cancel means cancel: the next patient starts empty

        dialog.submit = lambda: c.submit(lambda: c.new_session(dialog.form()))
        dialog.course_details = c.course_details
        dialog.rejected.connect(rejected)
        return self._open("new_session", dialog)

    def show_dose(self) -> DoseDialog | None:
        """Open the dose dialog: the next nasal device, the IV infusion start, or its stop."""
        return dosing_dialogs.open_dose(self)

    def show_safety_checklist(self) -> QWidget | None:
        """Open the pre-session safety checklist (before the first dose)."""
        return dosing_dialogs.open_safety_checklist(self)

    def show_override(self) -> QWidget | None:
        """Open the prescriber's override of a contraindication answered yes."""
        return dosing_dialogs.open_override(self)

    def show_waste(self) -> QWidget | None:
        """Open the drug-wasted dialog (controlled-substance log)."""
        return dosing_dialogs.open_waste(self)

    def show_checklist(self, scale_id: str = "moaas") -> ChecklistDialog:
        """Open the checklist dialog on ``scale_id``."""
        from sessionmon.protocol.scales import SCALES, load_item_wording, with_item_wording

        scales = dict(SCALES)
        wording_path = self.controller.settings.cadss_wording_path
        if wording_path:
            try:
                wording = load_item_wording(wording_path)
                for sid in ("cadss", "cadss6"):
                    scales[sid] = with_item_wording(scales[sid], wording)
            except Exception as exc:  # a bad wording file must not block a checklist
                self.show_message(f"Clinic item wording not loaded: {exc}")

        def load(path: str, sid: str):
            scale = with_item_wording(scales[sid], load_item_wording(path, sid))
            self.controller.settings.cadss_wording_path = path
            self.controller.save_settings()
            return scale

        dialog = ChecklistDialog(
            scales, scale_id if isinstance(scale_id, str) else "moaas", load, self
        )
        c = self.controller
        dialog.submit = lambda: c.submit(
            lambda: c.record_checklist(dialog.scale.id, dialog.answers())
        )
        return self._open("checklist", dialog)

    def show_annotation(self) -> AnnotationDialog:
        """Open the annotation dialog."""
        c = self.controller
        dialog = AnnotationDialog(self)
        dialog.submit = lambda: c.submit(lambda: c.annotate(dialog.note()))
        return self._open("annotation", dialog)

    def show_discharge(self) -> DischargeDialog | None:
        """Attempt discharge and show the criteria with every blocking reason."""
        view = self.controller.attempt_discharge()
        if view is None:
            return None
        dialog = DischargeDialog(view, self)

        def recheck() -> None:
            again = self.controller.attempt_discharge()
            if again is not None:
                dialog.set_view(again)

        def sign() -> None:
            dialog.accept()
            self.show_sign_off()

        c = self.controller
        sign_in_flow.lock_by(c, dialog.override_by)
        dialog.override = lambda: c.submit(
            lambda: c.override_discharge(
                dialog.override_by.text().strip(), dialog.override_reason.toPlainText().strip()
            )
        )
        dialog.recheck_requested.connect(recheck)
        dialog.sign_requested.connect(sign)
        return self._open("discharge", dialog)

    def show_sign_off(self) -> SignOffDialog:
        """Open the sign-off dialog (with the REMS details still missing, if any)."""
        c = self.controller
        dialog = SignOffDialog(c.staff or "", c.missing_rems_fields(), self, rems=c.rems_sign_off())
        sign_in_flow.lock_by(c, dialog.by)
        pin_edit = sign_in_flow.add_signature_fields(c, dialog)

        def sign() -> str | None:
            pin = dialog.pin.text() if pin_edit is not None else None
            refusal = c.submit(
                lambda: c.sign(dialog.by.text().strip(), dialog.rems_entries(), pin=pin)
            )
            if refusal is not None and pin_edit is not None:
                pin_edit.clear()
            if refusal is not None:
                dialog.set_missing(c.missing_rems_fields())
            return refusal

        dialog.submit = sign
        dialog.clinic_requested.connect(
            lambda: self.show_clinic_settings(
                on_saved=lambda: dialog.set_setting(c.clinic.setting(), c.clinic.missing)
            )
        )
        dialog.details_requested.connect(
            lambda: self.show_patient_details(
                on_saved=lambda: dialog.set_missing(c.missing_rems_fields())
            )
        )
        return self._open("sign_off", dialog)

    def show_clinic_settings(self, on_saved=None) -> ClinicSettingsDialog:
        """Open Clinic settings (name, address, phone, staff), entered once for the REMS form."""
        c = self.controller
        dialog = ClinicSettingsDialog(c.clinic, self)
        dialog.save = c.save_clinic
        if on_saved is not None:
            dialog.accepted.connect(on_saved)
        return self._open("clinic_settings", dialog)

    def show_patient_details(self, on_saved=None) -> PatientDetailsDialog | None:
        """Open Patient details of the running session (refused once it is signed).

        Parameters
        ----------
        on_saved : callable, optional
            Called after a correction was recorded (e.g. to refresh the sign-off dialog).
        """
        c = self.controller
        if c.runtime is None or c.runtime.locked:
            if c.runtime is not None:
                c.error.emit("This session is signed and locked; its details can no longer change.")
            elif c.read_only_session is not None:
                c.error.emit("This session is read-only.")
            else:
                c.error.emit("Start a session first.")
            return None
        dialog = PatientDetailsDialog(
            c.patient_details_form(), c.today, c.runtime.session.patient.pseudonym, self
        )
        sign_in_flow.lock_by(c, dialog.by)
        dialog.submit = lambda form: c.submit(lambda: c.update_patient_details(form))
        if on_saved is not None:
            dialog.accepted.connect(on_saved)
        return self._open("patient_details", dialog)

    def show_device_setup(self) -> DeviceSetupDialog:
        """Open the device setup; saving remembers the devices for the next session."""
        from sessionmon.clock import SystemClock
        from sessionmon.ui.sources import test_connection

        settings = self.controller.settings

        def tester(role: str, protocol: str, port: str) -> tuple[bool, str]:
            saved = settings.devices.get(role)
            same = saved is not None and saved.protocol == protocol and saved.port == port
            overrides = saved.overrides if same else None
            return test_connection(role, protocol, port, SystemClock(), overrides)

        dialog = DeviceSetupDialog(settings, tester, parent=self)

        def accepted() -> None:
            dialog.apply_to(settings)
            self.controller.save_settings()
            self.show_message("Device setup saved; the next session connects to these devices.")

        dialog.accepted.connect(accepted)
        return self._open("devices", dialog)

    def show_alarm_limits(self) -> AlarmLimitsDialog | None:
        """Open the alarm limits dialog (not for a read-only or closed session)."""
        refusal = self.controller.alarm_limits_refusal()
        if refusal:
            self.controller.error.emit(refusal)
            return None
        dialog = AlarmLimitsDialog(
            self.controller.current_profile(), self, self.controller.alarm_settings_file()
        )
        dialog.accepted.connect(
            lambda: self.controller.set_alarm_limits(dialog.overrides, dialog.result_profile)
        )
        return self._open("alarm_limits", dialog)

    def show_course(self) -> Any | None:
        """Show the treatment course of the patient on screen (outcomes, sessions, schedule;
        edit, close, export)."""
        from sessionmon.ui.course_window import open_course_view

        return open_course_view(self)

    def show_questionnaire(self, scale_id: str | None = None, kiosk: bool = False) -> Any | None:
        """Give an outcome questionnaire (PHQ-9 unless ``scale_id``; the menu asks which)."""
        from PySide6.QtWidgets import QInputDialog

        from sessionmon.course.measures import MEASURES
        from sessionmon.ui.dialogs.questionnaire import QuestionnaireForm

        if scale_id is None:
            names = {f"{m.short} ({k})": k for k, m in MEASURES.items()}
            picked, ok = QInputDialog.getItem(
                self, "Questionnaire", "Measure:", list(names), 0, False
            )
            if not ok:
                return None
            scale_id = names[picked]
        form = QuestionnaireForm(scale_id, self, kiosk=kiosk)
        context = "tablet" if kiosk else "pre-session"
        if scale_id == "anxiety":
            context = "in-session"
        form.submitted.connect(
            lambda sid: self.controller.record_questionnaire(sid, form.answers(), context)
        )
        if kiosk:
            form.setWindowState(Qt.WindowState.WindowFullScreen)
        return self._open("questionnaire", form)

    def show_kiosk_questionnaire(self) -> Any | None:
        """The questionnaire in the kiosk view: full screen, large, for the patient's tablet."""
        return self.show_questionnaire(kiosk=True)

    def show_alarm_log(self) -> AlarmLogDialog | None:
        """Show the alarm log of the session on screen."""
        c = self.controller
        session = c.runtime.session if c.runtime else c.read_only_session
        if session is None:
            c.error.emit("Start or open a session first.")
            return None
        try:
            entries = c.store.alarm_log(session.id)
        except UserError as exc:
            c.error.emit(f"Alarm log not available: {exc}")
            return None
        return self._open("alarm_log", AlarmLogDialog(entries, self))

    def show_history(self, select: Any | None = None) -> HistoryDialog | None:
        """Show past sessions with their record state (``select``: a session id to select)."""
        from sessionmon.export import record_state_for
        from sessionmon.export.record_state import export_events

        store = self.controller.store
        try:
            summaries = store.list_sessions()
        except UserError as exc:
            self.controller.error.emit(f"Session history not available: {exc}")
            return None
        now = self.controller.clock.now().astimezone()
        states = {}
        for summary in summaries:
            try:
                states[summary.id] = record_state_for(
                    summary, export_events(store, summary.id), now
                ).label()
            except Exception:  # a state that cannot be worked out leaves the cell empty
                states[summary.id] = ""
        dialog = HistoryDialog(summaries, self, record_states=states)
        dialog.open_requested.connect(
            lambda sid: self.leave_training_then(lambda: self.controller.open_read_only(sid))
        )
        dialog.resume_requested.connect(
            lambda sid: self.leave_training_then(lambda: self.controller.resume_session(sid))
        )
        dialog.export_requested.connect(self.show_export)
        if select is not None:
            dialog.select_session(select)
        return self._open("history", dialog)

    def leave_training_then(self, action) -> QMessageBox | None:
        """Run ``action`` (open or resume another session); a running training session is
        ended first, once the trainer agrees (returns the question, or None when done)."""
        runtime = self.controller.runtime
        if runtime is None or runtime.locked or not runtime.session.simulated:
            action()
            return None
        ask = QMessageBox(
            QMessageBox.Icon.Question,
            "End the training session?",
            f"The training session {runtime.session.patient.pseudonym} is running. Opening "
            "another session ends it (kept in the training database as ended early).",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        go = ask.addButton("End it and open", QMessageBox.ButtonRole.AcceptRole)
        ask.addButton("Keep it running", QMessageBox.ButtonRole.RejectRole)
        ask.buttonClicked.connect(lambda button: action() if button is go else None)
        self._open("leave_training", ask)
        return ask

    def show_end_session(self, choose: str | None = None) -> EndSessionDialog | None:
        """Open End session (dose not given, transferred, left against advice, ended early)."""
        c = self.controller
        if c.runtime is None or c.runtime.locked:
            if c.runtime is not None:
                c.error.emit("This session has ended and is locked.")
            elif c.read_only_session is not None:
                c.error.emit("This session is read-only.")
            else:
                c.error.emit("Start a session first.")
            return None
        session = c.runtime.session
        dialog = EndSessionDialog(c.runtime.phase, session.patient.pseudonym, c.staff or "", self)
        sign_in_flow.lock_by(c, dialog.by)
        if choose:
            dialog.choose(choose)
        dialog.submit = lambda: c.submit(
            lambda: c.end_session(
                dialog.ending.value,
                dialog.by.text().strip(),
                dialog.reason.text().strip(),
                dialog.destination.text().strip() or None,
            )
        )
        return self._open("end_session", dialog)

    def offer_resume(self) -> ResumePrompt | None:
        """At launch: offer to resume (or end) the sessions a crash left interrupted."""
        found = self.controller.interrupted_sessions()
        if not found:
            return None
        prompt = ResumePrompt(found, self)
        prompt.resume_requested.connect(self.controller.resume_session)

        def resume_to_end(session_id) -> None:
            if self.controller.resume_session(session_id) is not None:
                self.show_end_session()

        prompt.end_requested.connect(resume_to_end)
        return self._open("resume", prompt)

    def show_quit_prompt(self) -> QuitPrompt:
        """Ask before quitting with a live session, saying what will happen."""
        runtime = self.controller.runtime
        session = runtime.session
        prompt = QuitPrompt(
            session.patient.pseudonym,
            self.header.phase.text() or runtime.phase.value,
            session.simulated,
            self,
        )

        def quit_now() -> None:
            self.quit_confirmed = True
            self.close()

        prompt.quit_chosen.connect(quit_now)
        prompt.end_chosen.connect(self.show_end_session)
        return self._open("quit", prompt)

    def show_manual_bp(self) -> ManualBpDialog | None:
        """Open the manual BP entry (a reading taken with a manual cuff)."""
        c = self.controller
        if c.runtime is None or c.runtime.locked:
            if c.runtime is not None:
                c.error.emit("This session is signed and locked; nothing more can be recorded.")
            elif c.read_only_session is not None:
                c.error.emit("This session is read-only.")
            else:
                c.error.emit("Start a session first.")
            return None
        dialog = ManualBpDialog(self)
        dialog.submit = lambda reading: c.submit(
            lambda: c.record_manual_bp(reading.sys, reading.dia, reading.map)
        )
        return self._open("manual_bp", dialog)

    # ------------------------------------------------------------------ export

    def export_folder(self) -> Path:
        """Where an export goes by default: the last export folder, else Documents, else home."""
        remembered = self.controller.settings.export_folder
        if remembered and Path(remembered).is_dir():
            return Path(remembered)
        documents = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation
        )
        if documents and Path(documents).is_dir():
            return Path(documents)
        return Path.home()

    def show_export(self, session_id: Any | None = None, fmt: str | None = None) -> Any:
        """Open the export dialog for ``session_id`` (default: the session on screen)."""
        c = self.controller
        if session_id is None:
            shown = c.runtime.session if c.runtime else c.read_only_session
            if shown is None:
                c.error.emit("Start or open a session first (or pick one in Session history).")
                return None
            session_id = shown.id
        try:
            session = c.store.get_session(session_id)
        except (LookupError, UserError) as exc:
            c.error.emit(str(exc))
            return None
        dialog = ExportDialog(
            session.id, session.patient.pseudonym, session.created_at, self.export_folder(), self
        )
        if fmt is not None:
            dialog.set_format(fmt)
        dialog.accepted.connect(lambda: self.start_export(dialog.request))
        return self._open("export", dialog)

    def start_export(self, request: ExportRequest) -> ExportJob | None:
        """Run ``request`` in a worker thread with a progress dialog; the result is shown after."""
        c = self.controller
        if self.export_job is not None and self.export_job.isRunning():
            c.error.emit("An export is already running; wait for it to finish.")
            return None
        try:
            c.store.flush()  # the worker reads the database on its own connection
        except UserError as exc:
            c.error.emit(f"Export not started: {exc}")
            return None
        job = ExportJob(c.store.path, request, c.clock, by=c.staff, parent=self)
        progress = QProgressDialog(
            f"Exporting {request.out.name} ({request.fmt.upper()})...", "", 0, 100, self
        )
        progress.setWindowTitle("Export")
        progress.setCancelButton(None)  # an export cannot be stopped half-way
        progress.setWindowModality(Qt.WindowModality.NonModal)  # alarms stay reachable
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.setValue(0)
        self.last_export_progress = 0
        job.progress.connect(self._export_progressed)
        job.succeeded.connect(self._export_succeeded)
        job.failed.connect(self._export_failed)
        self.export_job = job
        self.export_progress = progress
        progress.show()
        job.start()
        return job

    def _export_progressed(self, fraction: float) -> None:
        self.last_export_progress = round(fraction * 100)
        if self.export_progress is not None:
            self.export_progress.setValue(self.last_export_progress)

    def _export_finished(self) -> None:
        if self.export_job is not None:
            self.export_job.wait()  # run() has emitted its last signal; let the thread end
        if self.export_progress is not None:
            self.export_progress.close()
            self.export_progress.deleteLater()
            self.export_progress = None

    def _export_succeeded(self, result: Any) -> None:
        self._export_finished()
        paths = [str(p) for p in result.paths]
        self.controller.settings.export_folder = str(Path(paths[0]).parent)
        self.controller.save_settings()
        text = "Exported to " + " and ".join(paths)
        if result.format == "rems":
            text += " (REMS monitoring form)"
        self.show_message(text)
        self._show_export_result(QMessageBox.Icon.Information, "Export done", text)

    def _export_failed(self, reason: str) -> None:
        self._export_finished()
        text = f"Export failed: {reason}"
        self.show_message(text)
        self._show_export_result(QMessageBox.Icon.Warning, "Export failed", text)

    def _show_export_result(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setWindowModality(Qt.WindowModality.NonModal)
        old = self.dialogs.get("export_result")
        if old is not None:
            old.close()
            old.deleteLater()
        self.dialogs["export_result"] = box
        box.show()

    # ------------------------------------------------------------------ launch reminder

    def show_launch_reminders(self) -> ReminderDialog | None:
        """At launch: list records that are unsigned or whose REMS form is due soon or overdue.

        Returns the (non-modal) panel, or ``None`` when every record is finished.
        """
        from sessionmon.export import reminders

        try:
            found = reminders(self.controller.store, self.controller.clock.now().astimezone())
        except UserError as exc:
            self.show_message(f"Record reminders not available: {exc}")
            return None
        if not found:
            return None
        dialog = ReminderDialog(found, self)
        dialog.history_requested.connect(self.show_history)
        dialog.rems_export_requested.connect(lambda sid: self.show_export(sid, fmt="rems"))
        old = self.dialogs.get("reminders")
        if old is not None:
            old.close()
        self.dialogs["reminders"] = dialog
        dialog.show()
        return dialog

    def show_debrief(self) -> DebriefDialog | None:
        """Show the training debrief."""
        debrief = self.controller.debrief()
        if debrief is None:
            return None
        return self._open("debrief", DebriefDialog(debrief, self))

    # ------------------------------------------------------------------ layout persistence

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
        super().closeEvent(event)
