"""The database key: where it comes from, and the keys derived from it.

A clinic has one *key secret*. It is looked up, in this order:

1. the ``SESSIONMON_DB_KEY`` environment variable (headless commands, services);
2. the OS keyring (``keyring``: Secret Service, KWallet, macOS Keychain, Windows Credential
   Locker), service ``sessionmon``, user ``database-key``;
3. a passphrase typed at the terminal, asked only when standard input *and* standard error are
   terminals. Never anything else: a command without a terminal fails with one line instead.

A secret of exactly 64 hexadecimal digits is a random 256-bit key (``sessionmon db key new``
makes one) and is used as it is. Anything else is a passphrase, stretched with scrypt
(N=2**17, r=8, p=1: the OWASP password-storage minimum) and the database file's own salt (the
first 16 bytes of an SQLCipher file, random per database), once per process. Two keys are
derived from that material and the salt with HMAC-SHA256, one per purpose and per database:
the SQLCipher page key and the audit-head MAC key (:mod:`sessionmon.store.anchor`), so a
sidecar copied from another database of the same clinic key does not verify.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import hmac
import logging
import os
import re
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

#: The environment variable headless commands read the key secret from.
KEY_ENV = "SESSIONMON_DB_KEY"
#: The keyring entry holding the key secret.
KEYRING_SERVICE = "sessionmon"
KEYRING_USER = "database-key"

#: scrypt cost for passphrases (OWASP Password Storage Cheat Sheet minimum for scrypt).
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1

_RAW = re.compile(r"[0-9a-fA-F]{64}")

Prompt = Callable[[], str]


class KeyUnavailableError(Exception):
    """No key could be had (the message says where it was looked for, in one line)."""


@dataclass(frozen=True)
class DbKey:
    """One key secret and where it came from (the secret never appears in a repr)."""

    secret: str = field(repr=False)
    source: str

    def is_raw(self) -> bool:
        """Whether the secret is a 256-bit key in hex (no stretching needed)."""
        return bool(_RAW.fullmatch(self.secret))

    def material(self, salt: bytes) -> bytes:
        """Return the 32 bytes both keys are derived from (scrypt of a passphrase)."""
        if self.is_raw():
            return bytes.fromhex(self.secret)
        return _stretch(self.secret, salt)

    def database_key(self, salt: bytes) -> bytes:
        """Return the SQLCipher raw key for the database whose salt is ``salt``."""
        return _purpose(self.material(salt), b"sessionmon database key v1", salt)

    def mac_key(self, salt: bytes) -> bytes:
        """Return the key of the audit-head MAC for the database whose salt is ``salt``."""
        return _purpose(self.material(salt), b"sessionmon audit head mac v1", salt)


def _purpose(material: bytes, label: bytes, salt: bytes) -> bytes:
    """One key per purpose and per database (the salt), even from one raw clinic key."""
    return hmac.new(material, label + b"\x00" + salt, hashlib.sha256).digest()


@functools.lru_cache(maxsize=8)
def _stretch(passphrase: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        passphrase.encode(),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=256 * 1024 * 1024,
        dklen=32,
    )


def from_environment() -> DbKey | None:
    """Return the key secret in ``SESSIONMON_DB_KEY`` (None if unset or empty)."""
    secret = os.environ.get(KEY_ENV, "")
    return DbKey(secret, KEY_ENV) if secret else None


def keyring_problem() -> str | None:
    """Return why the OS keyring cannot be used (one line), or None when it can."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return "the keyring package is not installed"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken backend configuration
        return f"the OS keyring cannot be loaded ({exc})"
    if isinstance(backend, fail.Keyring):
        return "no OS keyring is available on this machine (no Secret Service, KWallet, ...)"
    return None


def from_keyring() -> DbKey | None:
    """Return the key secret stored in the OS keyring, or None (no keyring, no entry)."""
    if keyring_problem() is not None:
        return None
    import keyring

    try:
        secret = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except Exception as exc:  # a locked or unreachable keyring service
        log.warning("storage: cannot read the database key from the OS keyring: %s", exc)
        return None
    return DbKey(secret, "the OS keyring") if secret else None


def store_in_keyring(secret: str) -> None:
    """Store ``secret`` as the clinic's database key in the OS keyring.

    Raises
    ------
    KeyUnavailableError
        If there is no usable keyring (the message says so and what to do instead).
    """
    problem = keyring_problem()
    if problem is None:
        import keyring

        try:
            keyring.set_password(KEYRING_SERVICE, KEYRING_USER, secret)
            return
        except Exception as exc:
            problem = f"the OS keyring refused the key ({exc})"
    raise KeyUnavailableError(
        f"{problem}; set {KEY_ENV} instead (e.g. from 'sessionmon db key new --print')"
    )


def new_secret() -> str:
    """Return a new random 256-bit key as 64 hexadecimal digits."""
    return secrets.token_hex(32)


def terminal_prompt(confirm: bool = False) -> Prompt | None:
    """Return a passphrase prompt on the terminal, or None when there is no terminal.

    ``confirm`` asks twice (a new passphrase) and refuses a mismatch.
    """
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None

    def ask() -> str:
        first = getpass.getpass("sessionmon database passphrase: ")
        if confirm and getpass.getpass("again: ") != first:
            raise KeyUnavailableError("the two passphrases differ")
        return first

    return ask


_typed: list[DbKey] = []  # the passphrase typed in this process, asked once


def find_key(prompt: Prompt | None = None) -> DbKey | None:
    """Return the key secret from the environment, the keyring, or ``prompt`` (in that order).

    A passphrase typed once is kept for the rest of the process (the console opens the database
    again for exports), never written anywhere.
    """
    found = from_environment() or from_keyring() or (_typed[0] if _typed else None)
    if found is None and prompt is not None:
        secret = prompt()
        if secret:
            found = DbKey(secret, "the passphrase typed")
            _typed.append(found)
    return found


def forget_typed() -> None:
    """Forget the passphrase typed in this process (it did not open the database)."""
    _typed.clear()


def where_looked() -> str:
    """One line saying where a key was looked for (for "no key" messages)."""
    keyring_part = keyring_problem() or "the OS keyring has no 'sessionmon' entry"
    return f"{KEY_ENV} is not set, {keyring_part}, and standard input is not a terminal"


__all__ = [
    "KEYRING_SERVICE",
    "KEYRING_USER",
    "KEY_ENV",
    "DbKey",
    "KeyUnavailableError",
    "find_key",
    "forget_typed",
    "from_environment",
    "from_keyring",
    "keyring_problem",
    "new_secret",
    "store_in_keyring",
    "terminal_prompt",
    "where_looked",
]
