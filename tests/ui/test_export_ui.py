"""Export from the console (worker thread, progress, result) and the launch reminder."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from console_helpers import run_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from sessionmon.clock import ManualClock
from sessionmon.model import EventKind, Patient, Session, SessionPhase, Treatment
from sessionmon.ui.export_job import ExportRequest


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def export_button(dialog):
    return dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)


def export_events(store, session_id):
    return [e for e in store.events(session_id) if e.kind is EventKind.EXPORT]


def test_export_of_the_session_on_screen_runs_in_a_worker_with_progress(
    qtbot, training_console, clock, store, tmp_path
):
    window = training_console.window
    session = training_console.controller.start_simulated_session()
    run_for(training_console, clock, 30)
    dialog = window.show_export()
    # A sensible default: the patient's pseudonym and the session time, in the export folder.
    default = Path(dialog.path.text())
    assert default.parent == window.export_folder()
    assert default.name.startswith("sessionmon-SIM-0001-") and default.suffix == ".pdf"
    dialog.set_format("csv")
    assert dialog.path.text().endswith(".csv"), "the default name follows the format"
    assert dialog.waveform.isEnabled()
    dialog.set_format("hl7")
    assert not dialog.waveform.isEnabled(), "HL7 cannot carry the waveform"
    dialog.set_format("csv")
    dialog.waveform.setChecked(True)
    # In-place validation: a folder that does not exist is refused, the text kept.
    dialog.path.setText(str(tmp_path / "missing" / "out.csv"))
    click(qtbot, export_button(dialog))
    assert dialog.isVisible() and "does not exist" in dialog.form_layout.error_text("path")
    assert window.export_job is None
    out = tmp_path / "session.csv"
    dialog.path.setText(str(out))
    click(qtbot, export_button(dialog))
    assert not dialog.isVisible()
    job = window.export_job
    assert job is not None and window.export_progress is not None
    qtbot.waitUntil(lambda: window.export_progress is None, timeout=10_000)
    assert not job.isRunning()
    assert window.last_export_progress == 100, "the progress dialog followed the exporter"
    assert out.exists() and (tmp_path / "session-pleth.csv").exists()
    assert str(out) in window.message.text()
    assert str(out) in window.dialogs["export_result"].text()
    events = export_events(store, session.id)
    assert len(events) == 1 and events[0].payload["format"] == "csv"
    # The next export starts in the folder used last.
    again = window.show_export()
    assert Path(again.path.text()).parent == tmp_path
    again.reject()


def test_a_failed_export_says_why_and_records_nothing(qtbot, training_console, clock, store):
    window = training_console.window
    session = training_console.controller.start_simulated_session()
    run_for(training_console, clock, 5)
    folder = Path(store.path).parent / "usb-stick"  # chosen, then unplugged before writing
    job = window.start_export(ExportRequest(session.id, "json", folder / "s.json"))
    # (the worker may fail before a waitSignal here could connect: wait for the window instead)
    qtbot.waitUntil(lambda: window.export_progress is None, timeout=10_000)
    assert job.error is not None and "does not exist" in job.error
    assert window.message.text().startswith("Export failed:")
    box = window.dialogs["export_result"]
    assert box.isVisible() and "does not exist" in box.text()
    assert export_events(store, session.id) == []


def test_a_past_session_is_exported_from_the_history(
    qtbot, training_console, clock, store, tmp_path
):
    window = training_console.window
    controller = training_console.controller
    controller.settings.export_folder = str(tmp_path)
    first = controller.start_simulated_session(pseudonym="SIM-OLD")
    run_for(training_console, clock, 20)
    controller.start_simulated_session(pseudonym="SIM-NEW")
    run_for(training_console, clock, 5)
    history = window.show_history()
    assert history.select_session(first.id)
    click(qtbot, history.export_button)
    dialog = window.dialogs["export"]
    assert dialog.session_id == first.id
    dialog.set_format("json")
    dialog.deidentify.setChecked(True)
    name = Path(dialog.path.text()).name
    assert name == "sessionmon-SIM-OLD-deidentified.json", "no date in a de-identified name"
    click(qtbot, export_button(dialog))
    job = window.export_job
    with qtbot.waitSignal(job.succeeded, timeout=10_000) as done:
        pass
    qtbot.waitUntil(lambda: window.export_progress is None, timeout=5_000)
    written = done.args[0].paths[0]
    assert written.parent == tmp_path and written.exists()
    assert "1980-01-01" not in written.read_text(), "the date of birth is dropped"
    events = export_events(store, first.id)
    assert len(events) == 1 and events[0].payload["deidentified"] is True


def _unfinished_patient_session(store_path: Path, days_ago: float) -> Session:
    """A real (not simulated) dosed session left unsigned ``days_ago`` days ago."""
    from sessionmon.store import SessionStore

    old = ManualClock()
    start = old.now() - timedelta(days=days_ago)
    session = Session(
        patient=Patient(pseudonym="P-0007"),
        treatment=Treatment.for_protocol("esketamine-84"),
        created_at=start,
        dose_at=start + timedelta(minutes=10),
        phase=SessionPhase.OBSERVATION,
    )
    with SessionStore.open(store_path, old) as other:
        other.create_session(session)
    return session


def test_launch_reminder_lists_unfinished_records_even_in_the_simulator(
    qtbot, training_console, clock, store
):
    window = training_console.window
    assert window.show_launch_reminders() is None, "nothing to finish: no reminder"
    session = _unfinished_patient_session(Path(store.path), days_ago=6)
    training_console.controller.start_simulated_session()  # the simulator's own session
    run_for(training_console, clock, 5)
    panel = window.show_launch_reminders()
    assert panel is not None and panel.isVisible()
    assert not panel.isModal(), "the nurse can start monitoring with the reminder open"
    (line,) = panel.messages()  # the simulated session is not listed
    assert "P-0007" in line and "interrupted" in line  # its console went away unsigned
    assert "REMS form due in 1 day" in line
    click(qtbot, panel.history_button)
    history = window.dialogs["history"]
    assert history.selected().id == session.id
    record_column = history.table.horizontalHeaderItem(7).text()
    assert record_column == "Record"
    assert "REMS due in 1 d" in history.table.item(history.table.currentRow(), 7).text()
    history.reject()
    click(qtbot, panel.export_button)
    dialog = window.dialogs["export"]
    assert dialog.session_id == session.id and dialog.fmt == "rems"
    dialog.reject()
    panel.close()
