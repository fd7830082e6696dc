"""A real session with no window: ``sessionmon monitor``.

:class:`HeadlessMonitor` runs a :class:`~sessionmon.runtime.session_runtime.SessionRuntime` on
real devices (built by :mod:`sessionmon.devices.factory`): the alarm engine and the session
protocol are live and everything is recorded in the database, exactly as in the console. What
happens is written to ``out`` as it happens, one line each: readings (not the pleth), alarms
starting, changing and ending, and the session's events. With ``as_json`` each line is a JSON
object (JSON Lines) with a ``type`` of ``session``, ``reading``, ``condition``, ``alarm``,
``event`` or ``stopped``.

The run ends after ``duration_s`` or when the caller interrupts it (Ctrl+C). Either way the
session is not signed: the devices stop, what is buffered is committed and the store gives up
the session, so it is listed as *interrupted* and can be resumed (``sessionmon sessions resume``
or the console's history).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any

from sessionmon.clock import Clock
from sessionmon.devices.readings import Reading
from sessionmon.devices.source import ConditionChange, SourceOutput, VitalsSource

#: Seconds between two runtime ticks (as the console's acquisition timer).
TICK_S = 0.1


class TeeSource:
    """A vitals source that also keeps what it returned, for printing (all else delegated)."""

    def __init__(self, source: VitalsSource, label: str) -> None:
        self._source = source
        self.label = label
        self.seen: list[SourceOutput] = []

    def poll(self) -> list[SourceOutput]:
        """Poll the source; keep the outputs for :meth:`take`."""
        outputs = self._source.poll()
        self.seen.extend(o for o in outputs if isinstance(o.item, Reading | ConditionChange))
        return outputs

    def take(self) -> list[SourceOutput]:
        """Return and forget the readings and condition changes seen since the last call."""
        seen, self.seen = self.seen, []
        return seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 2)


class HeadlessMonitor:
    """Runs one real session headless and writes what happens as lines.

    Parameters
    ----------
    runtime_factory : callable
        ``runtime_factory(oximeter, nibp)`` returns the started :class:`SessionRuntime`;
        the monitor passes the sources wrapped so it can print what they send.
    oximeter, nibp : VitalsSource
        Started sources from the factory (``nibp`` may be ``None``).
    clock : Clock
        The session's clock.
    out : text stream
        Where the lines go (flushed after each tick that wrote something).
    as_json : bool
        JSON Lines instead of plain text.
    """

    def __init__(
        self,
        runtime_factory: Callable[[Any, Any], Any],
        oximeter: VitalsSource,
        nibp: VitalsSource | None,
        clock: Clock,
        out: IO[str],
        as_json: bool = False,
    ) -> None:
        self._clock = clock
        self._out = out
        self._json = as_json
        self._tees = [TeeSource(oximeter, "oximeter")]
        if nibp is not None:
            self._tees.append(TeeSource(nibp, "nibp"))
        self._alarms: dict[str, tuple[str, str, bool]] = {}
        self._events: list[Any] = []
        self.readings = 0
        self.first_reading_s: float | None = None
        self._started = clock.monotonic()
        self.runtime = runtime_factory(self._tees[0], self._tees[1] if nibp is not None else None)
        self.runtime.add_event_listener(self._events.append)
        self.runtime.add_alarm_listener(self._alarms_changed)

    # ------------------------------------------------------------------ output

    def _write(self, obj: dict[str, Any], text: str) -> None:
        self._out.write((json.dumps(obj, ensure_ascii=False) if self._json else text) + "\n")

    def announce(self, db_path: Any) -> None:
        """Write the first line: which session, where it is recorded, which devices."""
        session = self.runtime.session
        devices = {t.label: t.device_id for t in self._tees}
        self._write(
            {
                "type": "session",
                "at": _iso(self._clock.now()),
                "session_id": str(session.id),
                "pseudonym": session.patient.pseudonym,
                "treatment": session.treatment.protocol.value,
                "phase": session.phase.value,
                "db": str(db_path),
                "devices": devices,
            },
            f"session {str(session.id)[:8]} {session.patient.pseudonym} "
            f"({session.treatment.protocol.value}) recording to {db_path}; devices: "
            + ", ".join(f"{r} {d}" for r, d in devices.items())
            + "; Ctrl+C to stop",
        )
        self._out.flush()

    def _alarms_changed(self, active: list[Any]) -> None:
        now = _iso(self._clock.now())
        current: dict[str, tuple[str, str, bool]] = {}
        for alarm in active:
            key = str(alarm.alarm_id)
            state = (alarm.priority.value, alarm.message, bool(alarm.acknowledged))
            current[key] = state
            before = self._alarms.get(key)
            if before == state:
                continue
            what = "start" if before is None else "change"
            self._write(
                {
                    "type": "alarm",
                    "at": now,
                    "event": what,
                    "alarm_id": key,
                    "condition": alarm.condition,
                    "priority": alarm.priority.value,
                    "category": alarm.category.value,
                    "message": alarm.message,
                    "acknowledged": bool(alarm.acknowledged),
                },
                f"{now} ALARM {what} {alarm.priority.value}: {alarm.message}",
            )
        for key in set(self._alarms) - set(current):
            self._write(
                {"type": "alarm", "at": now, "event": "end", "alarm_id": key},
                f"{now} ALARM end {key[:8]}",
            )
        self._alarms = current

    def _print_outputs(self) -> bool:
        wrote = False
        for tee in self._tees:
            for output in tee.take():
                item = output.item
                at = _iso(output.at)
                if isinstance(item, Reading):
                    self.readings += 1
                    if self.first_reading_s is None:
                        self.first_reading_s = self._clock.monotonic() - self._started
                    value = _number(item.value)
                    self._write(
                        {
                            "type": "reading",
                            "at": at,
                            "device": tee.label,
                            "kind": item.kind.value,
                            "value": value,
                            "unit": item.unit,
                        },
                        f"{at} {tee.label} {item.kind.value} {value} {item.unit}",
                    )
                else:
                    state = "start" if item.active else "end"
                    self._write(
                        {
                            "type": "condition",
                            "at": at,
                            "device": tee.label,
                            "condition": item.condition.value,
                            "event": state,
                            "detail": item.detail,
                        },
                        f"{at} {tee.label} condition {item.condition.value} {state}"
                        + (f" ({item.detail})" if item.detail else ""),
                    )
                wrote = True
        for event in self._events:
            self._write(
                {
                    "type": "event",
                    "at": _iso(event.at),
                    "kind": event.kind.value,
                    "text": event.text,
                    "by": event.by,
                },
                f"{_iso(event.at)} event {event.kind.value}: {event.text or ''}",
            )
            wrote = True
        self._events.clear()
        return wrote

    # ------------------------------------------------------------------ running

    def tick(self) -> None:
        """One runtime tick, then write what it brought."""
        self.runtime.tick()
        if self._print_outputs() or self._alarms:
            self._out.flush()

    def run(self, duration_s: float | None, stop_requested: threading.Event) -> str:
        """Tick until ``duration_s`` has passed (``None``: for ever) or ``stop_requested`` is set.

        The signal handlers of the command only set ``stop_requested``; no exception is thrown
        into a write or a lock, so the shutdown that follows always runs.

        Returns
        -------
        str
            ``"duration"``, or ``"interrupted"`` when a stop was requested (Ctrl+C, SIGTERM) or a
            ``KeyboardInterrupt`` arrived.
        """
        end = None if duration_s is None else self._clock.monotonic() + duration_s
        try:
            while end is None or self._clock.monotonic() < end:
                if stop_requested.is_set():
                    return "interrupted"
                self.tick()
                if stop_requested.wait(TICK_S):
                    return "interrupted"
        except KeyboardInterrupt:
            return "interrupted"
        return "duration"

    def stop(self, why: str, db_path: Any) -> None:
        """Stop the devices, commit what is buffered and write the last line."""
        runtime = self.runtime
        try:
            if not runtime.locked:
                runtime.tick()  # record what arrived until now, devices still connected
        finally:
            runtime.close()  # stop the devices (no "disconnected" alarm), commit the buffer
        self._print_outputs()
        session = runtime.session
        short = str(session.id)[:8]
        self._write(
            {
                "type": "stopped",
                "at": _iso(self._clock.now()),
                "why": why,
                "session_id": str(session.id),
                "phase_before": session.phase.value,
                "phase": "interrupted",
                "readings": self.readings,
                "resume": f"sessionmon --db {db_path} sessions resume {short}",
            },
            f"stopped ({why}) after {self.readings} readings; session {short} is left "
            f"interrupted (it was in {session.phase.value}): resume it with "
            f"'sessionmon --db {db_path} sessions resume {short}' or in the console's history",
        )
        self._out.flush()
