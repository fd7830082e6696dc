"""The dose, safety-checklist, override and drug-wasted dialogs, through the console."""

from __future__ import annotations

import os
from pathlib import Path

from console_helpers import run_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from sessionmon.model import EventKind, SessionPhase
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.settings import DeviceChoice

#: Set SESSIONMON_SHOTS=dir to keep the dialogs' PNGs (they are always rendered).
SHOTS = os.environ.get("SESSIONMON_SHOTS")


def click_ok(qtbot, dialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def shot(widget, name: str, tmp_path: Path) -> None:
    widget.adjustSize()
    image = widget.grab()
    assert not image.isNull() and image.width() > 300
    folder = Path(SHOTS) if SHOTS else tmp_path
    image.save(str(folder / f"{name}.png"))


def real_session(console, pty_port, treatment="esketamine-84", dose="84"):
    controller = console.controller
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-v7", pty_port)}
    form = NewSessionForm(
        pseudonym="P-DOSE",
        sex="unknown",
        treatment=treatment,
        dose_mg=dose,
        lot_number="L-7",
        monitoring_provider="Dr. K. Example",
    )
    session = controller.new_session(form)
    assert session is not None and not session.simulated
    return session


def answer_all_clear(dialog) -> None:
    for key in dialog.buttons:
        item_kind = next(i.kind for i in dialog.items if i.key == key)
        dialog.answer(key, "no" if item_kind in ("contraindication", "caution", "info") else "yes")


def test_three_devices_through_the_dose_dialog_in_real_mode(
    qtbot, console, store, clock, pty_port, tmp_path
):
    session = real_session(console, pty_port)
    window = console.window
    dose = window.show_dose()
    assert dose.title.text() == "Esketamine nasal device 1 of 3 (28 mg)"
    assert "not done" in dose.safety.text() and dose.needs_confirmation
    # the checklist is reachable from the dose dialog
    qtbot.mouseClick(dose.safety_button, Qt.MouseButton.LeftButton)
    safety = window.dialogs["safety"]
    answer_all_clear(safety)
    safety.answer("first_treatment", "yes")
    assert safety.summary.text() == "Every item answered."
    shot(safety, "safety-checklist", tmp_path)
    click_ok(qtbot, safety)
    assert not safety.isVisible()
    assert dose.safety.text() == "Safety checklist: done." and not dose.needs_confirmation
    qtbot.keyClicks(dose.by, "A. Nurse")
    shot(dose, "dose-device-1", tmp_path)
    click_ok(qtbot, dose)
    assert not dose.isVisible()
    for number, gap in ((2, 320), (3, 320)):
        run_for(console, clock, gap, 10.0)
        dose = window.show_dose()
        assert dose.title.text() == f"Esketamine nasal device {number} of 3 (28 mg)"
        assert f"given 5 min 20 s ago ({(number - 1) * 28} of 84 mg so far)" in dose.context.text()
        if number == 3:
            shot(dose, "dose-device-3", tmp_path)
        click_ok(qtbot, dose)
        assert not dose.isVisible(), dose.form_layout.refusal_text()
    doses = [e for e in store.events(session.id) if e.kind is EventKind.DOSE_GIVEN]
    assert [(e.payload["device"], e.payload["dose_mg"]) for e in doses] == [
        (1, 28.0),
        (2, 28.0),
        (3, 28.0),
    ]
    assert all(e.by == "A. Nurse" and e.payload["lot_number"] == "L-7" for e in doses)
    assert store.get_session(session.id).phase is SessionPhase.OBSERVATION
    # dosing is over: the dialog shows the core's refusal in place
    dose = window.show_dose()
    click_ok(qtbot, dose)
    assert dose.isVisible() and "dosing is over" in dose.form_layout.refusal_text()


def test_unanswered_items_need_the_tick(qtbot, training_console, store):
    session = training_console.controller.start_simulated_session()
    window = training_console.window
    dose = window.show_dose()
    qtbot.keyClicks(dose.by, "A. Nurse")
    click_ok(qtbot, dose)
    assert dose.isVisible() and "tick the box" in dose.form_layout.refusal_text()
    assert not [e for e in store.events(session.id) if e.kind is EventKind.DOSE_GIVEN]
    dose.confirm_unanswered.setChecked(True)
    click_ok(qtbot, dose)
    assert not dose.isVisible()
    (given,) = [e for e in store.events(session.id) if e.kind is EventKind.DOSE_GIVEN]
    assert "aneurysm_avm" in given.payload["safety_unanswered_confirmed"]


def test_a_contraindication_blocks_until_the_prescriber_overrides(
    qtbot, training_console, store, tmp_path
):
    session = training_console.controller.start_simulated_session()
    window = training_console.window
    safety = window.show_safety_checklist()
    answer_all_clear(safety)
    safety.answer("intracerebral_haemorrhage", "yes")
    click_ok(qtbot, safety)
    dose = window.show_dose()
    assert "CONTRAINDICATION" in dose.safety.text() and not dose.override_button.isHidden()
    qtbot.keyClicks(dose.by, "A. Nurse")
    shot(dose, "dose-blocked", tmp_path)
    click_ok(qtbot, dose)
    assert dose.isVisible() and "prescriber must override" in dose.form_layout.refusal_text()
    qtbot.mouseClick(dose.override_button, Qt.MouseButton.LeftButton)
    override = window.dialogs["override"]
    click_ok(qtbot, override)
    assert override.form_layout.error_text("reason") and override.isVisible()
    qtbot.keyClicks(override.prescriber, "Dr Byrne")
    qtbot.keyClicks(override.reason, "remote bleed 1998, neurology cleared")
    shot(override, "override", tmp_path)
    click_ok(qtbot, override)
    assert not override.isVisible()
    assert "overridden by Dr Byrne" in dose.safety.text()
    click_ok(qtbot, dose)
    assert not dose.isVisible()
    kinds = [
        (e.kind, e.payload.get("action"), e.by)
        for e in store.events(session.id)
        if e.kind in (EventKind.NURSE_ACTION, EventKind.DOSE_GIVEN)
    ]
    assert (EventKind.NURSE_ACTION, "contraindication_override", "Dr Byrne") in kinds


def test_iv_infusion_by_weight_with_the_band_warning_then_stop(
    qtbot, console, store, clock, pty_port, tmp_path
):
    session = real_session(console, pty_port, "ketamine-iv", "35")
    window = console.window
    dose = window.show_dose()
    assert dose.title.text() == "Ketamine IV infusion"
    dose.weight.setValue(82)
    dose.mg_per_kg.setValue(1.2)
    assert dose.dose_mg.text() == "98.4 mg at 147.6 mg/h"
    assert "1.20 mg/kg is outside 0.5-1 mg/kg" in dose.dose_warning.text()
    qtbot.keyClicks(dose.by, "A. Nurse")
    dose.confirm_unanswered.setChecked(True)
    shot(dose, "dose-iv", tmp_path)
    click_ok(qtbot, dose)
    assert not dose.isVisible(), dose.form_layout.refusal_text()
    (started,) = [e for e in store.events(session.id) if e.kind is EventKind.DOSE_GIVEN]
    assert (started.payload["weight_kg"], started.payload["mg_per_kg"]) == (82.0, 1.2)
    assert started.payload["warning"] == "dose 1.20 mg/kg is outside 0.5-1 mg/kg"
    run_for(console, clock, 25 * 60, 30.0)
    stop = window.show_dose()
    assert stop.stopping and stop.title.text() == "Ketamine IV infusion running"
    qtbot.keyClicks(stop.by, "A. Nurse")
    click_ok(qtbot, stop)
    assert not stop.isVisible()
    assert store.get_session(session.id).phase is SessionPhase.OBSERVATION
    # waste of what was drawn up, with a witness
    waste = window.show_waste()
    waste.amount.setValue(1.6)
    click_ok(qtbot, waste)
    assert waste.isVisible() and waste.form_layout.error_text("witness")
    qtbot.keyClicks(waste.witness, "RN B")
    shot(waste, "waste", tmp_path)
    click_ok(qtbot, waste)
    assert not waste.isVisible(), waste.form_layout.refusal_text()
    (wasted,) = [e for e in store.events(session.id) if e.payload.get("action") == "waste"]
    assert wasted.payload["witness"] == "RN B" and wasted.payload["amount_mg"] == 1.6
