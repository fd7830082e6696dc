"""``sessionmon course --patient P``: is the treatment course working? Also its exports."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from sessionmon.commands import course_manage


def register(subparsers: Any) -> None:
    """Add the ``course`` command."""
    parser = subparsers.add_parser(
        "course",
        help="a patient's treatment course: outcomes, response, remission, sessions; exports",
        description="Summarise the patient's course (the open one, else the latest; --course "
        "picks another): outcome measures with baseline, latest, response (>= 50 % drop) and "
        "remission; each session's peak BP rise, highest CADSS, lowest SpO2, time until ready "
        "to leave; scheduled sessions due or missed. --pdf, --csv, --fhir and --export write "
        "the course summary PDF, the research CSV, a FHIR R4 Bundle and an importable JSON.",
    )
    parser.add_argument("--patient", metavar="P", help="the patient's pseudonym")
    parser.add_argument("--course", default=None, help="course id or a unique prefix of it")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--pdf", type=Path, metavar="FILE", help="write the course summary PDF")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="write the research CSV")
    parser.add_argument("--fhir", type=Path, metavar="FILE", help="write a FHIR R4 Bundle")
    parser.add_argument(
        "--export", type=Path, metavar="FILE", help="write the whole course as importable JSON"
    )
    parser.add_argument(
        "--import",
        dest="import_file",
        type=Path,
        metavar="FILE",
        help="restore a course written by --export (same ids)",
    )
    parser.add_argument(
        "--record",
        metavar="SCALE",
        help="record a questionnaire given outside a session (follow-up): phq9, gad7, pcl5...",
    )
    parser.add_argument(
        "--items", metavar="N,N,...", help="with --record: each item's score, in item order"
    )
    parser.add_argument("--score", type=int, help="with --record: the total only")
    parser.add_argument(
        "--by",
        default=None,
        help="with --record: who gave it; with --edit/--close: who did it (while the clinic has "
        "no staff accounts; then --user)",
    )
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day sessions count as due or missed from (default: today)",
    )
    parser.add_argument(
        "--measures",
        type=Path,
        metavar="FILE",
        help="also load a clinic's licensed outcome measures (MADRS, LSAS, C-SSRS) from FILE",
    )
    parser.add_argument(
        "--deidentify",
        action="store_true",
        help="with --json, --pdf, --csv, --fhir, --export: no name, date of birth, MRN or staff "
        "names; every date shifted by one random number of days",
    )
    parser.add_argument(
        "--tolerance",
        type=int,
        default=None,
        metavar="DAYS",
        help="a session counts for the nearest planned date at most DAYS away (0-14, default 3)",
    )
    course_manage.add_arguments(parser)
    from sessionmon.accounts.headless import add_user_argument

    add_user_argument(parser)
    parser.set_defaults(func=handler)


def pick_course(store: Any, pseudonym: str, prefix: str | None):
    """The course named by ``prefix``, else the open course, else the latest."""
    from sessionmon.errors import UserError

    courses = store.courses_for(pseudonym)
    if not courses:
        raise UserError(f"no courses for patient {pseudonym!r} (see 'sessionmon patients list')")
    if prefix:
        found = [c for c in courses if str(c.id).startswith(prefix.lower())]
        if len(found) != 1:
            what = "no" if not found else "more than one"
            raise UserError(f"{what} course of {pseudonym} matches {prefix!r}")
        return found[0]
    open_ = [c for c in courses if c.status.value == "open"]
    return (open_ or courses)[-1]


def _describe(data: dict[str, Any]) -> str:
    course = data["course"]
    indication = course["indication"].replace("_", " ")
    if course.get("indication_other"):
        indication = f"other: {course['indication_other']}"
    status = course["status"]
    if course.get("closed_reason"):
        status += f" ({course['closed_reason']})"
    lines = [
        f"patient {data['patient']}: course {course['id'][:8]} ({indication}, "
        f"{course['treatment']}, from {course['started_on']}, {status}); primary measure "
        f"{course['primary_measure']}"
    ]
    for scale, m in data["measures"].items():
        marks = [w for w, on in (("RESPONSE", m["response"]), ("REMISSION", m["remission"])) if on]
        change = "" if m["change_pct"] is None else f" ({m['change_pct']:+.0f} %)"
        lines.append(
            f"  {scale}: baseline {m['baseline']} -> latest {m['latest']}{change} "
            f"{m['band']} {' '.join(marks)}".rstrip()
        )
    lines.append("  sessions:")
    for n, s in enumerate(data["sessions"], start=1):
        outcomes = " ".join(f"{k}={v}" for k, v in s["outcomes"].items()) or "-"
        rise = "-" if s["peak_bp_rise"] is None else f"{s['peak_bp_rise']:+.0f}"
        cadss = "-" if s["highest_cadss"] is None else s["highest_cadss"]
        lines.append(
            f"   {n:>2}. {s['start'][:16]} {s['treatment']:<14} {outcomes:<20} "
            f"BP rise {rise:>4}  CADSS {cadss}"
        )
        for alert in s["alerts"]:
            lines.append(f"       ! {alert}")
    sched = data["schedule"]
    lines.append(
        f"  schedule: {sched['held']} of {sched['planned']} held; next due "
        f"{sched['next_due'] or '-'}; due now {', '.join(sched['due']) or 'none'}; missed "
        f"{', '.join(sched['missed']) or 'none'} (a session counts for a planned date up to "
        f"{sched['tolerance_days']} days away, half the gap at most)"
    )
    return "\n".join(lines)


def _record_follow_up(store: Any, course: Any, args: argparse.Namespace, now: Any) -> str:
    from sessionmon.course.measures import score_outcome
    from sessionmon.errors import UserError

    items = None
    if args.items:
        try:
            items = [int(v) for v in args.items.split(",")]
        except ValueError:
            raise UserError(
                f"--items are whole numbers separated by commas, not {args.items!r}"
            ) from None
    response = score_outcome(
        args.record,
        course_id=course.id,
        at=now,
        items=items,
        total=args.score,
        context="follow-up",
        by=args.by,
    )
    store.add_course_responses([response])
    line = f"recorded {response.scale} {response.total} ({response.interpretation})"
    return "\n".join([line, *(f"! {a}" for a in response.alerts)])


def handler(args: argparse.Namespace) -> int:
    """Summarise, export or import a course."""
    from sessionmon.cli import resolve_db
    from sessionmon.clock import SystemClock
    from sessionmon.course.measures import load_outcome_file
    from sessionmon.course.summary import (
        SCHEDULE_TOLERANCE_DAYS,
        check_tolerance,
        summarise_course,
        summary_json,
    )
    from sessionmon.errors import UserError
    from sessionmon.export import course_export
    from sessionmon.store import SessionStore

    if args.measures:
        load_outcome_file(args.measures)
    clock = SystemClock()
    with SessionStore.open(resolve_db(args), clock, busy_timeout_s=2.0) as store:
        if args.import_file:
            course = course_export.import_course_json(args.import_file, store)
            sessions = store.course_sessions(course)
            print(f"imported course {course.id} of {course.pseudonym}: {len(sessions)} session(s)")
            return 0
        if not args.patient:
            raise UserError("course needs --patient P (or --import FILE)")
        now = clock.now()
        if args.record or args.open or args.edit or args.close:
            # A change to the record names the signed-in user, as sessions end and export do;
            # the typed --by only while the clinic has no staff accounts.
            from sessionmon.accounts.headless import actor

            args.by = actor(args, store, clock, args.by, "course", required=False)
        if course_manage.wants_manage(args):
            return course_manage.run_manage(store, args, now, pick_course)
        course = pick_course(store, args.patient, args.course)
        if args.record:
            print(_record_follow_up(store, course, args, now))
            return 0
        tolerance = SCHEDULE_TOLERANCE_DAYS if args.tolerance is None else args.tolerance
        try:
            check_tolerance(tolerance)
        except ValueError as exc:
            raise UserError(f"--tolerance: {exc}") from None
        today = args.today or now.astimezone().date()
        summary = summarise_course(store, course, today=today, tolerance_days=tolerance)
        offset = None
        if args.deidentify:
            from sessionmon.export import course_deidentify as deid

            offset = deid.course_offset()  # one shift for everything this command writes
            summary = deid.deidentify_summary(summary, deid.course_records(store, course), offset)
        if args.pdf:
            from sessionmon.export.course_pdf import export_course_pdf

            print(export_course_pdf(summary, args.pdf, now))
        if args.csv:
            print(course_export.export_course_csv(summary, args.csv))
        if args.fhir:
            print(course_export.export_course_fhir(summary, args.fhir, now))
        if args.export:
            print(
                course_export.export_course_json(
                    store, course, args.export, now, deidentified=args.deidentify, offset=offset
                )
            )
        if any((args.pdf, args.csv, args.fhir, args.export)) and not args.json:
            return 0
        data = summary_json(summary)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(_describe(data))
    return 0
