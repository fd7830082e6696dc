"""The session header: patient pseudonym, treatment, phase, time since dose and the clock."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from sessionmon.ui.viewmodel import HeaderView


class SessionHeader(QFrame):
    """Shows a :class:`HeaderView`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.pseudonym = QLabel()
        self.treatment = QLabel()
        self.phase = QLabel()
        self.since_dose = QLabel()
        self.clock = QLabel()
        self.locked = QLabel("")
        self.pseudonym.setStyleSheet("font-size: 24px; font-weight: bold;")
        for label in (self.treatment, self.phase):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(60)
        self.since_dose.setStyleSheet("font-size: 24px; font-weight: bold; color: #FFFFFF;")
        for label in (self.treatment, self.phase, self.clock):
            label.setStyleSheet("font-size: 17px;")
        self.locked.setStyleSheet("font-size: 20px; font-weight: bold; color: #FFD400;")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.addWidget(self.pseudonym)
        layout.addSpacing(12)
        layout.addWidget(self.treatment)
        layout.addSpacing(12)
        layout.addWidget(self.phase)
        layout.addSpacing(12)
        layout.addWidget(self.locked)
        layout.addStretch(1)
        layout.addWidget(self.since_dose)
        layout.addSpacing(12)
        layout.addWidget(self.clock)
        self.extra = QHBoxLayout()
        layout.addLayout(self.extra)
        self.set_view(HeaderView())

    def set_view(self, view: HeaderView) -> None:
        """Show ``view``."""
        self.pseudonym.setText(view.pseudonym)
        self.treatment.setText(view.treatment)
        self.phase.setText(view.phase.upper() if view.phase else "")
        self.since_dose.setText(view.since_dose)
        self.clock.setText(view.clock)
        self.locked.setText("SIGNED - LOCKED" if view.locked else "")
