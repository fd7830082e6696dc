"""``sessionmon scenarios``: list the built-in scenarios; ``scenarios validate FILE`` checks one."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``scenarios`` sub-command."""
    parser = subparsers.add_parser(
        "scenarios",
        help="list built-in scenarios, or validate a scenario file",
        description="Without arguments, list the built-in scenarios (id, name, treatment, "
        "duration). 'scenarios validate FILE' checks a scenario file and names the line and "
        "field of the first problem.",
    )
    actions = parser.add_subparsers(dest="scenarios_action", metavar="ACTION")
    validate = actions.add_parser("validate", help="check a scenario file")
    validate.add_argument("file", metavar="FILE", help="scenario TOML file (or built-in id)")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """List or validate."""
    from sessionmon.errors import printable
    from sessionmon.scenarios import list_builtin, load_scenario
    from sessionmon.scenarios.model import format_hms

    if getattr(args, "scenarios_action", None) == "validate":
        scenario = load_scenario(args.file)
        print(
            printable(
                f"{args.file}: valid: {scenario.name} ({scenario.treatment.value}, "
                f"{format_hms(scenario.duration)}, {len(scenario.steps)} steps)"
            )
        )
        return 0
    entries = list_builtin()
    width = max(len(e.id) for e in entries)
    print(f"{'ID':<{width}}  {'TREATMENT':<13}  DURATION  NAME")
    for entry in entries:
        print(f"{entry.id:<{width}}  {entry.treatment:<13}  {entry.duration}  {entry.name}")
    return 0
