"""The treatment course in the console: a new session joins the patient's open course, the
questionnaire form (and its kiosk view) records a PHQ-9, item 9 raises the prescriber's alarm,
and the course view shows the outcomes and sessions."""

from __future__ import annotations

from PySide6.QtCore import Qt

from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.settings import DeviceChoice


def _form(pseudonym: str = "P-COURSE") -> NewSessionForm:
    return NewSessionForm(
        pseudonym=pseudonym,
        sex="female",
        treatment="esketamine-84",
        dose_mg="84",
        lot_number="L1",
        monitoring_provider="Dr. K. Example",
    )


def _answer(qtbot, form, scores: list[int]) -> None:
    for number, score in enumerate(scores, start=1):
        qtbot.mouseClick(form.groups[number].button(score), Qt.MouseButton.LeftButton)


def test_questionnaire_form_records_phq9_and_item_9_alarms(console, qtbot, store, pty_port):
    controller, window = console.controller, console.window
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-v7", pty_port)}
    session = controller.new_session(_form())
    assert session is not None and session.course_id is not None
    course = store.get_course(session.course_id)
    assert course.pseudonym == "P-COURSE" and course.status.value == "open"
    form = window.show_questionnaire("phq9")
    assert not form.done_button.isEnabled()
    _answer(qtbot, form, [2, 2, 2, 1, 1, 1, 1, 0, 1])
    assert form.done_button.isEnabled()
    qtbot.mouseClick(form.done_button, Qt.MouseButton.LeftButton)
    (event,) = [e for e in store.events(session.id) if e.payload.get("scale") == "phq9"]
    assert event.payload["total"] == 11 and event.payload["answers"]["9"] == 1
    store.flush()
    assert "suicide_risk_screen" in {a.condition for a in store.alarms(session.id)}
    kiosk = window.show_questionnaire("gad7", kiosk=True)
    assert kiosk.windowState() & Qt.WindowState.WindowFullScreen
    _answer(qtbot, kiosk, [1] * 7)
    qtbot.mouseClick(kiosk.done_button, Qt.MouseButton.LeftButton)
    (gad,) = [e for e in store.events(session.id) if e.payload.get("scale") == "gad7"]
    assert gad.payload["context"] == "tablet" and gad.payload["total"] == 7
    dialog = window.show_course()
    assert dialog is not None and len(dialog.charts) == 2
    assert "PHQ-9 11" in dialog.headline.text() and dialog.table.rowCount() == 1
    assert "ALERT" in dialog.table.item(0, 9).text()
    assert not dialog.grab().isNull()


def test_the_next_session_joins_the_same_course_and_carries_forward(
    console, qtbot, store, pty_port
):
    controller = console.controller
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-v7", pty_port)}
    first = controller.new_session(_form("P-TWO"))
    details = controller.course_details("P-TWO")
    assert details["treatment"].dose_mg == 84
    assert details["monitoring_provider"] == "Dr. K. Example"
    assert controller.course_details("NOBODY") == {}
    assert store.open_course("P-TWO").id == first.course_id
    dialog = console.window.show_new_session()
    dialog.set_form(NewSessionForm())
    qtbot.keyClicks(dialog.pseudonym, "P-TWO")
    dialog.pseudonym.editingFinished.emit()
    assert dialog.dose_mg.text() == "84" and dialog.treatment.currentData() == "esketamine-84"
    assert dialog.monitoring_provider.text() == "Dr. K. Example"
    assert dialog.sex.currentData() == "female" and "open treatment course" in dialog.note.text()


def test_new_session_form_opens_the_course_with_its_indication_and_schedule(
    console, qtbot, store, pty_port
):
    controller, window = console.controller, console.window
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-v7", pty_port)}
    dialog = window.show_new_session()
    dialog.set_form(_form("P-GAD"))
    dialog.pseudonym.editingFinished.emit()
    assert dialog.indication.isEnabled()  # no open course: the nurse sets it
    dialog.indication.setCurrentIndex(dialog.indication.findData("other"))
    assert not dialog.try_accept()  # 'other' needs its free text
    assert "Say which indication" in dialog.form_layout.errors["indication_other"].text()
    dialog.indication.setCurrentIndex(dialog.indication.findData("gad"))
    qtbot.keyClicks(dialog.schedule, "6x7")
    assert dialog.try_accept()
    session = controller.runtime.session
    course = store.get_course(session.course_id)
    assert course.indication.value == "gad" and course.schedule[0].count == 6
    details = controller.course_details("P-GAD")
    assert details["course"].id == course.id
    again = window.show_new_session()
    again.set_form(NewSessionForm())
    qtbot.keyClicks(again.pseudonym, "P-GAD")
    again.pseudonym.editingFinished.emit()
    assert not again.indication.isEnabled() and again.indication.currentData() == "gad"
    assert again.schedule.text() == "6x7" and "generalised" not in again.note.text()
    assert "gad, from" in again.note.text()
    view = window.show_course()
    assert "P-GAD: gad, esketamine-84" in view.title.text()
    assert "planned" in view.schedule.text() and "Due now" in view.schedule.text()


def test_course_view_edits_closes_and_exports_de_identified(
    console, qtbot, store, pty_port, tmp_path
):
    controller, window = console.controller, console.window
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-v7", pty_port)}
    form = _form("P-EDIT")
    form.name = "Ann Smithers"
    session = controller.new_session(form)
    form = window.show_questionnaire("phq9")
    _answer(qtbot, form, [2, 2, 2, 1, 1, 1, 1, 0, 0])
    qtbot.mouseClick(form.done_button, Qt.MouseButton.LeftButton)
    view = window.show_course()
    panel = view.actions
    assert not panel.isVisible()
    qtbot.mouseClick(view.manage_button, Qt.MouseButton.LeftButton)
    assert panel.isVisible()
    panel.indication.setCurrentIndex(panel.indication.findData("ptsd"))
    panel.schedule.setText("bogus")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert "Not done" in panel.message.text() and "COUNTxDAYS" in panel.message.text()
    panel.schedule.setText("6x3.5")
    qtbot.keyClicks(panel.reason, "trauma focus")
    qtbot.keyClicks(panel.by, "RN Kim")
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    view = window.dialogs["course"]  # shown again with the changed course
    assert "ptsd" in view.title.text() and "Saved" in view.actions.message.text()
    course = store.get_course(session.course_id)
    assert course.indication.value == "ptsd" and course.last_change.by == "RN Kim"
    assert course.last_change.fields["indication"] == ("depression", "ptsd")
    panel = view.actions
    target = tmp_path / "course.csv"
    panel.path.setText(str(target))
    assert panel.deidentify.isChecked()
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert "de-identified CSV" in panel.message.text()
    text = target.read_text()
    assert "P-EDIT" in text and "Smithers" not in text
    assert session.created_at.date().isoformat() not in text  # dates shifted
    view.grab().save(str(tmp_path / "course-view.png"))
    panel.close_reason.setCurrentIndex(panel.close_reason.findData("no_response"))
    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    view = window.dialogs["course"]
    assert "closed: no response" in view.title.text()
    assert not view.actions.close_button.isEnabled()
    assert store.open_course("P-EDIT") is None
    assert controller.course_details("P-EDIT") == {}  # a closed course is not offered
    history = store.course_history(session.course_id)
    assert [v.last_change.action for v in history[1:]] == ["edit", "close"]
