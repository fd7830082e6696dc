"""Device layer benchmark: parser throughput per protocol, and pty-to-poll() latency.

Run: ``.venv/bin/python bench/devices.py [--mb 1] [--frames 500] [--runs 5] [--no-peers]``

1. Decode throughput: about ``--mb`` MB of each protocol's wire bytes (made by its own encoder)
   fed to a fresh parser in 4 KiB chunks; bytes/s (by the wall clock and by the thread's CPU
   time) and frames/s, parser only, the median of ``--runs`` runs. Where a peer project
   parses the same protocol and installs from the package registry into a venv this bench
   makes (``.bench-peers/NAME``), its own parsing code runs on the same bytes in that venv,
   median of as many runs; a peer that does not install is skipped with a message (see
   :data:`PEERS`).
2. Latency, for every protocol: the bytes of one HR update (a frame, a Nonin 25-frame packet, a
   line or record) written to a pty master; the real driver (pyserial reader thread, parser,
   queue) delivers it; the time from ``os.write`` of the byte that completes the HR to the
   reading coming out of ``poll()`` (polled every 0.1 ms), p50 / p99 / max over ``--frames``
   updates, real clock. SunTech: a cuff-pressure reply to the driver's own poll. IntelliVue
   (RS232 on a pty and UDP on 127.0.0.1): a poll result answering the driver's own poll.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from sessionmon.clock import SystemClock
from sessionmon.devices.protocols import PROTOCOLS, suntech
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.rate_guard import FrameRateGuard
from sessionmon.devices.readings import Reading
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import DeviceRole, LinkState
from sessionmon.devices.suntech_driver import SuntechNibp
from sessionmon.model import Kind


def wire_bytes(name: str, size: int) -> bytes:
    """About ``size`` bytes of realistic traffic from the protocol's encoder."""
    spec = PROTOCOLS[name]
    if spec.role is DeviceRole.NIBP:
        unit = b"".join(suntech.cuff_pressure_frame(p) for p in range(0, 200, 5))
        unit += suntech.ack_frame("K")
        unit += suntech.bp_data_frame(suntech.BpResult(128, 84, 99, 70, beats=12))
    else:
        encoder = spec.make_encoder()
        if spec.pleth_rate_hz is None:
            unit = b"".join(
                encoder.frames_for(60 + i % 40, 90 + i % 10, (), 2.5) for i in range(50)
            )
        else:
            top = spec.pleth_max or 127
            samples = [top * (0.2 + 0.6 * (i % 25) / 25) for i in range(int(spec.pleth_rate_hz))]
            unit = encoder.frames_for(72, 97, samples, 2.5)
    return unit * max(1, size // len(unit))


def throughput(name: str, size: int, runs: int = 1) -> tuple[float, float, float, int]:
    """Return (bytes/s, CPU bytes/s, frames/s, frames) of the parser alone, medians of ``runs``.

    The CPU rate divides by the thread's CPU time instead of the wall clock: on a shared
    machine it is what the parser costs, whatever else runs.
    """
    data = wire_bytes(name, size)
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    times, cpu = [], []
    for _ in range(max(1, runs)):
        parser = PROTOCOLS[name].make_parser()
        started, cpu_started = time.perf_counter(), time.thread_time()
        for chunk in chunks:
            parser.feed(chunk)
        times.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - cpu_started)
    elapsed = statistics.median(times)
    return (
        len(data) / elapsed,
        len(data) / statistics.median(cpu),
        parser.stats.frames / elapsed,
        parser.stats.frames,
    )


#: systole's ``Oximeter.read`` loop (5-byte paquets: ``check``, ``get_value``, ``add_paquet``,
#: which also keeps its beat-detection threshold) on a capture file instead of a port.
_SYSTOLE = """
import sys, time
from systole.recording import Oximeter
data = open(sys.argv[1], "rb").read()
paquets = [list(data[i : i + 5]) for i in range(0, len(data) - 4, 5)]
for whole in (False, True):
    oxi = Oximeter(serial=None, data_format="FORMAT")
    check, value, add = oxi.check, oxi.get_value, oxi.add_paquet
    started = time.perf_counter()
    for i in range(0, len(data) - 4, 5):
        paquet = list(data[i : i + 5])
        if check(paquet):
            v = value(paquet)
            if whole:
                add(value=v)
    print(time.perf_counter() - started)
"""

#: Peer projects that parse one of our protocols: label -> (our protocol, the venv and the
#: requirement pip installs, the peer's parsing loop run on the capture in that venv). The loops
#: call the peer's own functions the way its reader does, on the bytes our encoder made, and
#: print two times: framing and decoding alone, and the whole per-packet work of its reader.
#: cms50ew, masimo-datacapture and CMS50Dplus are not found in the registry's package list
#: this project checked; the bench still asks pip and says why it skips them.
PEERS: dict[str, tuple[str, str, str]] = {
    "systole #2": ("nonin-df2", "systole", _SYSTOLE.replace("FORMAT", "2")),
    "systole #7": ("nonin-df7", "systole", _SYSTOLE.replace("FORMAT", "7")),
    "cms50ew": ("cms50-v7", "cms50ew", ""),
    "masimo-datacapture": ("masimo-ascii", "masimo-datacapture", ""),
    "CMS50Dplus": ("cms50-legacy", "CMS50Dplus", ""),
}

PEER_ROOT = Path(__file__).resolve().parent.parent / ".bench-peers"


def peer_python(name: str, requirement: str) -> tuple[Path | None, str]:
    """Return the peer venv's python (made and installed on first use), or why not."""
    venv = PEER_ROOT / name
    python = venv / "bin" / "python"
    marker = venv / ".installed"
    if marker.exists():
        return python, ""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", requirement],
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError) as error:
        return None, f"could not make its venv: {error}"
    if result.returncode:
        lines = (result.stderr or result.stdout).strip().splitlines()
        return None, f"pip install {requirement} failed: {lines[-1] if lines else '?'}"
    marker.touch()
    return python, ""


def peer_throughput(label: str, size: int, runs: int) -> tuple[str, list[float], str]:
    """Return (our protocol, the peer's bytes/s per figure its loop prints, why skipped)."""
    protocol, venv, loop = PEERS[label]
    python, why = peer_python(venv, venv)
    if python is None:
        return protocol, [], why
    if not loop:
        return protocol, [], "installed, but no parsing loop is written for it here"
    data = wire_bytes(protocol, size)
    with tempfile.TemporaryDirectory() as folder:
        capture = Path(folder) / "capture.bin"
        capture.write_bytes(data)
        times: list[list[float]] = []
        for _ in range(max(1, runs)):
            result = subprocess.run(
                [str(python), "-c", loop, str(capture)], capture_output=True, text=True
            )
            if result.returncode:
                lines = result.stderr.strip().splitlines()
                return protocol, [], f"its loop failed: {lines[-1] if lines else '?'}"
            times.append([float(t) for t in result.stdout.split()])
    return (
        protocol,
        [len(data) / statistics.median(column) for column in zip(*times, strict=True)],
        "",
    )


def reading_unit(name: str, encoder: Any, hr: int) -> tuple[bytes, int]:
    """Wire bytes that carry a new ``hr``, and how many of them come before the completing byte.

    Pleth streams send one frame per sample: CMS50 carries HR in every frame, Nonin #2/#7 in
    one 25-frame packet, so a packet's worth of samples is sent. Once-a-second protocols send
    one record. The split is found with an offline parser fed byte by byte: the byte at which
    the HR first comes out is the one whose arrival the latency is measured from.
    """
    data = encoder.frames_for(hr, 97, _unit_samples(name), 2.5)
    # The live parser is in sync when a unit arrives; so is the offline one (the resync guard
    # trusts a stream only after several good frames in a row).
    return data, _completing_index(name, data, hr, _primer(name, encoder, hr - 1))


def _primer(name: str, encoder: Any, hr: int) -> bytes:
    """Ten units carrying ``hr``: enough in-place frames for any resync guard to confirm."""
    samples = _unit_samples(name)
    return b"".join(encoder.frames_for(hr, 97, samples, 2.5) for _ in range(10))


def _unit_samples(name: str) -> list[int]:
    """Pleth samples of one unit: one frame (CMS50), one packet (Nonin #2/#7) or none."""
    spec = PROTOCOLS[name]
    top = (spec.pleth_max or 127) // 2
    if spec.pleth_rate_hz is None:
        return []
    if name.startswith("nonin"):
        return [top] * 25
    return [top]


def _completing_index(name: str, data: bytes, hr: int, primer: bytes = b"") -> int:
    parser = PROTOCOLS[name].make_parser(numerics_every=1)
    parser.feed(primer)
    for i in range(len(data)):
        if any(isinstance(r, Reading) and r.kind is Kind.HR for r in parser.feed(data[i : i + 1])):
            return i
    raise RuntimeError(f"{name}: HR {hr} never decoded from its own encoder's bytes")


#: Nominal frame rate given to the driver's rate guard in the latency bench (see
#: :func:`oximeter_latency`): above what back-to-back units over a pty can reach.
BENCH_FRAME_RATE_HZ = 1e6


def oximeter_latency(name: str, frames: int) -> list[float]:
    """Seconds from writing the byte that completes an HR to that reading leaving ``poll()``.

    The bytes before the completing one (the rest of a Nonin packet, the start of a line) are
    written first, untimed; each unit carries a new HR value so the parser never thins it out.

    Units go out back to back, as soon as the previous HR came out: hundreds a second, far
    above any device's rate, so the driver's frame-rate guard would rightly drop them as "too
    fast" after its burst allowance (4 lines of a once-a-second device, 3 s of a CMS50). The
    guard stays in the path (same class, same per-frame work) with a nominal rate the bench
    cannot reach (:data:`BENCH_FRAME_RATE_HZ`); pacing at the real rate instead would take
    8 minutes per once-a-second protocol for 500 updates.
    """
    encoder = PROTOCOLS[name].make_encoder()
    port = PtyPort()
    device = SerialOximeter(name, port.path, SystemClock(), stall_timeout_s=None)
    device.rate_guard = FrameRateGuard(BENCH_FRAME_RATE_HZ)
    device.start()
    latencies: list[float] = []
    try:
        _wait(lambda: device.state is LinkState.STREAMING)
        # A stream without a checksum (CMS50 legacy, Nonin #8) is held after connecting until
        # a run of frames confirms the framing (the resync guard): confirm it, untimed.
        port.write(_primer(name, encoder, 59))
        _wait(lambda: _has_hr(device.poll(), 59))
        for i in range(frames + 20):
            hr = 60 + i % 60  # a new value every time
            data, at = reading_unit(name, encoder, hr)
            port.write(data[:at])
            written = time.perf_counter()
            port.write(data[at:])
            delivered = _wait(lambda hr=hr: _has_hr(device.poll(), hr))
            if i >= 20:  # warm-up
                latencies.append(delivered - written)
    finally:
        device.stop()
        port.close()
    return latencies


def nibp_latency(requests: int) -> list[float]:
    """Seconds from writing a cuff-pressure reply to its reading leaving ``poll()``."""
    port = PtyPort()
    driver = SuntechNibp(port.path, SystemClock(), idle_poll_s=0.0, stall_timeout_s=None)
    driver.start()
    latencies: list[float] = []
    try:
        _wait(lambda: driver.state is LinkState.STREAMING)
        for i in range(requests + 20):
            _wait(lambda: bool(port.read_available(0.01)))  # the driver's idle cuff poll
            value = i % 250
            written = time.perf_counter()
            port.write(suntech.cuff_pressure_frame(value))
            delivered = _wait(
                lambda value=value: any(
                    isinstance(o.item, Reading)
                    and o.item.kind is Kind.CUFF_PRESSURE
                    and o.item.value == value
                    for o in driver.poll()
                )
            )
            if i >= 20:
                latencies.append(delivered - written)
    finally:
        driver.stop()
        port.close()
    return latencies


def intellivue_latency(frames: int, transport: str = "rs232") -> list[float]:
    """Seconds from writing the last byte of a poll result with a new HR to its reading.

    The bench plays the monitor (the protocol's own monitor side): it answers the driver's
    association and, for each numerics poll request the driver sends, writes a poll result
    carrying a new ECG HR; the time runs from the write of its last byte (RS232: the EOF;
    UDP: the datagram) to the HR leaving ``poll()``. The driver polls every 10 ms here (1 s in
    a session) so the bench does not wait for the poll timer.
    """
    import socket as socket_module

    from sessionmon.devices.intellivue_driver import IntelliVueMonitor
    from sessionmon.devices.protocols import intellivue as iv
    from sessionmon.devices.protocols import intellivue_monitor as mon
    from sessionmon.devices.protocols import intellivue_nom as nom
    from sessionmon.devices.protocols.intellivue_frame import Deframer, frame

    session = mon.MonitorSession()
    if transport == "udp":
        sock = socket_module.socket(socket_module.AF_INET, socket_module.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.01)
        where = f"udp:127.0.0.1:{sock.getsockname()[1]}"
        peer: list[Any] = [None]

        def receive() -> list[bytes]:
            try:
                data, peer[0] = sock.recvfrom(65535)
            except TimeoutError:
                return []
            return [data]

        def send(message: bytes) -> tuple[bytes, bytes]:
            return b"", message

        def write(data: bytes) -> None:
            if data:
                sock.sendto(data, peer[0])

        close = sock.close
    else:
        port = PtyPort()
        deframer = Deframer()
        where = port.path

        def receive() -> list[bytes]:
            return deframer.feed(port.read_available(0.01))

        def send(message: bytes) -> tuple[bytes, bytes]:
            wire = frame(message)
            return wire[:-1], wire[-1:]

        write = port.write
        close = port.close
    device = IntelliVueMonitor(
        where,
        SystemClock(),
        poll_period_s=0.01,
        wave_period_s=None,
        alarm_period_s=None,
        stall_timeout_s=None,
        answer_timeout_s=5.0,
    )
    device.start()
    latencies: list[float] = []
    try:
        hr, done = 60, 0
        deadline = time.perf_counter() + 60
        while done < frames + 20 and time.perf_counter() < deadline:
            for message in receive():
                request = iv.parse_message(message)
                if isinstance(request, iv.PollRequest) and request.extended:
                    hr = 60 + done % 60
                    session.set_numeric(
                        mon.SimNumeric(
                            nom.NOM_ECG_CARD_BEAT_RATE, hr, nom.NOM_DIM_BEAT_PER_MIN, 0x24182
                        )
                    )
                for reply in session.handle(message, 0, None):
                    head, last = send(reply)
                    write(head)
                    written = time.perf_counter()
                    write(last)
                    if isinstance(request, iv.PollRequest) and request.extended:
                        delivered = _wait(lambda hr=hr: _has_hr(device.poll(), hr))
                        if done >= 20:
                            latencies.append(delivered - written)
                        done += 1
    finally:
        device.stop()
        close()
    return latencies


def _has_hr(outputs, hr: int) -> bool:
    return any(
        isinstance(o.item, Reading) and o.item.kind is Kind.HR and o.item.value == hr
        for o in outputs
    )


#: Pause between polls. A pure busy loop would hold the GIL and starve the reader thread for
#: up to ``sys.getswitchinterval()`` (5 ms), measuring the benchmark rather than the driver;
#: this short wait releases it and bounds the added resolution to about 0.1 ms.
POLL_PAUSE_S = 0.0001
_PAUSE = threading.Event()


def _wait(predicate, timeout_s: float = 5.0) -> float:
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("nothing delivered within 5 s")
        _PAUSE.wait(POLL_PAUSE_S)
    return time.perf_counter()


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0, help="MB of wire bytes per protocol")
    parser.add_argument("--frames", type=int, default=500, help="frames for the latency test")
    parser.add_argument("--runs", type=int, default=5, help="throughput runs (median shown)")
    parser.add_argument(
        "--no-peers", dest="peers", action="store_false", help="do not run the peer projects"
    )
    args = parser.parse_args(argv)

    size = int(args.mb * 1_000_000)
    print(f"decode throughput (parser only, {args.mb:g} MB per protocol, median of {args.runs})")
    print(f"  {'protocol':<14} {'MB/s':>8} {'CPU MB/s':>9} {'frames/s':>12} {'frames':>9}")
    ours: dict[str, float] = {}
    for name in PROTOCOLS:
        bps, cpu_bps, fps, frames = throughput(name, size, args.runs)
        ours[name] = bps
        print(f"  {name:<14} {bps / 1e6:8.2f} {cpu_bps / 1e6:9.2f} {fps:12,.0f} {frames:9,}")
    if args.peers:
        print(f"\npeers on the same bytes (own parsing, own venv, median of {args.runs})")
        for peer in PEERS:
            protocol, rates, why = peer_throughput(peer, size, args.runs)
            if not rates:
                print(f"  {peer:<20} {protocol:<14} skipped: {why}")
                continue
            figures = " / ".join(f"{r / 1e6:.2f}" for r in rates)
            print(
                f"  {peer:<20} {protocol:<14} {figures} MB/s (decode / whole reader)"
                f"  sessionmon {ours[protocol] / 1e6:.2f} MB/s"
            )
    if args.frames <= 0:
        return 0

    print(f"\nlatency pty write -> poll() (real pyserial reader thread, {args.frames} frames)")
    print(f"  {'device':<14} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, spec in PROTOCOLS.items():
        if spec.role is not DeviceRole.OXIMETER:
            continue
        if name == "intellivue":  # a monitor answers polls: its own exchange
            for transport in ("rs232", "udp"):
                lat = intellivue_latency(args.frames, transport)
                label = f"intellivue {transport}"
                p50, p99, top = _ms(lat, 0.5), _ms(lat, 0.99), max(lat) * 1000
                print(f"  {label:<14} {p50:8.2f} {p99:8.2f} {top:8.2f}")
            continue
        try:
            lat = oximeter_latency(name, args.frames)
        except (RuntimeError, TimeoutError) as exc:  # said, not hidden: the rest still runs
            print(f"  {name:<14} not measured: {exc}")
            continue
        print(f"  {name:<14} {_ms(lat, 0.5):8.2f} {_ms(lat, 0.99):8.2f} {max(lat) * 1000:8.2f}")
    lat = nibp_latency(args.frames)
    print(
        f"  {'suntech cuff':<14} {_ms(lat, 0.5):8.2f} {_ms(lat, 0.99):8.2f} {max(lat) * 1000:8.2f}"
    )
    print(f"  (mean of all {len(lat)} suntech: {statistics.mean(lat) * 1000:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
