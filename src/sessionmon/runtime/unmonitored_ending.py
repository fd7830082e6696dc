"""End a session that no console is monitoring (one a crash left interrupted).

It builds a :class:`~sessionmon.runtime.SessionRuntime` with no devices and ends the session
through :meth:`~sessionmon.runtime.endings.SessionEndings.end_session`; it lives apart from the
endings mixin so that the mixin does not import the runtime it is part of.
"""

from __future__ import annotations

import uuid
from typing import Any

from sessionmon.lifecycle import IllegalTransition, check_ending
from sessionmon.model import Session, SessionEnding
from sessionmon.runtime.errors import IntentRefusedError
from sessionmon.runtime.session_runtime import SessionRuntime


def end_recorded_session(
    store: Any,
    clock: Any,
    session_id: uuid.UUID,
    how: SessionEnding | str,
    by: str,
    reason: str,
    destination: str | None = None,
) -> Session:
    """End a session that no console is monitoring (one a crash left interrupted).

    The session is taken over (as a resume would), then ended with
    :meth:`SessionEndings.end_session` with no devices attached.

    Returns
    -------
    Session
        The closed session.

    Raises
    ------
    UserError
        The session is unknown, closed, being recorded by another sessionmon, or the ending
        is refused (the message says why; the session then stays interrupted).
    """
    before = store.get_session(session_id)
    summary = next((s for s in store.list_sessions() if s.id == session_id), None)
    phase = summary.phase_before if summary and summary.phase_before else before.phase
    try:
        check_ending(phase, SessionEnding(how))
    except (IllegalTransition, ValueError) as exc:
        raise IntentRefusedError(getattr(exc, "reason", str(exc))) from None
    session = store.resume_session(session_id)
    runtime = SessionRuntime(store, clock, session, start_devices=False)
    try:
        runtime.end_session(how, by=by, reason=reason, destination=destination)
    finally:
        runtime.close()
    return runtime.session
