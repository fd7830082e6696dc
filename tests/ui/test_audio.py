"""Alarm audio: bursts follow the engine; sound that cannot play is never silent."""

from __future__ import annotations

from console_helpers import run_for

from sessionmon.model import AlarmPriority
from sessionmon.ui.audio import AlarmAudio
from sessionmon.ui.viewmodel import AudioView


def test_audio_that_cannot_play_is_reported(qtbot):
    reasons: list[str] = []

    def broken(priority):
        raise OSError("no sound card")

    audio = AlarmAudio(reasons.append, wav_source=broken)
    assert audio.start() is False
    assert reasons and reasons[0] == audio.unavailable_reason
    audio.stop()


def test_bursts_follow_the_sounding_priority(qtbot):
    audio = AlarmAudio(lambda reason: None)
    audio.update(AudioView("on", sounding=AlarmPriority.HIGH))
    assert audio.sounding is AlarmPriority.HIGH and audio.bursts_requested == 1
    assert audio._timer.isActive() and audio._timer.interval() == 10_000
    audio.update(AudioView("on", sounding=AlarmPriority.MEDIUM))
    assert audio._timer.interval() == 25_000 and audio.bursts_requested == 2
    audio.update(AudioView("paused", 120.0, sounding=AlarmPriority.MEDIUM))
    assert audio.sounding is None and not audio._timer.isActive()
    audio.update(AudioView("on", sounding=AlarmPriority.LOW))
    assert audio.bursts_requested == 3 and not audio._timer.isActive()  # low: once
    audio.stop()
    assert not audio._timer.isActive()


def test_console_shows_audio_unavailable_as_a_technical_alarm(qtbot, training_console, clock):
    controller = training_console.controller
    controller.start_simulated_session()
    run_for(training_console, clock, 5)
    training_console.audio._on_unavailable("no audio output device")
    assert controller.view.audio.state == "unavailable"
    assert training_console.window.alarm_bar.audio.text() == "AUDIO UNAVAILABLE"
    assert any(a.condition == "audio_unavailable" for a in controller.view.alarms)


def test_started_audio_either_plays_or_says_it_cannot(qtbot, training_console, clock):
    training_console.controller.start_simulated_session()
    playing = training_console.audio.start()
    run_for(training_console, clock, 2)
    text = training_console.window.alarm_bar.audio.text()
    if playing:
        assert text != "AUDIO UNAVAILABLE"
    else:
        assert text == "AUDIO UNAVAILABLE"
        assert any(
            a.condition == "audio_unavailable" for a in training_console.controller.view.alarms
        )


def test_audio_unavailable_shows_with_no_session_and_after_one_starts(
    qtbot, console, clock, monkeypatch
):
    """QtMultimedia cannot load: the header never claims AUDIO ON, session or not."""
    import sys

    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)  # import fails
    window = console.window
    assert window.alarm_bar.audio.text() == "AUDIO ON"  # before anything is known
    assert console.audio.start() is False
    assert console.controller.runtime is None
    assert window.alarm_bar.audio.text() == "AUDIO UNAVAILABLE"
    assert "audio unavailable" in window.message.text().lower()
    console.controller.refresh()  # the frame timer's redraw keeps it
    assert window.alarm_bar.audio.text() == "AUDIO UNAVAILABLE"
    console.controller.settings.simulated_devices = True
    console.controller.start_simulated_session()
    run_for(console, clock, 2)
    assert window.alarm_bar.audio.text() == "AUDIO UNAVAILABLE"
    assert any(a.condition == "audio_unavailable" for a in console.controller.view.alarms)
