"""The dialogs of a running session the console window opens: new session, dose, checklists,
notes, discharge and sign-off, patient and clinic details, ending, resume and quit, manual BP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QMessageBox,
    QWidget,
)

from sessionmon.ui import dosing_dialogs, sign_in_flow
from sessionmon.ui.dialogs.annotation import AnnotationDialog
from sessionmon.ui.dialogs.checklist import ChecklistDialog
from sessionmon.ui.dialogs.clinic_settings import ClinicSettingsDialog
from sessionmon.ui.dialogs.discharge import DischargeDialog
from sessionmon.ui.dialogs.dose import DoseDialog
from sessionmon.ui.dialogs.end_session import EndSessionDialog
from sessionmon.ui.dialogs.manual_bp import ManualBpDialog
from sessionmon.ui.dialogs.new_session import NewSessionDialog
from sessionmon.ui.dialogs.patient_details import PatientDetailsDialog
from sessionmon.ui.dialogs.session_prompts import QuitPrompt, ResumePrompt
from sessionmon.ui.dialogs.sign_off import SignOffDialog
from sessionmon.ui.forms import NewSessionForm

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.window_wiring import ConsoleWindow

    _Base = ConsoleWindow
else:
    _Base = object


class SessionDialogs(_Base):
    """Opens the session's dialogs (one of each at a time, kept in ``dialogs``)."""

    __slots__ = ()  # the window keeps the state; a mixin adds no instance layout

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
