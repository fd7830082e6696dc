"""``sessionmon db encrypt``: turn a plain session database into an encrypted one, losing nothing.

1. The plain database is opened as usual and its audit trail verified: a database that is not
   intact is refused (encrypting it would give its damage a fresh, keyed anchor).
2. Holding the write lock (no other program can commit meanwhile), SQLCipher's
   ``sqlcipher_export`` copies every table, index and row into a new encrypted file next to it,
   with the same schema version and application id.
3. The copy is opened with the key and compared table by table (row counts, the audit chain
   head) with the original; only then is it fsynced and renamed over the original (one atomic
   rename), and the sidecar rewritten with the same head and its keyed MAC.
4. The encrypted database is opened and verified again; the result is returned.

The rows are byte for byte the same, so the audit chain (which hashes the rows) still verifies.
A failure before the rename leaves the plain database as it was and removes the partial copy.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from sessionmon.clock import Clock
from sessionmon.store import audit, driver, encryption, keys, schema
from sessionmon.store.anchor import Anchor, chain_head, head_path, write_anchor
from sessionmon.store.errors import StoreError, translate


@dataclass(frozen=True)
class EncryptResult:
    """What the migration did: rows per table copied, and the verification afterwards."""

    rows: dict[str, int]
    report: audit.AuditReport


def _counts(conn: object) -> dict[str, int]:
    return {
        table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[attr-defined]
        for table in audit.AUDITED_COLUMNS
    }


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _export(path: Path, target: Path, cipher: encryption.Cipher) -> dict[str, int]:
    """Copy ``path`` into the new encrypted ``target``; return the row counts copied."""
    assert cipher.key is not None and cipher.salt is not None
    source = driver.connect(path, 5.0, key=None, via_sqlcipher=True)
    try:
        source.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        source.execute(
            f"ATTACH DATABASE {_quoted(str(target))} AS encrypted "
            f"KEY \"x'{cipher.key.hex()}{cipher.salt.hex()}'\""
        )
        source.execute("BEGIN IMMEDIATE")  # nobody commits to the plain file during the copy
        try:
            counts = _counts(source)
            version = schema.schema_version(source)
            app_id = schema.application_id(source)
            source.execute("SELECT sqlcipher_export('encrypted')")
            source.execute(f"PRAGMA encrypted.user_version = {int(version)}")
            source.execute(f"PRAGMA encrypted.application_id = {int(app_id)}")
            source.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(*driver.ERRORS):
                source.execute("ROLLBACK")
            raise
        source.execute("DETACH DATABASE encrypted")
    finally:
        source.close()
    return counts


def encrypt_database(path: Path, db_key: keys.DbKey, clock: Clock) -> EncryptResult:
    """Encrypt the plain database ``path`` in place with ``db_key`` (see the module text).

    Raises
    ------
    StoreError
        Already encrypted, no SQLCipher, the audit trail not intact, the copy differs, or the
        disk refused; the plain database is then unchanged.
    """
    from sessionmon.store.session_store import SessionStore

    path = Path(path)
    if not driver.available():
        raise StoreError("this installation has no SQLCipher (the sqlcipher3 package)")
    if driver.file_salt(path) is not None:
        raise StoreError(f"{path} is already encrypted (or is not a plain SQLite file)")
    if not path.exists():
        raise StoreError(f"no session database {path}")
    with SessionStore.open(path, clock, key=None) as store:
        before = store.verify_audit()
    if not before.ok:
        raise StoreError(
            f"{path} was not encrypted: its audit trail is not intact; run 'sessionmon sessions "
            f"verify' and keep the file as evidence ({'; '.join(before.message.splitlines())})"
        )
    cipher = encryption.for_key(db_key, os.urandom(16))
    target = path.with_name(f"{path.name}.encrypting-{os.getpid()}")
    target.unlink(missing_ok=True)
    try:
        os.close(os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))  # private from birth
        counts = _export(path, target, cipher)
        check = cipher.connect(target, 5.0)
        try:
            copied = _counts(check)
            head = chain_head(check)
        finally:
            check.close()
        if copied != counts:
            raise StoreError(f"the encrypted copy of {path} differs ({copied} != {counts})")
        _fsync(target)
        for suffix in ("-wal", "-shm"):  # the plain file's (empty after the checkpoint)
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        os.replace(target, path)
        _fsync(path.parent)
    except driver.ERRORS as exc:
        raise translate(exc, path, "encrypting the database") from None
    except OSError as exc:
        raise StoreError(f"cannot encrypt {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)
    write_anchor(head_path(path), Anchor(head), mac_key=cipher.mac_key)
    with SessionStore.open(path, clock, key=db_key) as store:
        report = store.verify_audit()
    return EncryptResult(counts, report)


__all__ = ["EncryptResult", "encrypt_database"]
