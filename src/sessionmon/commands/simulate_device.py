"""``sessionmon simulate-device``: speak a device protocol on a pty (drivers without hardware)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate-device`` sub-command."""
    parser = subparsers.add_parser(
        "simulate-device",
        help="speak a device protocol on a pseudo-terminal",
        description="Open a pty, print the port to connect to, and stream the protocol's wire "
        "bytes in real time from a simulated patient until Ctrl-C. For suntech it answers host "
        "commands like the module (a measurement takes 20-40 s, cuff pressure meanwhile). "
        "Timed faults let a trainer show what the console does, through the real driver: "
        "--fault sensor_off@30:20 takes the finger out of the sensor 30 s after the start, for "
        "20 s (the device sends its finger-out flags and no values); --fault unplug@60:10 pulls "
        "the cable for 10 s (the pty closes and comes back; give --link so the port keeps its "
        "name). Repeat --fault for several; without :DURATION a fault lasts until the end.",
    )
    parser.add_argument("--protocol", required=True, help="device protocol, e.g. cms50-v7")
    parser.add_argument("--hr", type=float, default=72.0, help="heart rate /min (default 72)")
    parser.add_argument("--spo2", type=float, default=98.0, help="SpO2 %% (default 98)")
    parser.add_argument("--sys", type=float, default=124.0, help="systolic mmHg (default 124)")
    parser.add_argument("--dia", type=float, default=78.0, help="diastolic mmHg (default 78)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated patient")
    parser.add_argument(
        "--link", type=Path, default=None, help="also make this symlink to the pty (stable name)"
    )
    parser.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME@START[:DURATION]",
        help="timed fault, seconds from the start: sensor_off (finger out, oximeters), unplug "
        "(cable pulled), noise (random bytes), no_value (SpO2 and pulse as 'no value' markers, "
        "oximeters), fast (every frame 100 times, oximeters) or silent (the device sends "
        "nothing; intellivue: stops answering), and for intellivue refuse (association refused) "
        "and invalid (invalid numerics); e.g. sensor_off@30:20. Repeatable.",
    )
    parser.add_argument(
        "--transport",
        choices=("rs232", "udp"),
        default="rs232",
        help="intellivue only: the MIB/RS232 port on a pty (default) or the LAN interface (UDP "
        "on 127.0.0.1)",
    )
    parser.add_argument(
        "--udp-port",
        type=int,
        default=24105,
        help="intellivue --transport udp: the protocol port (default 24105, the monitor's own)",
    )
    parser.add_argument(
        "--announce-port",
        type=int,
        default=24005,
        help="intellivue --transport udp: send the connect indication to UDP 127.0.0.1 on this "
        "port (default 24005, as a monitor does on its LAN) every 5 s while no client is "
        "associated, so a client set to udp:auto finds it; 0: do not announce",
    )
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Run the simulated device until Ctrl-C (or ``--duration``)."""
    import threading

    from pydantic import ValidationError

    from sessionmon.clock import SystemClock
    from sessionmon.devices.profiles import get_profile
    from sessionmon.devices.pty_port import PtyPort
    from sessionmon.devices.wire_faults import FaultRunner, parse_fault
    from sessionmon.errors import UserError
    from sessionmon.sim.wire_sim import WireSimulator

    profile = get_profile(args.protocol)
    if args.duration is not None and args.duration <= 0:
        raise UserError("--duration must be positive")
    faults = [parse_fault(text) for text in args.fault]
    if args.protocol == "intellivue":
        return _run_intellivue(args, faults)
    if args.transport != "rs232":
        raise UserError(f"--transport udp is for intellivue; {args.protocol} speaks on a pty")
    pty = PtyPort(link=args.link)
    sim_clock = SystemClock()
    try:
        try:
            sim = WireSimulator(
                args.protocol,
                pty.offer,
                sim_clock,
                hr=args.hr,
                spo2=args.spo2,
                sys=args.sys,
                dia=args.dia,
                seed=args.seed,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise UserError(f"bad patient value {first['loc'][0]}: {first['msg']}") from None
        started = sim_clock.monotonic()
        runner = FaultRunner(
            sim,
            pty,
            faults,
            lambda: sim_clock.monotonic() - started,
            lambda line: print(line, flush=True),
        )
        print(
            f"{args.protocol} ({profile.defaults.describe()}) on {pty.path}\n"
            f"connect with: sessionmon decode --device {args.protocol} --port {pty.path}\n"
            "Ctrl-C to stop",
            flush=True,
        )
        for fault in faults:
            print(f"scheduled: {fault.describe()}", flush=True)
        stop = threading.Event()
        if args.duration is not None:
            threading.Timer(args.duration, stop.set).start()
        try:
            sim.run(stop, read_host=pty.read_available, on_tick=runner.tick)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
        print(f"sent {sim.bytes_out} bytes", flush=True)
    finally:
        pty.close()
    return 0


def _run_intellivue(args: argparse.Namespace, faults: list) -> int:
    """Run the simulated IntelliVue on a pty (RS232 framing) or on UDP 127.0.0.1."""

    from pydantic import ValidationError

    from sessionmon.clock import SystemClock
    from sessionmon.devices.pty_port import PtyPort
    from sessionmon.errors import UserError
    from sessionmon.sim import Physiology, PhysiologyTargets
    from sessionmon.sim.intellivue_sim import PtyTransport, SimulatedIntelliVue, UdpTransport

    if not 0 < args.udp_port < 65536:
        raise UserError(f"--udp-port {args.udp_port} is not 1..65535")
    clock = SystemClock()
    try:
        targets = PhysiologyTargets(hr=args.hr, spo2=args.spo2, sys=args.sys, dia=args.dia)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise UserError(f"bad patient value {first['loc'][0]}: {first['msg']}") from None
    monitor = SimulatedIntelliVue(clock, Physiology(clock, targets, seed=args.seed), seed=args.seed)
    transport: PtyTransport | UdpTransport
    if args.transport == "udp":
        try:
            transport = UdpTransport(monitor, "127.0.0.1", args.udp_port)
        except OSError as exc:
            raise UserError(
                f"cannot listen on UDP 127.0.0.1:{args.udp_port}: {exc.strerror or exc} "
                "(another simulator running? move it with --udp-port)"
            ) from None
        where = f"UDP {transport.host}:{transport.port}"
        port = transport.address
    else:
        transport = PtyTransport(monitor, PtyPort(link=args.link))
        where = f"a pty, 115200 8-N-1 framing, {transport.path}"
        port = transport.path
    announce_port = getattr(args, "announce_port", 0) if args.transport == "udp" else 0
    if announce_port and not 0 < announce_port < 65536:
        raise UserError(f"--announce-port {announce_port} is not 1..65535")
    try:
        _serve(transport, monitor, faults, clock, where, port, args.duration, announce_port)
    finally:
        transport.close()
    print(f"answered {monitor.messages_in} messages, sent {transport.bytes_out} bytes", flush=True)
    return 0


#: How often the simulated monitor sends its connect indication while no client is associated.
ANNOUNCE_EVERY_S = 5.0


def _serve(
    transport, monitor, faults, clock, where: str, port: str, duration, announce_port: int = 0
) -> None:
    """Schedule the faults and answer in real time until Ctrl-C or ``duration``."""
    import threading

    from sessionmon.devices.wire_faults import FaultRunner

    started = clock.monotonic()
    runner = FaultRunner(
        monitor,
        transport,
        faults,
        lambda: clock.monotonic() - started,
        lambda line: print(line, flush=True),
    )
    print(
        f"intellivue (Data Export) on {where}\n"
        f"connect with: sessionmon decode --device intellivue --port {port}\n"
        "Ctrl-C to stop",
        flush=True,
    )
    for fault in faults:
        print(f"scheduled: {fault.describe()}", flush=True)
    stop = threading.Event()
    if duration is not None:
        threading.Timer(duration, stop.set).start()
    announced = [-ANNOUNCE_EVERY_S]

    def tick() -> None:
        runner.tick()
        now = clock.monotonic() - started
        if (
            announce_port
            and not monitor.session.associated
            and now - announced[0] >= ANNOUNCE_EVERY_S
        ):
            announced[0] = now
            transport.announce(("127.0.0.1", announce_port))

    try:
        transport.run(stop, on_tick=tick)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
