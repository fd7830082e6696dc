"""Forms submit through the core and stay open, with what was typed, when it refuses.

Also Patient details after a pseudonymous start, and sign-off waiting for the REMS fields.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import date

import pytest
from console_helpers import run_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from pty_helpers import wait_until
from sessionmon.model import EventKind, Kind, SessionPhase
from sessionmon.sim.wire_sim import WireSimulator
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.settings import DeviceChoice


@pytest.fixture
def store(tmp_path, clock) -> Iterator[object]:
    """A fresh database that reports a lock at once (instead of after 5 s)."""
    from sessionmon.store import SessionStore

    with SessionStore.open(tmp_path / "sessions.db", clock, busy_timeout_s=0.05) as opened:
        yield opened


def click_ok(qtbot, dialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_refused_note_checklist_and_manual_bp_keep_what_was_typed(
    qtbot, training_console, store, tmp_path
):
    window = training_console.window
    session = training_console.controller.start_simulated_session()
    note = window.show_annotation()
    qtbot.keyClicks(note.text, "Patient feels dizzy")
    checklist = window.show_checklist("aldrete")
    for number in range(1, 6):
        checklist.set_answer(number, 2)
    checklist.set_answer(3, 1)
    bp = window.show_manual_bp()
    qtbot.keyClicks(bp.sys, "142")
    qtbot.keyClicks(bp.dia, "91")
    qtbot.keyClicks(bp.map, "108")

    # Another program holds the database: the core refuses every intent.
    other = sqlite3.connect(tmp_path / "sessions.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    for dialog in (note, checklist, bp):
        click_ok(qtbot, dialog)
        assert dialog.isVisible(), "a refused form stays open"
    assert "locked by another program" in note.form_layout.refusal_text()
    assert note.note() == "Patient feels dizzy"
    assert "locked by another program" in checklist.error_label.text()
    assert checklist.answers() == {1: 2, 2: 2, 3: 1, 4: 2, 5: 2}
    assert "locked by another program" in bp.form_layout.refusal_text()
    assert (bp.sys.text(), bp.dia.text(), bp.map.text()) == ("142", "91", "108")
    assert "locked" not in window.message.text(), "shown in the form, not lost on a status line"

    # The other program lets go: the same forms, submitted again, are recorded once and close.
    other.execute("ROLLBACK")
    other.close()
    for dialog in (note, checklist, bp):
        click_ok(qtbot, dialog)
        assert not dialog.isVisible()
    store.flush()
    events = store.events(session.id)
    assert [e.text for e in events if e.kind is EventKind.ANNOTATION] == ["Patient feels dizzy"]
    assert [
        (e.payload["scale"], e.payload["total"]) for e in events if e.kind is EventKind.CHECKLIST
    ] == [("aldrete", 9)]
    manual = [m.value for m in store.measurements(session.id, kinds=[Kind.NIBP_SYS])]
    assert manual == [142.0], "entered once, however often it was tried"


def test_a_refusal_naming_a_field_is_shown_next_to_it(qtbot, training_console):
    training_console.controller.start_simulated_session()
    dialog = training_console.window.show_patient_details()
    dialog.submit = lambda form: "the date of birth must be before today"
    qtbot.keyClicks(dialog.name, "Ann Example")
    qtbot.keyClicks(dialog.by, "A. Nurse")
    click_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert (
        dialog.form_layout.error_text("date_of_birth") == "the date of birth must be before today"
    )
    assert dialog.form_layout.refusal_text() == ""
    assert dialog.name.text() == "Ann Example"


def pseudonymous_session(console, pty_port):
    controller = console.controller
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-v7", pty_port)}
    form = NewSessionForm(
        pseudonym="P-ANON",
        sex="",
        lot_number="L-7",
        monitoring_provider="Dr. K. Example",
    )
    form.sex = "unknown"
    session = controller.new_session(form)
    assert session is not None and not session.simulated
    return session


def test_patient_details_are_corrected_as_a_new_version(qtbot, console, store, clock, pty_port):
    session = pseudonymous_session(console, pty_port)
    window = console.window
    dialog = window.show_patient_details()
    assert dialog.lot_number.text() == "L-7", "starts from what is recorded"
    qtbot.keyClicks(dialog.name, "Jane Example")
    qtbot.keyClicks(dialog.date_of_birth, "1985-13-40")
    dialog.sex.setCurrentIndex(dialog.sex.findData("female"))
    dialog.concomitant["opioids"].setChecked(True)
    dialog.by.clear()
    click_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert "not a date" in dialog.form_layout.error_text("date_of_birth")
    assert dialog.form_layout.error_text("by")
    assert dialog.name.text() == "Jane Example" and dialog.date_of_birth.text() == "1985-13-40"
    dialog.date_of_birth.setText("1985-04-12")
    qtbot.keyClicks(dialog.by, "A. Nurse")
    click_ok(qtbot, dialog)
    assert not dialog.isVisible(), dialog.form_layout.refusal_text()
    stored = store.get_session(session.id)
    assert stored.patient.name == "Jane Example"
    assert stored.patient.date_of_birth == date(1985, 4, 12)
    assert stored.patient.sex == "female"
    assert stored.concomitant_medicines == ("opioids",)
    assert stored.patient.pseudonym == "P-ANON"
    corrected = store.events(session.id)[-1]
    assert corrected.by == "A. Nurse"
    assert corrected.text.startswith("patient details corrected by A. Nurse: patient name")
    # Saving again without a change: the core says so and the dialog stays open.
    again = window.show_patient_details()
    click_ok(qtbot, again)
    assert again.isVisible() and "nothing to correct" in again.form_layout.refusal_text()


@pytest.fixture
def oximeter_pty() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal pair: the master fd a simulated oximeter writes to, the port name."""
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def oximeter_streams(console, clock, master: int, seconds: int) -> None:
    """Play a CMS50 oximeter into the pty for ``seconds`` (device time), then until the console
    has a current SpO2."""
    sim = WireSimulator("cms50-v7", master, clock, hr=72, spo2=97, seed=3)
    controller = console.controller

    def step() -> None:
        clock.advance(0.5)
        sim.step()
        controller.acquire()

    def current(age_s: float = 5.0) -> bool:
        value = controller.runtime.snapshot().values.get(Kind.SPO2)
        return value is not None and value.age_s < age_s

    assert wait_until(current, 10.0, step=step)
    for _ in range(seconds):
        clock.advance(1)
        sim.step()
        # Keep the clock in step with what the reader thread has delivered: a clock that runs
        # ahead of the bytes looks like a silent (or, once they arrive, a too fast) oximeter.
        wait_until(lambda: current(1.5), 2.0, step=controller.acquire)
        controller.acquire()
    assert wait_until(current, 10.0, step=step)


def fill_clinic(qtbot, window) -> None:
    dialog = window.show_clinic_settings()
    for name, text in (
        ("name", "Harbour Clinic"),
        ("address", "1 Quay Street"),
        ("city", "Portland"),
        ("state", "ME"),
        ("zip", "4101"),
    ):
        qtbot.keyClicks(dialog.edits[name], text)
    row = dialog.add_staff_row(["Kim", "Lee", "555-0101", "kim.lee@harbour.example", "MD"])
    assert row == 0
    save = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "must be 5 digits" in dialog.form_layout.error_text("zip")
    dialog.edits["zip"].setText("04101")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_sign_off_waits_for_the_rems_fields_then_locks(
    qtbot, console, store, clock, oximeter_pty, config_dir
):
    master, port = oximeter_pty
    window = console.window
    fill_clinic(qtbot, window)
    assert (config_dir / "clinic.json").is_file()
    session = pseudonymous_session(console, port)
    assert session.clinic == "Harbour Clinic"
    controller = console.controller
    controller.start_baseline()
    controller.record_manual_bp(124, 78)
    controller.dose("A. Nurse", confirm_unanswered=True)
    run_for(console, clock, 41 * 60, 60)
    controller.record_manual_bp(128, 80)
    run_for(console, clock, 80 * 60, 60)

    def no_data_alarm() -> bool:
        # The reader thread sees the silence at its next wake (at most 0.5 s): it cannot know
        # when a test moves the manual clock on by minutes at once.
        controller.acquire()
        return any(
            a.condition == "oximeter_no_data" for a in controller.runtime.engine.active_alarms
        )

    qtbot.waitUntil(no_data_alarm, timeout=3000)
    controller.record_manual_bp(126, 79)
    controller.record_checklist("moaas", {1: 5})
    controller.record_checklist("aldrete", {n: 2 for n in range(1, 6)})
    controller.record_checklist("cadss6", {n: 0 for n in (1, 2, 6, 7, 15, 22)})
    controller.acknowledge()
    discharge = window.show_discharge()
    assert not discharge.view.allowed
    assert any("no SpO2 recorded" in b for b in discharge.view.blocking)
    assert discharge.override_box.isVisibleTo(discharge)
    oximeter_streams(console, clock, master, 60)
    qtbot.mouseClick(discharge.recheck_button, Qt.MouseButton.LeftButton)
    # The oximeter's "no data" alarm ended a minute ago: ten quiet minutes are needed.
    assert discharge.view.blocking == (
        "oximetry technical alarm in the last 10 min: No data from the oximeter (ended 1 min ago)",
    )
    oximeter_streams(console, clock, master, 13 * 60)  # also past the no-valid-data alarm
    controller.record_manual_bp(125, 78)
    qtbot.mouseClick(discharge.recheck_button, Qt.MouseButton.LeftButton)
    assert discharge.view.allowed, discharge.view.blocking

    qtbot.mouseClick(discharge.sign_button, Qt.MouseButton.LeftButton)
    sign = window.dialogs["sign_off"]
    assert not sign.missing_box.isHidden()
    assert sign.missing == ["patient name", "date of birth"]
    click_ok(qtbot, sign)
    assert sign.isVisible(), "not signable with empty REMS fields"
    assert "patient name, date of birth" in sign.form_layout.refusal_text()
    assert store.get_session(session.id).phase is SessionPhase.DISCHARGE_READY

    qtbot.mouseClick(sign.details_button, Qt.MouseButton.LeftButton)
    details = window.dialogs["patient_details"]
    qtbot.keyClicks(details.name, "Jane Example")
    qtbot.keyClicks(details.date_of_birth, "1985-04-12")
    click_ok(qtbot, details)
    assert not details.isVisible(), details.form_layout.refusal_text()
    assert sign.missing == [] and sign.missing_box.isHidden()
    assert sign.form_layout.refusal_text() == ""
    # The REMS entries: the provider picked from the staff list, the clinic's setting, the
    # minutes (the computed suggestion is only offered) and the questions the record cannot
    # answer (no SpO2 before the dose, none for most of the session).
    box = sign.rems_box
    assert box.provider["email"].text() == "kim.lee@harbour.example"
    assert box.setting_label.text() == "Harbour Clinic, 1 Quay Street\nPortland ME 04101"
    assert box.minutes.value() == -1 and box.suggestion is not None
    assert set(box.answers) == {"vitals_before_dose", "respiratory_depression"}
    click_ok(qtbot, sign)
    assert sign.isVisible()
    refusal = sign.form_layout.refusal_text()
    assert "minutes until ready to leave" in refusal
    assert "respiratory depression (clinician)" in refusal
    qtbot.mouseClick(box.use_suggestion, Qt.MouseButton.LeftButton)
    assert box.minutes.value() == box.suggestion
    box.minutes.setValue(box.suggestion + 5)
    for question, answer, note in (
        ("vitals_before_dose", "Yes", "SpO2 98 % on the spot check"),
        ("respiratory_depression", "No", "breathing watched throughout"),
    ):
        choice, details_edit = box.answers[question]
        choice.setCurrentText(answer)
        qtbot.keyClicks(details_edit, note)
    click_ok(qtbot, sign)
    assert not sign.isVisible(), sign.form_layout.refusal_text()
    signed = [e for e in store.events(session.id) if e.kind is EventKind.SIGN_OFF][-1]
    rems = signed.payload["rems"]
    assert rems["minutes_until_ready"] == box.suggestion + 5
    assert rems["answers"]["respiratory_depression"] == {
        "occurred": False,
        "details": "breathing watched throughout",
    }
    assert rems["provider"]["last_name"] == "Lee" and rems["setting"]["zip"] == "04101"
    final = store.get_session(session.id)
    assert final.phase is SessionPhase.CLOSED and final.patient.name == "Jane Example"
    assert window.show_patient_details() is None
    assert "locked" in window.message.text()


def test_discharge_override_needs_a_reason_and_shows_the_refusal_in_place(
    qtbot, training_console, clock
):
    controller = training_console.controller
    controller.start_simulated_session()
    controller.start_baseline()
    controller.record_manual_bp(124, 78)
    controller.dose("A. Nurse", confirm_unanswered=True)
    run_for(training_console, clock, 30 * 60, 60)
    dialog = training_console.window.show_discharge()
    assert not dialog.view.allowed and dialog.override_box.isVisibleTo(dialog)
    qtbot.keyClicks(dialog.override_by, "Dr K")
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    assert dialog.override_error.text() == "Write the reason for the override."
    qtbot.keyClicks(dialog.override_reason, "patient well")
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    assert "minimum observation time cannot be overridden" in dialog.override_error.text()
    assert not dialog.sign_button.isEnabled()
