"""Rough edges of the console, each as the nurse meets it: checklist totals and messages, the
annotation dialog, the trend axis from the dose, history over a live scenario, the trainer."""

from __future__ import annotations

from console_helpers import run_for
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from sessionmon.model import SessionPhase
from sessionmon.ui.dialogs.annotation import CANNED_NOTES


def ok(qtbot, dialog) -> None:
    button = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_checklist_total_and_missing_items_follow_the_answers(qtbot, training_console, clock):
    training_console.controller.start_simulated_session()
    dialog = training_console.window.show_checklist("moaas")
    assert dialog.total_label.text() == "MOAA/S: not answered yet"
    dialog.set_answer(1, 5)
    assert dialog.total_label.text() == "MOAA/S 5"
    dialog.scale_box.setCurrentIndex(dialog.scale_box.findData("cadss6"))
    assert dialog.total_label.text() == "CADSS-6: no item answered yet"
    dialog.set_answer(1, 2)
    assert dialog.total_label.text() == "CADSS-6 total 2 so far (1 of 6 items answered)"
    ok(qtbot, dialog)
    assert dialog.error_label.text() == "Answer every item; not answered: 2, 6, 7, 15, 22."
    for number in (2, 6, 7):
        dialog.set_answer(number, 0)
    assert dialog.error_label.text() == "Answer every item; not answered: 15, 22."
    dialog.set_answer(15, 1)
    dialog.set_answer(22, 0)
    assert dialog.error_label.text() == "", "the message goes once every item is answered"
    assert dialog.total_label.text() == "CADSS-6 total 3 (all 6 items answered)"
    # Every scale's whole name fits in the scale chooser.
    box = dialog.scale_box
    longest = max(box.fontMetrics().horizontalAdvance(box.itemText(i)) for i in range(box.count()))
    assert box.width() >= longest + 20 or box.sizeHint().width() >= longest + 20
    assert box.view().minimumWidth() >= longest


def test_annotation_dialog_shows_every_canned_note_and_fills_none_until_picked(
    qtbot, training_console, clock, store
):
    controller = training_console.controller
    session = controller.start_simulated_session()
    dialog = training_console.window.show_annotation()
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() >= 560
    assert dialog.text.toPlainText() == "", "no note is chosen for the nurse"
    canned = dialog.canned
    for row in range(canned.count()):
        rect = canned.visualItemRect(canned.item(row))
        text_width = canned.fontMetrics().horizontalAdvance(canned.item(row).text())
        assert rect.bottom() <= canned.viewport().height(), "every note is visible"
        assert text_width <= canned.viewport().width(), canned.item(row).text()
    rect = canned.visualItemRect(canned.item(2))
    qtbot.mouseClick(canned.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.note() == CANNED_NOTES[2]
    ok(qtbot, dialog)
    assert any(e.text == CANNED_NOTES[2] for e in store.events(session.id))


def test_trend_axis_counts_minutes_from_the_dose(qtbot, training_console, clock):
    controller = training_console.controller
    window = training_console.window
    controller.start_simulated_session()
    run_for(training_console, clock, 4 * 60, step_s=10)
    axis = window.trends.bp_plot.getAxis("bottom")
    assert "no dose" in axis.labelText
    assert axis.tickStrings([0.0, 4.0], 1.0, 1.0) == ["0", "4"]
    controller.dose("RN A", confirm_unanswered=True)
    run_for(training_console, clock, 10 * 60, step_s=10)
    assert axis.labelText == "min from dose"
    # 4 minutes after the start is the dose: 0 on the axis, as in the header and the PDF.
    assert axis.tickStrings([4.0, 14.0], 1.0, 10.0) == ["0", "10"]
    assert window.header.since_dose.text().startswith("Dose +10:")
    levels = axis.tickValues(0.0, 14.0, 400)
    assert any(abs(v - 4.0) < 1e-9 for _, values in levels for v in values), levels


def test_opening_history_over_a_live_scenario_asks_first(qtbot, training_console, clock, store):
    controller = training_console.controller
    window = training_console.window
    first = controller.start_simulated_session()
    run_for(training_console, clock, 5)
    controller.shutdown()  # leaves a finished training session to open
    controller.start_simulated_session(pseudonym="SIM-0002")
    live = controller.runtime.session
    history = window.show_history()
    row = next(
        r for r in range(history.table.rowCount()) if history.table.item(r, 1).text() == "SIM-0001"
    )
    history.table.selectRow(row)
    qtbot.mouseClick(history.open_button, Qt.MouseButton.LeftButton)
    ask = window.dialogs["leave_training"]
    assert isinstance(ask, QMessageBox) and ask.isVisible()
    assert controller.runtime is not None and controller.runtime.session.id == live.id
    keep = next(b for b in ask.buttons() if b.text() == "Keep it running")
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    assert controller.runtime.session.id == live.id, "nothing replaced without asking"
    history = window.show_history()
    history.table.selectRow(row)
    qtbot.mouseClick(history.open_button, Qt.MouseButton.LeftButton)
    ask = window.dialogs["leave_training"]
    go = next(b for b in ask.buttons() if b.text() == "End it and open")
    qtbot.mouseClick(go, Qt.MouseButton.LeftButton)
    assert controller.runtime is None and controller.read_only_session.id == first.id
    assert store.get_session(live.id).phase is SessionPhase.CLOSED


def test_the_trainer_panel_says_the_trainee_does_the_nurse_steps(training_console):
    note = training_console.trainer.trainee_note.text()
    assert "not done for you" in note and "trainee does them" in note
