"""The console at a small laptop, a clinic laptop and full HD: no label is cut mid-word."""

from __future__ import annotations

import pytest
from console_helpers import run_for
from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QLayout

from sessionmon.ui.main_window import MIN_WINDOW
from sessionmon.ui.settings import ConsoleSettings
from sessionmon.ui.widgets.elide import ELLIPSIS, ElidedComboBox, ElidedLabel, elide_words
from sessionmon.ui.widgets.numeric_tile import MIN_VALUE_PX
from sessionmon.ui.window_placement import clamp_to_screen

SIZES = ((1024, 600), (1366, 768), (1920, 1080))


def _lines(widget) -> list[str]:
    return [line for line in widget.text().split("\n") if line]


def clipped_texts(window) -> list[str]:
    """Every visible label, button or combo whose shown text does not fit its box."""
    problems = []
    widgets = (
        window.findChildren(QLabel)
        + window.findChildren(QAbstractButton)
        + window.findChildren(QComboBox)
    )
    for widget in widgets:
        if not widget.isVisible():
            continue
        box = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
        text = widget.currentText() if isinstance(widget, QComboBox) else widget.text()
        name = f"{type(widget).__name__} {text!r}"
        if box.left() < 0 or box.right() >= window.width():
            problems.append(f"{name} sticks out of the window")
            continue
        metrics = widget.fontMetrics()
        if isinstance(widget, QComboBox):
            shown = widget.shown_text() if isinstance(widget, ElidedComboBox) else None
            if shown is None:
                shown = widget.currentText()
                if widget.sizeHint().width() > widget.width():
                    problems.append(f"{name}: {widget.width()} px < hint")
            if metrics.horizontalAdvance(shown) > widget.width():
                problems.append(f"{name}: shows {shown!r} wider than the box")
            continue
        if isinstance(widget, QAbstractButton):
            if widget.text() and widget.sizeHint().width() > widget.width():
                problems.append(f"{name}: {widget.width()} px < {widget.sizeHint().width()}")
            continue
        room = widget.contentsRect().width()
        for line in _lines(widget):
            if metrics.horizontalAdvance(line) > room and not widget.wordWrap():
                problems.append(f"{name}: {metrics.horizontalAdvance(line)} px > {room}")
        if isinstance(widget, ElidedLabel) and widget.elided:
            full_words = set((widget.full_text or "").split()) | {
                w for s in widget.shorter for w in s.split()
            }
            for word in widget.text().rstrip(ELLIPSIS).split():
                assert word in full_words, f"{name}: {word!r} is part of a word"
    return problems


@pytest.fixture(params=[False, True], ids=["oximeter+nibp", "with-capnograph"])
def live(request, training_console, clock):
    """A training session 42 minutes after the dose, a BP measured (without, then with, the
    simulated capnograph)."""
    c = training_console.controller
    c.start_simulated_session(respiration=request.param)
    c.start_baseline()
    c.measure_bp()
    run_for(training_console, clock, 60, 2.0)
    c.dose("A. Nurse", confirm_unanswered=True)
    run_for(training_console, clock, 42 * 60, 30.0)
    return training_console


def test_no_label_is_cut_from_a_small_laptop_to_full_hd(qtbot, live):
    window = live.window
    assert (window.minimumWidth(), window.minimumHeight()) == MIN_WINDOW
    window.show()
    qtbot.waitExposed(window)
    respiration = live.controller.devices.respiration is not None
    for width, height in SIZES:
        window.resize(width, height)
        qtbot.waitUntil(lambda w=width: window.width() == w, timeout=2000)
        live.controller.refresh()
        window.redraw_trends()
        QApplication.processEvents()  # let the layout settle (events only, no waiting)
        problems = clipped_texts(window)
        assert problems == [], (width, height, problems)
        header = window.header
        for label in (header.pseudonym, header.phase, header.since_dose):
            assert label.isVisible() and label.text()
        assert "Dose +" in header.since_dose.text()
        if respiration:
            # RR has its own tile at every size, its digits as big as the others'. The
            # capnogram is drawn at every size but the narrowest console (1024 px with the
            # trainer panel): there the trends leave room for one tile beside them, the RR
            # tile, with etCO2 and FiCO2 on its bottom line.
            rr = window.rr_tile
            assert rr.isVisible() and rr.value.text() not in ("", "--"), (width, height)
            assert rr.value_px >= MIN_VALUE_PX, (width, height)
            assert rr.value.fontMetrics().horizontalAdvance(rr.value.template) <= rr.value.width()
            capnogram = window.etco2_tile.isVisible() and window.etco2_tile.wave.isVisible()
            assert capnogram == (width > 1024), (width, height)
            assert capnogram or "etCO2 " in rr.co2_label.text(), (width, height)
            assert window.etco2_beside_trends == (width < 1366), (width, height)
        for tile in (window.hr_tile, window.spo2_tile, window.nibp_tile):
            value = tile.value
            assert value.text() not in ("", "--")
            assert tile.value_px >= MIN_VALUE_PX
            assert value.fontMetrics().horizontalAdvance(value.text()) <= value.width()
            assert value.fontMetrics().horizontalAdvance(value.template) <= value.width()
        trends = window.trends
        assert not trends.collapsed, (width, height)
        assert min(plot.height() for plot in trends.plots) >= 90, (width, height)
        for button in window.action_buttons:
            label, shortcut = window.action_words[button]
            assert button.text().split("\n")[0] == label
            assert button.shortcut().isEmpty(), "the window's QShortcut is the only binding"
            if width >= 1366:
                assert button.text() == f"{label}\n{shortcut}", "shortcuts shown when there is room"
        if live.trainer is not None:
            assert live.trainer.width() <= width - 780
    # A small window lays the trainer panel out in one column; shortcuts stay in the tooltips.
    window.resize(*MIN_WINDOW)
    qtbot.waitUntil(lambda: window.width() == MIN_WINDOW[0], timeout=2000)
    assert "Ctrl+D" in window.dose_button.toolTip()
    assert live.trainer.columns == 1


def test_trends_collapse_to_a_message_rather_than_a_sliver(qtbot, live):
    trends = live.window.trends
    trends.setParent(None)
    qtbot.addWidget(trends)
    # On its own, as if the window above left it only 80 px.
    trends.layout().setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
    trends.resize(700, 80)
    trends.show()
    qtbot.waitUntil(lambda: trends.collapsed, timeout=2000)
    assert (
        trends.collapsed_label.isVisible() and "enlarge the window" in trends.collapsed_label.text()
    )
    assert not any(plot.isVisible() for plot in trends.plots)
    trends.resize(700, 250)
    qtbot.waitUntil(lambda: not trends.collapsed, timeout=2000)
    assert all(plot.isVisible() for plot in trends.plots)


def test_elide_words_never_cuts_a_word(qapp):
    from PySide6.QtGui import QFont, QFontMetrics

    metrics = QFontMetrics(QFont("DejaVu Sans"))
    text = "Desaturation with deep sedation, then recovery"
    for width in range(0, metrics.horizontalAdvance(text) + 5, 7):
        shown = elide_words(text, metrics, width)
        assert metrics.horizontalAdvance(shown) <= width
        if shown not in (text, "", ELLIPSIS):
            assert shown.endswith(ELLIPSIS)
            assert text.startswith(shown[:-1]) and text[len(shown) - 1] in " ,"


def test_first_launch_fills_the_screen_and_a_saved_window_is_kept_on_screen(
    qtbot, training_console, config_dir
):
    window = training_console.window
    screen = QRect(0, 0, 1366, 768)
    window.restore_layout(screen)
    assert window.open_maximized and window.geometry() == screen
    # A geometry saved on a bigger screen comes back shrunk onto this one.
    window.showNormal()
    window.setGeometry(QRect(700, 300, 1800, 1000))
    window.save_layout()
    window.controller.settings = ConsoleSettings.load(config_dir)
    window.restore_layout(screen)
    assert not window.open_maximized
    assert screen.contains(window.geometry())
    assert window.width() >= MIN_WINDOW[0]
    big = QRect(700, 300, 1800, 1000)
    assert clamp_to_screen(big, screen, QSize(*MIN_WINDOW)) == QRect(0, 0, 1366, 768)
    assert clamp_to_screen(QRect(-50, 10, 800, 500), screen, QSize(1024, 600)) == QRect(
        0, 10, 1024, 600
    )
