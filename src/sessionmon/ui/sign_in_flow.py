"""Signing in at the console: at launch (or the first-run admin), and Switch user (Ctrl+U).

The dialogs are window-modal and open without blocking (the window, its alarms and sounds run
behind them). The signed-in user is shown in the bottom bar and fills every "by" of the record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from sessionmon.accounts.model import Role
from sessionmon.errors import UserError
from sessionmon.ui.dialogs.sign_in import FirstAdminDialog, SignInDialog

if TYPE_CHECKING:  # pragma: no cover
    from sessionmon.ui.window_wiring import ConsoleWindow

#: The Switch user shortcut (two keystrokes, then username and PIN).
SWITCH_USER_KEY = "Ctrl+U"


def user_label() -> QLabel:
    """The bottom-bar label naming who is signed in."""
    label = QLabel("")
    label.setObjectName("signedInUser")
    label.setStyleSheet("color: #C8D0D8; font-size: 16px;")
    return label


def show_user(window: ConsoleWindow) -> None:
    """Write the signed-in user into the window's bottom bar."""
    account = window.controller.user.account
    text = "Not signed in (Ctrl+U)" if account is None else f"Signed in: {account.signature}"
    window.user_label.setText(text)


def lock_by(controller, *edits) -> None:
    """Fill "by" fields with the signed-in user, read-only (Ctrl+U switches user)."""
    account = controller.user.account
    if account is None:
        return
    for edit in edits:
        edit.setText(account.signature)
        edit.setReadOnly(True)
        edit.setToolTip("The signed-in user. Another member of staff: Switch user (Ctrl+U).")


def sign_in(window: ConsoleWindow, username: str, pin: str, purpose: str) -> str | None:
    """Sign ``username`` in at the console; the refusal to show, or None."""
    c = window.controller
    try:
        account = c.user.sign_in(username, pin, purpose)
    except (UserError, ValueError) as exc:
        return str(exc)
    show_user(window)
    c.info.emit(f"Signed in: {account.signature}.")
    return None


def create_first_admin(
    window: ConsoleWindow, username: str, full_name: str, pin: str, again: str
) -> str | None:
    """Create the clinic's first admin and sign them in; the refusal to show, or None."""
    c = window.controller
    if pin != again:
        return "The two PINs differ."
    if not c.user.needs_first_admin():
        return "This clinic has accounts already: sign in instead."
    try:
        c.user.book.add(username, full_name, Role.ADMIN, pin, "first run at the console")
    except UserError as exc:
        return str(exc)
    return sign_in(window, username, pin, "first run")


def show_switch_user(window: ConsoleWindow) -> SignInDialog | None:
    """Ctrl+U: another member of staff signs in (username and PIN)."""
    c = window.controller
    if c.user.book is None or c.user.needs_first_admin():
        c.error.emit("This console has no staff accounts yet.")
        return None
    # Over the dialog in front, if any (a prescriber steps in while the override is open).
    front = QApplication.activeModalWidget()
    dialog = SignInDialog(
        "Switch user",
        "Sign in as yourself: every record from now on names you.",
        parent=front if front is not None and front is not window else window,
    )

    def check(name: str, pin: str) -> str | None:
        refusal = sign_in(window, name, pin, "switch user")
        if refusal is None and front is not None:
            lock_by(c, *_by_fields(front))
        return refusal

    dialog.check = check
    return window._open("sign_in", dialog)


def _by_fields(dialog) -> list:
    """The "by" fields of an open dialog (refilled after a switch of user)."""
    names = ("by", "override_by", "prescriber")
    return [getattr(dialog, n) for n in names if isinstance(getattr(dialog, n, None), QLineEdit)]


def ask_at_launch(window: ConsoleWindow) -> None:
    """The real console's first screen: create the first admin, or sign in.

    F1 (Acknowledge) and F2 (Audio pause) work from the dialog too: a resumed session's alarms
    must not wait for a sign-in.
    """
    c = window.controller
    if c.user.signed_in or c.user.book is None:
        return
    if c.user.needs_first_admin():
        dialog = FirstAdminDialog(c.user.book.min_length, window)
        dialog.check = lambda *typed: create_first_admin(window, *typed)
        name = "first_admin"
    else:
        dialog = SignInDialog(
            "Sign in", "Sign in to monitor: every record names you.", parent=window
        )
        dialog.check = lambda user, pin: sign_in(window, user, pin, "sign-in")
        name = "sign_in"
    QShortcut(QKeySequence("F1"), dialog, c.acknowledge)
    QShortcut(QKeySequence("F2"), dialog, c.pause_audio)
    window._open(name, dialog)


def add_signature_fields(controller, dialog) -> QLineEdit | None:
    """On the sign-off form of a signed-in user: the manifest to be signed and a PIN field."""
    from sessionmon.accounts.signature import MEANING

    account = controller.user.account
    if account is None or account.built_in:
        return None
    manifest = QLabel(
        f"Electronic signature: {account.full_name} ({account.username}), {account.role.value}."
        f"\nMeaning: {MEANING}. Date and time (UTC and local) are recorded when you sign, "
        "bound to the record's audit hash at that moment."
    )
    manifest.setWordWrap(True)
    manifest.setObjectName("signatureManifest")
    dialog.form_layout.addRow(manifest)
    pin = QLineEdit()
    pin.setEchoMode(QLineEdit.EchoMode.Password)
    dialog.pin = dialog.form_layout.add_field("pin", "Password or PIN *", pin)
    return pin
