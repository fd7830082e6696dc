"""Signing in from the command line: ``--user NAME`` and the PIN from the terminal or
``SESSIONMON_PIN`` (never a prompt when standard input is not a terminal)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from sessionmon.accounts.book import AccountBook
from sessionmon.accounts.model import Account, Role, roles_phrase
from sessionmon.clinic import ClinicSettings
from sessionmon.errors import UserError

#: Environment variable a headless command reads the signing-in user's PIN from.
PIN_ENV = "SESSIONMON_PIN"
#: Environment variable ``users add`` and ``users reset`` read the new PIN from.
NEW_PIN_ENV = "SESSIONMON_NEW_PIN"


def add_user_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--user NAME`` to a command that acts (records who did it)."""
    parser.add_argument(
        "--user",
        default=None,
        metavar="NAME",
        help=f"sign in as this staff account (PIN from the terminal or ${PIN_ENV}); required "
        "once the clinic has accounts",
    )


def book_for(store: Any, clock: Any) -> AccountBook:
    """The account book of ``store`` with the clinic's minimum secret length."""
    return AccountBook(store, clock, ClinicSettings.load().min_secret_length)


def read_secret(prompt: str, env: str, *, confirm: bool = False) -> str:
    """The secret from ``$env``, else typed at the terminal (twice with ``confirm``).

    Raises
    ------
    UserError
        Neither is available (standard input is not a terminal and ``$env`` is unset), or the
        two typed secrets differ.
    """
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UserError(
            f"no PIN: standard input is not a terminal, so sessionmon will not prompt; "
            f"set {env} (or run it in a terminal)"
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != first:
        raise UserError("the two entries differ; nothing was changed")
    return first


def signed_in(args: argparse.Namespace, store: Any, clock: Any, purpose: str) -> Account | None:
    """The account ``--user`` signs in as, or None when the clinic has no accounts yet.

    Raises
    ------
    UserError
        The clinic has accounts and ``--user`` is missing, or the sign-in is refused.
    """
    book = book_for(store, clock)
    name = getattr(args, "user", None)
    if name is None:
        if book.is_empty():
            return None
        raise UserError(
            "this clinic has staff accounts: sign in with --user NAME "
            f"(PIN from the terminal or ${PIN_ENV})"
        )
    if book.is_empty():
        raise UserError("--user: this database has no staff accounts yet (sessionmon users add)")
    secret = read_secret(f"PIN for {name}: ", PIN_ENV)
    return book.sign_in(name, secret, purpose)


def actor(
    args: argparse.Namespace,
    store: Any,
    clock: Any,
    typed_by: str | None,
    purpose: str,
    *,
    required: bool = True,
) -> str | None:
    """Who the record names: the signed-in user, else (no accounts yet) the typed ``--by``.

    Raises
    ------
    UserError
        Signing in failed, or there are no accounts and no ``--by`` either (``required``).
    """
    account = signed_in(args, store, clock, purpose)
    if account is not None:
        return account.signature
    if not typed_by and required:
        raise UserError("say who does it: --user NAME (or --by NAME while there are no accounts)")
    return typed_by


def require_role(account: Account | None, *roles: Role, doing: str) -> None:
    """Refuse ``doing`` unless ``account`` holds one of ``roles`` (None: no accounts yet)."""
    if account is not None and not account.may(*roles):
        raise UserError(f"only {roles_phrase(roles)} may {doing}; {account.signature} may not")
