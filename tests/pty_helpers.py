"""Deadline loops shared by the tests that drive real serial drivers over a pty.

The drivers read on their own threads, so a test waits for an observable condition with a
deadline instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_PAUSE = threading.Event()


def wait_until(
    predicate: Callable[[], bool],
    timeout_s: float = 3.0,
    *,
    step: Callable[[], None] | None = None,
    pause_s: float = 0.002,
) -> bool:
    """Poll ``predicate`` until it holds or ``timeout_s`` passes; whether it held.

    Parameters
    ----------
    predicate : callable
        The condition to wait for.
    timeout_s : float
        The deadline, in real seconds.
    step : callable, optional
        Called between two checks (e.g. to play the device a little further).
    pause_s : float
        Real wait between two checks.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        if step is not None:
            step()
        _PAUSE.wait(pause_s)
    return predicate()


def serial_readers_running() -> list[threading.Thread]:
    """The serial link reader threads still alive."""
    return [t for t in threading.enumerate() if t.name.startswith("serial-link")]


class LiveDevice:
    """A simulated device answering in real time on a pty, on its own thread (a context)."""

    def __init__(self, protocol: str, port, seed: int = 2) -> None:
        from sessionmon.clock import SystemClock
        from sessionmon.sim.wire_sim import WireSimulator

        self.sim = WireSimulator(protocol, port, SystemClock(), seed=seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.sim.run, args=(self._stop, port.read_available), daemon=True
        )

    def __enter__(self) -> LiveDevice:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2.0)
