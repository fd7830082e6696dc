"""Failures around the console are told to the nurse, never lost in a slot or a frozen screen."""

from __future__ import annotations

import threading

from sessionmon.model import EventKind, Patient, Session, Treatment
from sessionmon.ui.dialogs.device_setup import DeviceSetupDialog
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.settings import ConsoleSettings, DeviceChoice


def test_a_settings_file_that_cannot_be_written_never_stops_the_dose(training_console, store):
    controller = training_console.controller
    session = controller.start_simulated_session()

    def read_only_disk(settings: ConsoleSettings) -> None:
        raise OSError(30, "Read-only file system")

    controller._settings_saver = read_only_disk
    controller.dose("B. Nurse", confirm_unanswered=True)
    assert store.get_session(session.id).dose_at is not None, "the dose is recorded"
    assert any(e.kind is EventKind.DOSE_GIVEN for e in store.events(session.id))
    assert "settings not saved" in training_console.window.message.text()


def test_an_unexpected_acquisition_error_is_shown_once_and_monitoring_resumes(
    qtbot, training_console, clock
):
    controller = training_console.controller
    controller.start_simulated_session()
    real_tick = controller.runtime.tick

    def broken_tick() -> None:
        raise RuntimeError("parser bug")

    controller.runtime.tick = broken_tick
    with qtbot.waitSignal(controller.error) as shown:
        controller.acquire()
    assert "parser bug" in shown.args[0]
    assert "parser bug" in training_console.window.message.text()
    repeats: list[str] = []
    controller.error.connect(repeats.append)
    controller.acquire()
    assert repeats == [], "the same failure is not repeated ten times a second"
    controller.runtime.tick = real_tick
    ticks = controller.ticks
    clock.advance(1.0)
    controller.acquire()
    assert controller.ticks == ticks + 1
    assert training_console.window.message.text() == "Monitoring running again."


def test_history_cannot_close_a_patient_session_being_monitored(
    qtbot, console, store, clock, pty_port
):
    controller = console.controller
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-v7", pty_port)}
    form = NewSessionForm(
        pseudonym="P-LIVE",
        sex="female",
        lot_number="L1",
        monitoring_provider="Dr. K. Example",
    )
    live = controller.new_session(form)
    assert live is not None and not live.simulated
    past = Session(
        patient=Patient(pseudonym="P-PAST"),
        treatment=Treatment.for_protocol("esketamine-56"),
        created_at=clock.now(),
        simulated=True,
    )
    store.create_session(past)
    assert controller.open_read_only(past.id) is None
    assert controller.runtime is not None and controller.runtime.session.id == live.id
    assert "P-LIVE is being monitored" in console.window.message.text()
    assert console.window.header.pseudonym.text() == "P-LIVE"


def test_the_connection_test_runs_off_the_ui_thread(qtbot):
    release = threading.Event()
    ui_thread = threading.get_ident()
    ran_on: list[int] = []

    def slow_tester(role: str, protocol: str, port: str) -> tuple[bool, str]:
        ran_on.append(threading.get_ident())
        release.wait(5.0)
        return True, f"{protocol} on {port}: data is arriving"

    dialog = DeviceSetupDialog(
        ConsoleSettings(),
        slow_tester,
        drivers={"oximeter": ["cms50-v7"], "nibp": []},
        ports=[("/dev/ttyUSB0", "/dev/ttyUSB0  USB serial")],
    )
    qtbot.addWidget(dialog)
    dialog.driver_boxes["oximeter"].setCurrentIndex(1)
    dialog.test("oximeter")  # returns at once: the console keeps drawing meanwhile
    assert dialog.results["oximeter"].text().startswith("Testing cms50-v7")
    assert not dialog.test_buttons["oximeter"].isEnabled()
    release.set()
    qtbot.waitUntil(lambda: "data is arriving" in dialog.results["oximeter"].text(), timeout=10000)
    assert ran_on and ran_on[0] != ui_thread
    assert dialog.test_buttons["oximeter"].isEnabled()
    assert not dialog.running_tests
