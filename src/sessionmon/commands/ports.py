"""``sessionmon ports``: list serial ports with USB ids and a hint of the device behind each."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ports`` sub-command."""
    parser = subparsers.add_parser(
        "ports",
        help="list serial ports and the device likely behind each",
        description="List serial ports with their USB vendor:product id, description and a hint "
        "of the likely device (e.g. a CP210x bridge is what Contec CMS50 units use).",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON array instead")
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """List the ports; exit 0 even when there are none."""
    from sessionmon.devices.ports import list_ports, render_ports

    print(render_ports(list_ports(), as_json=args.json))
    return 0
