"""The README's Mosquitto access list, as written there, in a real broker with logins."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from broker_helpers import MOSQUITTO, Broker
from pty_helpers import wait_until
from sessionmon.central.chair_link import ChairLink
from sessionmon.central.config import CentralConfig
from sessionmon.central.state import CentralState
from sessionmon.central.station import CentralStation
from sessionmon.clock import ManualClock, SystemClock

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_acl() -> str:
    blocks = re.findall(r"```text\n(# sessionmon\.acl\n.*?)```", README.read_text(), re.S)
    assert len(blocks) == 1, "the README's sessionmon.acl block"
    return blocks[0]


@pytest.fixture
def acl_broker(tmp_path):
    if MOSQUITTO is None:
        pytest.fail("the access-list test needs mosquitto (apt-get install mosquitto)")
    passwd = tmp_path / "sessionmon.passwd"
    for i, user in enumerate(("central", "room1", "room2")):
        flags = ["-c"] if i == 0 else []
        subprocess.run(
            ["mosquitto_passwd", *flags, "-b", str(passwd), user, f"pw-{user}"], check=True
        )
    (tmp_path / "sessionmon.acl").write_text(readme_acl())
    broker = Broker(
        tmp_path,
        extra=["allow_anonymous false", f"password_file {passwd}",
               f"acl_file {tmp_path / 'sessionmon.acl'}"],
    ).start()  # fmt: skip
    yield broker
    broker.kill()


def login(broker: Broker, name: str, **extra) -> CentralConfig:
    return CentralConfig(
        host="127.0.0.1", port=broker.port, clinic="north", username=name,
        password=f"pw-{name}", **extra,
    )  # fmt: skip


def test_a_console_publishes_only_under_its_own_chair(acl_broker, tmp_path) -> None:
    from sessionmon.model import Patient
    from sessionmon.runtime import SessionRuntime
    from sessionmon.store import SessionStore

    state = CentralState("north", SystemClock(), ["room1", "room2"])
    station = CentralStation(login(acl_broker, "central", user="Ana"), state)
    station.start()
    clock = ManualClock()
    with SessionStore.open(tmp_path / "s.db", clock) as store:
        runtime = SessionRuntime(
            store, clock, patient=Patient(pseudonym="P1"), treatment="esketamine-56"
        )
        honest = ChairLink(login(acl_broker, "room1", chair="room1"), clock)
        # room2's console misconfigured (or hostile) with room1's login: the broker drops it all.
        impostor = ChairLink(login(acl_broker, "room1", chair="room2"), clock)
        for link in (honest, impostor):
            link.start()
            link.attach(runtime)
        try:

            def tick() -> None:
                clock.advance(1)
                runtime.tick()
                state.tick()

            assert wait_until(lambda: honest.connected and impostor.connected, 10)
            assert wait_until(lambda: state.chairs()[0].status is not None, 5, step=tick)
            runtime.set_external_condition("oximeter_disconnected", True)
            assert wait_until(lambda: state.chairs()[0].alarms, 5, step=tick)
            # Central may write the acknowledgement topic: room1 hears it.
            station.acknowledge("room1")
            alarm_id = runtime.engine.alarm("oximeter_disconnected").alarm_id
            assert wait_until(lambda: honest.seen_by(alarm_id) == "Ana", 5, step=tick)
            for _ in range(6):
                tick()  # 6 s of the chair's vitals, all refused for room2
            room2 = state.chairs()[1]
            assert room2.status is None and room2.last_message is None  # nothing got through
            assert impostor.seen_by(alarm_id) is None
        finally:
            honest.stop()
            impostor.stop()
            station.stop()
