"""Every way a session ends, through the console and the CLI as typed: End session, the quit
prompt, the resume prompt after a real crash (a SIGKILLed writer), ``sessions resume`` and
``sessions end``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from console_helpers import run_for
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from sessionmon.cli import main
from sessionmon.model import SessionEnding, SessionPhase
from sessionmon.ui.main_window import MainWindow
from sessionmon.ui.settings import ConsoleSettings, DeviceChoice

CRASHING_WRITER = textwrap.dedent(
    """
    import sys, time
    from sessionmon.clock import SystemClock
    from sessionmon.model import Patient
    from sessionmon.runtime import SessionRuntime
    from sessionmon.store import SessionStore

    store = SessionStore.open(sys.argv[1], SystemClock())
    runtime = SessionRuntime(
        store, SystemClock(), patient=Patient(pseudonym="CRASH-1"), treatment="esketamine-84"
    )
    runtime.start_baseline(by="RN A")
    runtime.record_bp(128, 82, by="RN A")
    runtime.dose(by="RN A", confirm_unanswered=True)
    print(runtime.session_id, flush=True)
    while True:  # writing the session until killed
        runtime.tick()
        time.sleep(0.05)
    """
)


def crash_a_writer(db) -> str:
    """Start a process recording a dosed session, then SIGKILL it: a real crash."""
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        session_id = child.stdout.readline().strip()
        assert session_id, "the writer did not start"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return session_id


def run_cli_console(argv, inside):
    """Run ``sessionmon ARGV`` (which opens the console); call ``inside(window)`` once it is up,
    then close it without asking. Returns the exit code and what ``inside`` returned."""
    seen = {}

    def poke() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        shown = [w for w in windows if w.isVisible()]
        if not shown:
            QTimer.singleShot(20, poke)
            return
        window = shown[0]
        try:
            seen["result"] = inside(window)
        except BaseException as exc:  # reported after the console closed
            seen["error"] = exc
        finally:
            window.quit_confirmed = True
            window.close()

    QTimer.singleShot(0, poke)
    code = main(argv)
    if "error" in seen:
        raise seen["error"]
    return code, seen.get("result")


@pytest.fixture
def oximeter_on_pty(config_dir, pty_port):
    settings = ConsoleSettings.load(config_dir)
    settings.devices = {"oximeter": DeviceChoice("cms50-legacy", pty_port)}
    settings.save(config_dir)
    return pty_port


def test_after_a_crash_the_launch_offers_to_resume_and_resumes(
    qtbot, tmp_path, config_dir, oximeter_on_pty
):
    db = tmp_path / "patients.db"
    session_id = crash_a_writer(db)

    def inside(window):
        prompt = window.dialogs.get("resume")
        assert prompt is not None and prompt.isVisible(), "no resume prompt after the crash"
        assert window.controller.runtime is None, "a new session started silently"
        text = prompt.list.item(0).text()
        assert "CRASH-1" in text and ("was observation" in text or "was dosing" in text)
        if os.environ.get("SESSIONMON_SCREENSHOTS"):
            window.grab().save(os.path.join(os.environ["SESSIONMON_SCREENSHOTS"], "w.png"))
            prompt.grab().save(os.path.join(os.environ["SESSIONMON_SCREENSHOTS"], "resume.png"))
        qtbot.mouseClick(prompt.resume_button, Qt.MouseButton.LeftButton)
        runtime = window.controller.runtime
        return str(runtime.session.id), runtime.phase, window.header.pseudonym.text()

    code, (resumed, phase, shown) = run_cli_console(["--db", str(db)], inside)
    assert code == 0
    assert resumed == session_id and shown == "CRASH-1"
    assert phase in (SessionPhase.DOSING, SessionPhase.OBSERVATION)


def test_sessions_resume_opens_the_console_on_that_session(
    qtbot, tmp_path, config_dir, oximeter_on_pty, capsys
):
    db = tmp_path / "patients.db"
    session_id = crash_a_writer(db)

    def inside(window):
        runtime = window.controller.runtime
        assert "resume" not in window.dialogs, "already resumed: nothing to ask"
        run_for_window(window)
        return str(runtime.session.id), runtime.locked

    def run_for_window(window):
        window.controller.step()

    code, (resumed, locked) = run_cli_console(
        ["--db", str(db), "sessions", "resume", session_id[:8]], inside
    )
    assert code == 0 and resumed == session_id and not locked
    assert f"resuming session {session_id[:8]} (CRASH-1, was " in capsys.readouterr().out
    # Quitting (here: without asking, as Ctrl+C does) leaves it resumable again.
    assert main(["--db", str(db), "sessions", "list", "--json"]) == 0
    assert '"phase": "interrupted"' in capsys.readouterr().out


def test_sessions_end_closes_an_interrupted_session_with_how_why_and_who(tmp_path, capsys):
    db = tmp_path / "patients.db"
    session_id = crash_a_writer(db)
    argv = ["--db", str(db), "sessions", "end", session_id[:8]]
    assert main([*argv, "--how", "dose_not_given", "--reason", "x", "--by", "RN A"]) == 2
    assert "already been given" in capsys.readouterr().err
    assert (
        main(
            [
                *argv,
                *("--how", "transferred", "--to", "St Mary's ED"),
                *("--reason", "chest pain", "--by", "Dr Byrne"),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "ended: Transferred to emergency care (to St Mary's ED): chest pain" in out
    assert main(["--db", str(db), "sessions", "list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "CRASH-1" in line)
    assert " closed " in row and "Dr Byrne" in row
    assert main([*argv, "--how", "ended_early", "--reason", "x", "--by", "RN A"]) == 2
    assert "is closed" in capsys.readouterr().err


def test_end_session_dialog_records_a_transfer(qtbot, console, store, clock):
    controller = console.controller
    controller.settings.simulated_devices = True
    window = console.window
    from test_workflow import fill_new_session

    dialog = window.show_new_session()
    fill_new_session(qtbot, dialog)
    dialog.try_accept()
    session = controller.runtime.session
    controller.dose("RN A", confirm_unanswered=True)
    run_for(console, clock, 20 * 60, step_s=30)
    end = window.show_end_session()
    assert [end.how.itemText(i) for i in range(end.how.count())] == [
        "Transferred to emergency care",
        "Left against advice",
        "Ended early by the clinician",
    ]
    end.choose(SessionEnding.TRANSFERRED)
    end.reason.setText("chest pain, BP 190/120")
    ok = end.buttons.button(QDialogButtonBox.StandardButton.Ok)
    end.by.clear()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert end.isVisible()
    assert end.form_layout.error_text("destination") and end.form_layout.error_text("by")
    qtbot.keyClicks(end.destination, "St Mary's ED")
    assert end.form_layout.error_text("destination") == ""
    qtbot.keyClicks(end.by, "Dr Byrne")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not end.isVisible(), end.form_layout.refusal_text()
    stored = store.get_session(session.id)
    assert stored.phase is SessionPhase.CLOSED and stored.ending.destination == "St Mary's ED"
    run_for(console, clock, 60)
    assert window.header.phase.text().lower() == "transferred to emergency care"
    frozen = window.header.since_dose.text()
    run_for(console, clock, 120)
    assert window.header.since_dose.text() == frozen, "the dose clock stops at the end"
    assert not window.nibp_tile.start_button.isEnabled()
    assert not window.discharge_button.isEnabled()
    assert "locked" in window.message.text() or "ended" in window.message.text()


def test_quitting_with_a_live_session_asks_first(qtbot, console, store, clock, pty_port):
    controller = console.controller
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-legacy", pty_port)}
    window = console.window
    window.show()
    from test_workflow import fill_new_session

    dialog = window.show_new_session()
    fill_new_session(qtbot, dialog)
    dialog.try_accept()
    session_id = controller.runtime.session.id
    controller.dose("RN A", confirm_unanswered=True)
    run_for(console, clock, 30)
    window.close()
    prompt = window.dialogs["quit"]
    assert window.isVisible() and prompt.isVisible()
    assert "monitoring stops" in prompt.text() and "resume it at the next launch" in prompt.text()
    qtbot.mouseClick(prompt.keep_button, Qt.MouseButton.LeftButton)
    assert window.isVisible() and controller.runtime is not None
    window.close()
    prompt = window.dialogs["quit"]
    qtbot.mouseClick(prompt.quit_button, Qt.MouseButton.LeftButton)
    assert not window.isVisible() and controller.runtime is None
    assert store.get_session(session_id).phase is not SessionPhase.CLOSED  # resumable


def test_a_training_session_ends_when_the_console_leaves_it(qtbot, training_console, store, clock):
    controller = training_console.controller
    first = controller.start_simulated_session()
    run_for(training_console, clock, 5)
    controller.run_scenario(controller_scenario_id())
    assert store.get_session(first.id).ending.how is SessionEnding.DOSE_NOT_GIVEN
    second = controller.runtime.session
    window = training_console.window
    window.show()
    window.close()
    qtbot.mouseClick(window.dialogs["quit"].quit_button, Qt.MouseButton.LeftButton)
    assert store.get_session(second.id).phase is SessionPhase.CLOSED
    assert [s.phase for s in store.list_sessions()] == [SessionPhase.CLOSED] * 2


def controller_scenario_id() -> str:
    from sessionmon.scenarios.loader import list_builtin

    return list_builtin()[0].id


def test_a_new_session_never_leaves_the_monitored_patient_open(qtbot, console, pty_port):
    controller = console.controller
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-legacy", pty_port)}
    from test_workflow import fill_new_session

    dialog = console.window.show_new_session()
    fill_new_session(qtbot, dialog)
    assert dialog.try_accept()
    live = controller.runtime.session
    again = console.window.show_new_session()
    fill_new_session(qtbot, again)
    assert not again.try_accept() and again.isVisible()
    assert "P-0042 is being monitored" in again.form_layout.refusal_text()
    assert "End session" in again.form_layout.refusal_text()
    assert controller.runtime.session.id == live.id


def test_make_run_then_quit_leaves_no_interrupted_training_session(
    qtbot, tmp_path, config_dir, monkeypatch
):
    training = tmp_path / "training.db"
    monkeypatch.setenv("SESSIONMON_TRAINING_DB", str(training))
    monkeypatch.setenv("SESSIONMON_DB", str(tmp_path / "patients.db"))
    from sessionmon.clock import ManualClock
    from sessionmon.store import SessionStore

    def quit_from_the_menu(window):
        assert window.controller.runtime.session.simulated
        window.quit_confirmed = False
        window.close()  # Session > Quit
        prompt = window.dialogs["quit"]
        assert "ended early" in prompt.text()
        qtbot.mouseClick(prompt.quit_button, Qt.MouseButton.LeftButton)
        return window.isVisible()

    for _ in range(2):  # each `make run`
        code, still_open = run_cli_console(["--simulator"], quit_from_the_menu)
        assert code == 0 and not still_open
    assert not (tmp_path / "patients.db").exists()
    with SessionStore.open(training, ManualClock()) as store:
        listed = store.list_sessions()
    assert [(s.pseudonym, s.phase) for s in listed] == [("SIM-0001", SessionPhase.CLOSED)] * 2


def test_a_monitor_session_stopped_with_ctrl_c_resumes_in_the_console(
    qtbot, tmp_path, config_dir, capsys
):
    import json

    from pty_helpers import LiveDevice
    from sessionmon.devices.pty_port import PtyPort

    db = tmp_path / "patients.db"
    ox_port = PtyPort(link=tmp_path / "ttyUSB0")
    try:
        with LiveDevice("cms50-v7", ox_port):
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "sessionmon", "--db", str(db), "monitor"),
                    *("--oximeter", f"cms50-v7:{ox_port.path}", "--pseudonym", "HEADLESS-2"),
                    *("--treatment", "esketamine-56", "--json"),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )
            try:
                first = json.loads(process.stdout.readline())
                while json.loads(process.stdout.readline()).get("kind") != "spo2":
                    pass
                process.send_signal(signal.SIGINT)
                assert process.wait(timeout=30) == 130
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
                process.stdout.close()
            session_id = first["session_id"]
            settings = ConsoleSettings.load(config_dir)
            settings.devices = {"oximeter": DeviceChoice("cms50-v7", str(ox_port.path))}
            settings.save(config_dir)

            def inside(window):
                controller = window.controller
                qtbot.waitUntil(
                    lambda: window.hr_tile.value.text() not in ("", "--"), timeout=10000
                )
                return str(controller.runtime.session.id), controller.runtime.phase

            code, (resumed, phase) = run_cli_console(
                ["--db", str(db), "sessions", "resume", session_id[:8]], inside
            )
    finally:
        ox_port.close()
    assert code == 0 and resumed == session_id
    assert phase is SessionPhase.BASELINE
    assert "HEADLESS-2, was baseline" in capsys.readouterr().out
