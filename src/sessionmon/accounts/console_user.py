"""Who is signed in at a console, and what they may do there (core; the console asks it).

Until someone signs in (core tests, or the moment before the sign-in dialog is answered), the
console behaves as before accounts: the "by" a form carries is recorded as typed and no role is
checked. In simulator mode the built-in trainee is signed in from the start and may practise
everything; every record it writes names it (and the session is marked simulated).
"""

from __future__ import annotations

import json
from typing import Any

from sessionmon.accounts.book import AccountBook
from sessionmon.accounts.model import Account, Role, roles_phrase


class ConsoleUser:
    """The signed-in account of one console.

    Parameters
    ----------
    book : AccountBook or None
        The clinic's accounts (None: a store without accounts support, e.g. a test double).
    account : Account, optional
        Signed in from the start (``TRAINEE`` in simulator mode).
    """

    def __init__(self, book: AccountBook | None, account: Account | None = None) -> None:
        self.book = book
        self.account: Account | None = account

    @property
    def signed_in(self) -> bool:
        """Whether someone (or the built-in trainee) is signed in."""
        return self.account is not None

    def by(self, typed: str | None = None) -> str | None:
        """What a record's "by" says: the signed-in user's signature, else ``typed``."""
        return self.account.signature if self.account is not None else typed

    def refusal(self, *roles: Role, doing: str) -> str | None:
        """Why the signed-in user may not do ``doing`` (None when they may)."""
        account = self.account
        if account is None or account.built_in or account.may(*roles):
            return None
        return (
            f"Only {roles_phrase(roles)} may {doing}; "
            f"{account.full_name} is signed in as {account.role}."
        )

    def sign_in(self, username: str, secret: str, purpose: str = "sign-in") -> Account:
        """Check the PIN and make ``username`` the signed-in user.

        Raises
        ------
        SignInError
            Refused (unknown, disabled, locked, wrong PIN); the previous user stays signed in.
        """
        if self.book is None:
            raise ValueError("this console has no staff accounts")
        self.account = self.book.sign_in(username, secret, purpose)
        return self.account

    def check(self, secret: str, purpose: str) -> Account:
        """Re-check the signed-in user's PIN (unlock, signature) without switching user."""
        if self.account is None or self.book is None:
            raise ValueError("no one is signed in")
        return self.book.sign_in(self.account.username, secret, purpose)

    def needs_first_admin(self) -> bool:
        """Whether the clinic has no account yet (the console walks through creating one)."""
        return self.account is None and self.book is not None and self.book.is_empty()

    def audit_change(self, store: Any, kind: str, before: Any, after: Any) -> None:
        """Record a clinic-wide change (who, before, after) in the store's audited log."""
        add = getattr(store, "add_clinic_change", None)
        if add is not None:
            body = {"by": self.by() or "unknown", "before": before, "after": after}
            add(kind, json.dumps(body, sort_keys=True, default=str))
