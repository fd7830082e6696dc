"""``sessionmon simulate --scenario FILE|NAME --headless``: run a scripted session, no window."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime


def _speed(text: str) -> float | None:
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed is 'max' or a number, not {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"speed must be positive, not {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` sub-command."""
    parser = subparsers.add_parser(
        "simulate",
        help="run a scripted scenario headless and record it",
        description="Run a scenario (a TOML file or a built-in name; see 'sessionmon scenarios') "
        "with simulated devices, the alarm engine and the session protocol, and record the "
        "session (marked as simulated) in the training database, not the patient record "
        "(--db chooses another).",
    )
    parser.add_argument(
        "--scenario", required=True, metavar="FILE|NAME", help="scenario file or built-in name"
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run with no window (the only mode of this command; the console has its own "
        "simulator: 'sessionmon --simulator')",
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        default=None,
        metavar="max|N",
        help="'max' (default) runs as fast as possible; N runs at N times real time",
    )
    parser.add_argument(
        "--start",
        type=_start,
        default=None,
        metavar="YYYY-MM-DDTHH:MM",
        help="when the simulated session starts (local time unless an offset is given; default "
        "2026-01-05T09:00 UTC), so a course of sessions can be built headless",
    )
    parser.add_argument("--json", action="store_true", help="print the run summary as JSON")
    from sessionmon.central.cli_args import add_chair_arguments

    add_chair_arguments(parser, subcommand=True)
    parser.set_defaults(func=handler)


def _start(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--start is a date and time like 2026-03-02T09:00, not {text!r}"
        ) from None
    if value.tzinfo is None:
        value = value.astimezone()  # the machine's local time zone
    return value.astimezone(UTC)


def handler(args: argparse.Namespace) -> int:
    """Run the scenario, record it, print the summary."""
    from sessionmon.cli import resolve_db
    from sessionmon.clock import SystemClock
    from sessionmon.errors import UserError, printable
    from sessionmon.scenarios import load_scenario
    from sessionmon.scenarios.runner import describe, run_scenario
    from sessionmon.store import SessionStore

    if not args.headless:
        raise UserError(
            "simulate runs headless only: add --headless (or open the console with "
            "'sessionmon --simulator')"
        )
    from sessionmon.central.cli_args import chair_config

    scenario = load_scenario(args.scenario)
    central = chair_config(args)
    links = []

    def attach_central(run) -> None:
        from sessionmon.central.chair_link import ChairLink

        link = ChairLink(central, run.clock)
        link.start()
        link.attach(run.runtime)
        links.append(link)

    try:
        with SessionStore.open(resolve_db(args, training=True), SystemClock()) as store:
            summary = run_scenario(
                scenario,
                store,
                speed=args.speed,
                start=args.start,
                on_start=attach_central if central else None,
            )
    finally:
        for link in links:
            link.stop()
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        print("\n".join(printable(line) for line in describe(summary).splitlines()))
    return 0
