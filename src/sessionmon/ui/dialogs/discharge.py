"""Discharge dialog: the criteria, and every reason that blocks discharge now."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from sessionmon.ui.dialogs.form import Submit, submitted
from sessionmon.ui.viewmodel import DischargeView


class DischargeDialog(QDialog):
    """Shows a :class:`DischargeView`.

    Signals
    -------
    recheck_requested()
        Evaluate the criteria again (a new discharge attempt).
    sign_requested()
        Criteria met (or overridden): go on to sign-off.

    Attributes
    ----------
    override : callable, optional
        Records the clinician's override (name and reason typed in the dialog); returns the
        core's refusal, shown in place.
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
        self.override: Submit | None = None
        self.overridden = False
        self.override_box = QGroupBox("Clinician override (only with a written reason)")
        self.override_by = QLineEdit()
        self.override_by.setPlaceholderText("clinician's name")
        self.override_reason = QPlainTextEdit()
        self.override_reason.setPlaceholderText("why the patient may leave although refused")
        self.override_reason.setFixedHeight(64)
        self.override_button = QPushButton("Override and allow discharge")
        self.override_error = QLabel("")
        self.override_error.setObjectName("fieldError")
        self.override_error.setWordWrap(True)
        self.override_error.setVisible(False)
        override_form = QFormLayout(self.override_box)
        override_form.addRow("Clinician *", self.override_by)
        override_form.addRow("Reason *", self.override_reason)
        override_form.addRow(self.override_error)
        override_form.addRow("", self.override_button)
        self.override_button.clicked.connect(self.try_override)
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
        layout.addWidget(self.override_box)
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
        self.override_box.setVisible(not view.allowed and not self.overridden)
        self.sign_button.setEnabled(view.allowed or self.overridden)

    def try_override(self) -> bool:
        """Record the override; a refusal (no reason, the 2-hour minimum) stays in place."""
        by = self.override_by.text().strip()
        reason = self.override_reason.toPlainText().strip()
        problem = "" if by else "Enter the clinician's name."
        problem = problem or ("" if reason else "Write the reason for the override.")

        def show(message: str) -> None:
            self.override_error.setText(message)
            self.override_error.setVisible(bool(message))

        show(problem)
        if problem or self.override is None:
            return False
        if not submitted(self.override, show):
            return False
        self.overridden = True
        self.verdict.setText(f"DISCHARGE OVERRIDDEN by {by}: {reason}")
        self.verdict.setStyleSheet(
            "font-size: 22px; font-weight: bold; color: #000000; background: #FF9F43; padding: 8px;"
        )
        self.override_box.setVisible(False)
        self.sign_button.setEnabled(True)
        return True
