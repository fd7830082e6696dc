"""What the console shows at a small laptop (1024x600) and a clinic laptop (1366x768) is whole:
the discharge dialog's lists show every row, and nothing in it overlaps."""

from __future__ import annotations

import pytest
from console_helpers import run_for
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QApplication

from sessionmon.ui.controller import AUDIO_ACK_WITHOUT_SESSION
from sessionmon.ui.dialogs.discharge import DischargeDialog


def _refused_discharge(console, clock) -> DischargeDialog:
    """A discharge attempted 30 min after the dose with an SpO2 alarm: refused, with many rows."""
    controller = console.controller
    controller.start_simulated_session()
    controller.start_baseline()
    controller.record_manual_bp(124, 78)
    controller.dose("A. Nurse", confirm_unanswered=True)
    run_for(console, clock, 30 * 60, 60)
    controller.change_physiology({"spo2": 80.0, "hr": 135.0}, 30.0)
    run_for(console, clock, 60, 5)
    dialog = console.window.show_discharge()
    assert dialog is not None and not dialog.view.allowed
    return dialog


def _box(widget, top) -> QRect:
    return QRect(widget.mapTo(top, QPoint(0, 0)), widget.size())


@pytest.mark.parametrize("screen", [(1366, 768), (1024, 600)])
def test_discharge_lists_show_every_row_and_nothing_overlaps(
    qtbot, training_console, clock, screen
):
    dialog = _refused_discharge(training_console, clock)
    width, height = screen
    dialog.fit_to(QSize(width, height))
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() <= width and dialog.height() <= height
    assert dialog.blocking.count() >= 4 and dialog.criteria.count() >= 4
    for rows in (dialog.blocking, dialog.criteria):
        wanted = sum(rows.visualItemRect(rows.item(i)).height() for i in range(rows.count()))
        assert rows.viewport().height() >= wanted, (rows.viewport().height(), wanted)
        assert rows.verticalScrollBar().maximum() == 0
    # the verdict is one line at these widths
    verdict = dialog.verdict
    assert verdict.fontMetrics().horizontalAdvance(verdict.text()) <= verdict.contentsRect().width()
    # the override button sits beside the reason box, not on it
    body = dialog.body.widget()
    assert not _box(dialog.override_button, body).intersects(_box(dialog.override_reason, body))
    assert not _box(dialog.override_by, body).intersects(_box(dialog.override_reason, body))
    if screen == (1366, 768):
        # everything fits: nothing to scroll
        assert dialog.body.verticalScrollBar().maximum() == 0
    # the buttons stay in view whatever scrolls
    assert _box(dialog.close_button, dialog).bottom() < dialog.height()


def test_each_unmet_criterion_is_listed_once(qtbot, training_console, clock):
    dialog = _refused_discharge(training_console, clock)
    blocking = [dialog.blocking.item(i).text() for i in range(dialog.blocking.count())]
    listed = [dialog.criteria.item(i).text() for i in range(dialog.criteria.count())]
    assert len(blocking) == len(dialog.view.blocking)
    assert not {text[2:] for text in blocking} & {text[2:] for text in listed}
    assert len(blocking) + len(listed) == len(dialog.view.criteria)
    met = sum(1 for m, _ in dialog.view.criteria if m)
    assert dialog.criteria_title.text() == f"Criteria met: {met} of {len(dialog.view.criteria)}"


def _tick_labels_cut(plot) -> list[str]:
    """The left axis's tick labels of ``plot`` not wholly inside the plot widget."""
    from PySide6.QtGui import QPainter, QPixmap

    axis = plot.getAxis("left")
    pixmap = QPixmap(10, 10)
    painter = QPainter(pixmap)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    visible = plot.viewport().rect()
    cut = []
    for rect, _flags, text in specs[2] if specs else ():
        shown = plot.mapFromScene(axis.mapRectToScene(rect)).boundingRect()
        if not visible.contains(shown):
            cut.append(f"{text!r} at {shown} outside {visible}")
    return cut


@pytest.mark.parametrize("size", [(1024, 600), (1366, 768), (1920, 1080), (1366, 1400)])
def test_every_trend_tick_label_is_whole(qtbot, training_console, clock, size):
    training_console.controller.start_simulated_session()
    window = training_console.window
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    run_for(training_console, clock, 60, 5)
    window.redraw_trends()
    trends = window.trends
    if size[1] > 1200:
        assert trends.stacked  # a tall window stacks the plots: the bottom axes are hidden
    shown = [plot for plot in trends.plots if plot.isVisible()]
    assert len(shown) == 4 and not trends.collapsed
    for plot in shown:
        assert not _tick_labels_cut(plot), _tick_labels_cut(plot)


def test_without_a_session_the_alarm_bar_shows_audio_unavailable(qtbot, console):
    from sessionmon.alarms import default_profile

    window = console.window
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    console.controller.report_audio_unavailable("no audio output device")
    bar = window.alarm_bar
    assert not bar.no_alarm.isVisible(), "the bar must not say all is quiet"
    shown = [label for label in bar.labels if label.alarm is not None]
    assert [label.alarm.condition for label in shown] == ["audio_unavailable"]
    rule = default_profile().rule("audio_unavailable")
    assert shown[0].alarm.priority is rule.priority  # as the engine raises it in a session
    assert shown[0].alarm.message == rule.render(detail="no audio output device")
    assert bar.ack_button.isEnabled()
    console.controller.acknowledge()
    assert bar.labels[0].alarm.acknowledged and not bar.ack_button.isEnabled()
    assert not bar.no_alarm.isVisible()
    assert window.message.text() == AUDIO_ACK_WITHOUT_SESSION
    console.controller.acknowledge()  # nothing left to acknowledge
    assert window.message.text() == "Start a session first."


def test_the_waveform_check_box_names_every_format_that_takes_the_waves():
    from sessionmon.export.run import WAVEFORM_FORMATS
    from sessionmon.ui.dialogs.export_dialog import waveform_text
    from sessionmon.ui.export_job import FORMAT_LABELS

    text = waveform_text()
    for fmt in WAVEFORM_FORMATS:
        assert FORMAT_LABELS[fmt].split()[0].rstrip(",") in text
    assert "Parquet" in text and "capnogram" in text


def test_a_disabled_field_does_not_look_like_one_to_fill(qtbot):
    from sessionmon.ui.app import application
    from sessionmon.ui.dialogs.sign_in import FirstAdminDialog

    application()
    dialog = FirstAdminDialog(6)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert not dialog.role.isEnabled()
    picture = dialog.grab().toImage()

    def inside(widget) -> tuple[int, int, int]:
        point = widget.mapTo(dialog, widget.rect().center())
        point.setX(widget.mapTo(dialog, QPoint(widget.width() - 40, 0)).x())
        colour = picture.pixelColor(point)
        return colour.red(), colour.green(), colour.blue()

    assert inside(dialog.role) != inside(dialog.username)


def test_the_signal_bar_keeps_its_distance_from_its_words(qtbot, training_console, clock):
    window = training_console.window
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    training_console.controller.start_simulated_session()
    run_for(training_console, clock, 10, 1)
    tile = window.spo2_tile
    qtbot.waitUntil(lambda: tile.quality_label.text() != "no signal", timeout=2000)
    bar = _box(tile.quality, tile)
    assert bar.left() - _box(tile.signal_label, tile).right() > 4
    assert _box(tile.quality_label, tile).left() - bar.right() > 4


@pytest.mark.parametrize("trainer", [False, True], ids=["nurse", "trainer"])
@pytest.mark.parametrize("size", [(1024, 600), (1280, 720), (1366, 768), (1920, 1080)])
def test_rr_is_as_readable_as_hr_at_every_size(qtbot, store, clock, config_dir, trainer, size):
    from conftest import make_console

    built = make_console(qtbot, store, clock, config_dir, simulator=trainer)
    try:
        window = built.window
        built.controller.start_simulated_session(respiration=True)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        run_for(built, clock, 30, 2)
        QApplication.processEvents()
        built.controller.refresh()
        rr, hr = window.rr_tile, window.hr_tile
        assert rr.isVisible() and rr.value.text() not in ("", "--")
        # the same digit size as HR, give or take a tenth (the tiles fit their own boxes)
        assert rr.value_px >= min(hr.value_px * 0.8, 60), (rr.value_px, hr.value_px)
        assert rr.value.fontMetrics().horizontalAdvance(rr.value.template) <= rr.value.width()
        etco2 = window.etco2_tile
        if etco2.isVisible():
            assert etco2.plot.isVisible(), "the capnogram is drawn wherever its tile is"
        else:  # the narrowest console: etCO2 and FiCO2 on the RR tile
            assert trainer and size == (1024, 600)
            assert rr.co2_label.isVisible() and rr.co2_label.text().startswith("etCO2 ")
            shown = rr.co2_label
            assert shown.fontMetrics().horizontalAdvance(shown.text()) <= shown.width()
    finally:
        built.close()
