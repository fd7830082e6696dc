"""The ``--central`` / ``--chair`` options shared by the console, ``simulate`` and ``monitor``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from sessionmon.errors import UserError

if TYPE_CHECKING:  # the settings (pydantic models, TOML) are read only when a chair is set up
    from sessionmon.central.config import CentralConfig


def add_chair_arguments(parser: argparse.ArgumentParser, subcommand: bool = False) -> None:
    """Add ``--central URL`` and ``--chair NAME`` (they override ``central.toml``).

    A ``subcommand``'s options default to what was given before the command name, so
    ``sessionmon --central URL monitor ...`` and ``sessionmon monitor --central URL ...`` agree.
    """
    default = argparse.SUPPRESS if subcommand else None
    parser.add_argument(
        "--central",
        metavar="mqtt://HOST:PORT",
        default=default,
        help="publish this chair to the central station's MQTT broker (mqtt:// or mqtts://; "
        "overrides [central] in central.toml)",
    )
    parser.add_argument(
        "--chair", metavar="NAME", default=default, help="this chair's name at the central station"
    )


def chair_config(args: argparse.Namespace) -> CentralConfig | None:
    """Return the chair's central settings, or None when the station is not configured."""
    from sessionmon.central.config import load_central

    config = load_central(url=getattr(args, "central", None), chair=getattr(args, "chair", None))
    if config is None:
        return None
    if not config.chair:
        raise UserError("publishing to the central station needs a chair name: add --chair NAME")
    return config


def start_chair_link(args: argparse.Namespace, clock: Any) -> Any:
    """Start a :class:`~sessionmon.central.chair_link.ChairLink` if configured (else None)."""
    config = chair_config(args)
    if config is None:
        return None
    from sessionmon.central.chair_link import ChairLink

    link = ChairLink(config, clock)
    link.start()
    return link
