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

    verify = actions.add_parser(
        "verify",
        help="check the audit trail: hash chain, every row covered, head against <db>.audit-head "
        "(and its keyed MAC on an encrypted database)",
    )
    verify.set_defaults(func=verify_handler)

    resume = actions.add_parser(
        "resume",
        help="open the console on an interrupted session and go on monitoring it",
        description="Open the console with this interrupted session resumed: back in its phase "
        "before the interruption, devices reconnected from the saved device setup.",
    )
    resume.add_argument("session", help="session id, or a unique prefix of it")
    resume.set_defaults(func=resume_handler)

    end = actions.add_parser(
        "end",
        help="end an interrupted session: dose not given, transferred, left, ended early",
        description="Close an interrupted session that will not be resumed, saying how it "
        "ended, why and who ends it (the record is then locked, signed by --by).",
    )
    end.add_argument("session", help="session id, or a unique prefix of it")
    end.add_argument(
        "--how",
        required=True,
        choices=("dose_not_given", "transferred", "left_against_advice", "ended_early"),
        help="dose_not_given (before the dose), transferred (with --to), left_against_advice "
        "or ended_early (after the dose)",
    )
    end.add_argument("--reason", required=True, help="why the session ended")
    end.add_argument("--by", required=True, help="who ends it (signs the record)")
    end.add_argument("--to", default=None, help="transferred: where the patient went")
    end.set_defaults(func=end_handler)


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
    """Check the audit chain, its row coverage and its anchored head; exit 1 on any problem.

    Each problem is printed on its own line, named (``truncated chain: ...``).
    """
    with _open_store(args) as store:
        if store.anchor_notice:
            print(store.anchor_notice)
        report = store.verify_audit()
    print(report.message)
    return 0 if report.ok else 1


def _find(store: Any, text: str) -> Any:
    """The summary of the one session whose id starts with ``text``."""
    from sessionmon.errors import UserError

    wanted = text.strip().lower()
    matches = [s for s in store.list_sessions() if wanted and str(s.id).startswith(wanted)]
    if not matches:
        raise UserError(f"no session with id {text} (see 'sessionmon sessions list')")
    if len(matches) > 1:
        raise UserError(f"{text} matches {len(matches)} sessions; give more of the id")
    return matches[0]


def _interrupted(store: Any, text: str) -> Any:
    """The summary of an interrupted session, or a one-line reason why it is not one."""
    from sessionmon.errors import UserError
    from sessionmon.model import SessionPhase

    found = _find(store, text)
    short = str(found.id)[:8]
    if found.phase is SessionPhase.CLOSED:
        raise UserError(f"session {short} ({found.pseudonym}) is closed and cannot be resumed")
    if found.phase is not SessionPhase.INTERRUPTED:
        raise UserError(
            f"session {short} ({found.pseudonym}) is being recorded by another sessionmon "
            "(the console or 'sessionmon monitor'); stop that one first"
        )
    return found


def resume_handler(args: argparse.Namespace) -> int:
    """Open the console on an interrupted session (by id or unique id prefix), resumed."""
    from sessionmon.cli import resolve_db

    with _open_store(args) as store:
        found = _interrupted(store, args.session)
    was = found.phase_before.value if found.phase_before else "planned"
    print(
        f"resuming session {str(found.id)[:8]} ({found.pseudonym}, was {was}) in the console",
        flush=True,
    )
    from sessionmon.cli import open_console

    return open_console(resolve_db(args), simulator=found.simulated, resume=found.id)


def end_handler(args: argparse.Namespace) -> int:
    """End an interrupted session with how, why and who; print what was recorded."""
    from sessionmon.clock import SystemClock
    from sessionmon.lifecycle import describe_ending
    from sessionmon.runtime.unmonitored_ending import end_recorded_session

    clock = SystemClock()
    with _open_store(args, clock) as store:
        found = _interrupted(store, args.session)
        session = end_recorded_session(
            store, clock, uuid.UUID(str(found.id)), args.how, args.by, args.reason, args.to
        )
    print(f"session {str(session.id)[:8]} ended: {describe_ending(session)} (by {args.by})")
    return 0
