"""``sessionmon db``: the database's encryption: status, a new key, encrypting a plain database."""

from __future__ import annotations

import argparse
from typing import Any

from sessionmon.errors import UserError


def register(subparsers: Any) -> None:
    """Add the ``db`` command and its sub-commands."""
    parser = subparsers.add_parser(
        "db", help="database encryption: status, a new key, encrypt a plain database"
    )
    parser.set_defaults(func=lambda args: (parser.print_help(), 0)[1])
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION")

    status = actions.add_parser(
        "status", help="say whether the database is encrypted and where its key comes from"
    )
    status.set_defaults(func=status_handler)

    key = actions.add_parser("key", help="make the clinic's database key")
    key_actions = key.add_subparsers(dest="key_command", metavar="ACTION")
    new = key_actions.add_parser(
        "new",
        help="make a random 256-bit key and store it in the OS keyring (or print it)",
        description="Make a random 256-bit database key. By default it is stored in the OS "
        "keyring (service 'sessionmon', user 'database-key'); --print writes it to standard "
        "output instead, for SESSIONMON_DB_KEY on a machine without a keyring.",
    )
    new.add_argument(
        "--print", action="store_true", dest="print_key", help="print the key, do not store it"
    )
    new.add_argument("--replace", action="store_true", help="replace a key already in the keyring")
    new.set_defaults(func=key_new_handler)
    key.set_defaults(func=lambda args: (key.print_help(), 0)[1])

    encrypt = actions.add_parser(
        "encrypt",
        help="encrypt a plain database in place with the configured key (verified before/after)",
        description="Verify the plain database's audit trail, copy it into an encrypted file "
        "with the configured key (SESSIONMON_DB_KEY, the OS keyring, or a passphrase typed "
        "twice at the terminal), check the copy row by row count and chain head, and replace "
        "the plain file with it. Close every sessionmon using the database first.",
    )
    encrypt.set_defaults(func=encrypt_handler)


def _db(args: argparse.Namespace):
    from sessionmon.cli import resolve_db

    return resolve_db(args)


def status_handler(args: argparse.Namespace) -> int:
    """Print whether the database is encrypted, the SQLCipher version and the key's source."""
    from sessionmon.store import driver, keys

    path = _db(args)
    if not path.exists():
        state = "does not exist yet"
    elif driver.file_salt(path) is None:
        state = "plain SQLite (not encrypted)"
    else:
        state = "encrypted (SQLCipher)"
    found = keys.from_environment() or keys.from_keyring()
    print(f"database:  {path}: {state}")
    print(f"SQLCipher: {driver.cipher_version() or 'not installed: databases stay plain'}")
    print(f"key:       {'from ' + found.source if found else 'none configured'}")
    problem = keys.keyring_problem()
    print(f"keyring:   {problem or 'available'}")
    return 0


def key_new_handler(args: argparse.Namespace) -> int:
    """Make a new random key; store it in the keyring, or print it with ``--print``."""
    from sessionmon.store import keys

    secret = keys.new_secret()
    if args.print_key:
        print(secret)
        return 0
    if keys.from_keyring() is not None and not args.replace:
        raise UserError(
            "the OS keyring already holds a sessionmon database key; databases encrypted with "
            "it would no longer open with a new one (use --replace only if none exists)"
        )
    try:
        keys.store_in_keyring(secret)
    except keys.KeyUnavailableError as exc:
        raise UserError(str(exc)) from None
    print("a new database key is in the OS keyring (service 'sessionmon', user 'database-key')")
    return 0


def encrypt_handler(args: argparse.Namespace) -> int:
    """Encrypt the plain database in place; print the rows kept and the verification."""
    from sessionmon.clock import SystemClock
    from sessionmon.store import keys
    from sessionmon.store.migrate_encrypt import encrypt_database

    path = _db(args)
    try:
        db_key = keys.find_key(keys.terminal_prompt(confirm=True))
    except keys.KeyUnavailableError as exc:
        raise UserError(str(exc)) from None
    if db_key is None:
        raise UserError(
            f"no database key to encrypt {path} with: {keys.where_looked()}; make one with "
            "'sessionmon db key new' (keyring) or set SESSIONMON_DB_KEY"
        )
    result = encrypt_database(path, db_key, SystemClock())
    total = sum(result.rows.values())
    print(f"{path} is now encrypted (key from {db_key.source}); {total} rows kept")
    print(result.report.message)
    return 0 if result.report.ok else 1
