"""Who hears about the runtime: alarm, event, tick and data listeners, and the alarm outputs.

:class:`RuntimeListeners` is the part of :class:`~sessionmon.runtime.SessionRuntime` that keeps
the callbacks of the console and the central link (a listener's failure is logged and never stops
monitoring), switches external technical conditions, and takes the alarm engine's records and log
entries to the store (a store that cannot take them raises ``storage_failure`` at the next tick).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sessionmon.model import AlarmLogEntry, AlarmRecord, Event
from sessionmon.store import StoreError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object

# The runtime's one logger, named as before it was split into parts.
log = logging.getLogger("sessionmon.runtime.session_runtime")


class RuntimeListeners(_Base):
    """Listeners of a running session and the alarm engine's outputs."""

    def add_alarm_listener(self, callback: Callable[[list[Any]], None]) -> None:
        """Call ``callback(active_alarms)`` whenever an alarm starts, changes or ends."""
        self._alarm_listeners.append(callback)

    def add_event_listener(self, callback: Callable[[Event], None]) -> None:
        """Call ``callback(event)`` after each event is committed."""
        self._events.listeners.append(callback)

    def add_tick_listener(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(runtime)`` at the end of every tick (keep it cheap: the central link)."""
        self._tick_listeners.append(callback)

    def set_data_listener(self, callback: Callable[[], None] | None) -> bool:
        """Have every source that can call ``callback()`` when new data is queued.

        The call comes from a source's reader thread: ``callback`` only signals whoever runs
        :meth:`tick` (the console posts itself a message and ticks at once), so a reading
        reaches the alarm engine when it arrives rather than at the next timer tick. Sources
        without a reader thread (simulated devices) are drained by the timer as before.

        Returns
        -------
        bool
            Whether any source takes a listener.
        """
        taken = False
        for source in self._sources:
            setter = getattr(source, "set_data_listener", None)
            if setter is not None:
                setter(callback)
                taken = True
        return taken

    def set_external_condition(self, condition: str, active: bool, detail: str = "") -> None:
        """Switch a technical condition that something outside the runtime watches.

        E.g. ``central_unreachable`` from the central link; it takes effect at the next tick.
        """
        self._gate.set(condition, active, self._clock.now(), detail)
        self._view_changes.bump()

    def remove_listener(self, callback: Callable[..., None]) -> None:
        """Stop calling ``callback`` (alarm, tick or event listener)."""
        for listeners in (self._alarm_listeners, self._tick_listeners, self._events.listeners):
            if callback in listeners:
                listeners.remove(callback)

    def _notify_alarms(self) -> None:
        if not self._alarms_dirty:
            return
        self._alarms_dirty = False
        if not self._alarm_listeners:
            return
        active = list(self._engine.active_alarms)
        for callback in list(self._alarm_listeners):
            try:
                callback(active)
            except Exception:  # a listener's bug must not stop monitoring
                log.exception("alarm listener failed")

    def _on_alarm_record(self, record: AlarmRecord) -> None:
        self._alarms_dirty = True
        self._view_changes.bump()
        self._alarm_history.record(record)
        try:
            self._store.save_alarm(record)
        except StoreError as exc:
            self._pending_storage_failure = str(exc)
            log.error("could not save alarm %s: %s", record.condition, exc)

    def _on_alarm_log(self, entry: AlarmLogEntry) -> None:
        self._alarms_dirty = True
        self._view_changes.bump()
        try:
            self._store.add_alarm_log(entry)
        except StoreError as exc:
            self._pending_storage_failure = str(exc)
            log.error("could not write the alarm log: %s", exc)
