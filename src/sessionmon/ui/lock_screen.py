"""The lock screen: after N minutes without input the console hides the patient, never an alarm.

Locked, the window hides patient identity (pseudonym, treatment), the forms (action buttons,
menus, open dialogs, which come back as they were on unlock) and the history (trends, check
timeline). Numerics, waveforms, the alarm bar and its sounds keep running, and Acknowledge (F1)
and Audio pause (F2) keep working: they are recorded "acknowledged while locked". Unlocking
takes a PIN: the signed-in user's, or another account's (who then is the signed-in user).

Idle time is counted on the controller's injected clock; any key or mouse press in the
application is input. The built-in simulator trainee never locks.

Watching input costs a Python call for every event of the application (paints, timers, layout
requests: thousands a second), so the filter is installed only while the lock is armed: a staff
account signed in and the console unlocked. Arming happens at the sign-in or the unlock, both
typed input, so the idle time counts from that moment; closing the window removes the filter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from sessionmon.ui.dialogs.sign_in import SignInDialog

if TYPE_CHECKING:  # pragma: no cover
    from sessionmon.ui.window_wiring import ConsoleWindow

_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)
#: Keys that keep working on the lock screen.
_KEPT_KEYS = frozenset({"F1", "F2", "Ctrl+U"})


class LockPanel(QFrame):
    """What the locked console shows where the patient and the forms were."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockPanel")
        self.setStyleSheet(
            "#lockPanel { background: #1B2330; border: 2px solid #5A6B80; border-radius: 6px; }"
        )
        self.text = QLabel(
            "LOCKED - patient details hidden. Alarms, numerics and sounds keep running: "
            "F1 Acknowledge, F2 Audio pause."
        )
        self.text.setWordWrap(True)
        self.text.setStyleSheet("color: #E8EEF4; font-size: 20px; font-weight: bold;")
        self.user = QLabel("")
        self.user.setStyleSheet("color: #C8D0D8; font-size: 16px;")
        self.unlock_button = QPushButton("Unlock (PIN)")
        self.unlock_button.setMinimumHeight(48)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.user)
        layout.addWidget(self.unlock_button)


class LockScreen(QObject):
    """Locks ``window`` after the clinic's ``lock_after_minutes`` without input.

    Signals
    -------
    lock_changed(bool)
        The console locked (True) or unlocked (False).
    """

    lock_changed = Signal(bool)

    def __init__(self, window: ConsoleWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.controller
        self.minutes = float(self.controller.clinic.lock_after_minutes)
        self.locked = False
        self.panel = LockPanel(window)
        self.panel.setVisible(False)
        self.panel.unlock_button.clicked.connect(self.show_unlock)
        self._last_input = self.controller.clock.monotonic()
        self._hidden: list[QWidget] = []
        self._disabled: list[QObject] = []
        self.watching_input = False  # the application-wide input filter is installed
        self.closed = False  # the window closed: never arm again
        self.controller.view_changed.connect(lambda _view: self.check())

    # ------------------------------------------------------------------ idle time

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Count any key or mouse press as input (never consumed)."""
        if event.type() in _INPUT:
            self._last_input = self.controller.clock.monotonic()
        return False

    def idle_s(self) -> float:
        """Seconds since the last input, by the controller's clock."""
        return self.controller.clock.monotonic() - self._last_input

    def check(self) -> None:
        """Lock when the signed-in user has been idle for the clinic's time."""
        account = self.controller.user.account
        armed = not (self.locked or self.closed or account is None or account.built_in)
        self._watch_input(armed)
        if not armed:
            return
        if self.idle_s() >= self.minutes * 60.0:
            self.lock()

    def _watch_input(self, on: bool) -> None:
        """Install (``on``) or remove the application-wide input filter, once each way.

        Installed, the idle time starts now: the lock is armed by a sign-in or an unlock, both
        typed a moment ago.
        """
        if on == self.watching_input:
            return
        app = QApplication.instance()
        if on:
            self._last_input = self.controller.clock.monotonic()
            app.installEventFilter(self)
        elif app is not None:
            app.removeEventFilter(self)
        self.watching_input = on

    def close(self) -> None:
        """The window closes: remove the input filter and never lock again."""
        self.closed = True
        self._watch_input(False)

    # ------------------------------------------------------------------ locking

    def lock(self) -> None:
        """Hide identity, forms and history; keep numerics, waves, alarms, F1 and F2."""
        if self.locked:
            return
        w = self.window
        self.locked = True
        self.controller.screen_locked = True
        self._watch_input(False)  # locked, only the PIN unlocks: no idle time to count
        self._hidden = [
            widget
            for widget in (
                w.header.pseudonym,
                w.header.treatment,
                w.checks,
                w.trends,
                w.action_row,
                w.menuBar(),
                *w.dialogs.values(),
            )
            if widget.isVisible()
        ]
        for widget in self._hidden:
            widget.setVisible(False)
        self._disabled = [
            s
            for s in w.findChildren(QShortcut)
            if s.isEnabled() and s.key().toString() not in _KEPT_KEYS
        ]
        self._disabled += [a for a in w.findChildren(QObject) if _is_shortcut_action(a)]
        for item in self._disabled:
            item.setEnabled(False)
        account = self.controller.user.account
        self.panel.user.setText(f"Signed in: {account.signature}" if account else "")
        self.panel.setVisible(True)
        self.lock_changed.emit(True)

    def unlock(self) -> None:
        """Show everything that was shown before the lock."""
        if not self.locked:
            return
        for widget in self._hidden:
            widget.setVisible(True)
        for item in self._disabled:
            item.setEnabled(True)
        self._hidden, self._disabled = [], []
        self.panel.setVisible(False)
        self.locked = False
        self.controller.screen_locked = False
        self._last_input = self.controller.clock.monotonic()
        self.lock_changed.emit(False)

    def show_unlock(self) -> SignInDialog:
        """Ask for a PIN (the signed-in user's, or another account's)."""
        account = self.controller.user.account
        dialog = SignInDialog(
            "Unlock",
            "Enter your PIN to show the patient again (another member of staff: your "
            "username and PIN).",
            username=account.username if account else "",
            parent=self.window,
        )

        def check(name: str, pin: str) -> str | None:
            from sessionmon.ui.sign_in_flow import sign_in

            refusal = sign_in(self.window, name, pin, "unlock")
            if refusal is None:
                self.unlock()
            return refusal

        dialog.check = check
        dialog.setWindowModality(Qt.WindowModality.NonModal)  # F1 and F2 stay reachable
        self.window.dialogs["unlock"] = dialog
        dialog.show()
        return dialog


def _is_shortcut_action(item: QObject) -> bool:
    from PySide6.QtGui import QAction

    return (
        isinstance(item, QAction)
        and item.isEnabled()
        and not item.shortcut().isEmpty()
        and item.shortcut().toString() not in _KEPT_KEYS
    )


__all__ = ["LockPanel", "LockScreen"]
