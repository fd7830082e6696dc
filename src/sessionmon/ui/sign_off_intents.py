"""The sign-off in the console controller: the REMS entries it asks for, the electronic
signature, and the patient details a REMS form needs (corrected as a new session version)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sessionmon.errors import UserError
from sessionmon.ui.forms import PatientDetailsForm

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.controller_wiring import ControllerWiring

    _Base = ControllerWiring
else:
    _Base = object


class SignOffIntents(_Base):
    """Signs the session off and corrects its patient details."""

    __slots__ = ()  # the controller keeps the state; a mixin adds no instance layout

    def rems_sign_off(self) -> dict[str, Any] | None:
        """What the sign-off dialog asks for the REMS form (None: no form for this session).

        Returns
        -------
        dict or None
            ``suggestion`` (computed minutes until ready, or None), ``questions`` (id, label,
            what the record shows, what it suggests) for each yes/no the record cannot
            support, ``setting`` (from the clinic settings) and ``staff`` (for the picker).
        """
        from sessionmon.export.rems import QUESTIONS

        rt = self.runtime
        if rt is None or rt.locked:
            return None
        session = rt.session
        if session.simulated or session.treatment.drug.value != "esketamine":
            return None
        form = rt.rems_form()
        return {
            "suggestion": form.minutes_until_ready_suggested,
            "questions": [
                (q, QUESTIONS[q], form.finding(q).details, form.finding(q).suggestion)
                for q in form.open_questions
            ],
            "setting": self.clinic.setting(),
            "setting_missing": self.clinic.missing,
            "staff": list(self.clinic.staff),
        }

    def sign(
        self, by: str, rems: dict[str, Any] | None = None, pin: str | None = None
    ) -> Any | None:
        """Sign off: the session is closed and its record locked (with the REMS entries).

        A signed-in member of staff signs electronically: ``pin`` (their password or PIN) is
        checked again, and the manifest (printed name, role, UTC and local time, meaning, the
        audit head it binds to) is recorded with the sign-off.
        """
        by = self.user.by(by)
        signature = None
        account = self.user.account
        if account is not None and not account.built_in:
            if not pin:
                self._refused("Enter your password or PIN: signing re-asks it.")
                return None
            try:
                self.user.check(pin, "signature")
            except UserError as exc:
                self._refused(str(exc))
                return None
            from sessionmon.accounts.signature import manifest

            signature = lambda head: manifest(account, self.clock.now(), head)  # noqa: E731
        self._remember_staff(by)
        event = self._intent(lambda rt: rt.sign(by, rems, signature=signature))
        if event is not None:
            self.session_changed.emit(self.runtime.session)  # clears the message line first
            self.info.emit(f"Session signed by {by} and locked.")
        return event

    def missing_rems_fields(self) -> list[str]:
        """The REMS-required details the running session still lacks, as the nurse names them.

        Empty for training and ketamine sessions, and when no live session is open.
        """
        from sessionmon.runtime.patient_details import FIELD_LABELS

        if self.runtime is None or self.runtime.locked:
            return []
        return [FIELD_LABELS[name] for name in self.runtime.missing_rems_fields()]

    def patient_details_form(self) -> PatientDetailsForm | None:
        """The Patient details form filled from the running session (None: no live session)."""
        if self.runtime is None:
            return None
        return PatientDetailsForm.of(self.runtime.session, self.staff or "")

    def update_patient_details(self, form: PatientDetailsForm) -> Any | None:
        """Correct the running session's patient details (a new session version and an event)."""
        by = self.user.by(form.by.strip())
        event = self._intent(lambda rt: rt.update_patient_details(by, **form.fields()))
        if event is not None:
            self._remember_staff(by)
            self.session_changed.emit(self.runtime.session)
            self.info.emit(f"Patient details corrected by {by}.")
        return event
