"""Serial link: one reader thread per device, an explicit connection state machine, reconnect.

A :class:`SerialLink` owns a pyserial port. It opens the port, reads whatever arrives and hands
the bytes to its owner, notices when the port errors or disappears (USB unplug: the read raises or
the device node vanishes), and keeps trying to reopen it with a doubling back-off until it comes
back. When the port stays open but nothing arrives for the stall timeout it moves to ``stalled``.

Every move goes through :data:`TRANSITIONS`: a move that the table does not list raises
:class:`LinkTransitionError`, so a bug in the reader loop cannot produce an impossible state.

The reader thread blocks on the port (the only real-time waiting in the device layer) until
bytes arrive or the next timer is due: the stall deadline, or the time the listener's
:meth:`~LinkListener.link_tick` asked to be called again; at most ``read_timeout_s``. An idle
port therefore wakes a few times a second, not fifty, and a burst of bytes (one packet) is one
wake: after the blocking read returns, whatever else is waiting is taken in the same call.
State timing (stall detection, callbacks' own timers) uses the injected clock. :meth:`SerialLink.
wake` and :meth:`SerialLink.stop` interrupt a blocking read (pyserial's ``cancel_read``).
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import serial

from sessionmon.clock import Clock
from sessionmon.devices.protocols.base import PortSettings
from sessionmon.devices.source import LinkState, LinkStateChange

#: Legal moves of a link. ``streaming`` means "port open"; ``stalled`` means open but silent.
TRANSITIONS: dict[LinkState, frozenset[LinkState]] = {
    LinkState.DISCONNECTED: frozenset({LinkState.OPENING}),
    LinkState.OPENING: frozenset(
        {LinkState.STREAMING, LinkState.RECONNECTING, LinkState.DISCONNECTED}
    ),
    LinkState.STREAMING: frozenset(
        {LinkState.STALLED, LinkState.RECONNECTING, LinkState.DISCONNECTED}
    ),
    LinkState.STALLED: frozenset(
        {LinkState.STREAMING, LinkState.RECONNECTING, LinkState.DISCONNECTED}
    ),
    LinkState.RECONNECTING: frozenset({LinkState.OPENING, LinkState.DISCONNECTED}),
}

#: States in which the port is open.
OPEN_STATES = frozenset({LinkState.STREAMING, LinkState.STALLED})

#: Longest real wait of one read when no timer is due sooner (seconds): an idle port wakes about
#: twice a second (a wake costs about 80 us of CPU on the development VM), and a port without
#: ``cancel_read`` stops within it.
READ_TIMEOUT_S = 0.5

#: A read waits one of ``read_timeout_s / 2**k`` for k up to this: the timeout of an open port
#: is changed only when the wait moves to another step (a few times per timer), and a timer is
#: never late by more than the smallest step (about 8 ms with the default 0.5 s).
_WAIT_STEPS = 6


class LinkTransitionError(ValueError):
    """A link state move that :data:`TRANSITIONS` does not allow."""


class LinkStateMachine:
    """The connection state of one link, moved only along :data:`TRANSITIONS`.

    Parameters
    ----------
    initial : LinkState
        Starting state (``disconnected`` for a link that has not been started).
    """

    def __init__(self, initial: LinkState = LinkState.DISCONNECTED) -> None:
        self._state = initial

    @property
    def state(self) -> LinkState:
        """The current state."""
        return self._state

    def can_move(self, target: LinkState) -> bool:
        """Return whether a move from the current state to ``target`` is legal."""
        return target in TRANSITIONS[self._state]

    def move(self, target: LinkState, detail: str = "") -> LinkStateChange:
        """Move to ``target`` and return the change.

        Raises
        ------
        LinkTransitionError
            If the table does not list the move.
        """
        if not self.can_move(target):
            raise LinkTransitionError(
                f"link cannot move from {self._state.value} to {target.value}"
            )
        change = LinkStateChange(self._state, target, detail)
        self._state = target
        return change


@dataclass(frozen=True, slots=True)
class Backoff:
    """Reconnect delays: ``first_s`` doubling after each failed attempt up to ``max_s``."""

    first_s: float = 0.25
    max_s: float = 1.0

    def delay(self, attempt: int) -> float:
        """Return the wait before reconnect attempt number ``attempt`` (0-based)."""
        return min(self.max_s, self.first_s * (2 ** min(attempt, 16)))


class LinkListener(Protocol):
    """What a link calls from its reader thread. All methods must be quick and not raise."""

    def link_opened(self, link: SerialLink) -> None:
        """The port has just been opened (send start commands here)."""

    def link_bytes(self, data: bytes) -> None:
        """Bytes arrived."""

    def link_state(self, change: LinkStateChange) -> None:
        """The link moved to another state."""

    def link_tick(self, link: SerialLink) -> float | None:
        """Run the listener's timers (keep-alives, polls, timeouts) while the port is open.

        Called after every read (bytes or none) and no later than the returned time.

        Returns
        -------
        float or None
            The clock's monotonic time at which the next timer is due, or ``None`` if none is
            (then the link calls again within its ``read_timeout_s``). A listener whose state
            changes from another thread calls :meth:`SerialLink.wake`.
        """


SerialFactory = Callable[..., Any]


class SerialLink:
    """A serial port read by one thread, with reconnect, back-off and stall detection.

    Parameters
    ----------
    port : str
        Port name or path (``/dev/ttyUSB0``, ``COM3``, a symlink to a pty slave in tests).
    settings : PortSettings
        Baud rate, framing and flow control.
    clock : Clock
        Time for stall detection.
    listener : LinkListener
        Receives bytes, state changes and ticks, on the reader thread.
    stall_timeout_s : float or None
        Seconds without a byte before ``stalled``; ``None`` disables stall detection.
    backoff : Backoff
        Reconnect delays.
    serial_factory : callable
        Builds the port object; defaults to :class:`serial.Serial`. Called with the port name and
        pyserial keyword arguments.
    read_timeout_s : float
        Longest real time one blocking read waits (when no timer is due sooner); bounds how
        late a stop is noticed on a port without ``cancel_read``, and how late a timer fires
        under a clock that does not run by itself (a test's ``ManualClock``).
    """

    def __init__(
        self,
        port: str,
        settings: PortSettings,
        clock: Clock,
        listener: LinkListener,
        *,
        stall_timeout_s: float | None = 5.0,
        backoff: Backoff | None = None,
        serial_factory: SerialFactory | None = None,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        if not read_timeout_s > 0:
            raise ValueError(f"read timeout must be positive, got {read_timeout_s}")
        self.port = port
        self.settings = settings
        self._clock = clock
        self._listener = listener
        self._stall_timeout_s = stall_timeout_s
        self._backoff = backoff or Backoff()
        self._factory = serial_factory or serial.Serial
        self._read_timeout_s = read_timeout_s
        self._machine = LinkStateMachine()
        self._serial: Any = None
        self._write_lock = threading.Lock()
        self._close_lock = threading.Lock()  # wake() never cancels a port being closed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_data = 0.0
        self.bytes_in = 0
        self.ticks = 0  # reader loop turns while open (tests wait for the thread's timers)
        self.wakes = 0  # reads that returned (bytes, a timeout or a wake)
        self.last_wait_s = read_timeout_s  # how long the latest read could wait (real s)
        self.reconnects = 0
        self.listener_errors = 0
        self._taps: list[Callable[[bytes], None]] = []
        self.last_failure: str | None = None  # why the port last failed to open or was lost

    # ------------------------------------------------------------------ public

    @property
    def state(self) -> LinkState:
        """The link state now."""
        return self._machine.state

    def start(self) -> None:
        """Start the reader thread (opens the port); does nothing if already running."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"serial-link {self.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the reader thread and close the port; idempotent.

        Waits at most ``timeout_s`` for the thread (it is a daemon: a reader stuck in a
        driver call cannot hold up the console's exit).
        """
        self._stop.set()
        self.wake()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
        self._thread = None

    def wake(self) -> None:
        """Interrupt the reader's blocking read now, from any thread, so the listener's
        :meth:`~LinkListener.link_tick` runs at once (a request made from another thread).

        Uses pyserial's ``cancel_read`` (POSIX: a byte on the port's wake pipe, so a wake that
        comes just before the read starts is not lost). A port without it, or while the link
        is not open, the next tick comes within ``read_timeout_s``.
        """
        with self._close_lock:  # never a closed port's pipe; not the write lock, which a
            # write stuck on flow control may hold for its timeout (a GUI thread calls this)
            cancel = getattr(self._serial, "cancel_read", None)
            if cancel is not None:
                with contextlib.suppress(Exception):
                    cancel()

    def add_tap(self, tap: Callable[[bytes], None]) -> None:
        """Also hand every received chunk to ``tap`` (on the reader thread, before the owner).

        ``decode --port`` and the connection test use it to see the raw bytes a driver reads.
        """
        self._taps.append(tap)

    def write(self, data: bytes) -> bool:
        """Send bytes to the device from any thread.

        Returns
        -------
        bool
            ``False`` if the port is not open or the write failed (the reader notices the error).
        """
        with self._write_lock:
            port = self._serial
            if port is None:
                return False
            try:
                port.write(data)  # no flush: tcdrain would block the reader until sent
            except Exception:  # SerialException, OSError, termios.error on a vanished port
                return False
            return True

    # ------------------------------------------------------------------ thread

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
                    self._move(LinkState.STREAMING, "port open")
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
        try:
            port = self._factory(
                self.port,
                timeout=self._read_timeout_s,
                write_timeout=1.0,
                **self.settings.serial_kwargs(),
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            return f"cannot open {self.port}: {open_failure_reason(exc)}"
        with self._write_lock:
            self._serial = port
        self._last_data = self._clock.monotonic()
        return None

    def _close(self) -> None:
        with self._write_lock:
            port, self._serial = self._serial, None
        if port is not None:
            with self._close_lock, contextlib.suppress(Exception):
                port.close()

    def _port_vanished(self) -> bool:
        """Whether a filesystem port (``/dev/...`` or a symlink) no longer exists."""
        return os.sep in self.port and not os.path.exists(self.port)

    def _read_until_error(self) -> str | None:
        port = self._serial
        timeout = self._read_timeout_s  # the port was opened with it
        due = self._tick()  # just opened: the timers run now and say when they are next due
        while not self._stop.is_set():
            try:
                wait = self.last_wait_s = self._wait_s(due)
                if wait != timeout:
                    port.timeout = timeout = wait
                data = port.read(1)  # blocks until a byte, the timeout or a wake
                if data:
                    more = port.in_waiting  # the rest of the burst: the same wake
                    if more:
                        data += port.read(more)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                return f"{self.port} lost: {_reason(exc)}"
            self.wakes += 1
            now = self._clock.monotonic()
            if data:
                self.bytes_in += len(data)
                self._last_data = now
                if self._machine.state is LinkState.STALLED:
                    self._move(LinkState.STREAMING, "data again")
                for tap in self._taps:
                    self._call(tap, data)
                self._call(self._listener.link_bytes, data)
            else:
                if (
                    self._stall_timeout_s is not None
                    and self._machine.state is LinkState.STREAMING
                    and now - self._last_data >= self._stall_timeout_s
                ):
                    self._move(LinkState.STALLED, f"no data for {self._stall_timeout_s:g} s")
                if self._port_vanished():
                    return f"{self.port} disappeared"
            due = self._tick()
            self.ticks += 1
        return None

    def _tick(self) -> float | None:
        """Run the listener's timers; return when it next wants a tick (``None``: no timer)."""
        try:
            due = self._listener.link_tick(self)
        except Exception:
            self.listener_errors += 1
            return None
        if isinstance(due, int | float) and not math.isnan(due):
            return float(due)
        return None

    def _wait_s(self, due: float | None) -> float:
        """Real seconds the next read may wait: until the first timer is due (see
        :func:`wait_step`)."""
        deadlines = [] if due is None else [due]
        if self._stall_timeout_s is not None and self._machine.state is LinkState.STREAMING:
            deadlines.append(self._last_data + self._stall_timeout_s)
        return wait_step(self._clock, deadlines, self._read_timeout_s)

    def _call(self, callback: Callable[..., None], *args: Any) -> None:
        """Run a listener callback; a bug in it must not kill the reader thread."""
        try:
            callback(*args)
        except Exception:
            self.listener_errors += 1


def wait_step(clock: Clock, deadlines: list[float], longest_s: float) -> float:
    """How long a reader may block (real s) before the first of ``deadlines`` (clock s).

    The wait is one of ``longest_s / 2**k`` (k = 0 .. :data:`_WAIT_STEPS`): the largest that
    does not pass the first deadline, or the smallest step when that is closer (or past).
    Stepped waits change a port's timeout setting only a few times per timer. Clock seconds
    are turned into real ones with the clock's ``speed`` where it has one (a
    :class:`~sessionmon.clock.ScaledClock` running the simulator faster than real time).

    Parameters
    ----------
    clock : Clock
        The clock the deadlines are on.
    deadlines : list of float
        Clock monotonic times at which the reader must be awake (may be empty).
    longest_s : float
        The longest wait.
    """
    if not deadlines:
        return longest_s
    speed = getattr(clock, "speed", 1.0)
    if not isinstance(speed, int | float) or speed <= 0:
        speed = 1.0
    wait = (min(deadlines) - clock.monotonic()) / speed
    step = longest_s
    for _ in range(_WAIT_STEPS):
        if step <= wait:
            return step
        step /= 2
    return step


def open_failure_reason(exc: BaseException) -> str:
    """Say why a port did not open, in words a clinic can act on."""
    import errno

    code = getattr(exc, "errno", None)
    text = str(exc)
    if code == errno.ENOENT or "No such file or directory" in text:
        return "no such port; `sessionmon ports` lists the serial ports of this computer"
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return "permission denied (on Linux, add yourself to the dialout group)"
    if code == errno.EBUSY or "Device or resource busy" in text:
        return "the port is busy (another program has it open)"
    if code in (errno.EISDIR, errno.ENOTTY) or "Inappropriate ioctl" in text:
        return "not a serial port"
    return _reason(exc)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
