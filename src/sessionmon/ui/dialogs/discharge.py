"""Discharge dialog: the criteria, and every reason that blocks discharge now."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from sessionmon.ui.viewmodel import DischargeView


class DischargeDialog(QDialog):
    """Shows a :class:`DischargeView`.

    Signals
    -------
    recheck_requested()
        Evaluate the criteria again (a new discharge attempt).
    sign_requested()
        Criteria met: go on to sign-off.
    """

    recheck_requested = Signal()
    sign_requested = Signal()

    def __init__(self, view: DischargeView, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Discharge")
        self.setMinimumWidth(720)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.criteria_title = QLabel("Discharge criteria")
        self.criteria_title.setStyleSheet("font-weight: bold;")
        self.criteria = QListWidget()
        self.criteria.setWordWrap(True)
        self.criteria.setStyleSheet("font-size: 17px;")
        self.blocking_title = QLabel("Blocking discharge now")
        self.blocking_title.setStyleSheet("font-weight: bold; color: #FF6B6B;")
        self.blocking = QListWidget()
        self.blocking.setStyleSheet("font-size: 20px; color: #FF8A8A;")
        self.blocking.setWordWrap(True)
        self.setMaximumHeight(700)
        self.recheck_button = QPushButton("Check again")
        self.sign_button = QPushButton("Discharge and sign off...")
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.recheck_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.criteria_title)
        layout.addWidget(self.criteria, 3)
        layout.addWidget(self.blocking_title)
        layout.addWidget(self.blocking, 2)
        layout.addLayout(buttons)
        self.recheck_button.clicked.connect(self.recheck_requested)
        self.sign_button.clicked.connect(self.sign_requested)
        self.close_button.clicked.connect(self.reject)
        self.set_view(view)

    def set_view(self, view: DischargeView) -> None:
        """Show ``view``."""
        self.view = view
        if view.allowed:
            self.verdict.setText("DISCHARGE ALLOWED: every criterion is met.")
            self.verdict.setStyleSheet(
                "font-size: 26px; font-weight: bold; color: #000000; background: #2ECC71;"
                " padding: 8px;"
            )
        else:
            self.verdict.setText(
                f"DISCHARGE REFUSED: {len(view.blocking)} of "
                f"{len(view.criteria) or len(view.blocking)} criteria not met"
            )
            self.verdict.setStyleSheet(
                "font-size: 26px; font-weight: bold; color: #000000; background: #FFD400;"
                " padding: 8px;"
            )
        self.criteria.clear()
        for met, text in view.criteria:
            mark = "\u2714" if met else "\u2716"
            item = QListWidgetItem(f"{mark} {text}")
            item.setForeground(QColor("#2ECC71" if met else "#FF6B6B"))
            self.criteria.addItem(item)
        self.criteria_title.setVisible(bool(view.criteria))
        self.criteria.setVisible(bool(view.criteria))
        self.blocking.clear()
        for reason in view.blocking:
            self.blocking.addItem(f"\u2716 {reason}")
        self.blocking_title.setVisible(bool(view.blocking))
        self.blocking.setVisible(bool(view.blocking))
        self.sign_button.setEnabled(view.allowed)
