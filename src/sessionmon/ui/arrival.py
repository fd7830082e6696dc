"""Acquisition on arrival: a reader thread's "new data" becomes a queued call on the GUI thread.

The core's sources call a plain function from their reader threads when a reading, a technical
condition or a link move is queued (:meth:`SessionRuntime.set_data_listener`). This module turns
that into a queued Qt signal, so the console runs its acquisition step at once on the GUI thread
instead of at the next acquisition timer tick. Calls that arrive while one is already pending are
folded into it: a burst of readings costs one acquisition step, never a backlog.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal


class ArrivalWakeup(QObject):
    """Posts ``arrived`` to the GUI thread when a source reports new data (at most one pending).

    Signals
    -------
    arrived()
        New data is queued in a source; delivered on the thread this object lives in.
    """

    arrived = Signal()
    _posted = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending = threading.Event()
        self.wakeups = 0  # how many acquisition steps arrivals have caused (for benches)
        self._posted.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def notify(self) -> None:
        """Called on a reader thread: post one wake-up unless one is already on its way."""
        if not self._pending.is_set():
            self._pending.set()
            self._posted.emit()

    def _deliver(self) -> None:
        # cleared before the step drains the sources: data queued after this posts again
        self._pending.clear()
        self.wakeups += 1
        self.arrived.emit()
