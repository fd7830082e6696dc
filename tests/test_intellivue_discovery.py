"""The IntelliVue LAN dialog from the monitor's connect indication, end to end on 127.0.0.1.

The port setting ``udp:auto[:PORT]`` finds the monitor from the connect indication it sends
(to UDP 24005 on a real LAN; to a port the system chose here): the real driver, built by the
device factory, hears the simulated monitor's indication on a real socket, associates with
the sender, and the session runtime records its numerics. With a configured address, an
indication from that monitor (it restarted) brings an association at once. Anything else on
the indication port is ignored (property test).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pty_helpers import wait_until
from sessionmon.clock import SystemClock
from sessionmon.devices.factory import parse_device, start_sources
from sessionmon.devices.intellivue_discovery import (
    ConnectIndicationListener,
    is_connect_indication,
)
from sessionmon.devices.protocols.intellivue_monitor import connect_indication
from sessionmon.model import Kind, Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.sim.intellivue_sim import SimulatedIntelliVue, UdpTransport
from sessionmon.store import SessionStore

CLOCK = SystemClock()


@pytest.fixture
def monitor() -> Iterator[UdpTransport]:
    sim = SimulatedIntelliVue(CLOCK, nibp_interval_s=None, nibp_first_s=1e9, seed=5)
    transport = UdpTransport(sim, "127.0.0.1", 0)
    stop = threading.Event()
    thread = threading.Thread(target=transport.run, args=(stop,), daemon=True)
    thread.start()
    yield transport
    stop.set()
    thread.join(2.0)
    transport.close()


def _indication_port(device) -> int:
    assert wait_until(lambda: device.link._indications is not None, 2.0)
    return device.link._indications.port


def test_udp_auto_finds_the_monitor_from_its_connect_indication(tmp_path, monitor):
    config = parse_device(f"intellivue:udp:auto:{monitor.port}")
    sources = start_sources(config, None, CLOCK, indication_port=0)
    device = sources.oximeter
    try:
        with SessionStore.open(tmp_path / "s.db", CLOCK) as store:
            runtime = SessionRuntime(
                store,
                CLOCK,
                patient=Patient(pseudonym="IV-A"),
                treatment="ketamine-iv",
                oximeter=device,
                nibp=sources.nibp,
            )
            port = _indication_port(device)
            assert not device.associated  # no address set up: nothing to talk to yet

            def announced_and_read() -> bool:
                if not monitor.monitor.session.associated:
                    monitor.announce(("127.0.0.1", port))
                runtime.tick()
                value = runtime.snapshot().values.get(Kind.SPO2)
                return value is not None and not value.stale

            assert wait_until(announced_and_read, 5.0, pause_s=0.05)
            assert device.link.discovered == "127.0.0.1"
            assert device.link.settings.describe() == f"UDP 127.0.0.1:{monitor.port}"
            runtime.close()
    finally:
        sources.stop()


def test_a_configured_monitor_that_announces_itself_is_associated_at_once(monitor):
    config = parse_device(f"intellivue:{monitor.address}")
    sources = start_sources(config, None, CLOCK, indication_port=0, answer_timeout_s=60.0)
    device = sources.oximeter
    try:
        assert wait_until(lambda: device.associated, 3.0)
        port = _indication_port(device)
        before = device.dialog.associations
        # The monitor restarts: its association is gone; it announces itself again.
        monitor.monitor.session.associated = False
        device.dialog.phase = type(device.dialog.phase).IDLE
        monitor.announce(("127.0.0.1", port))
        # Without the indication the driver would wait 60 s (answer_timeout_s) to associate.
        assert wait_until(lambda: device.dialog.associations > before and device.associated, 3.0)
    finally:
        sources.stop()


def test_the_listener_names_the_sender_of_an_indication_and_ignores_the_rest():
    listener = ConnectIndicationListener(0)

    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sender.sendto(b"not a monitor", ("127.0.0.1", listener.port))
        sender.sendto(connect_indication(8000), ("127.0.0.1", listener.port))
        found: list[str | None] = []
        assert wait_until(lambda: found.append(listener.poll()) or found[-1] is not None, 2.0)
        assert found[-1] == "127.0.0.1"
        assert listener.indications == 1 and listener.ignored >= 0
    finally:
        sender.close()
        listener.close()


@given(st.binary(max_size=300))
def test_anything_on_the_indication_port_is_classified_without_raising(data):
    assert is_connect_indication(data) in (True, False)
    assert is_connect_indication(connect_indication(len(data)))


def test_simulate_device_udp_announces_itself_as_typed():
    import subprocess
    import sys

    listener = ConnectIndicationListener(0, "127.0.0.1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        udp_port = probe.getsockname()[1]
    command = [sys.executable, "-m", "sessionmon", "simulate-device", "--protocol", "intellivue"]
    command += ["--transport", "udp", "--udp-port", str(udp_port)]
    command += ["--announce-port", str(listener.port), "--duration", "10"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("intellivue (Data Export) on"), first + proc.stderr.read()
        found: list[str | None] = []
        assert wait_until(lambda: found.append(listener.poll()) or found[-1] is not None, 5.0)
        assert found[-1] == "127.0.0.1"
    finally:
        proc.terminate()
        proc.wait(5)
        listener.close()
