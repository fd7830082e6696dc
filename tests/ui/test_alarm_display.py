"""The alarm bar and tiles: IEC colours, markers, flash rates and the audio indicator."""

from __future__ import annotations

from itertools import pairwise

import pytest
from PySide6.QtCore import Qt

from sessionmon.model import AlarmCategory, AlarmPriority
from sessionmon.ui import theme
from sessionmon.ui.viewmodel import AlarmItemView, AudioView, NumericView
from sessionmon.ui.widgets.alarm_bar import AlarmBar
from sessionmon.ui.widgets.numeric_tile import NumericTile

P = AlarmPriority


def alarm(priority: AlarmPriority, condition: str = "spo2_low", acked: bool = False):
    return AlarmItemView(
        condition, f"{condition} message", priority, AlarmCategory.PHYSIOLOGICAL, acked
    )


@pytest.mark.parametrize(
    ("priority", "colour", "marker"),
    [(P.HIGH, "#FF1F1F", "***"), (P.MEDIUM, "#FFD400", "**"), (P.LOW, "#00E5FF", "*")],
)
def test_each_priority_has_its_colour_and_marker(qtbot, priority, colour, marker):
    bar = AlarmBar()
    qtbot.addWidget(bar)
    bar.set_state((alarm(priority),), AudioView(), 0.0)
    label = bar.labels[0]
    assert label.isVisibleTo(bar)
    assert label.colour == colour
    assert label.full_text.split(" ")[0] == marker
    assert colour in label.styleSheet()


def test_flash_rates_high_2hz_medium_half_hz_low_steady():
    high = [theme.flash_on(P.HIGH, t / 100) for t in range(0, 100, 5)]  # one second, 50 ms steps
    changes = sum(1 for a, b in pairwise(high) if a != b)
    assert changes == 3  # on/off/on/off within 1 s: 2 Hz
    assert theme.flash_on(P.MEDIUM, 0.0) and not theme.flash_on(P.MEDIUM, 1.2)
    assert theme.flash_on(P.MEDIUM, 2.1)  # 2 s period: 0.5 Hz
    assert all(theme.flash_on(P.LOW, t / 10) for t in range(40))


def test_highest_priority_first_and_acknowledged_last(qtbot):
    bar = AlarmBar()
    qtbot.addWidget(bar)
    alarms = (alarm(P.LOW, "bp_check_due"), alarm(P.HIGH, "hr_low", acked=True), alarm(P.MEDIUM))
    bar.set_state(alarms, AudioView(), 0.0)
    assert [a.condition for a in bar.shown_alarms()] == ["spo2_low", "bp_check_due", "hr_low"]
    assert bar.labels[2].full_text.endswith("(ACK)")
    bar.set_state((alarm(P.HIGH, acked=True),), AudioView(), 0.0)
    assert not bar.ack_button.isEnabled()


def test_flashing_alarm_alternates_fill_and_outline(qtbot):
    bar = AlarmBar()
    qtbot.addWidget(bar)
    bar.set_state((alarm(P.HIGH),), AudioView(), 0.1)
    lit = bar.labels[0].styleSheet()
    bar.set_state((alarm(P.HIGH),), AudioView(), 0.3)
    dark = bar.labels[0].styleSheet()
    assert "background-color: #FF1F1F" in lit
    assert "background-color: #FF1F1F" not in dark and "border: 3px solid #FF1F1F" in dark


@pytest.mark.parametrize(
    ("audio", "text"),
    [
        (AudioView("on"), "AUDIO ON"),
        (AudioView("paused", 103.0), "AUDIO PAUSED 1:43"),
        (AudioView("unavailable"), "AUDIO UNAVAILABLE"),
    ],
)
def test_audio_state_always_shown(qtbot, audio, text):
    bar = AlarmBar()
    qtbot.addWidget(bar)
    bar.set_state((), audio, 0.0)
    assert bar.audio.text() == text


def test_buttons_emit_intents(qtbot):
    bar = AlarmBar()
    qtbot.addWidget(bar)
    bar.set_state((alarm(P.MEDIUM),), AudioView(), 0.0)
    with qtbot.waitSignal(bar.acknowledge_requested):
        qtbot.mouseClick(bar.ack_button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(bar.audio_pause_requested):
        qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)


def test_tile_takes_alarm_colour_and_greys_stale_values(qtbot):
    tile = NumericTile(theme.HR_COLOUR)
    qtbot.addWidget(tile)
    tile.set_view(NumericView("HR", "38", "/min", P.HIGH), lit=True)
    assert tile.background_colour == theme.ALARM_COLOURS[P.HIGH]
    tile.set_view(NumericView("HR", "38", "/min", P.HIGH), lit=False)
    assert tile.border_colour == theme.ALARM_COLOURS[P.HIGH]
    assert tile.background_colour == theme.PANEL
    tile.set_view(NumericView("HR", "74", "/min", None, stale=True))
    assert theme.STALE in tile.value.styleSheet()
    assert tile.value.font().pixelSize() >= 60 or "font-size: 96px" in tile.value.styleSheet()


def test_three_alarms_fit_a_clinic_laptop_with_short_labels(qtbot, training_console, clock):
    from console_helpers import run_until

    controller = training_console.controller
    window = training_console.window
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    controller.start_simulated_session()
    controller.report_audio_unavailable("no audio output device")
    controller.change_physiology({"spo2": 83.0, "hr": 135.0}, 0.0)
    run_until(training_console, clock, lambda: len(controller.view.alarms) >= 3, 120)
    bar = window.alarm_bar
    qtbot.waitUntil(lambda: all(label.width() > 100 for label in bar.labels), timeout=2000)
    shown = [label.text() for label in bar.labels]
    assert shown[0].startswith("*** SpO2 LOW 8"), shown
    # Same priority: the older first (audio_unavailable is medium since issue 9).
    assert shown[1] == "** AUDIO UNAVAILABLE", shown
    assert shown[2].startswith("** HR HIGH 1"), shown
    assert not any(label.elided for label in bar.labels), shown
    first, second, third = (label.font_px for label in bar.labels)
    assert first > second and first > third, "the highest priority is the biggest"
    assert "limit" in bar.labels[0].toolTip(), "the full message is in the tooltip"
