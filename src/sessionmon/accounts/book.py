"""The clinic's accounts: add, list, disable, reset, and sign in with lock-out.

Lock-out: after :data:`MAX_TRIES` wrong passwords in a row (since the last successful sign-in
or reset), the account refuses every sign-in for :data:`LOCK_MINUTES` minutes after the last
wrong one, without checking the password; one more wrong try after that locks it again.
Every attempt (ok, wrong, refused) is recorded in the audited sign-in log, never the secret.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Protocol

from sessionmon.accounts.hashing import check_secret, hash_secret, verify_secret
from sessionmon.accounts.model import Account, Role, check_username
from sessionmon.clock import Clock
from sessionmon.errors import UserError

#: Wrong tries in a row that lock an account (issue 14; see docs/decisions/accounts.md).
MAX_TRIES = 5
#: How long a locked account refuses sign-in, after the last wrong try.
LOCK_MINUTES = 5.0


class SignInError(UserError):
    """A sign-in refused: unknown user, disabled, locked, or a wrong password (says which)."""


class AccountStore(Protocol):
    """What the book needs of the store (:class:`sessionmon.store.accounts.AccountRecords`)."""

    def save_account_body(self, username: str, body: str) -> None: ...
    def account_bodies(self) -> list[str]: ...
    def account_body(self, username: str) -> str | None: ...
    def add_sign_in(self, username: str, ok: bool, body: str) -> None: ...
    def sign_ins_since(self, username: str, since: datetime | None) -> list[Any]: ...


class AccountBook:
    """The accounts of one clinic database.

    Parameters
    ----------
    store : AccountStore
        The open session store.
    clock : Clock
        Injected time (lock-out windows, version times).
    min_length : int
        The shortest password or PIN accepted (clinic setting ``min_secret_length``).
    """

    def __init__(self, store: AccountStore, clock: Clock, min_length: int = 8) -> None:
        self._store = store
        self._clock = clock
        self.min_length = min_length

    # ------------------------------------------------------------------ reading

    def list(self) -> list[Account]:
        """Every account (latest version), by username."""
        return [Account.model_validate_json(body) for body in self._store.account_bodies()]

    def get(self, username: str) -> Account | None:
        """The account ``username`` (case-insensitive), or None."""
        body = self._store.account_body(username.strip().lower())
        return Account.model_validate_json(body) if body else None

    def is_empty(self) -> bool:
        """Whether the clinic has no account yet (the first one must be an admin)."""
        return not self._store.account_bodies()

    def locked_until(self, username: str) -> datetime | None:
        """When the account's lock-out ends, or None when it is not locked now."""
        wrong: list[datetime] = []
        for at, ok, body in self._store.sign_ins_since(username, None):
            kind = json.loads(body).get("result")
            if ok or kind == "reset":
                wrong = []
            elif kind == "wrong":
                wrong.append(at)
        if len(wrong) < MAX_TRIES:
            return None
        until = wrong[-1] + timedelta(minutes=LOCK_MINUTES)
        return until if self._clock.now() < until else None

    # ------------------------------------------------------------------ changing

    def add(self, username: str, full_name: str, role: Role | str, secret: str, by: str) -> Account:
        """Create an account; the first account of a clinic must be an admin.

        Raises
        ------
        UserError
            Bad username, name, role or secret, or the username is taken.
        """
        try:
            username = check_username(username)
            role = Role(role)
            check_secret(secret, self.min_length)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        if self.get(username) is not None:
            raise UserError(f"there is already an account {username!r}")
        if self.is_empty() and role is not Role.ADMIN:
            raise UserError("the first account of a clinic must be an admin (--role admin)")
        account = self._version(
            username=username,
            full_name=full_name.strip(),
            role=role,
            secret_hash=hash_secret(secret),
            changed_by=by,
        )
        self._store.save_account_body(username, account.model_dump_json())
        return account

    def disable(self, username: str, by: str) -> Account:
        """Disable an account (it keeps its records; it can no longer sign in)."""
        account = self._existing(username)
        admins = [a for a in self.list() if a.role is Role.ADMIN and not a.disabled]
        if account.role is Role.ADMIN and len(admins) == 1 and not account.disabled:
            raise UserError(f"{username!r} is the last admin; add another admin first")
        changed = account.model_copy(
            update={"disabled": True, "changed_at": self._clock.now(), "changed_by": by}
        )
        self._store.save_account_body(changed.username, changed.model_dump_json())
        return changed

    def reset(self, username: str, secret: str, by: str) -> Account:
        """Set a new password or PIN (and enable the account, and end any lock-out)."""
        account = self._existing(username)
        try:
            check_secret(secret, self.min_length)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        changed = account.model_copy(
            update={
                "secret_hash": hash_secret(secret),
                "disabled": False,
                "changed_at": self._clock.now(),
                "changed_by": by,
            }
        )
        self._store.save_account_body(changed.username, changed.model_dump_json())
        self._log(changed.username, False, "reset", by=by)
        return changed

    # ------------------------------------------------------------------ signing in

    def sign_in(self, username: str, secret: str, purpose: str = "sign-in") -> Account:
        """Check ``secret`` and return the account; every attempt is logged (never the secret).

        Parameters
        ----------
        username : str
            The account's username.
        secret : str
            The password or PIN typed.
        purpose : str
            Why (``sign-in``, ``switch user``, ``unlock``, ``signature``), kept in the log.

        Raises
        ------
        SignInError
            Unknown or disabled account, locked out, or a wrong secret (with the tries left).
        """
        name = username.strip().lower()
        account = self.get(name) if name else None
        if account is None:
            raise SignInError(f"no account {username!r} (see 'sessionmon users list')")
        if account.disabled:
            self._log(name, False, "disabled", purpose=purpose)
            raise SignInError(f"the account {name!r} is disabled; ask an admin")
        until = self.locked_until(name)
        if until is not None:
            self._log(name, False, "locked", purpose=purpose)
            minutes = max(1, round((until - self._clock.now()).total_seconds() / 60 + 0.49))
            raise SignInError(
                f"the account {name!r} is locked after {MAX_TRIES} wrong tries; "
                f"try again in {minutes} minute(s) or ask an admin to reset it"
            )
        if not verify_secret(account.secret_hash, secret):
            self._log(name, False, "wrong", purpose=purpose)
            left = MAX_TRIES - self._wrong_in_a_row(name)
            if left <= 0:
                raise SignInError(
                    f"wrong password or PIN for {name!r}; the account is now locked for "
                    f"{LOCK_MINUTES:g} minutes"
                )
            tries = "try" if left == 1 else "tries"
            raise SignInError(f"wrong password or PIN for {name!r} ({left} {tries} left)")
        self._log(name, True, "ok", purpose=purpose)
        return account

    # ------------------------------------------------------------------ helpers

    def _wrong_in_a_row(self, username: str) -> int:
        count = 0
        for _at, ok, body in self._store.sign_ins_since(username, None):
            kind = json.loads(body).get("result")
            count = 0 if ok or kind == "reset" else count + (kind == "wrong")
        return count

    def _existing(self, username: str) -> Account:
        account = self.get(username)
        if account is None:
            raise UserError(f"no account {username!r} (see 'sessionmon users list')")
        return account

    def _version(self, **fields: Any) -> Account:
        return Account(changed_at=self._clock.now(), **fields)

    def _log(self, username: str, ok: bool, result: str, **extra: str) -> None:
        self._store.add_sign_in(username, ok, json.dumps({"result": result, **extra}))
