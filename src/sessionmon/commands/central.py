"""``sessionmon central``: the central station (a window; ``--headless --json`` for scripts)."""

from __future__ import annotations

import argparse
import json
import sys


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``central`` sub-command."""
    parser = subparsers.add_parser(
        "central",
        help="the central station: every chair on one screen (MQTT)",
        description="Subscribe to every chair of the clinic on the MQTT broker set in "
        "central.toml ([central]) or by --central, and show them: one tile per chair, "
        "alarms sounded with the same tones as the consoles.",
    )
    parser.add_argument(
        "--central",
        metavar="mqtt://HOST:PORT",
        default=argparse.SUPPRESS,  # or as given before the command name
        help="the broker (mqtt:// or mqtts://; overrides central.toml)",
    )
    parser.add_argument(
        "--chairs",
        metavar="A,B,...",
        default=None,
        help="the chairs expected (messages of any other chair are dropped)",
    )
    parser.add_argument("--clinic", default=None, help="clinic id (the topic's second level)")
    parser.add_argument(
        "--user", default=None, help="who acknowledges here ('seen at central by USER')"
    )
    parser.add_argument("--headless", action="store_true", help="no window: print the state")
    parser.add_argument(
        "--json", action="store_true", help="with --headless: one JSON line a second"
    )
    parser.add_argument(
        "--duration", type=_positive, default=None, metavar="S", help="stop after S seconds"
    )
    parser.set_defaults(func=handler)


def central_config(args: argparse.Namespace):
    """Return central's settings from central.toml and the options (UserError if none)."""
    from sessionmon.central.config import CentralConfig, load_central
    from sessionmon.errors import UserError

    config = load_central(url=args.central)
    if config is None:
        raise UserError(
            "the central station is not configured: add [central] to central.toml or give "
            "--central mqtt://HOST:PORT"
        )
    changes: dict[str, object] = {}
    if args.chairs is not None:
        changes["chairs"] = [c.strip() for c in args.chairs.split(",") if c.strip()]
    if args.clinic is not None:
        changes["clinic"] = args.clinic
    if args.user is not None:
        changes["user"] = args.user
    if changes:
        try:
            config = CentralConfig.model_validate({**config.model_dump(), **changes})
        except ValueError as exc:
            raise UserError(f"central: {exc.errors()[0]['msg']}") from None  # type: ignore[attr-defined]
    return config


def handler(args: argparse.Namespace) -> int:
    """Run the central station until closed, Ctrl+C or ``--duration``."""
    config = central_config(args)
    if args.headless:
        return run_headless(config, args.duration, as_json=args.json)
    from sessionmon.ui.central_app import run_central

    return run_central(config)


def run_headless(config, duration_s: float | None, as_json: bool, out=None) -> int:
    """Print the state once a second until ``duration_s`` (or Ctrl+C); return the exit code."""
    import signal
    import time

    from sessionmon.central.state import CentralState
    from sessionmon.central.station import CentralStation
    from sessionmon.clock import SystemClock

    out = out or sys.stdout
    clock = SystemClock()
    state = CentralState(config.clinic, clock, config.chairs, config.offline_after_s)
    station = CentralStation(config, state)

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupted)
    station.start()
    started = clock.monotonic()
    code = 0
    try:
        next_print = started + 1.0
        while duration_s is None or clock.monotonic() - started < duration_s:
            time.sleep(max(0.0, min(0.25, next_print - clock.monotonic())))
            state.tick()
            if clock.monotonic() >= next_print:
                next_print += 1.0
                data = state.to_json()
                data["latency_ms"] = state.latency_ms()
                if as_json:
                    out.write(json.dumps(data, ensure_ascii=False) + "\n")
                else:
                    out.write(_describe(data) + "\n")
                out.flush()
    except KeyboardInterrupt:
        code = 130
    finally:
        station.stop()
        signal.signal(signal.SIGTERM, previous)
    return code


def _value(vitals: dict, kind: str) -> str:
    """A vital as the line shows it: ``72`` (never ``72.0``), ``-`` when the chair sent none."""
    value = vitals.get(kind, {}).get("value")
    return "-" if value is None else f"{value:g}"


def _describe(data: dict) -> str:
    parts = [data["at"][11:19]]
    for chair in data["chairs"]:
        top = chair["alarms"][0]["condition"] if chair["alarms"] else "-"
        hr = _value(chair["vitals"], "hr")
        spo2 = _value(chair["vitals"], "spo2")
        state = "online" if chair["online"] else "OFFLINE"
        parts.append(f"{chair['chair']}: {state} HR {hr} SpO2 {spo2} alarm {top}")
    for alarm in data["alarms"]:
        parts.append(f"*** {alarm['message']}")
    return " | ".join(parts)
