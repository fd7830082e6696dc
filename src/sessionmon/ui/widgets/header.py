"""The session header: patient pseudonym, treatment, phase, time since dose and the clock.

What matters from 2 m (pseudonym, phase, time since dose, the lock) is always shown whole; when
the header is narrow the treatment is shortened at a word boundary and the wall clock steps
aside.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from sessionmon.ui.viewmodel import HeaderView
from sessionmon.ui.widgets.elide import ElidedLabel

#: Pixels between the header's items.
GAP_PX = 12


def dose_wording(treatment: str) -> tuple[str, ...]:
    """Shorter wordings of a treatment for a narrow header: from its dose on (``"84 mg"``)."""
    match = re.search(r"\d", treatment)
    return (treatment[match.start() :],) if match and match.start() > 0 else ()


class SessionHeader(QFrame):
    """Shows a :class:`HeaderView`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panel")
        self.pseudonym = QLabel()
        self.treatment = ElidedLabel()
        self.phase = QLabel()
        self.since_dose = QLabel()
        self.clock = ElidedLabel(hide_when_cut=True)
        self.locked = QLabel("")
        self.pseudonym.setStyleSheet("font-size: 24px; font-weight: bold;")
        self.since_dose.setStyleSheet("font-size: 24px; font-weight: bold; color: #FFFFFF;")
        for label in (self.treatment, self.phase, self.clock):
            label.setStyleSheet("font-size: 17px;")
        self.phase.setStyleSheet("font-size: 17px; font-weight: bold;")
        self.locked.setStyleSheet("font-size: 20px; font-weight: bold; color: #FFD400;")
        self.row = layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        layout.setSpacing(GAP_PX)
        layout.addWidget(self.pseudonym)
        layout.addWidget(self.treatment)
        layout.addWidget(self.phase)
        layout.addWidget(self.locked)
        layout.addStretch(1)
        layout.addWidget(self.since_dose)
        layout.addWidget(self.clock)
        self._fit_key: tuple = ()
        self.extra = QHBoxLayout()
        self.extra.setSpacing(GAP_PX)
        layout.addLayout(self.extra)
        self.set_view(HeaderView())

    def set_view(self, view: HeaderView) -> None:
        """Show ``view``."""
        self.pseudonym.setText(view.pseudonym)
        self.treatment.set_full_text(view.treatment, dose_wording(view.treatment))
        self.phase.setText(view.phase.upper() if view.phase else "")
        self.since_dose.setText(view.since_dose)
        self.clock.set_full_text(view.clock)
        self.locked.setText("SIGNED - LOCKED" if view.locked else "")
        self.locked.setVisible(view.locked)
        self._fit()

    def _fit(self) -> None:
        """Show the wall clock only when everything, the treatment too, fits beside it."""
        # Keyed on the widths of the texts, not the texts: the clock and the time since the
        # dose change every second, their widths seldom.
        key = (
            self.width(),
            self.treatment.fontMetrics().horizontalAdvance(self.treatment.full_text or ""),
            self.phase.fontMetrics().horizontalAdvance(self.phase.text()),
            self.since_dose.fontMetrics().horizontalAdvance(self.since_dose.text()),
            self.clock.fontMetrics().horizontalAdvance(self.clock.full_text or ""),
            self.locked.text(),
            tuple(self.extra.itemAt(i).sizeHint().width() for i in range(self.extra.count())),
        )
        if key == self._fit_key:
            return
        self._fit_key = key
        self.row.invalidate()
        needed = self.row.sizeHint().width()
        if self.clock.isHidden():
            needed += self.clock.sizeHint().width() + self.row.spacing()
        self.clock.setVisible(needed <= self.width())

    def resizeEvent(self, event) -> None:
        """Decide again whether the clock fits."""
        super().resizeEvent(event)
        self._fit()
