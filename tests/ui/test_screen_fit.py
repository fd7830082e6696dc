"""What the console shows at a small laptop (1024x600) and a clinic laptop (1366x768) is whole:
the discharge dialog's lists show every row, and nothing in it overlaps."""

from __future__ import annotations

import pytest
from console_helpers import run_for
from PySide6.QtCore import QPoint, QRect, QRectF, QSize
from PySide6.QtWidgets import QApplication

from sessionmon.ui.controller import AUDIO_ACK_WITHOUT_SESSION
from sessionmon.ui.dialogs.discharge import DischargeDialog
from sessionmon.ui.widgets.trends import AXIS_TEXTS
from sessionmon.ui.window_geometry import COMPACT_BELOW_HEIGHT


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
            assert etco2.wave.isVisible(), "the capnogram is drawn wherever its tile is"
        else:  # the narrowest console: etCO2 and FiCO2 on the RR tile
            assert trainer and size == (1024, 600)
            assert rr.co2_label.isVisible() and rr.co2_label.text().startswith("etCO2 ")
            shown = rr.co2_label
            assert shown.fontMetrics().horizontalAdvance(shown.text()) <= shown.width()
    finally:
        built.close()


def _tile_parts(tile) -> dict[str, object]:
    """The visible lines of a numeric tile (title row, value, and the NIBP tile's lines)."""
    parts = {"title": tile.label, "unit": tile.unit, "value": tile.value}
    for name in ("mean_label", "last_label", "buttons", "status_row"):
        widget = getattr(tile, name, None)
        if widget is not None:
            parts[name] = widget
    return {name: widget for name, widget in parts.items() if widget.isVisible()}


def _ink_at_edges(picture, box: QRect, colour: str) -> list[str]:
    """The rows at ``box``'s top and bottom edges that hold pixels of the text ``colour``
    (the value's digits cut by the label's edge)."""
    from PySide6.QtGui import QColor

    text = QColor(colour)
    found = []
    for y in (box.top(), box.bottom()):
        for x in range(box.left(), box.right() + 1):
            pixel = picture.pixelColor(x, y)
            distance = (
                abs(pixel.red() - text.red())
                + abs(pixel.green() - text.green())
                + abs(pixel.blue() - text.blue())
            )
            if distance < 90:
                found.append(f"text colour at ({x}, {y})")
                break
    return found


@pytest.mark.parametrize(
    ("size", "trainer"),
    [((1024, 600), True), ((1024, 600), False), ((1366, 768), True), ((1920, 1080), True)],
    ids=["1024-trainer", "1024-nurse", "1366", "1080p"],
)
def test_no_tile_line_overlaps_another_and_no_digit_is_cut(
    qtbot, store, clock, config_dir, size, trainer
):
    """At 1024x600 with the trainer panel the window was 25 px short of its rows' minimums:
    the tile row was squeezed and the NIBP value drawn over "MAP 98" and the time."""
    from conftest import make_console

    built = make_console(qtbot, store, clock, config_dir, simulator=trainer)
    try:
        window = built.window
        controller = built.controller
        controller.start_simulated_session(respiration=True)
        controller.start_baseline()
        controller.measure_bp()
        run_for(built, clock, 60, 2)
        controller.dose("A. Nurse", confirm_unanswered=True)
        run_for(built, clock, 5 * 60, 10)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.width() == size[0], timeout=2000)
        QApplication.processEvents()
        controller.refresh()
        window.redraw_trends()
        QApplication.processEvents()
        nibp = window.nibp_tile
        assert "/" in nibp.value.text() and nibp.mean_label.text().startswith("MAP ")
        assert not _box(nibp.value, nibp).intersects(_box(nibp.mean_label, nibp))
        picture = window.grab().toImage()
        tiles = (window.hr_tile, window.spo2_tile, nibp, window.rr_tile, window.etco2_tile)
        for tile in (tile for tile in tiles if tile.isVisible()):
            name = type(tile).__name__
            # the window gives every tile at least its minimum height
            assert tile.height() >= tile.minimumSizeHint().height(), (name, tile.height())
            parts = _tile_parts(tile)
            boxes = {part: _box(widget, tile) for part, widget in parts.items()}
            inside = tile.contentsRect()  # within the border, top to bottom
            for part, box in boxes.items():
                assert inside.top() <= box.top() and box.bottom() <= inside.bottom(), (
                    name,
                    part,
                    box,
                    inside,
                )
            lines = [part for part in boxes if part not in ("title", "unit")]
            for index, first in enumerate(lines):
                for second in lines[index + 1 :]:
                    if {first, second} == {"mean_label", "last_label"}:
                        continue  # one line, side by side
                    assert not boxes[first].intersects(boxes[second]), (name, first, second)
            for part in ("title", "unit"):
                assert not boxes[part].intersects(boxes["value"]), (name, part)
            value = _box(tile.value, window)
            colour = tile._last_style[2]
            assert not _ink_at_edges(picture, value, colour), (name, value)
        # the trend time axis's label is whole (it was cut to "min from dos" at 1024)
        axis = window.trends.bp_plot.getAxis("bottom")
        assert axis.labelText == "min from dose"
        assert (getattr(axis, "shown_label", None) or axis.labelText) in AXIS_TEXTS["min from dose"]
        plot = window.trends.bp_plot
        margin = axis.label.document().documentMargin()  # empty space round the text
        text_rect = axis.label.boundingRect().adjusted(margin, margin, -margin, -margin)
        shown = axis.label.mapRectToScene(text_rect)  # the plot's scene is its viewport
        assert QRectF(plot.viewport().rect()).contains(shown), shown
        # a short window draws the action buttons without their shortcut line
        with_shortcut = ["\n" in button.text() for button in window.action_buttons]
        if size[1] < COMPACT_BELOW_HEIGHT:
            assert not any(with_shortcut), "a short window leaves the shortcut line out"
        elif size[0] >= 1366:
            assert all(with_shortcut), "shortcuts shown when there is room"
        # while measuring, the title ("NIBP  cuff pressure" or a shorter form) keeps clear of
        # the unit and of the cuff pressure, and MEASURING of MAP
        controller.measure_bp()
        run_for(built, clock, 6, 0.5)
        QApplication.processEvents()
        assert controller.view.nibp.measuring and nibp.label.text().startswith("NIBP")
        title = nibp.label
        assert title.fontMetrics().horizontalAdvance(title.text()) <= title.width()
        assert not _box(title, nibp).intersects(_box(nibp.unit, nibp))
        for first, second in (
            ("title", "value"),
            ("value", "status_row"),
            ("status_row", "mean_label"),
        ):
            parts = _tile_parts(nibp)
            assert not _box(parts[first], nibp).intersects(_box(parts[second], nibp)), (
                first,
                second,
            )
    finally:
        built.close()
