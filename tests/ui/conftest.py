"""Fixtures for the console tests: offscreen Qt, a manual clock, a fresh store, no leaks."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QThread, QTimer
from PySide6.QtWidgets import QApplication

from sessionmon.clock import ManualClock
from sessionmon.ui.app import Console, application, build_console
from sessionmon.ui.settings import ConsoleSettings


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Destroy the windows a test closed before the next test starts.

    pytest-qt closes each test's widgets with ``deleteLater``, which the tests' short event loops
    never carry out: the closed consoles stayed alive, each with its application-wide input
    filter (the lock screen's) that every later event went through, so the console tests got
    slower the more of them had run. Done after every other teardown step.
    """
    yield
    if QApplication.instance() is not None:
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture(scope="session")
def qapp_cls():
    """pytest-qt builds our themed QApplication."""
    return QApplication


@pytest.fixture
def clock() -> ManualClock:
    """The injected clock every console test drives."""
    return ManualClock()


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private settings folder (never the user's)."""
    folder = tmp_path / "config"
    folder.mkdir()
    monkeypatch.setenv("SESSIONMON_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[object]:
    """A fresh session database."""
    from sessionmon.store import SessionStore

    with SessionStore.open(tmp_path / "sessions.db", clock) as opened:
        yield opened


def _running_timers() -> list[str]:
    app = QApplication.instance()
    found = []
    for widget in app.topLevelWidgets():
        for timer in widget.findChildren(QTimer):
            if timer.isActive():
                found.append(f"{type(widget).__name__}/{timer.objectName() or 'QTimer'}")
        for thread in widget.findChildren(QThread):
            if thread.isRunning():
                found.append(f"{type(widget).__name__}/{type(thread).__name__}")
    return found


def make_console(qtbot, store, clock, config_dir: Path, simulator: bool = False) -> Console:
    """Build a console (not shown, timers not started) that saves settings in ``config_dir``."""
    application()
    console = build_console(
        store,
        clock,
        ConsoleSettings.load(config_dir),
        simulator,
        settings_saver=lambda s: s.save(config_dir),
        start_audio=False,
    )
    qtbot.addWidget(console.window)
    console.window.flash_phase_override = 0.0
    return console


@pytest.fixture
def console(qtbot, store, clock, config_dir) -> Iterator[Console]:
    """A nurse's console (not training) on the manual clock."""
    built = make_console(qtbot, store, clock, config_dir)
    yield built
    built.close()
    assert not _running_timers(), f"timers or threads left running: {_running_timers()}"


@pytest.fixture
def training_console(qtbot, store, clock, config_dir) -> Iterator[Console]:
    """A training console (trainer panel, simulated devices) on the manual clock."""
    built = make_console(qtbot, store, clock, config_dir, simulator=True)
    yield built
    built.close()
    assert not _running_timers(), f"timers or threads left running: {_running_timers()}"


@pytest.fixture
def pty_port() -> Iterator[str]:
    """A pseudo-terminal standing in for an oximeter's serial port (nothing is sent)."""
    master, slave = os.openpty()
    try:
        yield os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)
