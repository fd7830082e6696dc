"""Discharge dialog: the criteria, and every reason that blocks discharge now."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from sessionmon.ui.dialogs.form import Submit, submitted
from sessionmon.ui.viewmodel import DischargeView

#: The dialog's width: the verdict and the longest reason on one line where the screen allows.
WIDTH_PX = 1000
#: Height kept free on the screen (its available area, without panels) for the title bar.
FRAME_ALLOWANCE_PX = 40


class ContentList(QListWidget):
    """A list as tall as its rows (no scroll bar of its own): the dialog scrolls as a whole,
    and only when the screen cannot hold it."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def rows_height(self) -> int:
        """The height of every row at the list's width, px."""
        self.doItemsLayout()
        return sum(self.visualItemRect(self.item(i)).height() for i in range(self.count()))

    def sizeHint(self) -> QSize:
        """Every row, at the list's width, inside the frame."""
        hint = super().sizeHint()
        return QSize(hint.width(), self.rows_height() + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        """As tall as :meth:`sizeHint`: the list is never squeezed below its rows."""
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def resizeEvent(self, event) -> None:
        """A new width may wrap rows differently: ask the layout for the new height."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()


class BodyScroll(QScrollArea):
    """The scroll area around the lists and the override: it asks for its whole content (a
    plain QScrollArea asks for at most 24 lines), so it scrolls only when the screen is full."""

    def sizeHint(self) -> QSize:
        """The content's size inside the frame."""
        inner = self.widget().sizeHint() if self.widget() is not None else QSize()
        frame = 2 * self.frameWidth()
        return QSize(inner.width() + frame, inner.height() + frame)


class DischargeDialog(QDialog):
    """Shows a :class:`DischargeView`: the verdict, what blocks discharge now, the criteria
    met, the clinician override and the buttons.

    Each unmet criterion is listed once, under "Blocking discharge now"; the criteria list
    below it holds the ones met. The lists are as tall as their rows; when the screen is too
    short for the dialog, its middle scrolls (the verdict and the buttons stay in view).

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
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.criteria_title = QLabel("Discharge criteria")
        self.criteria_title.setStyleSheet("font-weight: bold;")
        self.criteria = ContentList()
        self.criteria.setStyleSheet("font-size: 17px;")
        self.blocking_title = QLabel("Blocking discharge now")
        self.blocking_title.setStyleSheet("font-weight: bold; color: #FF6B6B;")
        self.blocking = ContentList()
        self.blocking.setStyleSheet("font-size: 20px; color: #FF8A8A;")
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
        self.override_reason.setFixedHeight(56)
        self.override_button = QPushButton("Override and allow discharge")
        self.override_error = QLabel("")
        self.override_error.setObjectName("fieldError")
        self.override_error.setWordWrap(True)
        self.override_error.setVisible(False)
        # name and reason on the left, the button beside the reason: one row less than a form
        override_grid = QGridLayout(self.override_box)
        override_grid.addWidget(QLabel("Clinician *"), 0, 0)
        override_grid.addWidget(self.override_by, 0, 1)
        override_grid.addWidget(QLabel("Reason *"), 1, 0, Qt.AlignmentFlag.AlignTop)
        override_grid.addWidget(self.override_reason, 1, 1)
        override_grid.addWidget(self.override_button, 1, 2, Qt.AlignmentFlag.AlignBottom)
        override_grid.addWidget(self.override_error, 2, 0, 1, 3)
        override_grid.setColumnStretch(1, 1)
        self.override_button.clicked.connect(self.try_override)
        buttons = QHBoxLayout()
        buttons.addWidget(self.recheck_button)
        buttons.addStretch(1)
        buttons.addWidget(self.sign_button)
        buttons.addWidget(self.close_button)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.blocking_title)
        body_layout.addWidget(self.blocking)
        body_layout.addWidget(self.criteria_title)
        body_layout.addWidget(self.criteria)
        body_layout.addWidget(self.override_box)
        body_layout.addStretch(1)
        self.body = BodyScroll()
        self.body.setWidget(body)
        self.body.setWidgetResizable(True)
        self.body.setFrameShape(QFrame.Shape.NoFrame)
        self.body.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.addWidget(self.verdict)
        layout.addWidget(self.body, 1)
        layout.addLayout(buttons)
        self.recheck_button.clicked.connect(self.recheck_requested)
        self.sign_button.clicked.connect(self.sign_requested)
        self.close_button.clicked.connect(self.reject)
        self.set_view(view)
        screen = (parent.screen() if parent is not None else None) or (
            QGuiApplication.primaryScreen()
        )
        self.fit_to(screen.availableGeometry().size() if screen is not None else QSize())

    def fit_to(self, room: QSize) -> None:
        """Size the dialog for a screen area of ``room``: :data:`WIDTH_PX` wide or the
        screen's width, and no taller than the screen (the middle then scrolls)."""
        if room.isEmpty():
            self.setMinimumWidth(720)
            return
        width = min(WIDTH_PX, room.width() - 24)
        self.setMinimumWidth(width)
        self.setMaximumHeight(max(room.height() - FRAME_ALLOWANCE_PX, 240))
        self.resize(width, self.height())
        # the rows wrap at the new width: lay out, then ask for the height again
        self.layout().activate()
        for rows in (self.criteria, self.blocking, self.body):
            rows.updateGeometry()
        self.layout().activate()
        self.resize(width, min(self.sizeHint().height(), self.maximumHeight()))

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
        # an unmet criterion is already a row of the blocking list (the same sentence)
        blocking = set(view.blocking)
        listed = [(met, text) for met, text in view.criteria if met or text not in blocking]
        self.criteria.clear()
        for met, text in listed:
            mark = "\u2714" if met else "\u2716"
            item = QListWidgetItem(f"{mark} {text}")
            item.setForeground(QColor("#2ECC71" if met else "#FF6B6B"))
            self.criteria.addItem(item)
        met_count = sum(1 for met, _ in view.criteria if met)
        self.criteria_title.setText(
            "Discharge criteria"
            if view.allowed
            else f"Criteria met: {met_count} of {len(view.criteria)}"
        )
        self.criteria_title.setVisible(bool(listed))
        self.criteria.setVisible(bool(listed))
        self.blocking.clear()
        for reason in view.blocking:
            self.blocking.addItem(f"\u2716 {reason}")
        self.blocking_title.setVisible(bool(view.blocking))
        self.blocking.setVisible(bool(view.blocking))
        self.override_box.setVisible(not view.allowed and not self.overridden)
        self.sign_button.setEnabled(view.allowed or self.overridden)
        for widget in (self.criteria, self.blocking, self.body):
            widget.updateGeometry()

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
