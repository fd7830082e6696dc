"""The installed Qt binding must not leak references to None (PySide6 6.12.0 on Python 3.11 did:
the console crashed with "deallocating None" after a few minutes of redrawing)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel

from sessionmon.ui.app import qt_binding_problem


def test_void_calls_keep_none_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for index in range(2000):
        label.setText(str(index))
        label.setVisible(False)
    assert sys.getrefcount(None) >= before - 50


def test_binding_check_accepts_the_installed_binding():
    assert qt_binding_problem() is None
