"""Training mode: banner, trainer panel (faults, physiology, speed, scenarios) and debrief."""

from __future__ import annotations

import numpy as np
from console_helpers import run_for, run_until
from PySide6.QtCore import Qt

from sessionmon.clock import ManualClock, ScaledClock
from sessionmon.ui.trainer import TrainerPanel


def test_simulator_session_has_banner_and_live_values(qtbot, training_console, clock, store):
    controller = training_console.controller
    window = training_console.window
    session = controller.start_simulated_session()
    run_for(training_console, clock, 10)
    assert window.banner.isVisibleTo(window)
    assert window.banner.text() == "SIMULATION - NOT A PATIENT"
    assert store.get_session(session.id).simulated
    assert window.hr_tile.value.text().isdigit()
    # About 6 s of pleth (a few beats, like a bedside monitor), swept edge to edge: one slot
    # per sample across the width, all drawn but the erase gap ahead of the write point.
    spo2 = controller.view.spo2
    assert len(spo2.pleth) / spo2.pleth_rate_hz == 6.0
    wave = window.spo2_tile.wave
    assert wave.slots / spo2.pleth_rate_hz == 6.0
    drawn = np.isfinite(wave.trace)
    assert drawn.sum() == wave.slots - wave.gap_slots


def test_trainer_injects_a_fault_and_changes_physiology(qtbot, training_console, clock):
    controller = training_console.controller
    trainer = training_console.trainer
    controller.start_simulated_session()
    run_for(training_console, clock, 5)
    qtbot.mouseClick(trainer.fault_buttons[("oximeter", "sensor_off")], Qt.MouseButton.LeftButton)
    run_until(
        training_console,
        clock,
        lambda: any(a.condition == "oximeter_sensor_off" for a in controller.view.alarms),
        30,
    )
    assert controller.view.spo2.spo2.stale
    assert training_console.window.spo2_tile.stale
    qtbot.mouseClick(
        trainer.fault_buttons[("oximeter", "clear:sensor_off")], Qt.MouseButton.LeftButton
    )
    trainer.targets["hr"].setValue(130)
    trainer.over.setValue(0)
    qtbot.mouseClick(trainer.apply_button, Qt.MouseButton.LeftButton)
    run_until(training_console, clock, lambda: controller.view.hr.value.isdigit(), 30)
    run_until(training_console, clock, lambda: int(controller.view.hr.value) > 120, 60)
    assert training_console.window.hr_tile.value.text() == controller.view.hr.value


def test_speed_and_pause_drive_a_scaled_clock(qtbot, store, config_dir):
    from console_helpers import make_scaled_console

    base = ManualClock()
    clock = ScaledClock(base, 1.0)
    console = make_scaled_console(qtbot, store, clock, config_dir)
    try:
        console.trainer.speed.setValue(30)
        assert clock.speed == 30
        base.advance(2.0)
        assert clock.monotonic() == 60.0
        qtbot.mouseClick(console.trainer.pause_button, Qt.MouseButton.LeftButton)
        base.advance(5.0)
        assert clock.monotonic() == 60.0
        assert console.trainer.pause_button.text() == "Resume"
        qtbot.mouseClick(console.trainer.pause_button, Qt.MouseButton.LeftButton)
        base.advance(1.0)
        assert clock.monotonic() == 90.0
    finally:
        console.close()


def test_scenario_plays_physiology_and_debrief_reports_response_times(
    qtbot, training_console, clock, store
):
    controller = training_console.controller
    trainer: TrainerPanel = training_console.trainer
    index = trainer.scenario.findData("desaturation-deep-sedation")
    assert index >= 0, "built-in scenarios are listed"
    trainer.scenario.setCurrentIndex(index)
    qtbot.mouseClick(trainer.start_button, Qt.MouseButton.LeftButton)
    session = controller.runtime.session
    assert session.scenario
    assert controller.playback.expected_actions, "the scenario's nurse actions are kept"
    run_until(
        training_console,
        clock,
        lambda: any(a.condition == "spo2_low" for a in controller.view.alarms),
        3 * 3600,
        10.0,
    )
    # The trainer's physiology fields follow what the scenario did to the patient.
    final = controller.physiology_targets()
    assert final["spo2"] < 90
    assert trainer.targets["spo2"].value() == round(final["spo2"])
    run_for(training_console, clock, 20, 1.0)
    controller.acknowledge()
    dialog = training_console.window.show_debrief()
    spo2 = [r for r in controller.debrief().responses if r.condition == "spo2_low"]
    assert spo2 and spo2[0].response_s is not None and spo2[0].response_s >= 20
    assert dialog.alarms.rowCount() >= 1
    assert dialog.checks.rowCount() >= 1


def test_trainer_fields_follow_the_patient_except_the_one_being_edited(
    qtbot, training_console, clock
):
    controller = training_console.controller
    trainer = training_console.trainer
    controller.start_simulated_session()
    run_for(training_console, clock, 2)
    assert trainer.targets["spo2"].value() == 98
    trainer.targets["hr"].setValue(100)  # the trainer is typing a new heart rate
    controller.change_physiology({"spo2": 86.0, "hr": 60.0, "sys": 150.0}, 30.0)  # a scenario
    run_for(training_console, clock, 1)
    assert trainer.targets["spo2"].value() == 86, "the final target, not the ramp"
    assert trainer.targets["sys"].value() == 150
    assert trainer.targets["hr"].value() == 100, "what the trainer is typing is kept"
    trainer.over.setValue(0)
    qtbot.mouseClick(trainer.apply_button, Qt.MouseButton.LeftButton)
    run_for(training_console, clock, 1)
    assert controller.physiology_targets()["hr"] == 100
    controller.change_physiology({"hr": 90.0}, 0.0)
    run_for(training_console, clock, 1)
    assert trainer.targets["hr"].value() == 90, "applied: the field follows again"
