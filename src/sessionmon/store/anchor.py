"""The audit chain's head, anchored outside the database: the ``<db>.audit-head`` sidecar.

A hash chain inside the database cannot tell that its newest entries were deleted (what is
left still links up). The writer therefore records the chain head (last sequence number and
entry hash) in a sidecar file next to the database with every commit that adds audit entries:

1. just before ``COMMIT`` (still holding SQLite's write lock, so writers of several processes
   take turns) it writes ``{"head": new, "previous": head before this commit}``;
2. just after ``COMMIT`` it confirms ``{"head": new, "previous": null}`` unless another process
   has written a newer head meanwhile.

The database head must then be ``head`` (or ``previous`` when the program died between the
commit and the confirmation, or the commit failed). Each file write is atomic (a temporary file
and ``os.replace``): a process killed mid-write leaves the old or the new sidecar, never half of
one. Only the confirmation is fsynced, and the writer does it after answering the waiting
callers, so a nurse's intent waits for one small unsynced file write more than before.

On an encrypted database the sidecar also carries ``mac``: an HMAC-SHA256 of its head and
previous head under a key derived from the database key (:meth:`keys.DbKey.mac_key`). Someone
who deletes rows and rewrites the sidecar to match must then hold the key; a sidecar without a
MAC, or with a wrong one, is reported by ``sessions verify`` as a forged anchor.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sessionmon.store.audit import GENESIS

log = logging.getLogger(__name__)

#: Suffix of the sidecar file that holds the anchored chain head.
HEAD_SUFFIX = ".audit-head"


@dataclass(frozen=True)
class Head:
    """One chain head: the last entry's sequence number and hash (0 and GENESIS when empty)."""

    seq: int
    sha256: str


@dataclass(frozen=True)
class Anchor:
    """What the sidecar holds: the head, and the head before a commit not yet confirmed."""

    head: Head
    previous: Head | None = None
    #: The HMAC-SHA256 (hex) read from the sidecar, None when it has none.
    mac: str | None = None

    def accepts(self, db_head: Head) -> bool:
        """Whether ``db_head`` is the anchored head (or the one before an unconfirmed commit)."""
        return db_head == self.head or db_head == self.previous


def _as_json(head: Head | None) -> dict[str, object] | None:
    return None if head is None else {"seq": head.seq, "sha256": head.sha256}


def compute_mac(anchor: Anchor, key: bytes) -> str:
    """Return the HMAC-SHA256 (hex) of the anchor's head and previous head under ``key``."""
    body = json.dumps(
        {"head": _as_json(anchor.head), "previous": _as_json(anchor.previous)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def mac_matches(anchor: Anchor, key: bytes) -> bool:
    """Whether the anchor carries a MAC and it is the one ``key`` gives (constant time)."""
    return anchor.mac is not None and hmac.compare_digest(anchor.mac, compute_mac(anchor, key))


def head_path(db_path: Path) -> Path:
    """Return the sidecar path of the database ``db_path``."""
    return db_path.with_name(db_path.name + HEAD_SUFFIX)


def chain_head(conn: sqlite3.Connection) -> Head:
    """Return the newest audit entry's head (``Head(0, GENESIS)`` for an empty chain)."""
    row = conn.execute("SELECT seq, entry_sha256 FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return Head(0, GENESIS) if row is None else Head(int(row[0]), str(row[1]))


def read_anchor(path: Path) -> Anchor | None:
    """Read the sidecar; None when it does not exist.

    Raises
    ------
    ValueError
        If the file exists but is not a head anchor (edited or damaged).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        head = Head(int(data["head"]["seq"]), str(data["head"]["sha256"]))
        prev = data.get("previous")
        previous = None if prev is None else Head(int(prev["seq"]), str(prev["sha256"]))
        mac = data.get("mac")
        mac = None if mac is None else str(mac)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is not an audit head anchor ({exc})") from None
    return Anchor(head, previous, mac)


def write_anchor(
    path: Path, anchor: Anchor, *, durable: bool = True, mac_key: bytes | None = None
) -> None:
    """Replace the sidecar atomically (temporary file, rename), mode 0600.

    ``durable`` also fsyncs it before the rename (survives power loss, not only a crash);
    ``mac_key`` adds the keyed MAC (encrypted databases).
    """
    data: dict[str, object] = {
        "head": _as_json(anchor.head),
        "previous": _as_json(anchor.previous),
    }
    if mac_key is not None:
        data["mac"] = compute_mac(anchor, mac_key)
    text = json.dumps(data)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an advisory lock shared by every process writing this sidecar."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class HeadAnchor:
    """Keeps the sidecar of one database up to date from the store's writer thread.

    Parameters
    ----------
    db_path : Path
        The database file; the sidecar is :func:`head_path` of it.
    mac_key : bytes, optional
        The audit-head MAC key (encrypted databases); None writes an unkeyed sidecar.
    """

    def __init__(self, db_path: Path, mac_key: bytes | None = None) -> None:
        self.path = head_path(db_path)
        self.mac_key = mac_key
        self._before: Head | None = None
        self._pending: Head | None = None
        #: The last error writing the sidecar (None once a write succeeds).
        self.last_error: str | None = None
        #: Why the sidecar is kept as evidence and not updated any more (None: it is updated).
        self.frozen: str | None = None

    def begin(self, conn: sqlite3.Connection) -> None:
        """Note the chain head at the start of a write transaction.

        If the sidecar no longer accepts the database's head (entries were deleted, or the
        sidecar was rewritten or its MAC does not match), it is kept as it is, as evidence for
        ``sessions verify``, and no longer updated by this store (:attr:`frozen` says why).
        Otherwise the next commit would anchor the tampered head and hide the tampering.
        """
        self._before = chain_head(conn)
        self._pending = None
        if self.frozen is None and self.last_error is None:  # after a failed write: heal it
            self.frozen = self._mismatch(self._before)
            if self.frozen is not None:
                log.error(
                    "storage: the audit head anchor %s %s; it is kept as evidence and no longer "
                    "updated: run 'sessionmon sessions verify'",
                    self.path,
                    self.frozen,
                )

    def _mismatch(self, db_head: Head) -> str | None:
        try:
            anchor = read_anchor(self.path)
        except (OSError, ValueError) as exc:
            return f"cannot be read ({exc})"
        if anchor is None:
            return None  # deleted: written anew (the open says so, verify names it before)
        if self.mac_key is not None and not mac_matches(anchor, self.mac_key):
            return "has no MAC or a wrong one"
        if not anchor.accepts(db_head):
            return f"anchors entry #{anchor.head.seq}, but the database ends at #{db_head.seq}"
        return None

    def before_commit(self, conn: sqlite3.Connection) -> None:
        """Anchor the new head (with the old one) if this transaction added audit entries."""
        head = chain_head(conn)
        if head == self._before or self.frozen is not None:
            return
        self._pending = head
        self._write(Anchor(head, self._before), confirm=False)

    def after_commit(self) -> None:
        """Confirm the committed head, unless another process has anchored a newer one."""
        head, self._pending = self._pending, None
        if head is not None:
            self._write(Anchor(head), confirm=True)

    def _write(self, anchor: Anchor, *, confirm: bool) -> None:
        try:
            with _locked(self.path):
                if confirm:
                    current = read_anchor(self.path)
                    if current is not None and current.head != anchor.head:
                        return  # another process committed after us
                write_anchor(self.path, anchor, durable=confirm, mac_key=self.mac_key)
        except (OSError, ValueError) as exc:
            # The database write goes on: monitoring must not stop for the sidecar.
            if self.last_error is None:
                log.error("storage: cannot write the audit head anchor %s: %s", self.path, exc)
            self.last_error = str(exc)
        else:
            self.last_error = None
