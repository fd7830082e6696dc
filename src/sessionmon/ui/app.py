"""Starting the console: ``sessionmon`` (live) and ``sessionmon --simulator`` (training)."""

from __future__ import annotations

import signal
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from sessionmon.clock import Clock, ScaledClock, SystemClock
from sessionmon.ui import theme
from sessionmon.ui.audio import AlarmAudio
from sessionmon.ui.controller import ConsoleController
from sessionmon.ui.main_window import MainWindow
from sessionmon.ui.settings import ConsoleSettings
from sessionmon.ui.trainer import TrainerPanel


@dataclass
class Console:
    """A built console: window, controller, audio and (training) trainer panel."""

    window: MainWindow
    controller: ConsoleController
    audio: AlarmAudio
    trainer: TrainerPanel | None

    def close(self) -> None:
        """Stop everything (timers, devices, sound) and close the window."""
        self.controller.shutdown()
        self.audio.stop()
        self.window.close()


def application(argv: list[str] | None = None) -> QApplication:
    """Return the QApplication with the console's dark high-contrast theme."""
    pg_config()
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    if app.styleSheet() == theme.STYLE_SHEET:
        return app  # already themed (re-theming repolishes every widget)
    app.setApplicationName("sessionmon")
    app.setStyle("Fusion")
    font = QFont("DejaVu Sans")
    font.setPixelSize(theme.BODY_PX)
    app.setFont(font)
    app.setStyleSheet(theme.STYLE_SHEET)
    return app


def pg_config() -> None:
    """Global pyqtgraph options (antialiasing off: cheaper, crisp on low-DPI screens)."""
    import pyqtgraph as pg

    pg.setConfigOptions(antialias=False, background=theme.PANEL, foreground="#C8D0D8")


def qt_binding_problem() -> str | None:
    """Say why the installed Qt binding cannot run the console, or ``None`` if it can.

    PySide6 6.12.0 on Python 3.11 drops a reference to ``None`` on every call that returns
    nothing; a console redrawing at 25 Hz dies with "deallocating None" within minutes.
    """
    import PySide6

    if PySide6.__version__.startswith("6.12.0") and sys.version_info < (3, 12):
        return (
            f"PySide6 {PySide6.__version__} crashes on Python "
            f"{sys.version_info.major}.{sys.version_info.minor} (a reference-count bug); "
            "install PySide6 6.11 (pip install -e . picks it)"
        )
    return None


def scenario_choices() -> list[tuple[str, str]]:
    """``(id, name)`` of the built-in scenarios (empty if they cannot be listed)."""
    try:
        from sessionmon.scenarios.loader import list_builtin

        return [(s.id, s.name) for s in list_builtin()]
    except Exception:
        return []


def build_console(
    store,
    clock: Clock,
    settings: ConsoleSettings,
    simulator: bool,
    settings_saver=None,
    start_audio: bool = True,
    user=None,
) -> Console:
    """Build the window, controller, alarm audio and (in training) the trainer panel.

    ``user``: the account signed in from the start (``sessionmon --simulator``: the built-in
    trainee); otherwise the real console asks at launch (:func:`sign_in_flow.ask_at_launch`).

    Nothing starts running: call ``controller.start_timers()`` for live use, or drive
    ``controller.step()`` with a ``ManualClock`` in tests.
    """
    controller = ConsoleController(store, clock, settings, simulator, settings_saver)
    if user is not None:
        controller.user.account = user
    window = MainWindow(controller)
    controller.setParent(window)  # its timers die with the window
    audio = AlarmAudio(controller.report_audio_unavailable, parent=window)
    controller.view_changed.connect(lambda view: audio.update(view.audio))
    trainer = None
    if simulator:
        trainer = TrainerPanel(scenario_choices(), window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, trainer)
        trainer.scenario_requested.connect(controller.run_scenario)
        trainer.speed_changed.connect(controller.set_speed)
        trainer.pause_toggled.connect(controller.set_paused)
        trainer.fault_requested.connect(controller.inject_fault)
        trainer.physiology_requested.connect(controller.change_physiology)
        controller.physiology_changed.connect(trainer.set_targets)
        trainer.debrief_requested.connect(window.show_debrief)
    if start_audio:
        audio.start()
    return Console(window, controller, audio, trainer)


def show_startup_error(message: str) -> None:
    """Tell a nurse who started the console from an icon why it cannot open (a dialog).

    The command line prints the same message. Nothing is shown on the offscreen platform, where
    no one could close a dialog.
    """
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        return
    QMessageBox.critical(
        None,
        "sessionmon cannot open its session database",
        f"{message}\n\nNothing was changed. If another program is using the database, close "
        "it and start sessionmon again; otherwise keep this file for IT support and start "
        "sessionmon with --db and another file.",
    )


def quit_without_asking(window: MainWindow) -> None:
    """Close the console now (a signal): a live session stays open, resumable."""
    window.quit_confirmed = True
    window.close()


def run_console(
    db_path: Path, simulator: bool, resume: uuid.UUID | None = None, central=None
) -> int:
    """Open the console and run until the window closes.

    Parameters
    ----------
    db_path : Path
        The session database.
    simulator : bool
        Training mode: opens straight into a live simulated session (1x) with the trainer panel
        and a permanent "SIMULATION - NOT A PATIENT" banner.
    resume : UUID, optional
        Resume this interrupted session at once (``sessions resume ID``). Otherwise a live
        console offers to resume the sessions a crash left interrupted.
    central : CentralConfig, optional
        Publish this chair to the central station's broker.

    Returns
    -------
    int
        The process exit code.
    """
    from sessionmon.errors import UserError
    from sessionmon.store import SessionStore

    problem = qt_binding_problem()
    if problem:
        raise UserError(problem)
    app = application()
    base = SystemClock()
    clock: Clock = ScaledClock(base, 1.0) if simulator else base
    settings = ConsoleSettings.load()
    from sessionmon.export.scratch import remove_stale_scratch

    remove_stale_scratch(settings.export_folder)  # left by an export killed halfway
    try:
        # A nurse's intent waits at most 2 s for the database, then is refused (see intents.py).
        store = SessionStore.open(db_path, clock, busy_timeout_s=2.0)
    except UserError as exc:
        show_startup_error(str(exc))
        raise
    try:
        from sessionmon.accounts.model import TRAINEE

        console = build_console(
            store, clock, settings, simulator, user=TRAINEE if simulator else None
        )
        console.window.restore_layout()
        if simulator:
            console.controller.end_interrupted_training()
            if resume is None:
                console.controller.start_simulated_session()
        link = None
        if central is not None:
            from sessionmon.ui.central_link import connect_central

            link = connect_central(console.controller, central, clock)
        console.controller.start_timers()
        console.window.show_at_launch()
        # Records not finished (unsigned, REMS form due): listed at launch, simulator or not
        # (simulated sessions are never listed).
        console.window.show_launch_reminders()
        if resume is not None:
            console.controller.resume_session(resume)
        elif not simulator:
            console.window.offer_resume()  # after a crash: resume, end, or not now
        if not simulator:  # simulator: the built-in trainee is signed in already
            from sessionmon.ui.sign_in_flow import ask_at_launch

            ask_at_launch(console.window)  # the first run creates the clinic's admin
        # Ctrl+C or a polite kill closes the window without asking (the session stays open,
        # resumable). The 10 Hz acquisition timer runs Python often enough for the handler.
        previous = {
            number: signal.signal(number, lambda *_: quit_without_asking(console.window))
            for number in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            code = app.exec()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        console.close()
        if link is not None:
            link.stop()
        return int(code)
    finally:
        store.close()
