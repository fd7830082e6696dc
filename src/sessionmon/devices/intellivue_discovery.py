"""Finding an IntelliVue on the LAN from its connect indication.

The programming guide's LAN dialog starts with the monitor: once Data Export is enabled on its
LAN interface it sends a *connect indication* (an event report ``NOM_NOTI_CONN_INDIC``) to UDP
port 24005, and a client that hears it sends its association request to that monitor's address
on the protocol port 24105. :class:`ConnectIndicationListener` listens on 24005 (or another port)
and names the monitor that announced itself; :class:`~sessionmon.devices.udp_link.UdpLink` uses
it for the port setting ``udp:auto`` (the monitor's address is not set up by hand) and, with a
configured address, to associate again at once when that monitor announces itself (it has just
restarted).
"""

from __future__ import annotations

import contextlib
import socket

from sessionmon.devices.protocols import intellivue as iv

#: The port the monitor sends its connect indication to (programming guide, LAN interface).
CONNECT_INDICATION_PORT = 24005


def is_connect_indication(data: bytes) -> bool:
    """Whether one datagram is a monitor's connect indication (anything else: False)."""
    try:
        return isinstance(iv.parse_message(data), iv.ConnectIndication)
    except iv.MessageError:
        return False


class ConnectIndicationListener:
    """A non-blocking UDP socket on the connect indication port.

    Parameters
    ----------
    port : int
        The port to listen on (default 24005; 0 lets the system choose, for tests).
    host : str
        The address to bind (default all interfaces: the indication may be a broadcast).

    Raises
    ------
    OSError
        If the port cannot be bound (the message names it).
    """

    def __init__(self, port: int = CONNECT_INDICATION_PORT, host: str = "") -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self._sock: socket.socket | None = sock
        self.port = sock.getsockname()[1]
        self.indications = 0
        self.ignored = 0

    def poll(self) -> str | None:
        """The IP address of a monitor that announced itself since the last call, or None.

        Every waiting datagram is read; what is not a connect indication is counted in
        :attr:`ignored` and dropped.
        """
        found = None
        while self._sock is not None:
            try:
                data, sender = self._sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if is_connect_indication(data):
                self.indications += 1
                found = sender[0]
            else:
                self.ignored += 1
        return found

    def fileno(self) -> int:
        """The socket's descriptor (to wait on it with :func:`select.select`); -1 once closed."""
        return self._sock.fileno() if self._sock is not None else -1

    def close(self) -> None:
        """Close the socket; idempotent."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


def announce(sock: socket.socket, relative_time: int, to: tuple[str, int]) -> int:
    """Send a connect indication from ``sock`` (a monitor's protocol socket) to ``to``.

    Returns the bytes sent (0 if the send failed).
    """
    from sessionmon.devices.protocols.intellivue_monitor import connect_indication

    try:
        return sock.sendto(connect_indication(relative_time), to)
    except OSError:
        return 0
