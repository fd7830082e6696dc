"""``sessionmon patients list|show``: the patients in the database and their courses."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``patients`` command."""
    parser = subparsers.add_parser("patients", help="list patients, or show one patient's courses")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every patient (pseudonym), courses and sessions")
    listing.set_defaults(func=list_handler)
    show = actions.add_parser("show", help="one patient: details and courses")
    show.add_argument("pseudonym")
    show.add_argument(
        "--phi",
        action="store_true",
        help="also print name, date of birth and MRN (hidden by default: they are PHI)",
    )
    show.set_defaults(func=show_handler)


def _store(args: argparse.Namespace):
    from sessionmon.cli import resolve_db
    from sessionmon.clock import SystemClock
    from sessionmon.store import SessionStore

    return SessionStore.open(resolve_db(args), SystemClock(), busy_timeout_s=2.0)


def list_handler(args: argparse.Namespace) -> int:
    """Print one line per patient."""
    with _store(args) as store:
        patients = store.list_patients()
        if not patients:
            print("no patients")
            return 0
        print(f"{'patient':<20} {'courses':>7} {'open':>4} {'sessions':>8}  last session")
        for record in patients:
            pseudonym = record.patient.pseudonym
            courses = store.courses_for(pseudonym)
            sessions = [s for c in courses for s in store.course_sessions(c)]
            last = max((s.created_at for s in sessions), default=None)
            open_count = sum(1 for c in courses if c.status.value == "open")
            when = last.strftime("%Y-%m-%d %H:%M") if last else "-"
            print(f"{pseudonym:<20} {len(courses):>7} {open_count:>4} {len(sessions):>8}  {when}")
    return 0


def show_handler(args: argparse.Namespace) -> int:
    """Print the patient's details and courses."""
    from sessionmon.errors import UserError

    with _store(args) as store:
        record = store.get_patient(args.pseudonym)
        if record is None:
            raise UserError(f"no patient {args.pseudonym!r} (see 'sessionmon patients list')")
        print(f"patient {record.patient.pseudonym}")
        if args.phi:
            dob = record.patient.date_of_birth
            print(f"  name: {record.patient.name or '-'}")
            print(f"  date of birth: {dob.isoformat() if dob else '-'}")
            print(f"  MRN: {record.mrn or '-'}")
        else:
            print("  (name, date of birth and MRN hidden; --phi shows them)")
        for course in store.courses_for(record.patient.pseudonym):
            sessions = store.course_sessions(course)
            tag = " (migrated: a session recorded before courses)" if course.migrated else ""
            if course.closed_reason is not None:
                tag += f" (closed: {course.closed_reason.value})"
            if course.indication_other:
                tag += f" (other: {course.indication_other})"
            print(
                f"  course {str(course.id)[:8]}  {course.status.value:<6} "
                f"{course.indication.value:<14} {course.treatment.value:<14} "
                f"from {course.started_on.isoformat()}  {len(sessions)} session(s){tag}"
            )
    return 0
