"""Command line: ``sessionmon [--db PATH] [COMMAND ...]``.

With no command it opens the console. Each sub-command lives in its own module under
:mod:`sessionmon.commands` and exposes ``register(subparsers)``; the module sets
``func=handler`` where ``handler(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from sessionmon import __version__
from sessionmon.errors import UserError, printable
from sessionmon.paths import default_db_path, training_db_path

#: Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "sessions",
    "db",
    "patients",
    "course",
    "simulate",
    "monitor",
    "scenarios",
    "export",
    "decode",
    "ports",
    "simulate_device",
    "central",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="sessionmon",
        description="Monitoring console for supervised ketamine and esketamine sessions. "
        "Not a certified medical device.",
    )
    parser.add_argument("--version", action="version", version=f"sessionmon {__version__}")
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help="session database (default: $SESSIONMON_DB or sessions.db in the user data folder; "
        "training runs use the training database)",
    )
    parser.add_argument(
        "--training",
        action="store_true",
        help="use the training database ($SESSIONMON_TRAINING_DB or training.db in the user data "
        "folder), where --simulator and simulate record",
    )
    parser.add_argument(
        "--simulator",
        action="store_true",
        help="open the console in simulator (training) mode with simulated devices",
    )
    from sessionmon.central.cli_args import add_chair_arguments

    add_chair_arguments(parser)  # the console's: simulate and monitor take their own
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"sessionmon.commands.{name}")
        except ModuleNotFoundError as exc:  # a command not built yet
            if exc.name != f"sessionmon.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def resolve_db(args: argparse.Namespace, training: bool = False) -> Path:
    """Return the database chosen by ``--db``, else the training database (``--training``, or
    ``training`` for simulator runs), else ``$SESSIONMON_DB`` or the default."""
    if args.db is not None:
        return args.db
    if training or getattr(args, "training", False):
        return training_db_path()
    return default_db_path()


def open_console(
    db_path: Path, simulator: bool, resume: object | None = None, central: object | None = None
) -> int:
    """Run the console on ``db_path`` until it closes (``resume``: a session id to resume;
    ``central``: the central station settings, to publish this chair)."""
    from sessionmon.ui.app import run_console

    return run_console(db_path=db_path, simulator=simulator, resume=resume, central=central)


def _open_console(args: argparse.Namespace) -> int:
    from sessionmon.central.cli_args import chair_config

    central = chair_config(args)
    return open_console(resolve_db(args, training=args.simulator), args.simulator, central=central)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "func", None) or _open_console
    try:
        return int(handler(args) or 0)
    except UserError as exc:
        print(f"sessionmon: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
