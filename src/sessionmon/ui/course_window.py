"""Opening the treatment course view from the console, and wiring its actions (edit, close,
export) to :mod:`sessionmon.ui.course_intents`; after an edit or close the view is shown again
with the changed course."""

from __future__ import annotations

from typing import Any

from sessionmon.course.model import Course
from sessionmon.errors import UserError


def _course_on_screen(c: Any) -> Course | None:
    session = c.runtime.session if c.runtime else c.read_only_session
    if session is None:
        c.error.emit("Start or open a session first.")
        return None
    course = c.store.open_course(session.patient.pseudonym)
    if session.course_id is not None or course is None:
        course = c.store.get_course(session.course_id or session.id)
    return course


def open_course_view(window: Any, course: Course | None = None, message: str = "") -> Any | None:
    """Show the course view of ``course`` (default: the patient on screen's); None if there is
    no session on screen or the course cannot be read."""
    from sessionmon.course.plan import indication_text
    from sessionmon.course.summary import summarise_course
    from sessionmon.ui import course_intents
    from sessionmon.ui.dialogs.course_view import CourseDialog

    c = window.controller
    try:
        course = course or _course_on_screen(c)
        if course is None:
            return None
        summary = summarise_course(c.store, course, today=c.today())
    except UserError as exc:
        c.error.emit(f"Treatment course not available: {exc}")
        return None
    dialog = CourseDialog(summary, window)
    panel = dialog.actions
    panel.message.setText(message)
    if message:  # after an edit or close, the boxes stay open
        dialog.manage_button.setChecked(True)

    def edit(indication: str, other: str, schedule: str, reason: str, by: str) -> str:
        edited = course_intents.edit(
            c.store, course, c.clock.now(), indication, other, schedule, reason, by
        )
        open_course_view(window, edited, f"Saved: {indication_text(edited)}, schedule changed "
                         "as shown (the change and what it was before are kept).")  # fmt: skip
        return "Saved."

    def close(reason: str, note: str, by: str) -> str:
        closed = course_intents.close(c.store, course, c.clock.now(), reason, note, by)
        open_course_view(window, closed, f"Course closed ({reason.replace('_', ' ')}). "
                         "The next New session for this patient opens a new course.")  # fmt: skip
        return "Closed."

    def export(fmt: str, path: str, deidentified: bool) -> str:
        try:
            written = course_intents.export(
                c.store, summary, c.clock.now(), fmt, path, deidentified
            )
        except OSError as exc:
            raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
        kind = "de-identified " if deidentified else ""
        return f"Wrote the {kind}{fmt.upper()} to {written}."

    panel.on_edit, panel.on_close, panel.on_export = edit, close, export
    return window._open("course", dialog)
