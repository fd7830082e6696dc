"""The central station window and a console publishing its chair, over a real broker."""

from __future__ import annotations

import pytest
from console_helpers import run_until
from PySide6.QtCore import Qt

from broker_helpers import Broker
from sessionmon.central.config import CentralConfig, parse_url
from sessionmon.clock import SystemClock
from sessionmon.ui.central_app import build_central
from sessionmon.ui.central_link import connect_central


@pytest.fixture
def broker(tmp_path):
    running = Broker(tmp_path).start()
    yield running
    running.kill()


def test_console_alarm_at_central_acknowledged_there_shows_seen_at_the_chair(
    qtbot, training_console, clock, broker
) -> None:
    config = CentralConfig.model_validate(
        {**parse_url(broker.url), "clinic": "north", "chair": "room1", "chairs": ["room1"],
         "user": "Ana"}
    )  # fmt: skip
    link = connect_central(training_console.controller, config, clock)
    window, station = build_central(config, SystemClock(), start_audio=False)
    qtbot.addWidget(window)
    station.start()
    controller = training_console.controller
    try:
        controller.start_simulated_session(pseudonym="SIM-ROOM1")

        def central_has_trends() -> bool:
            qtbot.wait(5)
            return any(len(c.trends.get("hr", ())) >= 2 for c in window.state.chairs())

        run_until(training_console, clock, central_has_trends, limit_s=60)
        controller.inject_fault("oximeter", "sensor_off")

        def tile_shows_alarm() -> bool:
            qtbot.wait(5)  # let paho's thread deliver (event loop turns)
            window.refresh()
            tile = window.tiles.get("room1")
            return tile is not None and "sensor off" in tile.alarm.text().lower()

        run_until(training_console, clock, tile_shows_alarm, limit_s=120)
        tile = window.tiles["room1"]
        assert "SIM-ROOM1" in tile.subtitle.text()
        assert tile.view.online and window.state.audio().sounding is not None
        assert window.audio.sounding is not None  # central's loudspeaker plays the chair's tone
        assert tile.ack_button.isEnabled()
        qtbot.mouseClick(tile.ack_button, Qt.MouseButton.LeftButton)
        assert window.state.audio().sounding is None  # central is silent ...
        assert not tile.ack_button.isEnabled()
        assert window.audio.sounding is None
        assert "(seen)" in tile.alarm.text()
        assert window.acknowledge(None) == 0  # "Acknowledge all": nothing left unseen

        def chair_says_seen() -> bool:
            qtbot.wait(5)
            bar = training_console.window.alarm_bar
            return any("seen at central by Ana" in label.full_text for label in bar.labels)

        run_until(training_console, clock, chair_says_seen, limit_s=60, step_s=0.5)
        engine = controller.runtime.engine
        assert not engine.alarm("oximeter_sensor_off").acknowledged  # ... the chair still alarms
        qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
        assert window.trends is not None and window.trends.points("hr")
        window.trends.close()
    finally:
        window.close()
        link.stop()
        station.stop()
    assert not window.timer.isActive() and window.audio.sounding is None


def test_unreachable_broker_and_offline_chair_at_central(qtbot, tmp_path) -> None:
    dead = Broker(tmp_path)  # nothing listens
    config = CentralConfig.model_validate({**parse_url(dead.url), "chairs": ["room1", "room2"]})
    from sessionmon.clock import ManualClock

    clock = ManualClock()
    window, station = build_central(config, clock, start_audio=False)
    qtbot.addWidget(window)
    station.start()
    try:
        clock.advance(6)
        window.refresh()
        assert window.broker.text() == "BROKER UNREACHABLE"
        assert "Central cannot reach the broker" in window.own_alarms.text()
        assert window.own_alarms.text().startswith("***")
        assert set(window.tiles) == {"room1", "room2"}
    finally:
        window.close()
        station.stop()
