"""Starting the central station window: ``sessionmon central``."""

from __future__ import annotations

import signal

from sessionmon.central.config import CentralConfig
from sessionmon.central.state import CentralState
from sessionmon.central.station import CentralStation
from sessionmon.clock import Clock, SystemClock


def build_central(config: CentralConfig, clock: Clock, start_audio: bool = True):
    """Return ``(window, station)``: the window on a new state, the station not yet started."""
    from sessionmon.ui.app import application
    from sessionmon.ui.audio import AlarmAudio
    from sessionmon.ui.central_window import CentralWindow

    application()
    state = CentralState(config.clinic, clock, config.chairs, config.offline_after_s)
    station = CentralStation(config, state)
    window = CentralWindow(state, station, clock)
    audio = AlarmAudio(
        lambda reason: window.statusBar().showMessage(f"Alarm sound: {reason}"), parent=window
    )
    window.audio = audio
    if start_audio:
        audio.start()
    return window, station


def run_central(config: CentralConfig) -> int:
    """Open the central station and run until the window closes; return the exit code."""
    from sessionmon.errors import UserError
    from sessionmon.ui.app import application, qt_binding_problem

    problem = qt_binding_problem()
    if problem:
        raise UserError(problem)
    app = application()
    window, station = build_central(config, SystemClock())
    station.start()
    window.timer.start()
    window.resize(1500, 900)
    window.show()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: window.close())
    try:
        return int(app.exec())
    finally:
        window.timer.stop()
        if window.audio is not None:
            window.audio.stop()
        station.stop()
