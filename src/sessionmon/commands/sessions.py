"""``sessionmon sessions``: list the recorded sessions, check the audit trail, resume one."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import datetime
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``sessions`` command and its sub-commands."""
    parser = subparsers.add_parser(
        "sessions", help="list recorded sessions, check the audit trail, resume a session"
    )
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])
    actions = parser.add_subparsers(dest="sessions_command", metavar="ACTION")

    listing = actions.add_parser(
        "list", help="list every session (interrupted ones included) with its record state"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array (full ids, UTC)")
    listing.set_defaults(func=list_handler)

    verify = actions.add_parser("verify", help="check the audit trail's hash chain")
    verify.set_defaults(func=verify_handler)

    resume = actions.add_parser(
        "resume", help="take over an interrupted session (returns it to its phase before)"
    )
    resume.add_argument("session", help="session id, or a unique prefix of it")
    resume.set_defaults(func=resume_handler)


def _open_store(args: argparse.Namespace, clock: Any = None):
    from sessionmon.cli import resolve_db
    from sessionmon.clock import SystemClock
    from sessionmon.store import SessionStore

    # A short wait: WAL readers are never blocked by the app; only a foreign exclusive lock is.
    return SessionStore.open(resolve_db(args), clock or SystemClock(), busy_timeout_s=1.0)


def _local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "-" if moment is None else moment.astimezone().strftime(fmt)


def format_table(summaries: list, states: list | None = None) -> str:
    """Return the human-readable session table (local times).

    Parameters
    ----------
    summaries : list of SessionSummary
        The sessions, one row each.
    states : list of RecordState, optional
        Each session's record state, same order; adds the RECORD column when given.
    """
    header = ("ID", "PATIENT", "TREATMENT", "PHASE", "STARTED", "DOSE", "SIGNED")
    if states is not None:
        header += ("RECORD",)
    rows = [header]
    for index, s in enumerate(summaries):
        phase = s.phase.value
        if s.phase_before is not None and s.phase.value == "interrupted":
            phase = f"interrupted (was {s.phase_before.value})"
        dose = f"{s.dose_mg:g} mg" + (f" at {_local(s.dose_at, '%H:%M')}" if s.dose_at else "")
        treatment = s.protocol.value + (" [sim]" if s.simulated else "")
        row = (
            str(s.id)[:8],
            s.pseudonym,
            treatment,
            phase,
            _local(s.created_at),
            dose,
            s.signed_by or "-",
        )
        if states is not None:
            row += (states[index].label(),)
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def record_json(state: Any) -> dict[str, object]:
    """The record-state fields ``sessions list --json`` adds to each session."""
    exported = state.rems_exported_at
    return {
        "signed": state.signed,
        "days_left": state.days_left,
        "due_on": None if state.due_on is None else state.due_on.isoformat(),
        "rems_exported_at": None if exported is None else exported.isoformat(),
        "record_state": state.label(),
    }


def list_handler(args: argparse.Namespace) -> int:
    """Print every session and its record state as a table, or as JSON with ``--json``.

    REMS days are counted on the local calendar.
    """
    from sessionmon.clock import SystemClock
    from sessionmon.export.record_state import export_events, record_state_for

    clock = SystemClock()
    with _open_store(args, clock) as store:
        summaries = store.list_sessions()
        now = clock.now().astimezone()
        states = [record_state_for(s, export_events(store, s.id), now) for s in summaries]
    if args.json:
        listed = [
            s.as_json() | record_json(state) for s, state in zip(summaries, states, strict=True)
        ]
        print(json.dumps(listed, indent=2))
    elif not summaries:
        print("no sessions recorded yet")
    else:
        print(format_table(summaries, states))
    return 0


def verify_handler(args: argparse.Namespace) -> int:
    """Check the audit chain; exit 1 and name the first broken entry if it is broken."""
    with _open_store(args) as store:
        report = store.verify_audit()
    print(report.message)
    return 0 if report.ok else 1


def resume_handler(args: argparse.Namespace) -> int:
    """Resume an interrupted session by id or unique id prefix."""
    from sessionmon.errors import UserError

    with _open_store(args) as store:
        wanted = args.session.strip().lower()
        matches = [s for s in store.list_sessions() if str(s.id).startswith(wanted)]
        if not matches:
            raise UserError(f"no session with id {args.session}")
        if len(matches) > 1:
            raise UserError(f"{args.session} matches {len(matches)} sessions; give more of the id")
        session = store.resume_session(uuid.UUID(str(matches[0].id)))
    print(f"session {str(session.id)[:8]} resumed in phase {session.phase.value}")
    return 0
