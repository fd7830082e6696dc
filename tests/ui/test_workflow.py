"""A whole session on the console, keyboard and mouse only, checked against the stored record."""

from __future__ import annotations

from datetime import date

from console_helpers import run_for, run_until
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from sessionmon.model import AlarmPriority, EventKind, SessionPhase
from sessionmon.ui import theme
from sessionmon.ui.settings import ConsoleSettings


def click_ok(qtbot, dialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def fill_new_session(qtbot, dialog) -> None:
    qtbot.keyClicks(dialog.pseudonym, "P-0042")
    qtbot.keyClicks(dialog.name, "Jane Example")
    qtbot.keyClicks(dialog.date_of_birth, "1985-04-12")
    dialog.sex.setCurrentIndex(dialog.sex.findData("female"))
    dialog.treatment.setCurrentIndex(dialog.treatment.findData("esketamine-84"))
    qtbot.keyClicks(dialog.lot_number, "LOT-77A")
    dialog.concomitant["benzodiazepines"].setChecked(True)
    qtbot.keyClicks(dialog.monitoring_provider, "Dr. K. Example")


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key in the console window (made active first, as the nurse's click would)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, key, modifier)


def measure_bp(console, clock) -> None:
    qtbot_free_click = console.window.nibp_tile.start_button
    qtbot_free_click.click()
    run_until(console, clock, lambda: not console.controller.view.nibp.measuring, 90, 2.0)


def test_new_session_form_validates_in_place_and_keeps_text(qtbot, console, store):
    window = console.window
    dialog = window.show_new_session()
    qtbot.keyClicks(dialog.pseudonym, "P-0042")
    qtbot.keyClicks(dialog.date_of_birth, "1985-13-40")
    dialog.dose_mg.setText("90")
    click_ok(qtbot, dialog)
    assert dialog.isVisible(), "an invalid form must not close"
    errors = dialog.form_layout
    assert "not a date" in errors.error_text("date_of_birth")
    assert "28 mg" in errors.error_text("dose_mg")
    assert errors.error_text("lot_number")
    assert errors.error_text("sex")
    assert errors.error_text("pseudonym") == ""
    assert dialog.pseudonym.text() == "P-0042"
    assert dialog.date_of_birth.text() == "1985-13-40", "typed text is never lost"
    # Fixing a field clears its message at once.
    dialog.date_of_birth.clear()
    qtbot.keyClicks(dialog.date_of_birth, "1985-12-04")
    assert errors.error_text("date_of_birth") == ""
    assert not errors.errors["date_of_birth"].isVisibleTo(dialog)
    assert "28 mg" in errors.error_text("dose_mg"), "other messages stay until fixed"
    # Cancel means cancel: the next New session starts empty (no wrong-patient leftovers),
    # and typing gives exactly what was typed.
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton
    )
    assert not dialog.isVisible()
    again = window.show_new_session()
    assert again.pseudonym.text() == "" and again.date_of_birth.text() == ""
    assert again.lot_number.text() == "" and again.monitoring_provider.text() == ""
    assert not any(box.isChecked() for box in again.concomitant.values())
    qtbot.keyClicks(again.pseudonym, "REAL-01")
    assert again.pseudonym.text() == "REAL-01"
    assert again.form_layout.error_text("date_of_birth") == ""
    assert store.list_sessions() == []


def test_name_and_date_of_birth_are_optional_but_checked_when_given(qtbot, console, store):
    console.controller.settings.simulated_devices = True
    dialog = console.window.show_new_session()
    assert dialog.form_layout.labels["date_of_birth"] == "Date of birth (optional)"
    assert "REMS monitoring form" in dialog.note.text()
    qtbot.keyClicks(dialog.pseudonym, "PSEUDO-9")
    dialog.sex.setCurrentIndex(dialog.sex.findData("unknown"))
    qtbot.keyClicks(dialog.lot_number, "LOT-1")
    qtbot.keyClicks(dialog.monitoring_provider, "Dr. K. Example")
    qtbot.keyClicks(dialog.date_of_birth, "2999-01-01")
    click_ok(qtbot, dialog)
    assert dialog.isVisible() and "before today" in dialog.form_layout.error_text("date_of_birth")
    dialog.date_of_birth.clear()
    click_ok(qtbot, dialog)
    assert not dialog.isVisible(), dialog.form_layout.error_text("date_of_birth")
    stored = store.get_session(console.controller.runtime.session.id)
    assert stored.patient.pseudonym == "PSEUDO-9"
    assert stored.patient.name is None and stored.patient.date_of_birth is None


def test_whole_session_on_screen_matches_the_record(qtbot, console, store, clock, config_dir):
    window = console.window
    controller = console.controller
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()

    # Device setup: simulated devices (a machine without serial devices), saved for next time.
    setup = window.show_device_setup()
    setup.simulated.setChecked(True)
    qtbot.mouseClick(
        setup.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save),
        Qt.MouseButton.LeftButton,
    )
    assert ConsoleSettings.load(config_dir).simulated_devices

    # New session (REMS fields).
    dialog = window.show_new_session()
    fill_new_session(qtbot, dialog)
    click_ok(qtbot, dialog)
    assert not dialog.isVisible()
    session = controller.runtime.session
    stored = store.get_session(session.id)
    assert stored.patient.pseudonym == "P-0042"
    assert stored.patient.date_of_birth == date(1985, 4, 12)
    assert stored.treatment.lot_number == "LOT-77A"
    assert stored.treatment.dose_mg == 84
    assert stored.concomitant_medicines == ("benzodiazepines",)
    assert stored.monitoring_provider == "Dr. K. Example"
    assert stored.simulated, "simulated devices never make a patient record"
    assert window.banner.isVisible()
    assert window.header.pseudonym.text() == "P-0042"

    run_for(console, clock, 10)
    assert window.device_status.state_of("oximeter") == "streaming"
    assert window.hr_tile.value.text() not in ("", "--")

    # Pre-dose checks and BP, then the dose through the dialog.
    qtbot.mouseClick(window.baseline_button, Qt.MouseButton.LeftButton)
    measure_bp(console, clock)
    assert "/" in window.nibp_tile.value.text() and "--" not in window.nibp_tile.value.text()
    dose = window.show_dose()
    qtbot.keyClicks(dose.by, "A. Nurse")
    dose.confirm_unanswered.setChecked(True)  # no safety checklist in this walk-through
    click_ok(qtbot, dose)
    assert store.get_session(session.id).dose_at == clock.now()
    assert window.header.since_dose.text().startswith("Dose +")

    # A desaturation: a high-priority alarm in red with ***, on the bar and the SpO2 tile.
    controller.change_physiology({"spo2": 80.0}, 0.0)
    run_until(
        console, clock, lambda: any(a.condition == "spo2_low" for a in controller.view.alarms), 60
    )
    shown = window.alarm_bar.shown_alarms()
    spo2_alarm = next(a for a in shown if a.condition == "spo2_low")
    assert spo2_alarm.priority is AlarmPriority.HIGH
    label = next(lbl for lbl in window.alarm_bar.labels if lbl.alarm is spo2_alarm)
    assert label.full_text.startswith("*** ")
    assert label.colour == theme.ALARM_COLOURS[AlarmPriority.HIGH]
    assert window.spo2_tile.background_colour == theme.ALARM_COLOURS[AlarmPriority.HIGH]
    assert window.alarm_bar.ack_button.isEnabled()

    # Acknowledge with the button.
    qtbot.mouseClick(window.alarm_bar.ack_button, Qt.MouseButton.LeftButton)
    assert all(a.acknowledged for a in controller.view.alarms)
    record = next(a for a in store.alarms(session.id) if a.condition == "spo2_low")
    assert record.acknowledged_at == clock.now()

    # Recovery, then a bradycardia acknowledged with F1.
    controller.change_physiology({"spo2": 98.0, "hr": 38.0}, 0.0)
    run_until(
        console,
        clock,
        lambda: any(a.condition == "hr_low" and not a.acknowledged for a in controller.view.alarms),
        60,
    )
    press(qtbot, window, Qt.Key.Key_F1)
    assert all(a.acknowledged for a in controller.view.alarms if a.condition == "hr_low")
    hr_record = next(a for a in store.alarms(session.id) if a.condition == "hr_low")
    assert hr_record.acknowledged_at is not None
    controller.change_physiology({"hr": 74.0}, 0.0)

    # Audio pause with F2: the countdown is shown.
    controller.change_physiology({"spo2": 88.0}, 0.0)
    run_until(
        console,
        clock,
        lambda: any(
            a.condition == "spo2_low" and not a.acknowledged for a in controller.view.alarms
        ),
        60,
    )
    press(qtbot, window, Qt.Key.Key_F2)
    assert window.alarm_bar.audio.text() == "AUDIO PAUSED 2:00"
    run_for(console, clock, 17, 1.0)
    assert window.alarm_bar.audio.text() == "AUDIO PAUSED 1:43"
    press(qtbot, window, Qt.Key.Key_F1)
    controller.change_physiology({"spo2": 98.0}, 0.0)

    # A note with the Ctrl+1 hotkey.
    press(qtbot, window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)

    # BP at 40 min and the checklists around 40 min.
    run_for(console, clock, 40 * 60 - (clock.now() - session.created_at).total_seconds() + 120, 30)
    measure_bp(console, clock)
    record_checklist(qtbot, window, "moaas", {1: 4})
    record_checklist(qtbot, window, "cadss6", {n: 0 for n in (1, 2, 6, 7, 15, 22)})

    # Discharge too early: refused, with every blocking reason.
    discharge = window.show_discharge()
    assert not discharge.view.allowed
    reasons = [discharge.blocking.item(i).text() for i in range(discharge.blocking.count())]
    assert any("120 min" in r for r in reasons)
    assert any("MOAA/S" in r for r in reasons)
    assert any("Aldrete" in r for r in reasons)
    assert not discharge.sign_button.isEnabled()
    assert window.checks.status_of("bp_40") == "done"
    discharge.close()

    # Two hours after the dose: BP, MOAA/S 5, CADSS, Aldrete 10, then discharge is allowed.
    dose_at = store.get_session(session.id).dose_at
    run_for(console, clock, 122 * 60 - (clock.now() - dose_at).total_seconds(), 30.0)
    measure_bp(console, clock)
    record_checklist(qtbot, window, "moaas", {1: 5})
    record_checklist(qtbot, window, "cadss6", {n: 0 for n in (1, 2, 6, 7, 15, 22)})
    record_checklist(qtbot, window, "aldrete", {n: 2 for n in range(1, 6)})
    press(qtbot, window, Qt.Key.Key_F1)
    qtbot.mouseClick(discharge.recheck_button, Qt.MouseButton.LeftButton)
    discharge = window.show_discharge()
    assert discharge.view.allowed, discharge.view.blocking
    assert discharge.sign_button.isEnabled()

    # Sign-off locks the record.
    qtbot.mouseClick(discharge.sign_button, Qt.MouseButton.LeftButton)
    sign = window.dialogs["sign_off"]
    sign.by.clear()
    click_ok(qtbot, sign)
    assert sign.isVisible() and sign.form_layout.error_text("by")
    qtbot.keyClicks(sign.by, "A. Nurse")
    click_ok(qtbot, sign)
    final = store.get_session(session.id)
    assert final.phase is SessionPhase.CLOSED
    assert final.signed_by == "A. Nurse"
    assert window.header.locked.text() == "SIGNED - LOCKED"
    assert not window.note_button.isEnabled()
    controller.annotate("too late")
    assert "locked" in window.message.text()

    # The record holds what was done on screen.
    events = store.events(session.id)
    kinds = [e.kind for e in events]
    assert kinds.count(EventKind.DOSE_GIVEN) == 1
    dose_event = next(e for e in events if e.kind is EventKind.DOSE_GIVEN)
    assert dose_event.by == "A. Nurse"
    checklists = [e.payload for e in events if e.kind is EventKind.CHECKLIST]
    assert [(c["scale"], c["total"]) for c in checklists] == [
        ("moaas", 4),
        ("cadss6", 0),
        ("moaas", 5),
        ("cadss6", 0),
        ("aldrete", 10),
    ]
    notes = [e.text for e in events if e.kind is EventKind.ANNOTATION]
    assert "Patient reports nausea" in notes
    assert "too late" not in notes
    assert any(e.kind is EventKind.SIGN_OFF and e.by == "A. Nurse" for e in events)
    refused = [e for e in events if e.kind is EventKind.DISCHARGE_ATTEMPT]
    assert refused[0].payload["allowed"] is False and refused[-1].payload["allowed"] is True
    conditions = {a.condition for a in store.alarms(session.id)}
    assert {"spo2_low", "hr_low"} <= conditions


def record_checklist(qtbot, window, scale_id: str, answers: dict[int, int]) -> None:
    dialog = window.show_checklist(scale_id)
    assert dialog.scale.id == scale_id
    for number, score in answers.items():
        dialog.set_answer(number, score)
    click_ok(qtbot, dialog)
    assert not dialog.isVisible(), dialog.error_label.text()
