"""The central station through its commands as typed: simulate publishes, central prints JSON."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from broker_helpers import Broker
from pty_helpers import wait_until
from sessionmon.central.config import CentralConfig, parse_url
from sessionmon.central.state import CentralState
from sessionmon.central.station import CentralStation
from sessionmon.clock import SystemClock


@pytest.fixture
def broker(tmp_path):
    running = Broker(tmp_path).start()
    yield running
    running.kill()


def sessionmon(tmp_path: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "SESSIONMON_CONFIG_DIR": str(tmp_path / "cfg")}
    return [sys.executable, "-m", "sessionmon", "--db", str(tmp_path / "s.db"), *args], env


SHORT_SCENARIO = """
name = "Cable pulled and left out"
treatment = "esketamine-56"
duration = "00:03:00"
seed = 3

[patient]
pseudonym = "SIM-SHORT"

[baseline]
hr = 76
spo2 = 98
sys = 128
dia = 82

[[step]]
at = "00:01:00"
fault = "disconnect"
device = "oximeter"
duration = "00:05:00"
"""


def test_simulate_publishes_and_central_headless_prints_the_chair(broker, tmp_path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "central.toml").write_text('[central]\nclinic = "north"\n')
    scenario = tmp_path / "short.toml"
    scenario.write_text(SHORT_SCENARIO)
    cmd, env = sessionmon(
        tmp_path,
        "simulate", "--headless", "--scenario", str(scenario),
        "--central", broker.url, "--chair", "room1",
    )  # fmt: skip
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
    cmd, env = sessionmon(
        tmp_path, "central", "--headless", "--json", "--central", broker.url,
        "--chairs", "room1,room2", "--duration", "1.5",
    )  # fmt: skip
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=60)
    state = json.loads(done.stdout.splitlines()[-1])
    room1, room2 = state["chairs"]
    assert room1["chair"] == "room1" and room1["pseudonym"] == "SIM-SHORT"
    assert room1["online"] is False  # the run ended: its online went false
    assert room1["vitals"] == {}  # vitals are not retained: they were live, not history
    assert room2["online"] is False and room2["pseudonym"] is None
    # The scenario ended the session (cable still pulled): its final state is retained.
    assert room1["phase"] == "closed" and room1["alarms"] == []
    assert {(a["condition"], a["chair"]) for a in state["alarms"]} >= {("chair_offline", "room1")}
    assert all(a["priority"] == "high" for a in state["alarms"])


def test_a_chair_process_killed_raises_central_alarm_within_6_s(broker, tmp_path) -> None:
    cmd, env = sessionmon(
        tmp_path,
        "simulate", "--headless", "--scenario", "uneventful-esketamine-84", "--speed", "1",
        "--central", broker.url, "--chair", "room3",
    )  # fmt: skip
    chair = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = CentralConfig.model_validate({**parse_url(broker.url), "chairs": ["room3"]})
    state = CentralState(config.clinic, SystemClock(), config.chairs)
    station = CentralStation(config, state)
    station.start()
    try:
        assert wait_until(
            lambda: state.chairs()[0].vitals is not None and state.chairs()[0].vitals.values,
            30,
            step=state.tick,
        )
        assert state.chair_alarm("room3") is None
        chair.send_signal(signal.SIGKILL)
        chair.wait(5)
        killed = time.monotonic()
        assert wait_until(lambda: state.chair_alarm("room3") is not None, 6.0, step=state.tick)
        assert time.monotonic() - killed <= 6.0
        alarm = state.chair_alarm("room3")
        assert alarm.priority.value == "high" and "room3" in alarm.message
    finally:
        if chair.poll() is None:
            chair.kill()
        station.stop()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["central", "--headless"], "the central station is not configured"),
        (["central", "--headless", "--central", "http://x"], "use mqtt://HOST:PORT"),
        (
            ["central", "--headless", "--central", "mqtt://127.0.0.1:1", "--chairs", "a b"],
            "chair 'a b' must be",
        ),
        (
            [
                "simulate",
                "--headless",
                "--scenario",
                "uneventful-esketamine-84",
                "--central",
                "mqtt://127.0.0.1:1",
            ],
            "needs a chair name: add --chair NAME",
        ),
    ],
)
def test_central_options_refused_in_one_line(argv, message, tmp_path, monkeypatch, capsys) -> None:
    from sessionmon.cli import main

    monkeypatch.setenv("SESSIONMON_CONFIG_DIR", str(tmp_path))
    assert main(["--db", str(tmp_path / "s.db"), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_monitor_with_a_device_on_a_pty_publishes_its_chair(broker, tmp_path) -> None:
    from pty_helpers import LiveDevice
    from sessionmon.devices.pty_port import PtyPort

    port = PtyPort(link=tmp_path / "ttyUSB0")
    config = CentralConfig.model_validate({**parse_url(broker.url), "chairs": ["room4"]})
    state = CentralState(config.clinic, SystemClock(), config.chairs)
    station = CentralStation(config, state)
    station.start()
    cmd, env = sessionmon(
        tmp_path, "monitor", "--oximeter", f"cms50-v7:{port.path}", "--pseudonym", "P-44",
        "--central", broker.url, "--chair", "room4", "--duration", "30",
    )  # fmt: skip
    try:
        with LiveDevice("cms50-v7", port):
            process = subprocess.Popen(
                cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:

                def central_shows_pulse() -> bool:
                    chair = state.chairs()[0]
                    status, vitals = chair.status, chair.vitals
                    return (
                        status is not None
                        and status.pseudonym == "P-44"
                        and vitals is not None
                        and "hr" in vitals.values
                    )

                assert wait_until(central_shows_pulse, 30, step=state.tick)
                assert state.chairs()[0].status.phase.value == "baseline"
                process.send_signal(signal.SIGINT)
                assert process.wait(15) == 130
                # A normal stop says online false itself: central raises the offline alarm.
                assert wait_until(
                    lambda: state.chair_alarm("room4") is not None, 5, step=state.tick
                )
            finally:
                if process.poll() is None:
                    process.kill()
    finally:
        station.stop()
        port.close()


@pytest.mark.parametrize(
    "argv",
    [
        ["--central", "mqtt://127.0.0.1:1884", "--chair", "room2", "monitor"],
        ["monitor", "--central", "mqtt://127.0.0.1:1884", "--chair", "room2"],
        ["--central", "mqtt://127.0.0.1:1884", "simulate", "--chair", "room2", "--scenario", "x"],
    ],
)
def test_central_before_or_after_the_command_name_means_the_same(argv, tmp_path, monkeypatch):
    monkeypatch.setenv("SESSIONMON_CONFIG_DIR", str(tmp_path))  # no central.toml
    from sessionmon.central.cli_args import chair_config
    from sessionmon.cli import build_parser

    if "monitor" in argv:
        argv = [*argv, "--oximeter", f"cms50-v7:{tmp_path / 'ttyUSB0'}", "--pseudonym", "P-1"]
    config = chair_config(build_parser().parse_args(argv))
    assert config is not None
    assert (config.host, config.port, config.chair) == ("127.0.0.1", 1884, "room2")
