"""The nurse's intents on the running session, in the console controller.

Each is carried out by the runtime or refused with one clear line: on the status line, or in
place in the form that submitted it (:meth:`SessionIntents.submit`). Acknowledge and the alarm
audio's failure also work with no session open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sessionmon.accounts.model import Role
from sessionmon.errors import UserError
from sessionmon.ui import adapter
from sessionmon.ui.acquisition_cycle import replace_view
from sessionmon.ui.viewmodel import DischargeView

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.controller_wiring import ControllerWiring

    _Base = ControllerWiring
else:
    _Base = object

#: What Acknowledge says with no session open and the alarm sound unavailable.
AUDIO_ACK_WITHOUT_SESSION = "AUDIO UNAVAILABLE acknowledged (no session open: nothing recorded)."


class SessionIntents(_Base):
    """Carries out the nurse's intents on the running session (or refuses them)."""

    __slots__ = ()  # the controller keeps the state; a mixin adds no instance layout

    def _refused(self, message: str) -> None:
        """Tell a refusal: to the submitting form (see :meth:`submit`), else the status line."""
        if self._refusals is not None:
            self._refusals.append(message)
        else:
            self.error.emit(message)

    def _intent(self, action: Callable[[Any], Any]) -> Any | None:
        if self.runtime is None:
            self._refused(
                "This session is read-only." if self.read_only_session else "Start a session first."
            )
            return None
        try:
            result = action(self.runtime)
        except UserError as exc:
            self._refused(str(exc))
            return None
        self.refresh()
        return result

    def submit(self, intent: Callable[[], Any]) -> str | None:
        """Carry out a form's intent (a controller method call); return the refusal, if any.

        A form calls this instead of closing first: when the core refuses (a locked session,
        a value it rejects) the message comes back here, not on the status line, so the form
        can show it in place and keep everything that was typed.

        Returns
        -------
        str or None
            The first refusal message, or None when the intent was carried out.
        """
        outer, self._refusals = self._refusals, []
        try:
            result = intent()
            refusals = self._refusals
        finally:
            self._refusals = outer
        if refusals:
            return refusals[0]
        if result is None:
            return "Not recorded; try again."
        return None

    @property
    def staff(self) -> str | None:
        """Who is acting: the signed-in user, else the last name entered, else None."""
        return self.user.by(self.settings.staff_name or None)

    def acknowledge(self) -> Any | None:
        """Acknowledge every active alarm (button or F1; recorded as such on the lock screen)."""
        standing = self._audio_alarm
        if self.runtime is None and standing is not None and not standing.acknowledged:
            # no session: the bar's AUDIO UNAVAILABLE is acknowledged on screen (no record)
            self._audio_alarm = replace_view(standing, acknowledged=True)
            self.info.emit(AUDIO_ACK_WITHOUT_SESSION)
            self.refresh()
            return None
        if self.screen_locked:
            return self._intent(lambda rt: rt.acknowledge(by=self.staff, while_locked=True))
        return self._intent(lambda rt: rt.acknowledge(by=self.staff))

    def pause_audio(self) -> Any | None:
        """Pause alarm audio for 2 minutes (button or F2)."""
        if self.screen_locked:
            return self._intent(lambda rt: rt.pause_audio(by=self.staff, while_locked=True))
        return self._intent(lambda rt: rt.pause_audio(by=self.staff))

    def measure_bp(self) -> Any | None:
        """Start an NIBP measurement now."""
        return self._intent(lambda rt: rt.measure_bp(by=self.staff))

    def stop_bp(self) -> None:
        """Abort the running NIBP measurement."""
        nibp = self.nibp_source if self.runtime is not None else None
        if nibp is not None and hasattr(nibp, "abort"):
            nibp.abort()
            self.refresh()

    def set_nibp_interval(self, minutes: int | None) -> Any | None:
        """Set the NIBP auto-cycle (minutes, or None for off); remembered for next sessions."""
        result = self._intent(
            lambda rt: rt.set_nibp_interval(minutes * 60.0 if minutes else None, by=self.staff)
        )
        if result is not None:
            self.settings.nibp_auto_interval_min = minutes
            self._save_settings(self.settings)
        return result

    def start_baseline(self) -> Any | None:
        """Start the pre-dose checks."""
        return self._intent(lambda rt: rt.start_baseline(by=self.staff))

    def dose(
        self, by: str, note: str = "", *, confirm_unanswered: bool = False, **details: Any
    ) -> Any | None:
        """Record that a dose (a nasal device, the infusion start) was given now by ``by``.

        ``details``: ``lot_number``, and for IV ``weight_kg``, ``mg_per_kg``, ``dose_mg``,
        ``rate_mg_per_h`` (see :meth:`SessionRuntime.dose`).
        """
        by = self.user.by(by)
        self._remember_staff(by)
        return self._intent(
            lambda rt: rt.dose(
                by=by, text=note or None, confirm_unanswered=confirm_unanswered, **details
            )
        )

    def stop_infusion(self, by: str, note: str = "") -> Any | None:
        """Record that the IV infusion stopped now."""
        by = self.user.by(by)
        return self._intent(lambda rt: rt.stop_infusion(by=by, text=note or None))

    def record_waste(self, amount_mg: float, witness: str, by: str, **details: Any) -> Any | None:
        """Record drug wasted with its witness (controlled-substance log)."""
        by = self.user.by(by)
        return self._intent(lambda rt: rt.record_waste(amount_mg, witness, by=by, **details))

    def record_safety_checklist(self, answers: dict[str, str | None]) -> Any | None:
        """Record the pre-session safety checklist (item key -> yes / no / None)."""
        return self._intent(lambda rt: rt.record_safety_checklist(answers, by=self.staff))

    def override_contraindication(self, prescriber: str, reason: str) -> Any | None:
        """A prescriber allows the dose despite a contraindication, with a reason."""
        refusal = self.user.refusal(Role.PRESCRIBER, doing="override a contraindication")
        if refusal:
            self._refused(refusal)
            return None
        prescriber = self.user.by(prescriber)
        return self._intent(lambda rt: rt.override_contraindication(prescriber, reason))

    def record_checklist(self, scale_id: str, answers: dict[int, int]) -> Any | None:
        """Record a checklist from item answers (item number -> score)."""
        return self._intent(
            lambda rt: rt.record_checklist(
                scale_id, {str(k): v for k, v in answers.items()}, by=self.staff
            )
        )

    def record_manual_bp(self, sys: float, dia: float, map_: float | None = None) -> Any | None:
        """Record a BP taken with a manual cuff (counts for the BP checks and alarms)."""
        event = self._intent(lambda rt: rt.record_bp(sys, dia, by=self.staff, map_=map_))
        if event is not None:
            self.info.emit(f"Manual BP {sys:g}/{dia:g} recorded.")
        return event

    def annotate(self, text: str) -> Any | None:
        """Add a note to the record."""
        return self._intent(lambda rt: rt.annotate(text, by=self.staff))

    def record_questionnaire(
        self, scale_id: str, answers: dict[int, int], context: str = "pre-session"
    ) -> Any | None:
        """Record an outcome questionnaire (PHQ-9, GAD-7...) or the 0-10 anxiety rating."""
        return self._intent(
            lambda rt: rt.record_questionnaire(
                scale_id, {str(k): v for k, v in answers.items()}, by=self.staff, context=context
            )
        )

    def attempt_discharge(self) -> DischargeView | None:
        """Evaluate the discharge criteria now (recorded); returns what the dialog shows."""
        decision = self._intent(lambda rt: rt.attempt_discharge(by=self.staff))
        return adapter.discharge_view(decision) if decision is not None else None

    def override_discharge(self, by: str, reason: str) -> Any | None:
        """A clinician allows a refused discharge with a written reason (recorded)."""
        refusal = self.user.refusal(Role.PRESCRIBER, doing="override a refused discharge")
        if refusal:
            self._refused(refusal)
            return None
        by = self.user.by(by)
        return self._intent(lambda rt: rt.override_discharge(by, reason))

    def end_session(
        self, how: str, by: str, reason: str, destination: str | None = None
    ) -> Any | None:
        """End the live session other than by discharge (closed and locked)."""
        by = self.user.by(by)
        self._remember_staff(by)
        event = self._intent(lambda rt: rt.end_session(how, by, reason, destination))
        if event is not None:
            self.session_changed.emit(self.runtime.session)
            self.info.emit(f"Session ended: {event.text}. The record is locked.")
        return event

    def report_audio_unavailable(self, reason: str) -> None:
        """Sound cannot play: raise the technical alarm ``audio_unavailable`` (never silent)."""
        if self._audio_alarm is None or reason != self.audio_unavailable_reason:
            rule = self._profile().rule("audio_unavailable")
            self._audio_alarm = adapter.audio_alarm_without_session(rule, reason)
        self.audio_unavailable_reason = reason
        self.info.emit(f"Alarm audio unavailable: {reason}")
        if self.runtime is not None and not self.runtime.locked:
            self.runtime.set_audio_available(False, reason)
        self.refresh()
