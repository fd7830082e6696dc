"""UDP link: the LAN transport of the IntelliVue Data Export (one datagram = one message).

:class:`UdpLink` has the same shape as :class:`~sessionmon.devices.link.SerialLink` (states,
listener callbacks, ``write``, taps, ``stop``) so a driver can run on either. It opens a UDP
socket towards the monitor's protocol port, hands every datagram from that address to the
listener, and moves to ``stalled`` when nothing has arrived for the stall timeout (a monitor that
stops answering or was unplugged: UDP has no connection to lose).

Like the serial link, the reader waits until a datagram (or a connect indication) arrives or
the next timer is due (the stall deadline, the listener's next tick), at most
``read_timeout_s``; :meth:`UdpLink.wake` and :meth:`UdpLink.stop` end the wait at once.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Callable

from sessionmon.clock import Clock
from sessionmon.devices.intellivue_discovery import (
    CONNECT_INDICATION_PORT,
    ConnectIndicationListener,
)
from sessionmon.devices.link import (
    READ_TIMEOUT_S,
    Backoff,
    LinkListener,
    LinkStateMachine,
    wait_step,
)
from sessionmon.devices.source import LinkState

#: The monitor's Data Export protocol port (programming guide, "UDP Port Number").
PROTOCOL_PORT = 24105
#: The port setting's host that means "find the monitor from its connect indication".
AUTO_HOST = "auto"


def parse_address(text: str, default_port: int = PROTOCOL_PORT) -> tuple[str, int]:
    """Return ``(host, port)`` of ``udp:HOST[:PORT]`` or ``HOST[:PORT]``.

    Raises
    ------
    ValueError
        If the port is not a number in 1..65535 or the host is empty.
    """
    rest = text[4:] if text.lower().startswith("udp:") else text
    rest = rest.removeprefix("//")
    host, sep, port = rest.rpartition(":")
    if not sep:
        host, port = rest, str(default_port)
    if not host.strip():
        raise ValueError(f"{text!r}: write udp:HOST[:PORT], e.g. udp:192.168.1.20")
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(f"{text!r}: port {number} is not 1..65535")
    return host.strip(), number


class UdpSettings:
    """What ``describe`` says about a UDP link (as :class:`PortSettings` does for a port)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def describe(self) -> str:
        """Return e.g. ``"UDP 192.168.1.20:24105"``."""
        return f"UDP {self.host}:{self.port}"


class UdpLink:
    """A UDP socket to one monitor, read by one thread.

    Parameters
    ----------
    address : str
        ``udp:HOST[:PORT]`` (default port 24105).
    clock : Clock
        Time for stall detection and the listener's timers.
    listener : LinkListener
        Receives datagrams (``link_bytes``), state changes and ticks on the reader thread.
    stall_timeout_s : float or None
        Seconds without a datagram before ``stalled``.
    read_timeout_s : float
        Longest real time one wait lasts when no timer is due sooner.
    indication_port : int or None
        Also listen here for the monitor's connect indication (default 24005; None: do not).
        With the host ``auto`` (``udp:auto[:PORT]``) the monitor is the first one that
        announces itself; with a configured host, an indication from that host tells the
        listener (``link_monitor_announced``) so it can associate again at once. Where the
        port cannot be bound, a configured host works without it; ``auto`` cannot.
    """

    def __init__(
        self,
        address: str,
        clock: Clock,
        listener: LinkListener,
        *,
        stall_timeout_s: float | None = 2.0,
        backoff: Backoff | None = None,
        read_timeout_s: float = READ_TIMEOUT_S,
        indication_port: int | None = CONNECT_INDICATION_PORT,
    ) -> None:
        self.port = address
        self.host, self.udp_port = parse_address(address)
        self.auto = self.host.lower() == AUTO_HOST
        self.indication_port = indication_port
        self._indications: ConnectIndicationListener | None = None
        self.discovered: str | None = None  # the monitor found from its connect indication
        self.settings = UdpSettings(self.host, self.udp_port)
        self._clock = clock
        self._listener = listener
        self._stall_timeout_s = stall_timeout_s
        self._backoff = backoff or Backoff()
        self._read_timeout_s = read_timeout_s
        self._machine = LinkStateMachine()
        self._sock: socket.socket | None = None
        self._peer: tuple[str, int] | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_data = 0.0
        self._taps: list[Callable[[bytes], None]] = []
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self.bytes_in = 0
        self.wakes = 0
        self.datagrams_in = 0
        self.reconnects = 0
        self.listener_errors = 0
        self.last_failure: str | None = None

    @property
    def state(self) -> LinkState:
        """The link state now."""
        return self._machine.state

    def add_tap(self, tap: Callable[[bytes], None]) -> None:
        """Also hand every datagram to ``tap`` (on the reader thread)."""
        self._taps.append(tap)

    def start(self) -> None:
        """Start the reader thread (opens the socket)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"udp-link {self.port}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the thread and close the socket; idempotent (waits at most ``timeout_s``)."""
        self._stop.set()
        self.wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
        self._thread = None

    def wake(self) -> None:
        """End the reader's wait now, from any thread (the listener's tick runs at once)."""
        with self._write_lock:
            wake = self._wake_w
            if wake is not None:
                with contextlib.suppress(OSError):  # full (wakes pending) or closing
                    wake.send(b"w")

    def write(self, data: bytes) -> bool:
        """Send one datagram to the monitor; ``False`` if the socket is not open or it failed."""
        with self._write_lock:
            sock, peer = self._sock, self._peer
            if sock is None or peer is None:
                return False
            try:
                sock.sendto(data, peer)
            except OSError:
                return False
            return True

    def _move(self, target: LinkState, detail: str = "") -> None:
        change = self._machine.move(target, detail)
        self._call(self._listener.link_state, change)

    def _run(self) -> None:
        attempt = 0
        try:
            while not self._stop.is_set():
                self._move(LinkState.OPENING, self.port)
                error = self._open()
                if error is None:
                    attempt = 0
                    self._move(LinkState.STREAMING, "socket open")
                    self._call(self._listener.link_opened, self)
                    error = self._read_until_error()
                    self._close()
                if self._stop.is_set():
                    break
                self.last_failure = error
                self._move(LinkState.RECONNECTING, error or "")
                self.reconnects += 1
                if self._stop.wait(self._backoff.delay(attempt)):
                    break
                attempt += 1
        finally:
            self._close()
            if self._machine.state is not LinkState.DISCONNECTED:
                self._move(LinkState.DISCONNECTED, "stopped")

    def _open(self) -> str | None:
        listener = None
        if self.indication_port is not None:
            try:
                listener = ConnectIndicationListener(self.indication_port)
            except OSError as exc:
                if self.auto:
                    return (
                        f"cannot listen for the monitor's connect indication on UDP "
                        f"{self.indication_port}: {exc.strerror or exc}"
                    )
        elif self.auto:
            return f"{self.port}: finding the monitor needs its connect indication port"
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            peer = None
            if not self.auto:
                info = socket.getaddrinfo(self.host, self.udp_port, type=socket.SOCK_DGRAM)[0]
                sock.close()
                sock = socket.socket(info[0], socket.SOCK_DGRAM)
                peer = info[4][:2]
            elif self.discovered is not None:
                peer = (self.discovered, self.udp_port)
            sock.setblocking(False)  # read only once select says a datagram is there
            sock.bind(("", 0))
            wake_r, wake_w = socket.socketpair()
        except OSError as exc:
            if listener is not None:
                listener.close()
            return f"cannot open {self.port}: {exc.strerror or exc}"
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        with self._write_lock:
            self._sock, self._peer = sock, peer
            self._wake_r, self._wake_w = wake_r, wake_w
        self._indications = listener
        self._last_data = self._clock.monotonic()
        return None

    def _check_indications(self) -> None:
        """Find (``auto``) or hear again (a configured host) the monitor's connect indication.

        ``auto`` keeps the first monitor it finds: another monitor announcing itself later on
        the same network is never switched to mid-session.
        """
        listener = self._indications
        found = listener.poll() if listener is not None else None
        if found is None:
            return
        with self._write_lock:
            adopt = self.auto and self._peer is None
            if adopt:
                self._peer = (found, self.udp_port)
            ours = self._peer is not None and self._peer[0] == found
        if adopt:
            self.discovered = found
            self.settings = UdpSettings(found, self.udp_port)
        if ours:
            self._call_announced(found)

    def _call_announced(self, host: str) -> None:
        announced = getattr(self._listener, "link_monitor_announced", None)
        if announced is not None and host:
            self._call(announced, self, host)

    def _close(self) -> None:
        with self._write_lock:
            sock, self._sock = self._sock, None
            wakes = (self._wake_r, self._wake_w)
            self._wake_r = self._wake_w = None
        for end in wakes:
            if end is not None:
                end.close()
        listener, self._indications = self._indications, None
        if listener is not None:
            listener.close()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _read_until_error(self) -> str | None:
        sock, wake = self._sock, self._wake_r
        assert sock is not None and wake is not None
        due = self._tick()  # just opened: the timers run now and say when they are next due
        while not self._stop.is_set():
            data = b""
            self._check_indications()
            waits = [sock, wake]
            if self._indications is not None:
                waits.append(self._indications)
            try:
                ready = select.select(waits, [], [], self._wait_s(due))[0]
            except (OSError, ValueError) as exc:  # a socket closed under the reader
                return f"{self.port} lost: {exc}"
            self.wakes += 1
            if wake in ready:
                with contextlib.suppress(OSError):
                    wake.recv(4096)
            if sock in ready:
                try:
                    data, sender = sock.recvfrom(65535)
                    if self._peer is None or sender[0] != self._peer[0]:
                        data = b""  # not our monitor (or none found yet)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError as exc:  # e.g. ICMP port unreachable: nobody listens (yet)
                    self.last_failure = str(exc)
            now = self._clock.monotonic()
            if data:
                self.bytes_in += len(data)
                self.datagrams_in += 1
                self._last_data = now
                if self._machine.state is LinkState.STALLED:
                    self._move(LinkState.STREAMING, "data again")
                for tap in self._taps:
                    self._call(tap, data)
                self._call(self._listener.link_bytes, data)
            elif (
                self._stall_timeout_s is not None
                and self._machine.state is LinkState.STREAMING
                and now - self._last_data >= self._stall_timeout_s
            ):
                self._move(LinkState.STALLED, f"no answer for {self._stall_timeout_s:g} s")
            due = self._tick()
        return None

    def _tick(self) -> float | None:
        try:
            due = self._listener.link_tick(self)
        except Exception:
            self.listener_errors += 1
            return None
        return float(due) if isinstance(due, int | float) and due == due else None

    def _wait_s(self, due: float | None) -> float:
        deadlines = [] if due is None else [due]
        if self._stall_timeout_s is not None and self._machine.state is LinkState.STREAMING:
            deadlines.append(self._last_data + self._stall_timeout_s)
        return wait_step(self._clock, deadlines, self._read_timeout_s)

    def _call(self, callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:
            self.listener_errors += 1


__all__ = [
    "AUTO_HOST",
    "CONNECT_INDICATION_PORT",
    "PROTOCOL_PORT",
    "LinkListener",
    "UdpLink",
    "parse_address",
]
