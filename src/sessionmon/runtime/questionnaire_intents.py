"""Outcome questionnaires given in a session (PHQ-9, GAD-7, PCL-5, the 0-10 anxiety rating).

:class:`QuestionnaireIntents` is the part of :class:`~sessionmon.runtime.SessionRuntime` that
records them: a questionnaire is a ``checklist`` event whose payload says ``outcome: true`` and
carries the item answers by number, the context and any alarm messages. A PHQ-9 item 9 above 0 or
a positive C-SSRS screen raises the protocol alarm ``suicide_risk_screen`` for the prescriber.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sessionmon.course.measures import SUICIDE_RISK_CONDITION, score_outcome
from sessionmon.course.responses import Context
from sessionmon.model import Event, EventKind

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object


class QuestionnaireIntents(_Base):
    """Record an outcome questionnaire or in-session rating on the running session."""

    def record_questionnaire(
        self,
        scale: str,
        answers: dict[str, Any] | list[Any] | None = None,
        total: int | None = None,
        by: str | None = None,
        context: Context | str = Context.PRE_SESSION,
    ) -> Event:
        """Score and record a questionnaire (``phq9``, ``gad7``, ``pcl5``, ``anxiety``...).

        Raises
        ------
        UserError
            Unknown measure or an answer that is not allowed (nothing is recorded).
        """
        now = self._require_open()
        session = self._session
        response = score_outcome(
            scale,
            course_id=session.course_id or session.id,
            session_id=session.id,
            at=now,
            items=answers,
            total=total,
            context=context,
            by=by,
        )
        payload: dict[str, Any] = {
            "scale": response.scale,
            "total": response.total,
            "interpretation": response.interpretation,
            "complete": True,
            "outcome": True,
            "context": response.context.value,
            "answers": {str(k): v for k, v in response.items.items()},
            "alerts": list(response.alerts),
        }
        text = "; ".join(response.alerts) or None
        event = self._event(EventKind.CHECKLIST, now, by=by, text=text, payload=payload)
        if response.alerts and SUICIDE_RISK_CONDITION in self._engine.profile.conditions:
            self._gate.set(SUICIDE_RISK_CONDITION, True, now, "; ".join(response.alerts))
        self._after_intent(now)
        return event
