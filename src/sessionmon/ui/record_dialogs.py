"""The console window's dialogs about devices, alarms, records and courses: device setup, alarm
limits, treatment course, questionnaires, alarm log, session history, launch reminders, debrief."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from sessionmon.errors import UserError
from sessionmon.ui.dialogs.alarm_limits import AlarmLimitsDialog
from sessionmon.ui.dialogs.alarm_log import AlarmLogDialog
from sessionmon.ui.dialogs.debrief_view import DebriefDialog
from sessionmon.ui.dialogs.device_setup import DeviceSetupDialog
from sessionmon.ui.dialogs.history import HistoryDialog
from sessionmon.ui.dialogs.reminders import ReminderDialog

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.window_wiring import ConsoleWindow

    _Base = ConsoleWindow
else:
    _Base = object


class RecordDialogs(_Base):
    """Opens the device, alarm, record and course dialogs."""

    __slots__ = ()  # the window keeps the state; a mixin adds no instance layout

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
