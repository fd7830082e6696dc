"""``sessionmon course --open | --edit | --close | --history``: open a patient's course with its
indication and planned schedule, change them (audited, before and after), close it with a reason."""

from __future__ import annotations

import argparse
from typing import Any

from sessionmon.model import TreatmentId


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the open / edit / close options to the ``course`` parser."""
    group = parser.add_argument_group("open, edit or close a course")
    action = group.add_mutually_exclusive_group()
    action.add_argument(
        "--open",
        action="store_true",
        help="open a new course for the patient (refused while one is open)",
    )
    action.add_argument(
        "--edit", action="store_true", help="change the course's indication, schedule or treatment"
    )
    action.add_argument(
        "--close",
        metavar="REASON",
        help="close the course: completed, side_effects, no_response, moved_away, other",
    )
    action.add_argument(
        "--history", action="store_true", help="list the course's changes (who, when, before/after)"
    )
    group.add_argument(
        "--indication",
        metavar="NAME",
        help="with --open/--edit: depression (default), gad, social_anxiety, ptsd, other",
    )
    group.add_argument(
        "--other", metavar="TEXT", help="with --indication other: what the indication is"
    )
    group.add_argument(
        "--treatment",
        choices=[t.value for t in TreatmentId],
        help="with --open/--edit: the treatment protocol (default: the patient's last course's, "
        "else esketamine-84)",
    )
    group.add_argument(
        "--schedule",
        metavar="NxDAYS,...",
        help="with --open/--edit: planned sessions, e.g. 8x3.5,4x7,6x14 (8 sessions 3.5 days "
        "apart, then 4 weekly, then 6 every 2 weeks); 'none' for no plan (default: the "
        "treatment's usual schedule)",
    )
    group.add_argument("--reason", metavar="TEXT", help="with --edit: why (kept with the change)")
    group.add_argument("--note", metavar="TEXT", help="with --close: a note (needed for other)")


def wants_manage(args: argparse.Namespace) -> bool:
    """Whether the command opens, edits, closes or lists the history of a course."""
    return bool(args.open or args.edit or args.close or args.history)


def _plan_changes(args: argparse.Namespace) -> dict[str, Any]:
    from sessionmon.course.plan import parse_indication, parse_schedule

    changes: dict[str, Any] = {}
    if args.indication is not None:
        changes["indication"] = parse_indication(args.indication)
    if args.other is not None:
        changes["indication_other"] = args.other
    if args.schedule is not None:
        changes["schedule"] = parse_schedule(args.schedule)
    if args.treatment is not None:
        changes["treatment"] = TreatmentId(args.treatment)
    return changes


def describe_course(course: Any) -> str:
    """One line: id, indication, treatment, schedule, status (and close reason)."""
    from sessionmon.course.plan import format_schedule, indication_text

    status = course.status.value
    if course.closed_reason is not None:
        status += f" ({course.closed_reason.value}"
        status += f": {course.closed_note})" if course.closed_note else ")"
    return (
        f"course {str(course.id)[:8]} of {course.pseudonym}: {indication_text(course)}, "
        f"{course.treatment.value}, from {course.started_on.isoformat()}, schedule "
        f"{format_schedule(course.schedule)}, {status}"
    )


def history_lines(versions: list[Any]) -> list[str]:
    """The course's versions as lines: opened, then each edit / close with before -> after."""
    lines = []
    for version in versions:
        change = version.last_change
        if change is None:
            lines.append(f"{version.created_at.isoformat(timespec='minutes')} opened")
            continue
        who = f" by {change.by}" if change.by else ""
        why = f" ({change.reason})" if change.reason else ""
        fields = "; ".join(f"{k}: {b} -> {a}" for k, (b, a) in change.fields.items())
        lines.append(
            f"{change.at.isoformat(timespec='minutes')} {change.action}{who}: {fields}{why}"
        )
    return lines


def run_manage(store: Any, args: argparse.Namespace, now: Any, pick: Any) -> int:
    """Open, edit, close or list the history of the patient's course.

    ``pick(store, pseudonym, prefix)`` finds the course ``--course`` names (else the open one).
    """
    from sessionmon.course.enrol import CoursePlan, ensure_patient, open_new_course
    from sessionmon.course.plan import close_course, edit_course, parse_close_reason
    from sessionmon.errors import UserError
    from sessionmon.model import Patient

    if args.open:
        changes = _plan_changes(args)
        plan = CoursePlan(
            indication=changes.get("indication", CoursePlan().indication),
            indication_other=changes.get("indication_other"),
            schedule=changes.get("schedule"),
        )
        ensure_patient(store, Patient(pseudonym=args.patient), now)
        earlier = store.courses_for(args.patient)
        last = earlier[-1].treatment if earlier else TreatmentId.ESKETAMINE_84
        treatment = changes.get("treatment", last)
        course = open_new_course(store, args.patient, treatment, now, plan)
        print(f"opened {describe_course(course)}")
        return 0
    course = pick(store, args.patient, args.course)
    if args.history:
        print(describe_course(course))
        for line in history_lines(store.course_history(course.id)):
            print(f"  {line}")
        return 0
    if args.edit:
        changes = _plan_changes(args)
        if not changes:
            raise UserError("--edit needs --indication, --other, --schedule or --treatment")
        edited = edit_course(course, now, args.by, args.reason, **changes)
        store.save_course(edited)
        print(f"changed {describe_course(edited)}")
        for line in history_lines([edited]):
            print(f"  {line}")
        return 0
    closed = close_course(course, now, args.by, parse_close_reason(args.close), args.note)
    store.save_course(closed)
    print(f"closed {describe_course(closed)}")
    return 0
