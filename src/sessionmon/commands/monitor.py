"""``sessionmon monitor``: record a real session from serial devices with no window."""

from __future__ import annotations

import argparse
import sys

DEFAULT_PSEUDONYM = "MONITOR"  # a recording of no patient: no patient record, no course


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, not {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``monitor`` sub-command."""
    parser = subparsers.add_parser(
        "monitor",
        help="record a real session from serial devices, headless",
        description="Run a real (not simulated) session with no window: read the oximeter (and "
        "the NIBP module) through the same drivers as the console, with the alarm engine and "
        "the session protocol live, record everything in the database and print readings, "
        "alarms and events as they happen. A device is DRIVER:PORT, optionally with port "
        "settings: cms50-legacy:/dev/ttyUSB0,parity=O. Ctrl+C (or --duration) ends the run: "
        "the session is left interrupted and can be resumed ('sessionmon sessions resume ID' "
        "or the console's Session history).",
    )
    parser.add_argument(
        "--oximeter",
        required=True,
        metavar="DRIVER:PORT",
        help="oximeter driver and port, e.g. cms50-v7:/dev/ttyUSB0 (drivers: cms50-legacy, "
        "cms50-v7, nonin-df2, nonin-df7, nonin-df8, nonin-ascii, masimo-ascii, or intellivue: "
        "a monitor on a serial port or udp:HOST, also the NIBP when --nibp is not given)",
    )
    parser.add_argument(
        "--nibp", metavar="DRIVER:PORT", help="NIBP module, e.g. suntech:/dev/ttyUSB1"
    )
    parser.add_argument(
        "--pseudonym",
        default=DEFAULT_PSEUDONYM,
        help="patient pseudonym: the session joins the patient's open treatment course (a new "
        f"course is opened if none is); default {DEFAULT_PSEUDONYM}, a recording of no patient",
    )
    parser.add_argument(
        "--treatment",
        default="esketamine-84",
        help="treatment protocol: esketamine-56, esketamine-84 (default) or ketamine-iv",
    )
    parser.add_argument(
        "--duration", type=_positive, metavar="S", help="stop after S seconds (default: Ctrl+C)"
    )
    parser.add_argument(
        "--bp-every",
        type=_positive,
        metavar="MIN",
        help="measure BP automatically every MIN minutes (needs --nibp; at least 1)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON Lines")
    from sessionmon.central.cli_args import add_chair_arguments

    add_chair_arguments(parser, subcommand=True)
    from sessionmon.accounts.headless import add_user_argument

    add_user_argument(parser)
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Record the session until Ctrl+C or ``--duration``; exit 130 after Ctrl+C."""
    import signal
    import threading

    from sessionmon.cli import resolve_db
    from sessionmon.clock import SystemClock
    from sessionmon.devices.factory import parse_device, start_sources
    from sessionmon.errors import UserError
    from sessionmon.model import Treatment, TreatmentId
    from sessionmon.runtime.monitor_run import HeadlessMonitor
    from sessionmon.store import SessionStore

    oximeter = parse_device(args.oximeter)
    nibp = parse_device(args.nibp) if args.nibp else None
    if args.bp_every is not None and nibp is None:
        raise UserError("--bp-every needs an NIBP module: add --nibp DRIVER:PORT")
    if args.bp_every is not None and args.bp_every < 1:
        raise UserError("--bp-every must be at least 1 minute")
    try:
        treatment = Treatment.for_protocol(args.treatment)
    except ValueError:
        known = ", ".join(t.value for t in TreatmentId)
        raise UserError(f"unknown treatment {args.treatment!r}; known: {known}") from None
    pseudonym = args.pseudonym.strip()
    if not pseudonym:
        raise UserError("--pseudonym must not be empty")

    stop_requested = threading.Event()

    def interrupted(signum: int, frame: object) -> None:
        if stop_requested.is_set():  # a second Ctrl+C while stopping: stop at once
            raise KeyboardInterrupt
        stop_requested.set()  # the loop ends and the session is stopped in order

    from sessionmon.central.cli_args import start_chair_link

    previous = {
        sig: signal.signal(sig, interrupted)  # a service stop (SIGTERM) ends it the same way
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    clock = SystemClock()
    link = start_chair_link(args, clock)
    db_path = resolve_db(args)
    sources = start_sources(oximeter, nibp, clock, open_timeout_s=3.0)
    try:
        with SessionStore.open(db_path, clock) as store:
            from sessionmon.accounts.headless import actor

            by = actor(args, store, clock, None, "monitor", required=False)
            monitor = HeadlessMonitor(
                lambda ox, bp: _runtime(store, clock, pseudonym, treatment, ox, bp, args),
                sources.oximeter,
                sources.nibp,
                clock,
                sys.stdout,
                as_json=args.json,
            )
            monitor.announce(db_path)
            if link is not None:
                link.attach(monitor.runtime)
            why = "interrupted"
            try:
                monitor.runtime.start_baseline(by=by)
                why = monitor.run(args.duration, stop_requested)
            finally:
                monitor.stop(why, db_path)
    finally:
        sources.stop()
        if link is not None:
            link.stop()
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)
    return 130 if why == "interrupted" else 0


def _runtime(store, clock, pseudonym, treatment, oximeter, nibp, args):
    from sessionmon.model import Patient
    from sessionmon.runtime.session_runtime import SessionRuntime

    session = None
    if (
        pseudonym != DEFAULT_PSEUDONYM
    ):  # a named patient: enrolled, in their course, as at the console
        from sessionmon.course.enrol import new_course_session

        session = new_course_session(
            store, Patient(pseudonym=pseudonym), treatment.protocol, clock.now(), simulated=False
        )
    return SessionRuntime(
        store,
        clock,
        session=session,
        oximeter=oximeter,
        nibp=nibp,
        patient=Patient(pseudonym=pseudonym),
        treatment=treatment,
        nibp_interval_s=None if args.bp_every is None else args.bp_every * 60.0,
        simulated=False,
    )
