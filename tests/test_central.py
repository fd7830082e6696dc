"""The central station against a real broker process: chairs publish, central shows them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broker_helpers import Broker, make_certificates
from pty_helpers import wait_until
from sessionmon.central.chair_link import UNREACHABLE, ChairLink
from sessionmon.central.config import CentralConfig, parse_url
from sessionmon.central.state import CentralState
from sessionmon.central.station import CentralStation
from sessionmon.clock import ManualClock, SystemClock
from sessionmon.model import Patient
from sessionmon.runtime import SessionRuntime
from sessionmon.store import SessionStore


@pytest.fixture
def broker(tmp_path) -> Iterator[Broker]:
    """A broker process on a free port, killed after the test."""
    running = Broker(tmp_path).start()
    yield running
    running.kill()


def config_for(url: str, **extra) -> CentralConfig:
    return CentralConfig.model_validate({**parse_url(url), "clinic": "test", **extra})


@pytest.fixture
def store(tmp_path) -> Iterator[SessionStore]:
    with SessionStore.open(tmp_path / "sessions.db", ManualClock()) as opened:
        yield opened


class Chair:
    """A chair in this process: a runtime on a manual clock and its central link."""

    def __init__(self, store: SessionStore, url: str, name: str, **extra) -> None:
        self.clock = ManualClock()
        self.runtime = SessionRuntime(
            store,
            self.clock,
            patient=Patient(pseudonym=f"P-{name}", name="Jane Real Name"),
            treatment="esketamine-56",
        )
        self.link = ChairLink(config_for(url, chair=name, **extra), self.clock)
        self.link.start()
        self.link.attach(self.runtime)

    def tick(self, seconds: float = 1.0) -> None:
        self.clock.advance(seconds)
        self.runtime.tick()

    def raise_alarm(self, condition: str = "oximeter_disconnected") -> None:
        self.runtime.set_external_condition(condition, True, "test")
        self.tick()

    def alarms(self) -> list[str]:
        return [a.condition for a in self.runtime.engine.active_alarms]


class Central:
    """Central in this process (real clock) with its station."""

    def __init__(self, url: str, chairs: list[str], user: str = "Nurse Ana") -> None:
        self.config = config_for(url, chairs=chairs, user=user)
        self.state = CentralState("test", SystemClock(), chairs, offline_after_s=5.0)
        self.station = CentralStation(self.config, self.state)
        self.station.start()

    def chair(self, name: str):
        return next(c for c in self.state.chairs() if c.chair == name)

    def conditions(self, name: str) -> list[str]:
        return [a.condition for a in self.chair(name).alarms]


def step(chair: Chair, central: Central):
    def run() -> None:
        chair.tick(0.2)
        central.state.tick()

    return run


def test_alarm_at_a_chair_appears_at_central_and_seen_goes_back(broker, store) -> None:
    chair = Chair(store, broker.url, "room1")
    central = Central(broker.url, ["room1"])
    try:
        assert wait_until(lambda: chair.link.connected and central.state.broker_connected, 10)
        chair.raise_alarm()
        assert wait_until(
            lambda: "oximeter_disconnected" in central.conditions("room1"),
            5,
            step=step(chair, central),
        )
        state = central.state.to_json()["chairs"][0]
        assert state["online"] and state["pseudonym"] == "P-room1"
        assert "Jane" not in json.dumps(central.state.to_json())  # the name stays home
        assert central.state.audio().sounding is not None
        # Acknowledged at central: central is silent, the chair still alarms and says who saw it.
        assert central.station.acknowledge("room1") == 1
        assert central.state.audio().sounding is None
        alarm_id = chair.runtime.engine.alarm("oximeter_disconnected").alarm_id
        assert wait_until(lambda: chair.link.seen_by(alarm_id) == "Nurse Ana", 5)
        assert "oximeter_disconnected" in chair.alarms()
        assert not chair.runtime.engine.alarm("oximeter_disconnected").acknowledged
        assert wait_until(
            lambda: central.chair("room1").alarms[0].seen_at_central_by == "Nurse Ana",
            5,
            step=step(chair, central),
        )
    finally:
        chair.link.stop()
        central.station.stop()


def test_broker_killed_and_restarted_loses_no_alarm_change(broker, store) -> None:
    chairs = [Chair(store, broker.url, "room1"), Chair(store, broker.url, "room2")]
    central = Central(broker.url, ["room1", "room2"])

    def everyone_connected() -> bool:
        return all(c.link.connected for c in chairs) and central.state.broker_connected

    def tick_all() -> None:
        for c in chairs:
            c.tick(0.2)
        central.state.tick()

    try:
        assert wait_until(everyone_connected, 10)
        chairs[0].raise_alarm()
        assert wait_until(
            lambda: central.conditions("room1") == ["oximeter_disconnected"], 5, step=tick_all
        )
        broker.kill()
        assert wait_until(lambda: not central.state.broker_connected, 5, step=tick_all)
        assert wait_until(lambda: not any(c.link.connected for c in chairs), 5, step=tick_all)
        # While the broker is away: the chairs keep monitoring and show central_unreachable.
        chairs[0].runtime.set_external_condition("oximeter_disconnected", False, "back")
        chairs[1].raise_alarm("nibp_disconnected")
        for _ in range(11):
            for c in chairs:
                c.tick(1.0)  # the alarm's 10 s condition delay, on the chairs' clocks
        assert UNREACHABLE in chairs[0].alarms() and UNREACHABLE in chairs[1].alarms()
        broker.start()
        assert wait_until(everyone_connected, 15, step=tick_all)
        assert wait_until(
            lambda: (
                "oximeter_disconnected" not in central.conditions("room1")
                and "nibp_disconnected" in central.conditions("room2")
            ),
            5,
            step=tick_all,
        )
        assert wait_until(lambda: UNREACHABLE not in chairs[1].alarms(), 5, step=tick_all)
        assert wait_until(lambda: central.state.alarms() == [], 5, step=tick_all)
    finally:
        for c in chairs:
            c.link.stop()
        central.station.stop()


def test_unreachable_broker_alarms_at_both_ends(tmp_path, store) -> None:
    dead = Broker(tmp_path)  # never started: nothing listens on its port
    chair = Chair(store, dead.url, "room1")
    clock = ManualClock()
    state = CentralState("test", clock, ["room1"])
    station = CentralStation(config_for(dead.url), state)
    station.start()
    try:
        chair.tick()
        for _ in range(11):
            chair.tick()
        assert UNREACHABLE in chair.alarms()
        assert chair.runtime.engine.alarm(UNREACHABLE).priority.value == "low"
        clock.advance(6)
        state.tick()
        assert [a.condition for a in state.alarms()] == ["broker_unreachable"]
        assert state.alarms()[0].priority.value == "high"
    finally:
        chair.link.stop()
        station.stop()


def test_hostile_payloads_and_unknown_chairs_are_dropped(broker, store, caplog) -> None:
    chair = Chair(store, broker.url, "room1")
    central = Central(broker.url, ["room1"])
    hostile = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    hostile.connect("127.0.0.1", broker.port)
    hostile.loop_start()
    caplog.set_level(logging.WARNING, logger="sessionmon.central.state")
    try:
        assert wait_until(lambda: chair.link.connected and central.state.broker_connected, 10)
        assert wait_until(
            lambda: getattr(central.chair("room1").status, "pseudonym", None) == "P-room1",
            5,
            step=step(chair, central),
        )
        before = central.state.to_json()["chairs"]
        at = '"at": "2026-01-01T00:00:00Z"'
        nan_hr = '"hr": {"value": NaN, "unit": "/min", ' + at + ', "age_s": 0}'
        bad = [
            ("sessionmon/test/room1/alarms", b"not json"),
            ("sessionmon/test/room1/alarms", b'{"v": 2, "chair": "room1", "sent": 1}'),
            ("sessionmon/test/room1/status", b'{"v": 1, "chair": "room1", "sent": 1}'),
            (
                "sessionmon/test/room1/vitals",
                f'{{"v": 1, "chair": "room1", "sent": 1, {at}, "values": {{{nan_hr}}}}}'.encode(),
            ),
            ("sessionmon/test/room1/online", b'{"v": 1, "chair": "room9", "sent": 1, "online": 0}'),
            ("sessionmon/test/room1/online", b"[" * 100000),
            (
                "sessionmon/test/intruder/alarms",
                f'{{"v": 1, "chair": "intruder", "sent": 1, {at}, "alarms": []}}'.encode(),
            ),
            ("sessionmon/test/room1/shell", b"{}"),
        ]
        dropped = central.state.dropped
        for topic, payload in bad:
            hostile.publish(topic, payload, qos=1).wait_for_publish(5)
        assert wait_until(lambda: central.state.dropped >= dropped + len(bad), 5)
        after = central.state.to_json()["chairs"]
        assert [c["chair"] for c in after] == ["room1"]
        assert after[0]["online"] and after[0]["pseudonym"] == before[0]["pseudonym"]
        assert "unknown chair 'intruder'" in caplog.text
        assert "version 2, expected 1" in caplog.text
    finally:
        hostile.loop_stop()
        hostile.disconnect()
        chair.link.stop()
        central.station.stop()


def test_tls_with_the_wrong_ca_is_refused(tmp_path, store) -> None:
    certs = make_certificates(tmp_path)
    tls_broker = Broker(tmp_path, tls=certs).start()
    try:
        right = Chair(store, tls_broker.url, "room1", ca_file=str(certs["ca"]))
        wrong = Chair(store, tls_broker.url, "room2", ca_file=str(certs["other_ca"]))
        try:
            assert wait_until(lambda: right.link.connected, 10)
            for _ in range(12):
                wrong.tick()
                right.tick()
            assert not wrong.link.connected
            assert UNREACHABLE in wrong.alarms()
            assert UNREACHABLE not in right.alarms()
        finally:
            right.link.stop()
            wrong.link.stop()
    finally:
        tls_broker.kill()
