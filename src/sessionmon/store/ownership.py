"""Which process is writing which session.

The store that records a session holds an advisory lock on ``<db>-locks/<session-id>.lock``
for as long as it owns the session. The operating system drops the lock when the process dies,
however it dies, so another process can tell a session that is being recorded right now from
one whose writer crashed (which it lists as interrupted). POSIX uses ``flock``; Windows uses
``msvcrt.locking`` on the first byte of the same file.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

try:  # POSIX
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


class SessionLocks:
    """The writer locks of one database.

    Parameters
    ----------
    db_path : Path
        The database file; the locks live in the folder ``<db_path>-locks`` next to it.
    """

    def __init__(self, db_path: Path) -> None:
        self.folder = db_path.with_name(db_path.name + "-locks")
        self._held: dict[uuid.UUID, int] = {}

    def _path(self, session_id: uuid.UUID) -> Path:
        return self.folder / f"{session_id}.lock"

    def holds(self, session_id: uuid.UUID) -> bool:
        """Return whether this store owns the session."""
        return session_id in self._held

    def acquire(self, session_id: uuid.UUID) -> bool:
        """Take ownership of a session; return False if a live process already owns it."""
        if session_id in self._held:
            return True
        self.folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(self._path(session_id), os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            return False
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        self._held[session_id] = fd
        return True

    def writer_alive(self, session_id: uuid.UUID) -> bool:
        """Return whether some store (this one or another process) owns the session now."""
        if session_id in self._held:
            return True
        try:
            fd = os.open(self._path(session_id), os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError:
            return False
        try:
            if _try_lock(fd):
                _unlock(fd)
                return False
            return True
        finally:
            os.close(fd)

    def release(self, session_id: uuid.UUID, *, remove: bool = False) -> None:
        """Give up ownership; ``remove`` deletes the lock file (for a session that is finished)."""
        fd = self._held.pop(session_id, None)
        if fd is None:
            return
        if remove:
            with contextlib.suppress(OSError):
                self._path(session_id).unlink()
        with contextlib.suppress(OSError):
            _unlock(fd)
        os.close(fd)

    def release_all(self) -> None:
        """Give up every session this store owns (the lock files stay)."""
        for session_id in list(self._held):
            self.release(session_id)
