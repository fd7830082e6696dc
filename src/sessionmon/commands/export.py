"""``sessionmon export`` and ``sessionmon import``: records out, JSON exports back in."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

_FORMATS = ("pdf", "rems", "csv", "parquet", "json", "fhir", "hl7")


def register(subparsers: Any) -> None:
    """Add the ``export`` and ``import`` commands."""
    parser = subparsers.add_parser(
        "export",
        help="export a session: PDF report, REMS form, CSV, Parquet, JSON, FHIR R4 or HL7 v2",
        description="Export one session's record. pdf: report with chart and tables; rems: the "
        "REMS monitoring form page; csv: tidy numerics (plus pleth with --waveform); parquet: the "
        "same tables as Parquet for research tools; json: the "
        "whole record (importable); fhir: FHIR R4 Bundle; hl7: HL7 v2.6 ORU^R01 (IHE PCD-01).",
    )
    parser.add_argument(
        "--session", default="latest", help="session id, a unique prefix of it, or 'latest'"
    )
    parser.add_argument("--format", required=True, choices=_FORMATS, dest="fmt")
    parser.add_argument("--out", required=True, type=Path, help="file to write")
    parser.add_argument(
        "--deidentify",
        action="store_true",
        help="drop name and date of birth, shift all times by a random offset",
    )
    parser.add_argument(
        "--waveform", action="store_true", help="include the pleth waveform (csv, parquet, json)"
    )
    parser.add_argument(
        "--by", default=None, help="who is exporting, while the clinic has no staff accounts"
    )
    from sessionmon.accounts.headless import add_user_argument

    add_user_argument(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(func=export_handler)

    importer = subparsers.add_parser(
        "import", help="restore a session from a sessionmon JSON export (same ids)"
    )
    importer.add_argument("file", type=Path, help="JSON file written by 'export --format json'")
    importer.set_defaults(func=import_handler)


def _open_store(args: argparse.Namespace, clock: Any):
    from sessionmon.cli import resolve_db
    from sessionmon.store import SessionStore

    return SessionStore.open(resolve_db(args), clock, busy_timeout_s=2.0)


def _progress_printer(enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    shown = [-1]

    def show(fraction: float) -> None:
        percent = int(fraction * 100)
        if percent // 5 != shown[0] // 5:
            shown[0] = percent
            print(f"\rexporting... {percent:3d} %", end="", file=sys.stderr, flush=True)
            if percent >= 100:
                print(file=sys.stderr)

    return show


def export_handler(args: argparse.Namespace) -> int:
    """Export one session and print the file(s) written."""
    from sessionmon.accounts.headless import actor
    from sessionmon.clock import SystemClock
    from sessionmon.export import export_session, resolve_session_id

    clock = SystemClock()
    with _open_store(args, clock) as store:
        by = actor(args, store, clock, args.by, "export", required=False)
        session_id = resolve_session_id(store, args.session)
        result = export_session(
            store,
            session_id,
            args.fmt,
            args.out,
            clock=clock,
            deidentify=args.deidentify,
            waveform=args.waveform,
            progress=_progress_printer(not args.quiet),
            by=by,
        )
    for path in result.paths:
        print(path)
    return 0


def import_handler(args: argparse.Namespace) -> int:
    """Restore a session from a JSON export into the database."""
    from sessionmon.clock import SystemClock
    from sessionmon.export.json_export import import_json

    clock = SystemClock()
    with _open_store(args, clock) as store:
        session_id = import_json(args.file, store)
    print(f"imported session {session_id}")
    return 0
