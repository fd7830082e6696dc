"""Sign-in dialogs: sign in / switch user (username and PIN), and the first-run admin.

Each dialog checks through a callback that returns the refusal to show in place (wrong PIN,
locked, too short...) or None; it stays open until the callback accepts.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

#: ``check(...) -> refusal or None``.
Check = Callable[..., str | None]


def _pin_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class _Base(QDialog):
    def __init__(self, title: str, intro: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.check: Check | None = None
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def values(self) -> tuple[str, ...]:  # pragma: no cover - overridden
        raise NotImplementedError

    def try_accept(self) -> bool:
        """Check what is typed; accept, or show the refusal and stay open (PIN cleared)."""
        refusal = self.check(*self.values()) if self.check is not None else None
        if refusal:
            self.error.setText(refusal)
            self.error.setVisible(True)
            for edit in self.findChildren(QLineEdit):
                if edit.echoMode() == QLineEdit.EchoMode.Password:
                    edit.clear()
            return False
        self.accept()
        return True


class SignInDialog(_Base):
    """Username and PIN: signing in at launch, switching user (Ctrl+U), unlocking."""

    def __init__(
        self, title: str, intro: str, username: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(title, intro, parent)
        self.username = QLineEdit(username)
        self.username.setPlaceholderText("username")
        self.pin = _pin_edit()
        self.form.addRow("Username", self.username)
        self.form.addRow("PIN / password", self.pin)
        (self.pin if username else self.username).setFocus()

    def values(self) -> tuple[str, str]:
        """``(username, pin)`` as typed."""
        return self.username.text().strip(), self.pin.text()


class FirstAdminDialog(_Base):
    """First run with no accounts: create the clinic's first admin (then signed in)."""

    def __init__(self, min_length: int, parent: QWidget | None = None) -> None:
        super().__init__(
            "Create the first admin account",
            "This clinic has no staff accounts yet. Create the first administrator: they add "
            "the other staff (sessionmon users add). Every record names who signed in. "
            f"The PIN or password needs at least {min_length} characters.",
            parent,
        )
        self.username = QLineEdit()
        self.username.setPlaceholderText("e.g. alee")
        self.full_name = QLineEdit()
        self.full_name.setPlaceholderText("printed name, e.g. Ann Lee")
        self.role = QComboBox()
        self.role.addItem("admin")
        self.role.setEnabled(False)
        self.pin = _pin_edit()
        self.again = _pin_edit()
        self.form.addRow("Username", self.username)
        self.form.addRow("Full name", self.full_name)
        self.form.addRow("Role", self.role)
        self.form.addRow("PIN / password", self.pin)
        self.form.addRow("Again", self.again)

    def values(self) -> tuple[str, str, str, str]:
        """``(username, full name, pin, pin again)`` as typed."""
        return (
            self.username.text().strip(),
            self.full_name.text().strip(),
            self.pin.text(),
            self.again.text(),
        )
