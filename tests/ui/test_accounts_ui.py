"""Signing in at the console: the first-run admin, the simulator's built-in trainee, Switch user
(Ctrl+U), the signed-in user in every "by", and the role gates."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel
from test_session_endings_ui import run_cli_console
from test_workflow import press

from sessionmon.accounts import TRAINEE, AccountBook, Role
from sessionmon.cli import main
from sessionmon.model import EventKind
from sessionmon.store import SessionStore
from sessionmon.ui.controller import AUDIO_ACK_WITHOUT_SESSION

PINS = {"boss": "boss-pin-1", "alee": "alee-pin-2", "drk": "drk-pin-3", "tom": "tom-pin-4"}
NURSE = "Ann Lee (alee, nurse)"
PRESCRIBER = "Dr Kay (drk, prescriber)"


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """Cheaper argon2id parameters, for speed (tests/test_accounts.py checks the real ones)."""
    monkeypatch.setattr(
        "sessionmon.accounts.hashing._HASHER",
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
    )


def staff(store, clock) -> None:
    book = AccountBook(store, clock)
    book.add("boss", "Ada Boss", Role.ADMIN, PINS["boss"], "first run")
    book.add("alee", "Ann Lee", Role.NURSE, PINS["alee"], "Ada Boss (boss, admin)")
    book.add("drk", "Dr Kay", Role.PRESCRIBER, PINS["drk"], "Ada Boss (boss, admin)")
    book.add("tom", "Tom Teach", Role.TRAINER, PINS["tom"], "Ada Boss (boss, admin)")


def click_ok(qtbot, dialog) -> None:
    buttons = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def switch_user(qtbot, window, username: str, pin: str | None = None):
    """Ctrl+U (in the window, or in the dialog in front), the username, the PIN, OK."""
    window.show()
    front = QApplication.activeModalWidget() or window
    front.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is front, timeout=2000)
    qtbot.keyClick(front, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    dialog = window.dialogs["sign_in"]
    assert dialog.isVisible() and dialog.windowTitle() == "Switch user"
    dialog.username.setText("")
    qtbot.keyClicks(dialog.username, username)
    qtbot.keyClicks(dialog.pin, pin if pin is not None else PINS[username])
    click_ok(qtbot, dialog)
    return dialog


def test_first_run_of_the_real_console_walks_through_creating_the_admin(
    qtbot, tmp_path, config_dir, capsys
):
    db = tmp_path / "clinic.db"

    def inside(window):
        dialog = window.dialogs.get("first_admin")
        assert dialog is not None and dialog.isVisible(), "no first-run admin dialog"
        assert window.controller.user.account is None
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=2000)
        qtbot.keyClick(dialog, Qt.Key.Key_F1)  # alarms never wait for a sign-in
        # F1 reached the console: no session, or (no sound here) the bar's AUDIO UNAVAILABLE
        assert window.message.text() in ("Start a session first.", AUDIO_ACK_WITHOUT_SESSION)
        qtbot.keyClicks(dialog.username, "boss")
        qtbot.keyClicks(dialog.full_name, "Ada Boss")
        qtbot.keyClicks(dialog.pin, "short")
        qtbot.keyClicks(dialog.again, "short")
        click_ok(qtbot, dialog)
        assert dialog.isVisible() and "at least 8 characters" in dialog.error.text()
        qtbot.keyClicks(dialog.pin, PINS["boss"])
        qtbot.keyClicks(dialog.again, "something-else")
        click_ok(qtbot, dialog)
        assert "differ" in dialog.error.text()
        qtbot.keyClicks(dialog.pin, PINS["boss"])
        qtbot.keyClicks(dialog.again, PINS["boss"])
        click_ok(qtbot, dialog)
        assert not dialog.isVisible()
        return window.controller.user.account, window.user_label.text()

    code, (account, label) = run_cli_console(["--db", str(db)], inside)
    assert code == 0 and account.role is Role.ADMIN and account.username == "boss"
    assert label == "Signed in: Ada Boss (boss, admin)"
    capsys.readouterr()
    assert main(["--db", str(db), "users", "list"]) == 0
    assert "boss" in capsys.readouterr().out


def test_the_simulator_is_one_click_and_its_records_name_the_built_in_trainee(
    qtbot, tmp_path, config_dir
):
    db = tmp_path / "training.db"

    def inside(window):
        assert "sign_in" not in window.dialogs and "first_admin" not in window.dialogs
        controller = window.controller
        assert controller.user.account is TRAINEE
        qtbot.keyClick(window, Qt.Key.Key_F1)  # acknowledge
        return controller.runtime.session_id, window.user_label.text()

    code, (session_id, label) = run_cli_console(["--db", str(db), "--simulator"], inside)
    assert code == 0 and "Trainee (built-in trainee, simulator)" in label
    with SessionStore.open(db, __import__("sessionmon.clock").clock.SystemClock()) as store:
        session = store.get_session(session_id)
        acts = [e for e in store.events(session_id) if e.kind is EventKind.NURSE_ACTION]
    assert session.simulated
    assert acts and all(e.by == "Trainee (built-in trainee, simulator)" for e in acts)


def live_session(qtbot, console):
    from test_workflow import fill_new_session

    console.controller.settings.simulated_devices = True
    dialog = console.window.show_new_session()
    fill_new_session(qtbot, dialog)
    dialog.try_accept()
    return console.controller.runtime.session


def test_switch_user_is_ctrl_u_and_a_pin_and_the_user_fills_every_by(qtbot, console, store, clock):
    staff(store, clock)
    window, controller = console.window, console.controller
    assert window.user_label.text() == "Not signed in (Ctrl+U)"
    dialog = switch_user(qtbot, window, "alee", "not-my-pin")
    assert dialog.isVisible() and "4 tries left" in dialog.error.text()
    assert dialog.pin.text() == "", "a refused PIN is cleared"
    switch_user(qtbot, window, "alee")
    assert not window.dialogs["sign_in"].isVisible()
    assert window.user_label.text() == f"Signed in: {NURSE}"
    session = live_session(qtbot, console)
    press(qtbot, window, Qt.Key.Key_F1)
    dose = window.show_dose()
    assert dose.by.text() == NURSE and dose.by.isReadOnly(), "by is filled, not typed"
    dose.close()
    controller.dose("typed name is ignored", confirm_unanswered=True)
    switch_user(qtbot, window, "drk")
    controller.annotate("seen by the prescriber")
    events = store.events(session.id)
    by = {(e.kind, e.payload.get("action") or e.text): e.by for e in events}
    assert by[(EventKind.NURSE_ACTION, "acknowledge")] == NURSE
    assert next(e.by for e in events if e.kind is EventKind.DOSE_GIVEN) == NURSE
    assert next(e.by for e in events if e.text == "seen by the prescriber") == PRESCRIBER
    assert store.verify_audit().ok
    sign_ins = [json.loads(body)["result"] for _at, _ok, body in store.sign_ins_since("alee", None)]
    assert sign_ins == ["wrong", "ok"]


def test_only_a_prescriber_overrides_a_contraindication(qtbot, console, store, clock):
    from test_dosing_dialogs import answer_all_clear

    staff(store, clock)
    window, controller = console.window, console.controller
    switch_user(qtbot, window, "alee")
    session = live_session(qtbot, console)
    safety = window.show_safety_checklist()
    answer_all_clear(safety)
    safety.answer("intracerebral_haemorrhage", "yes")
    click_ok(qtbot, safety)
    override = window.show_override()
    assert override.prescriber.text() == NURSE and override.prescriber.isReadOnly()
    qtbot.keyClicks(override.reason, "remote bleed, neurology cleared")
    click_ok(qtbot, override)
    assert override.isVisible()
    assert "Only a prescriber may override a contraindication" in override.form_layout.error_text(
        "prescriber"
    )
    switch_user(qtbot, window, "drk")  # the prescriber steps in, the dialog still open
    assert override.prescriber.text() == PRESCRIBER
    click_ok(qtbot, override)
    assert not override.isVisible()
    actions = [(e.payload.get("action"), e.by) for e in store.events(session.id)]
    assert ("contraindication_override", PRESCRIBER) in actions
    assert controller.runtime.dosing_status().override is not None


def test_only_a_prescriber_overrides_a_refused_discharge(qtbot, console, store, clock):
    from console_helpers import run_for

    staff(store, clock)
    window, controller = console.window, console.controller
    window.lock_screen.minutes = 60.0  # a clinic that locks after an hour: no lock here
    switch_user(qtbot, window, "alee")
    live_session(qtbot, console)
    controller.dose("x", confirm_unanswered=True)
    run_for(console, clock, 30 * 60, 60)
    dialog = window.show_discharge()
    assert not dialog.view.allowed and dialog.override_by.text() == NURSE
    qtbot.keyClicks(dialog.override_reason, "patient well")
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    assert "Only a prescriber may override a refused discharge" in dialog.override_error.text()
    switch_user(qtbot, window, "drk")
    dialog = window.show_discharge()
    qtbot.keyClicks(dialog.override_reason, "patient well")
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    error = dialog.override_error.text()
    assert "Only a prescriber" not in error  # past the gate: the protocol's own rules apply
    assert "minimum observation time cannot be overridden" in error


def test_only_an_admin_changes_the_alarm_defaults_each_change_audited(
    qtbot, console, store, clock, config_dir
):
    from sessionmon.ui.settings import ConsoleSettings

    staff(store, clock)
    window, controller = console.window, console.controller
    switch_user(qtbot, window, "alee")
    live_session(qtbot, console)
    low = {"spo2_low": {"medium": {"threshold": 92.0}}}
    controller.set_alarm_limits(low, None)
    assert controller.runtime.profile.limits["spo2_low"].medium.threshold == 92
    assert "this session only" in window.message.text()
    assert ConsoleSettings.load(config_dir).alarm_limits == {}
    assert store.clinic_changes("alarm_defaults") == []
    switch_user(qtbot, window, "boss")
    lower = {"spo2_low": {"medium": {"threshold": 91.0}}}
    controller.set_alarm_limits(lower, None)
    assert ConsoleSettings.load(config_dir).alarm_limits == lower
    ((_at, body),) = store.clinic_changes("alarm_defaults")
    assert json.loads(body) == {"by": "Ada Boss (boss, admin)", "before": {}, "after": lower}
    assert store.verify_audit().ok


def test_only_a_trainer_runs_scenarios(qtbot, training_console, store, clock):
    from test_session_endings_ui import controller_scenario_id

    staff(store, clock)
    window, controller = training_console.window, training_console.controller
    switch_user(qtbot, window, "alee")
    assert controller.run_scenario(controller_scenario_id()) is None
    assert "Only a trainer may run training scenarios" in window.message.text()
    switch_user(qtbot, window, "tom")
    session = controller.run_scenario(controller_scenario_id())
    assert session is not None and session.simulated


# --------------------------------------------------------------------------- the lock screen


#: Seconds from the SpO2 fall to the alarm sounding, unlocked and locked (filled by the test).
ALARM_TIMES: dict[bool, float] = {}


@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked"])
def test_an_alarm_arriving_while_locked_shows_and_sounds_in_the_usual_time(
    qtbot, console, store, clock, locked, tmp_path
):
    import os

    from console_helpers import run_for, run_until

    staff(store, clock)
    window, controller = console.window, console.controller
    window.resize(1280, 800)
    switch_user(qtbot, window, "alee")
    session = live_session(qtbot, console)
    lock = window.lock_screen
    run_for(console, clock, 4 * 60, 30)
    assert not lock.locked, "locked before 5 minutes without input"
    if not locked:
        lock.minutes = 60.0  # the same times, a clinic that locks later
    run_for(console, clock, 65, 5)
    if locked:
        assert lock.locked and window.header.pseudonym.isHidden()
        assert window.trends.isHidden() and window.action_row.isHidden()
        assert window.lock_screen.panel.isVisible() and window.spo2_tile.isVisible()
    start = clock.monotonic()
    controller.change_physiology({"spo2": 82.0}, 0.0)
    run_until(console, clock, lambda: console.audio.sounding is not None, 60, 0.5)
    took = clock.monotonic() - start
    assert window.alarm_bar.isVisible() and controller.view.alarms
    assert any(a.condition.startswith("spo2") for a in controller.view.alarms)
    # The usual time (unlocked: 16 s on the manual clock, the SpO2 averaging and the alarm
    # delay); the lock adds nothing to it.
    assert took <= 20.0, f"the alarm took {took:.1f} s"
    ALARM_TIMES[locked] = took
    if len(ALARM_TIMES) == 2:
        assert ALARM_TIMES[True] <= ALARM_TIMES[False], ALARM_TIMES
    assert lock.locked is locked
    if locked:
        if os.environ.get("SESSIONMON_DOCS_SHOTS"):
            window.grab().save(os.path.join(os.environ["SESSIONMON_DOCS_SHOTS"], "lock.png"))
        press(qtbot, window, Qt.Key.Key_F1)
        assert lock.locked, "F1 acknowledges, it does not unlock"
        ack = [e for e in store.events(session.id) if e.payload.get("action") == "acknowledge"]
        assert ack[-1].text.endswith("(acknowledged while locked)") and ack[-1].by == NURSE
        assert ack[-1].payload["while_locked"] is True


def test_unlock_takes_the_pin_and_brings_back_what_was_shown(qtbot, console, store, clock):
    from console_helpers import run_for

    staff(store, clock)
    window = console.window
    switch_user(qtbot, window, "alee")
    live_session(qtbot, console)
    note = window.show_annotation()
    assert note.isVisible()
    run_for(console, clock, 6 * 60, 30)
    lock = window.lock_screen
    assert lock.locked and not note.isVisible(), "an open form is hidden"
    qtbot.mouseClick(lock.panel.unlock_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs["unlock"]
    assert dialog.username.text() == "alee"
    qtbot.keyClicks(dialog.pin, "wrong-pin-0")
    click_ok(qtbot, dialog)
    assert lock.locked and "tries left" in dialog.error.text()
    qtbot.keyClicks(dialog.pin, PINS["alee"])
    click_ok(qtbot, dialog)
    assert not lock.locked and note.isVisible() and window.header.pseudonym.isVisible()
    assert window.trends.isVisible() and not lock.panel.isVisible()


def test_any_key_or_click_resets_the_idle_time_and_only_an_armed_lock_watches_input(
    qtbot, console, store, clock
):
    from console_helpers import run_for

    window = console.window
    lock = window.lock_screen
    run_for(console, clock, 10, 5)
    assert not lock.watching_input, "nobody signed in: no lock, no application-wide filter"
    staff(store, clock)
    switch_user(qtbot, window, "alee")
    live_session(qtbot, console)
    run_for(console, clock, 4 * 60, 30)
    assert lock.watching_input and not lock.locked
    qtbot.keyClick(window.trends, Qt.Key.Key_Shift)  # a key anywhere in the window is input
    run_for(console, clock, 4 * 60, 30)
    assert not lock.locked, "the key press 4 minutes ago reset the idle time"
    qtbot.mouseClick(window.header, Qt.MouseButton.LeftButton)
    run_for(console, clock, 4 * 60, 30)
    assert not lock.locked, "the click 4 minutes ago reset the idle time"
    run_for(console, clock, 90, 30)
    assert lock.locked, "5 minutes 30 without input lock the console"
    assert not lock.watching_input, "locked, only the PIN unlocks"
    lock.unlock()
    run_for(console, clock, 1, 1)
    assert lock.watching_input and not lock.locked
    window.quit_confirmed = True
    window.close()
    assert not lock.watching_input, "a closed console leaves no filter on the application"


# --------------------------------------------------------------------------- the e-signature


def test_signing_re_asks_the_pin_and_binds_the_manifest_to_the_audit_hash(
    qtbot, training_console, store, clock, tmp_path
):
    import os
    import sqlite3

    from pypdf import PdfReader

    from sessionmon.export import export_session

    staff(store, clock)
    window, controller = training_console.window, training_console.controller
    window.lock_screen.minutes = 600.0  # no lock during the two hours here
    switch_user(qtbot, window, "alee")
    session = controller.start_simulated_session()
    runtime = controller.runtime
    runtime.start_baseline(by=NURSE)
    runtime.record_bp(124, 78, by=NURSE)
    runtime.dose(by=NURSE, confirm_unanswered=True)
    for _ in range(121):
        clock.advance(60)
        runtime.tick()
    runtime.record_bp(126, 79, by=NURSE)
    for scale, total in (("moaas", 5), ("aldrete", 10)):
        runtime.record_checklist(scale, total=total, by=NURSE)
    if not runtime.attempt_discharge(by=NURSE).allowed:
        controller.user.sign_in("drk", PINS["drk"])
        controller.override_discharge("x", "missed checks; stable since")
        controller.user.sign_in("alee", PINS["alee"])
    sign = window.show_sign_off()
    assert sign.by.text() == NURSE and sign.by.isReadOnly()
    manifest_label = sign.findChild(QLabel, "signatureManifest")
    assert "monitoring record reviewed and signed" in manifest_label.text()
    click_ok(qtbot, sign)
    assert sign.isVisible() and "password or PIN" in sign.form_layout.error_text("pin")
    qtbot.keyClicks(sign.pin, "not-my-pin")
    click_ok(qtbot, sign)
    assert sign.isVisible() and "4 tries left" in sign.form_layout.error_text("pin")
    assert sign.pin.text() == ""
    qtbot.keyClicks(sign.pin, PINS["alee"])
    click_ok(qtbot, sign)
    assert not sign.isVisible()
    (event,) = [e for e in store.events(session.id) if e.kind is EventKind.SIGN_OFF]
    signature = event.payload["signature"]
    assert signature["printed_name"] == "Ann Lee" and signature["role"] == "nurse"
    assert signature["meaning"] == "monitoring record reviewed and signed"
    assert signature["signed_at_utc"].endswith(" UTC") and signature["signed_at_local"]
    # Bound to the audit chain as it was: that entry exists and has that hash, and the
    # sign-off's own entry comes after it.
    raw = sqlite3.connect(store.path)
    (digest,) = raw.execute(
        "SELECT entry_sha256 FROM audit WHERE seq = ?", (signature["audit_seq"],)
    ).fetchone()
    (row_id,) = raw.execute(
        "SELECT row_id FROM events WHERE event_id = ?", (str(event.id),)
    ).fetchone()
    (signed_entry,) = raw.execute(
        "SELECT seq FROM audit WHERE target = 'events' AND ? BETWEEN first_row AND last_row",
        (row_id,),
    ).fetchone()
    raw.close()
    assert digest == signature["audit_sha256"] and signed_entry > signature["audit_seq"]
    assert store.verify_audit().ok
    # The report carries the manifest.
    pdf = tmp_path / "report.pdf"
    export_session(store, session.id, "pdf", pdf, clock=clock, by=NURSE)
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "monitoring record reviewed and signed" in text
    assert "Ann Lee (alee), nurse" in text and signature["audit_sha256"][:16] in text
    exported = tmp_path / "record.json"
    export_session(store, session.id, "json", exported, clock=clock, by=NURSE)
    body = json.loads(exported.read_text())["record"]
    signed = [e["event"] for e in body["events"] if e["event"]["kind"] == "sign_off"]
    assert signed[0]["payload"]["signature"] == signature
    if os.environ.get("SESSIONMON_DOCS_SHOTS"):
        import shutil

        shutil.copy(pdf, os.path.join(os.environ["SESSIONMON_DOCS_SHOTS"], "signed.pdf"))
