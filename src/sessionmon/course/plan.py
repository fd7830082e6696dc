"""Opening, editing and closing a treatment course: indication, planned schedule, close reason.

A course edit or close is a new version of the course (the store keeps every version, each one
audited) carrying a :class:`CourseChange`: who, when, why, and each changed field's value before
and after. Nothing here reads the wall clock: ``at`` is given.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sessionmon.course.model import (
    CloseReason,
    Course,
    CourseChange,
    CourseStatus,
    Indication,
    ScheduleBlock,
)
from sessionmon.errors import UserError

#: The outcome measure shown first for each indication (see docs/decisions/course.md):
#: PHQ-9 for depression (Kroenke 2001), GAD-7 for GAD (Spitzer 2006) and social anxiety
#: (Kroenke 2007: GAD-7 detects social anxiety disorder, sensitivity 72 %), PCL-5 for PTSD
#: (US VA National Center for PTSD). "Other" keeps PHQ-9 first.
PRIMARY_MEASURE: dict[Indication, str] = {
    Indication.DEPRESSION: "phq9",
    Indication.GAD: "gad7",
    Indication.SOCIAL_ANXIETY: "gad7",
    Indication.PTSD: "pcl5",
    Indication.OTHER: "phq9",
}

INDICATION_LABELS: dict[Indication, str] = {
    Indication.DEPRESSION: "Depression",
    Indication.GAD: "Generalised anxiety disorder (GAD)",
    Indication.SOCIAL_ANXIETY: "Social anxiety",
    Indication.PTSD: "PTSD",
    Indication.OTHER: "Other (say which)",
}

CLOSE_LABELS: dict[CloseReason, str] = {
    CloseReason.COMPLETED: "Completed",
    CloseReason.SIDE_EFFECTS: "Stopped for side effects",
    CloseReason.NO_RESPONSE: "No response",
    CloseReason.MOVED_AWAY: "Moved away",
    CloseReason.OTHER: "Other (say why)",
}

_BLOCK = re.compile(r"^\s*(\d{1,3})\s*[x×]\s*(\d+(?:[.,]\d+)?)\s*(?:d|days?)?\s*$", re.IGNORECASE)


E = TypeVar("E", bound=StrEnum)


def _parse_choice(text: str, choices: type[E], what: str) -> E:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    try:
        return choices(key)
    except ValueError:
        names = ", ".join(c.value for c in choices)
        raise UserError(f"{what} {text!r} is not one of: {names}") from None


def parse_indication(text: str) -> Indication:
    """The indication named by ``text`` (``depression``, ``gad``, ``social_anxiety``, ``ptsd``,
    ``other``; spaces and dashes allowed).

    Raises
    ------
    UserError
        If ``text`` names none of them.
    """
    return _parse_choice(text, Indication, "indication")


def parse_close_reason(text: str) -> CloseReason:
    """The close reason named by ``text`` (completed, side_effects, no_response, moved_away,
    other).

    Raises
    ------
    UserError
        If ``text`` names none of them.
    """
    return _parse_choice(text, CloseReason, "close reason")


def parse_schedule(text: str) -> tuple[ScheduleBlock, ...]:
    """A planned schedule written as blocks ``COUNTxDAYS`` separated by commas.

    ``8x3.5, 4x7, 6x14`` is 8 sessions 3.5 days apart, then 4 weekly, then 6 every 2 weeks;
    ``none`` (or empty) is no planned schedule.

    Raises
    ------
    UserError
        If a block is not ``COUNTxDAYS`` or is out of range (1-200 sessions, 0-120 days apart).
    """
    if text.strip().lower() in ("", "none", "-"):
        return ()
    blocks = []
    for part in text.split(","):
        match = _BLOCK.match(part)
        if not match:
            raise UserError(
                f"schedule block {part.strip()!r} is not COUNTxDAYS (e.g. 8x3.5 = 8 sessions "
                "3.5 days apart; blocks separated by commas)"
            )
        count, every = int(match.group(1)), float(match.group(2).replace(",", "."))
        if not 1 <= count <= 200 or not 0 < every <= 120:
            raise UserError(
                f"schedule block {part.strip()!r}: 1 to 200 sessions, more than 0 and at most "
                "120 days apart"
            )
        blocks.append(ScheduleBlock(count=count, every_days=every))
    return tuple(blocks)


def format_schedule(schedule: tuple[ScheduleBlock, ...]) -> str:
    """The schedule as ``parse_schedule`` reads it (``8x3.5, 4x7``; ``none`` when empty)."""
    return ", ".join(f"{b.count}x{b.every_days:g}" for b in schedule) or "none"


def indication_text(course: Course) -> str:
    """The indication as people read it (``other: ketamine for OCD`` for other)."""
    if course.indication is Indication.OTHER and course.indication_other:
        return f"other: {course.indication_other}"
    return course.indication.value.replace("_", " ")


def check_other(indication: Indication, other: str | None) -> str | None:
    """The free text of an ``other`` indication (required for other, refused otherwise).

    Raises
    ------
    UserError
        If ``other`` is missing for ``other``, given for another indication, or too long.
    """
    text = (other or "").strip()
    if indication is Indication.OTHER and not text:
        raise UserError("indication 'other' needs the free text saying which (--other TEXT)")
    if indication is not Indication.OTHER and text:
        raise UserError("the free-text indication is only for indication 'other'")
    if len(text) > 200:
        raise UserError(f"the free-text indication is {len(text)} characters; at most 200")
    return text or None


def _value(value: Any) -> Any:
    if isinstance(value, tuple):
        return format_schedule(value)
    return getattr(value, "value", value)


def edit_course(
    course: Course,
    at: datetime,
    by: str | None,
    reason: str | None = None,
    **changes: Any,
) -> Course:
    """``course`` with ``changes`` (indication, indication_other, schedule, treatment, notes)
    applied and recorded as a :class:`CourseChange` (before/after of each changed field).

    Raises
    ------
    UserError
        If the course is closed, nothing changes, or a field cannot be edited.
    """
    allowed = {"indication", "indication_other", "schedule", "treatment", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise UserError(f"a course edit cannot change {', '.join(sorted(unknown))}")
    if course.status is CourseStatus.CLOSED:
        raise UserError(f"course {str(course.id)[:8]} is closed; open a new course instead")
    indication = changes.get("indication", course.indication)
    if "indication" in changes and indication is not Indication.OTHER:
        changes.setdefault("indication_other", None)
    other = changes.get("indication_other", course.indication_other)
    changes["indication_other"] = check_other(indication, other)
    diff = {
        name: (_value(getattr(course, name)), _value(value))
        for name, value in changes.items()
        if getattr(course, name) != value
    }
    if not diff:
        raise UserError("nothing to change: the course already has these values")
    change = CourseChange(action="edit", at=at, by=by, reason=reason, fields=diff)
    return Course.model_validate(
        {**course.model_dump(), **changes, "last_change": change.model_dump()}
    )


def close_course(
    course: Course,
    at: datetime,
    by: str | None,
    reason: CloseReason,
    note: str | None = None,
) -> Course:
    """``course`` closed for ``reason`` (``note`` required for ``other``).

    Raises
    ------
    UserError
        If it is already closed, or ``other`` has no note.
    """
    if course.status is CourseStatus.CLOSED:
        raise UserError(f"course {str(course.id)[:8]} is already closed")
    note = (note or "").strip() or None
    if reason is CloseReason.OTHER and not note:
        raise UserError("close reason 'other' needs a note saying why (--note TEXT)")
    change = CourseChange(
        action="close",
        at=at,
        by=by,
        reason=note,
        fields={"status": ("open", "closed"), "closed_reason": (None, reason.value)},
    )
    return course.model_copy(
        update={
            "status": CourseStatus.CLOSED,
            "closed_reason": reason,
            "closed_note": note,
            "closed_on": at.date(),
            "last_change": change,
        }
    )
