"""How one database is opened: plain, or encrypted with which key (decided once per open).

Rules (see docs/decisions/phi.md):

* an existing encrypted file needs its key (``SESSIONMON_DB_KEY``, the OS keyring, or a
  passphrase typed at a terminal); without one, or with a wrong one, the open is refused in one
  line and the file is not touched;
* a new database is encrypted when a key is configured (environment or keyring), except the
  simulator's training database, which stays plain (it holds no patient);
* an existing plain database stays plain (``sessionmon db encrypt`` converts it), with a
  warning when a key is configured in ``SESSIONMON_DB_KEY``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sessionmon.store import driver, keys
from sessionmon.store.errors import StoreError

log = logging.getLogger(__name__)

#: "Look the key up the usual way" (environment, keyring, terminal prompt).
AUTO = "auto"


@dataclass(frozen=True)
class Cipher:
    """The way one database is opened: ``key`` None is plain SQLite."""

    key: bytes | None = None
    salt: bytes | None = None
    mac_key: bytes | None = None
    #: Where the key came from ("SESSIONMON_DB_KEY", "the OS keyring", ...), None when plain.
    source: str | None = None

    @property
    def encrypted(self) -> bool:
        """Whether the database is encrypted."""
        return self.key is not None

    def connect(self, path: Path, timeout: float) -> Any:
        """Open a connection to ``path`` with this cipher (see :func:`driver.connect`)."""
        return driver.connect(path, timeout, self.key, self.salt)


PLAIN = Cipher()


def for_key(db_key: keys.DbKey, salt: bytes) -> Cipher:
    """Return the cipher of a database with salt ``salt`` under ``db_key``."""
    return Cipher(db_key.database_key(salt), salt, db_key.mac_key(salt), db_key.source)


def _is_training(path: Path) -> bool:
    from sessionmon.paths import training_db_path

    try:
        return path.resolve() == training_db_path().resolve()
    except OSError:
        return False


def _need_key(path: Path, key: keys.DbKey | str | None, prompt: Any) -> keys.DbKey:
    if not driver.available():
        raise StoreError(
            f"{path} is encrypted (or not an SQLite file), but this installation has no "
            "SQLCipher (the sqlcipher3 package): install it to open the database"
        )
    found = (
        keys.find_key(keys.terminal_prompt() if prompt == AUTO else prompt) if key == AUTO else key
    )
    if found is None:
        raise StoreError(
            f"{path} is encrypted (or not a session database) and no database key was found: "
            f"{keys.where_looked()}"
        )
    assert isinstance(found, keys.DbKey)
    return found


def choose(
    path: Path,
    created: bool,
    key: keys.DbKey | str | None = AUTO,
    prompt: Any = AUTO,
    encrypt_new: bool | None = None,
) -> tuple[Cipher, list[str]]:
    """Decide how to open ``path``; return the cipher and warning lines.

    Parameters
    ----------
    path : Path
        The database file (``created``: it was created empty by this open).
    key : DbKey, None or AUTO
        The key to use; AUTO looks it up (environment, keyring, ``prompt``); None opens plain.
    prompt : callable, None or AUTO
        Asks for a passphrase; AUTO asks at the terminal only when there is one.
    encrypt_new : bool, optional
        Encrypt a new database; None: when a key is configured and it is not the training db.

    Raises
    ------
    StoreError
        An encrypted file without SQLCipher, without a key, or with a wrong key.
    """
    salt = driver.file_salt(path)
    if salt is not None:  # an existing file that is not plain SQLite
        db_key = _need_key(path, key, prompt)
        cipher = for_key(db_key, salt)
        try:
            cipher.connect(path, 1.0).close()
        except driver.WrongKeyError:
            keys.forget_typed()  # a mistyped passphrase is asked again next time
            raise StoreError(
                f"cannot open {path}: the database key from {db_key.source} does not open it "
                "(a wrong key, or the file is not a session database); nothing was changed"
            ) from None
        return cipher, []
    if created:
        want = encrypt_new
        if want is None:
            want = driver.available() and not _is_training(path)
            db_key = None
            if want:
                db_key = keys.find_key(None) if key == AUTO else key
                want = db_key is not None
        elif want:
            db_key = keys.find_key(None) if key == AUTO else key
            if not isinstance(db_key, keys.DbKey) or not driver.available():
                raise StoreError(
                    f"cannot create {path} encrypted: "
                    + ("no SQLCipher" if not driver.available() else keys.where_looked())
                )
        else:
            db_key = None
        if want and isinstance(db_key, keys.DbKey):
            return for_key(db_key, os.urandom(16)), []
        return PLAIN, []
    warnings = []
    if key is not None and (key != AUTO or keys.from_environment() is not None):
        line = (
            f"warning: {path} is not encrypted although a database key is configured; "
            "run 'sessionmon db encrypt' to encrypt it"
        )
        log.warning(line)  # shown on stderr by the commands, as the file-mode warnings are
        warnings.append(line)
    return PLAIN, warnings


__all__ = ["AUTO", "PLAIN", "Cipher", "choose", "for_key"]
