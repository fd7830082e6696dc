"""``sessionmon users add|list|disable|reset``: the clinic's staff accounts."""

from __future__ import annotations

import argparse
from typing import Any

from sessionmon.accounts.headless import NEW_PIN_ENV, PIN_ENV, add_user_argument


def register(subparsers: Any) -> None:
    """Add the ``users`` command."""
    parser = subparsers.add_parser(
        "users",
        help="staff accounts: add, list, disable, reset a password or PIN",
        description="Staff accounts of the clinic's database. Changing accounts needs an admin "
        f"(--user, PIN from the terminal or ${PIN_ENV}); the first account, created when there "
        "is none, must be an admin. New PINs are typed twice at the terminal or read from "
        f"${NEW_PIN_ENV}.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account")
    add.add_argument("username", help="what the person types to sign in (lower case)")
    add.add_argument("--name", required=True, help="printed name, e.g. 'Ann Lee'")
    add.add_argument("--role", required=True, choices=("nurse", "prescriber", "trainer", "admin"))
    add_user_argument(add)
    add.set_defaults(func=add_handler)
    listing = actions.add_parser("list", help="every account: role, state (never the PIN)")
    listing.set_defaults(func=list_handler)
    disable = actions.add_parser("disable", help="stop an account signing in (records stay)")
    disable.add_argument("username")
    add_user_argument(disable)
    disable.set_defaults(func=disable_handler)
    reset = actions.add_parser(
        "reset", help="set a new password or PIN (also re-enables and unlocks the account)"
    )
    reset.add_argument("username")
    add_user_argument(reset)
    reset.set_defaults(func=reset_handler)


def _open(args: argparse.Namespace):
    from sessionmon.cli import resolve_db
    from sessionmon.clock import SystemClock
    from sessionmon.store import SessionStore

    clock = SystemClock()
    return SessionStore.open(resolve_db(args), clock, busy_timeout_s=2.0), clock


def _admin(args: argparse.Namespace, store: Any, clock: Any, *, self_ok: str | None = None) -> str:
    """The signature of the admin (or, for ``self_ok``, the account itself) acting."""
    from sessionmon.accounts.headless import require_role, signed_in
    from sessionmon.accounts.model import Role
    from sessionmon.errors import UserError

    account = signed_in(args, store, clock, "users")
    if account is None:
        raise UserError("no accounts yet: create the first admin with 'sessionmon users add'")
    if self_ok is None or account.username != self_ok.strip().lower():
        require_role(account, Role.ADMIN, doing="change staff accounts")
    return account.signature


def add_handler(args: argparse.Namespace) -> int:
    """Create an account (the first one without signing in, as an admin)."""
    from sessionmon.accounts.headless import book_for, read_secret

    store, clock = _open(args)
    with store:
        book = book_for(store, clock)
        by = "first run" if book.is_empty() and args.user is None else _admin(args, store, clock)
        secret = read_secret(f"new PIN for {args.username}: ", NEW_PIN_ENV, confirm=True)
        account = book.add(args.username, args.name, args.role, secret, by)
    print(f"added {account.signature}")
    return 0


def list_handler(args: argparse.Namespace) -> int:
    """Print one line per account."""
    from sessionmon.accounts.headless import book_for

    store, clock = _open(args)
    with store:
        book = book_for(store, clock)
        accounts = book.list()
        if not accounts:
            print("no staff accounts (create the first admin with 'sessionmon users add')")
            return 0
        print(f"{'username':<16} {'role':<10} {'state':<22} name")
        for account in accounts:
            until = book.locked_until(account.username)
            state = "disabled" if account.disabled else "active"
            if until is not None and not account.disabled:
                state = f"locked until {until.strftime('%H:%M:%S')}Z"
            print(
                f"{account.username:<16} {account.role.value:<10} {state:<22} {account.full_name}"
            )
    return 0


def disable_handler(args: argparse.Namespace) -> int:
    """Disable an account (admin only)."""
    from sessionmon.accounts.headless import book_for

    store, clock = _open(args)
    with store:
        by = _admin(args, store, clock)
        account = book_for(store, clock).disable(args.username, by)
    print(f"disabled {account.signature}")
    return 0


def reset_handler(args: argparse.Namespace) -> int:
    """Set a new PIN (an admin for anyone, or a user for themselves)."""
    from sessionmon.accounts.headless import book_for, read_secret

    store, clock = _open(args)
    with store:
        by = _admin(args, store, clock, self_ok=args.username)
        secret = read_secret(f"new PIN for {args.username}: ", NEW_PIN_ENV, confirm=True)
        account = book_for(store, clock).reset(args.username, secret, by)
    print(f"new PIN set for {account.signature}; the account is active and unlocked")
    return 0
