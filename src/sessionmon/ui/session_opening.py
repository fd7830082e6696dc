"""Opening sessions in the console controller: a new one from the form, resuming one a crash
interrupted, a past one read-only, and refusing to leave a patient still being monitored."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sessionmon.errors import UserError
from sessionmon.model import Session, SessionPhase
from sessionmon.ui import adapter
from sessionmon.ui.forms import (
    TREATMENT_LABELS,
    NewSessionForm,
    course_plan_from_form,
    session_from_form,
    validate_new_session,
)
from sessionmon.ui.viewmodel import ConsoleView, HeaderView, TrendMarker

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.controller_wiring import ControllerWiring

    _Base = ControllerWiring
else:
    _Base = object

#: The controller's logger: records keep the name they had before the split.
log = logging.getLogger("sessionmon.ui.controller")


class SessionOpening(_Base):
    """Opens, resumes and shows sessions (one at a time on the console)."""

    __slots__ = ()  # the controller keeps the state; a mixin adds no instance layout

    def today(self) -> date:
        """Today's local date by the injected clock."""
        return self.clock.now().astimezone().date()

    def new_session(self, form: NewSessionForm) -> Session | None:
        """Start a session from a validated new-session form; keeps the form as the draft.

        Refused while another patient's session is being monitored (it would be left open).
        """
        self.draft = form
        if self._refuse_leaving_patient():
            return None
        errors = validate_new_session(form, self.today())
        if errors:
            self._refused(next(iter(errors.values())))
            return None
        session = session_from_form(form, self.clock.now(), simulated=self.simulator)
        if self.clinic.name and not session.clinic:
            session = session.model_copy(update={"clinic": self.clinic.name})
        try:
            session = self._join_course(session, course_plan_from_form(form))
            self._start_runtime(session)
        except UserError as exc:
            self._refused(str(exc))
            return None
        except Exception as exc:
            self._failed("The session could not start", exc)
            return None
        self.draft = NewSessionForm()
        return session

    def _join_course(self, session: Session, plan: Any = None) -> Session:
        """The session in its patient's open treatment course (a new course opened with
        ``plan`` if none is open)."""
        from sessionmon.course.enrol import link_to_course
        from sessionmon.course.plan import indication_text

        linked, course = link_to_course(self.store, session, plan)
        held = len(self.store.course_sessions(course))
        self.info.emit(
            f"Treatment course {indication_text(course)} from "
            f"{course.started_on.isoformat()}: session {held + 1}."
        )
        return linked

    def course_details(self, pseudonym: str) -> dict[str, Any]:
        """What a new session of ``pseudonym`` carries forward from their open course ({}: none);
        ``course`` is that course."""
        from sessionmon.course.enrol import carried_forward

        course = self.store.open_course(pseudonym.strip()) if pseudonym.strip() else None
        return {} if course is None else {**carried_forward(self.store, course), "course": course}

    def _failed(self, title: str, exc: BaseException) -> None:
        """Tell an unexpected failure in full: a dialog (with the traceback) and the form."""
        import traceback

        log.exception(title)
        message = f"{title}: {type(exc).__name__}: {exc}"
        details = "".join(traceback.format_exception(exc))
        self.failure.emit(title, message, details)
        self._refused(message)

    def interrupted_sessions(self) -> list[Any]:
        """The sessions a crash left interrupted, newest first (empty if they cannot be read)."""
        try:
            found = [s for s in self.store.list_sessions() if s.phase is SessionPhase.INTERRUPTED]
        except UserError as exc:
            self.error.emit(f"Interrupted sessions not listed: {exc}")
            return []
        return sorted(found, key=lambda s: s.created_at, reverse=True)

    def _refuse_leaving_patient(self) -> bool:
        """Refuse (with a message) to replace a patient session still being monitored.

        Opening or resuming another session closes the running one: its vitals and alarms
        would silently leave the screen. A training session may be left at any time.
        """
        runtime = self.runtime
        if runtime is None or runtime.locked or runtime.session.simulated:
            return False
        self._refused(
            f"Session {runtime.session.patient.pseudonym} is being monitored: sign it off or"
            " end it (Session > End session...) before opening another session."
        )
        return True

    def resume_session(self, session_id: UUID) -> Session | None:
        """Resume an interrupted session (devices reconnect from the saved setup)."""
        if self._refuse_leaving_patient():
            return None
        try:
            session = self.store.resume_session(session_id)
            self._start_runtime(session)
        except UserError as exc:
            self.error.emit(str(exc))
            return None
        except Exception as exc:
            self._failed("The session could not resume", exc)
            return None
        self.info.emit(f"Resumed session {session.patient.pseudonym}")
        return session

    def open_read_only(self, session_id: UUID) -> Session | None:
        """Show a past session's record (trends and events), read-only."""
        if self._refuse_leaving_patient():
            return None
        try:
            session = self.store.get_session(session_id)
            events = self.store.events(session.id)
        except (UserError, KeyError, LookupError) as exc:
            self.error.emit(str(exc))
            return None
        self._close_runtime()
        self._reset_view_state()
        try:
            self._backfill(session)
        except UserError as exc:
            self.error.emit(f"Trends of this session not shown: {exc}")
        self.read_only_session = session
        start = session.created_at
        markers = tuple(
            TrendMarker(
                (e.at - start).total_seconds(),
                adapter.marker_kind(e.kind.value),
                e.text or e.kind.value,
            )
            for e in events
            if e.kind.value in ("dose_given", "checklist", "annotation")
        )
        end = session.ended_at or start
        self.view = ConsoleView(
            header=HeaderView(
                pseudonym=f"{session.patient.pseudonym} (read-only)",
                treatment=TREATMENT_LABELS.get(session.treatment.protocol, ""),
                phase=adapter.PHASE_TEXT.get(session.phase, session.phase.value),
                since_dose="",
                simulated=session.simulated,
                locked=session.phase is SessionPhase.CLOSED,
            ),
            markers=markers,
            session_start=start,
            now=end,
            dose_at=session.dose_at,
        )
        self.session_changed.emit(session)
        self.refresh()
        return session
