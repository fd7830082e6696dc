"""Render the console's main states to PNG files: ``python -m sessionmon.ui.screenshots docs``.

Runs offscreen with a ``ManualClock`` and simulated devices, so the pictures are the same on
every run. Each picture is 1366x768 (a clinic laptop); the live session is also rendered at
1920x1080 and 1024x600 (a small laptop, with the trainer panel: ``console-1024-trainer.png``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from sessionmon.clock import ManualClock
from sessionmon.ui.app import Console, application, build_console
from sessionmon.ui.settings import ConsoleSettings

SIZE = (1366, 768)


def advance(console: Console, clock: ManualClock, seconds: float, step_s: float = 1.0) -> None:
    """Run the session ``seconds`` forward in ``step_s`` ticks, then redraw."""
    remaining = seconds
    while remaining > 0:
        step = min(step_s, remaining)
        clock.advance(step)
        console.controller.acquire()
        remaining -= step
    console.controller.refresh()
    console.window.redraw_trends()


def settle(app: QApplication) -> None:
    """Let Qt lay out and paint."""
    for _ in range(3):
        app.processEvents()


def grab_with_dialog(window: QWidget, dialog: QWidget | None) -> QPixmap:
    """Return the window's picture with ``dialog`` drawn centred on top (dimming behind it)."""
    picture = window.grab()
    if dialog is None:
        return picture
    fit_to = getattr(dialog, "fit_to", None)
    if fit_to is not None:
        fit_to(picture.size())  # sized for the window's screen, as on a laptop of that size
    else:
        dialog.adjustSize()
    inner = dialog.grab()
    painter = QPainter(picture)
    painter.fillRect(picture.rect(), QColor(0, 0, 0, 140))
    x = max(0, (picture.width() - inner.width()) // 2)
    y = max(0, (picture.height() - inner.height()) // 2)
    painter.drawPixmap(QPoint(x, y), inner)
    painter.setPen(QColor("#8FA3B8"))
    painter.drawRect(x, y, inner.width() - 1, inner.height() - 1)
    painter.end()
    return picture


def new_console(store_dir: Path, simulator: bool = True) -> tuple[Console, ManualClock, object]:
    """A console on a fresh database, driven by a manual clock."""
    from sessionmon.store import SessionStore

    clock = ManualClock()
    store = SessionStore.open(store_dir / f"shots-{len(list(store_dir.iterdir()))}.db", clock)
    console = build_console(
        store, clock, ConsoleSettings(), simulator, settings_saver=lambda s: None
    )
    console.window.flash_phase_override = 0.0
    return console, clock, store


def live_session(console: Console, clock: ManualClock, respiration: bool = True) -> None:
    """A session 42 minutes after the dose, with BP readings and a checklist done (with the
    simulated capnograph unless ``respiration`` is False: an oximeter and an NIBP only)."""
    c = console.controller
    c.start_simulated_session(respiration=respiration)
    c.start_baseline()
    c.measure_bp()
    advance(console, clock, 120)
    c.dose("A. Nurse", confirm_unanswered=True)
    advance(console, clock, 38 * 60, 5.0)
    c.measure_bp()
    advance(console, clock, 4 * 60, 2.0)
    c.record_checklist("moaas", {1: 4})
    c.annotate("Patient dissociating, reassured")
    advance(console, clock, 30)
    console.window.trends.set_window(3600.0)
    c.refresh()
    console.window.redraw_trends()


def unfinished_session(store, clock: ManualClock) -> None:
    """Record a patient session dosed six days ago and never signed (for the reminder)."""
    from datetime import timedelta

    from sessionmon.model import Patient, Session, SessionPhase, Treatment

    start = clock.now() - timedelta(days=6, hours=2)
    session = Session(
        patient=Patient(pseudonym="P-0042"),
        treatment=Treatment.for_protocol("esketamine-84"),
        created_at=start,
        dose_at=start + timedelta(minutes=12),
        phase=SessionPhase.CLOSED,
        ended_at=start + timedelta(hours=2, minutes=20),
    )
    store.create_session(session)


def render(docs: Path) -> list[Path]:
    """Render every state into ``docs`` and return the files written."""
    app = application()
    docs.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        def save(pixmap: QPixmap, name: str) -> None:
            path = docs / name
            pixmap.save(str(path))
            written.append(path)

        # 1. live simulated session (and the same at 1920x1080)
        console, clock, store = new_console(folder)
        live_session(console, clock)
        for size, name in (
            (SIZE, "console-live.png"),
            ((1920, 1080), "console-live-1080p.png"),
            # the narrowest console, a small laptop with the trainer panel: RR beside the trends,
            # etCO2 and FiCO2 on its bottom line, no capnogram (no room for its tile)
            ((1024, 600), "console-1024-trainer.png"),
        ):
            console.window.resize(*size)
            console.window.show()
            settle(app)
            console.controller.refresh()
            console.window.redraw_trends()
            settle(app)
            save(console.window.grab(), name)
        # 1b. the same chair with only an oximeter and an NIBP (no capnograph)
        other, other_clock, other_store = new_console(folder)
        live_session(other, other_clock, respiration=False)
        other.window.resize(*SIZE)
        other.window.show()
        settle(app)
        other.controller.refresh()
        other.window.redraw_trends()
        settle(app)
        save(other.window.grab(), "console-live-oximeter-nibp.png")
        other.close()
        other_store.close()
        # 2. three alarms at once: desaturation (high), tachycardia (medium), no sound (low)
        console.window.resize(*SIZE)
        console.controller.change_physiology({"spo2": 80.0, "hr": 135.0}, 30.0)
        advance(console, clock, 60)
        settle(app)
        save(console.window.grab(), "console-high-alarm.png")
        # 3. the trainer panel with a fault injected
        console.controller.acknowledge()
        console.controller.inject_fault("oximeter", "sensor_off")
        advance(console, clock, 10)
        settle(app)
        save(console.window.grab(), "console-trainer.png")
        # 4. discharge refused
        dialog = console.window.show_discharge()
        settle(app)
        save(grab_with_dialog(console.window, dialog), "discharge-refused.png")
        dialog.close()
        # 5. the export dialog
        dialog = console.window.show_export()
        dialog.set_format("csv")
        dialog.waveform.setChecked(True)
        dialog.path.setText("/home/nurse/Documents/" + Path(dialog.path.text()).name)
        settle(app)
        save(grab_with_dialog(console.window, dialog), "export-dialog.png")
        dialog.close()
        console.close()
        store.close()
        # 6. the launch reminder: a patient session left unsigned, its REMS form due soon
        console, clock, store = new_console(folder, simulator=False)
        unfinished_session(store, clock)
        console.window.resize(*SIZE)
        console.window.show()
        console.controller.refresh()
        panel = console.window.show_launch_reminders()
        settle(app)
        save(grab_with_dialog(console.window, panel), "launch-reminder.png")
        panel.close()
        console.close()
        store.close()
        # 7. the new-session form, with in-place validation messages
        console, clock, store = new_console(folder, simulator=False)
        console.window.resize(*SIZE)
        console.window.show()
        dialog = console.window.show_new_session()
        dialog.pseudonym.setText("P-0042")
        dialog.date_of_birth.setText("1985-13-40")
        dialog.dose_mg.setText("90")
        dialog.monitoring_provider.setText("Dr. K. Example, Clinic North")
        dialog.concomitant["benzodiazepines"].setChecked(True)
        dialog.try_accept()
        settle(app)
        save(grab_with_dialog(console.window, dialog), "new-session-form.png")
        dialog.close()
        console.close()
        store.close()
    return written


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m sessionmon.ui.screenshots DOCS_DIR``."""
    args = sys.argv[1:] if argv is None else argv
    docs = Path(args[0] if args else "docs")
    for path in render(docs):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
