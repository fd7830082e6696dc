"""A pseudo-terminal that behaves like a serial device the console can be pointed at.

The program under test opens :attr:`PtyPort.path` with pyserial exactly as it would open
``/dev/ttyUSB0``; whoever holds the :class:`PtyPort` plays the device on the master side.
:meth:`PtyPort.unplug` closes the master (the reader sees an I/O error, as with a pulled USB
cable) and :meth:`PtyPort.replug` opens a fresh pty. Because a new pty gets a new name, a port
created with ``link=`` is reached through a symlink that ``replug`` re-points, so the device
object keeps using the same port name across the cable being pulled and put back.

POSIX only (``os.openpty``).
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import tty
from pathlib import Path


class PtyPort:
    """One end of a pty pair, playing a serial device.

    Parameters
    ----------
    link : path, optional
        Symlink to create pointing at the slave; :attr:`path` is then the symlink.
    """

    def __init__(self, link: str | os.PathLike[str] | None = None) -> None:
        self._link = Path(link) if link is not None else None
        self.master_fd: int | None = None
        self.slave_name = ""
        self._open()

    @property
    def path(self) -> str:
        """The name to open with pyserial."""
        return str(self._link) if self._link is not None else self.slave_name

    @property
    def plugged(self) -> bool:
        """Whether the master is open."""
        return self.master_fd is not None

    def _open(self) -> None:
        master, slave = os.openpty()
        tty.setraw(master, termios.TCSANOW)
        tty.setraw(slave, termios.TCSANOW)
        self.slave_name = os.ttyname(slave)
        os.close(slave)  # the program under test opens it by name
        os.set_blocking(master, False)
        self.master_fd = master
        if self._link is not None:
            tmp = self._link.with_name(self._link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(self.slave_name)
            tmp.replace(self._link)

    def write(self, data: bytes) -> None:
        """Send device bytes to whoever has the slave open (all of them, waiting if needed)."""
        if self.master_fd is None:
            raise OSError("pty is unplugged")
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.master_fd, view)
            except BlockingIOError:
                select.select([], [self.master_fd], [], 0.5)
                continue
            view = view[written:]

    def offer(self, data: bytes) -> int:
        """Write what the pty accepts now and drop the rest (a device does not wait for a reader).

        Returns
        -------
        int
            Bytes written (0 while unplugged or while nobody drains the slave).
        """
        if self.master_fd is None:
            return 0
        try:
            return os.write(self.master_fd, data)
        except (BlockingIOError, OSError):
            return 0

    def read_available(self, timeout_s: float = 0.0) -> bytes:
        """Return the bytes the host has sent, waiting up to ``timeout_s`` for the first one."""
        if self.master_fd is None:
            return b""
        ready, _, _ = select.select([self.master_fd], [], [], timeout_s)
        if not ready:
            return b""
        chunks = []
        while True:
            try:
                chunk = os.read(self.master_fd, 4096)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def unplug(self, remove_link: bool = True) -> None:
        """Close the master, as pulling the cable; optionally remove the symlink too."""
        if self.master_fd is not None:
            os.close(self.master_fd)
            self.master_fd = None
        if remove_link and self._link is not None:
            with contextlib.suppress(FileNotFoundError):
                self._link.unlink()

    def replug(self) -> None:
        """Open a new pty (re-pointing the symlink), as plugging the cable back in."""
        self.unplug(remove_link=False)
        self._open()

    def close(self) -> None:
        """Unplug and remove the symlink; idempotent."""
        self.unplug(remove_link=True)

    def __enter__(self) -> PtyPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
