"""The console controller's cycle: each acquisition tick, and the view it publishes each frame.

The acquisition timer (and a reader thread's wake-up when a reading arrives) drains the devices
into the runtime; the frame timer builds the :class:`~sessionmon.ui.viewmodel.ConsoleView` from
the runtime's snapshot (with the alarm markers on the trends, who saw an alarm at the central
station, and whether alarm sound can play) and publishes it. It builds the view again only when
the runtime says something shown changed (its ``view_version`` moved) or time alone changes it
(the snapshot's ``next_change_at`` came); in the other frames it publishes the last view with the
newest waveform samples (the window flashes alarms itself).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sessionmon.errors import UserError
from sessionmon.ui import adapter
from sessionmon.ui.viewmodel import AudioView, ConsoleView, TrendMarker

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.controller_wiring import ControllerWiring

    _Base = ControllerWiring
else:
    _Base = object

#: The controller's logger: records keep the name they had before the split.
log = logging.getLogger("sessionmon.ui.controller")


class AcquisitionCycle(_Base):
    """Acquires on each tick or arrival; builds and publishes the view each frame."""

    __slots__ = ()  # the controller keeps the state; a mixin adds no instance layout

    def acquire(self) -> None:
        """Drain the devices into the record, alarms and protocol (acquisition timer).

        A failure is told to the nurse once (not ten times a second) and the timer keeps
        running, so acquisition resumes by itself when the cause goes away. An unexpected
        error is logged with its traceback and shown too: the console is never silently stuck.
        """
        if self.runtime is None or self.runtime.locked:
            return
        try:
            if self.playback is not None:
                self.playback.advance()
            self.runtime.tick()
        except UserError as exc:
            self._acquisition_failed(str(exc))
            return
        except Exception as exc:
            log.exception("acquisition tick failed")
            self._acquisition_failed(f"Monitoring error, readings may not update: {exc}")
            return
        self.ticks += 1
        if self._acquisition_fault is not None:
            self._acquisition_fault = None
            self.info.emit("Monitoring running again.")

    def _acquire_on_arrival(self) -> None:
        """A source has new data: acquire now (live console only; tests drive :meth:`step`)."""
        if self.acquisition_timer.isActive():
            self._acquire_live()

    def _acquire_live(self) -> None:
        """Acquire; an alarm that started, changed or ended is drawn now, not at the next frame."""
        self._alarms_moved = False
        self.acquire()
        if self._alarms_moved:
            self._alarms_moved = False
            self.refresh()

    def _on_alarms_moved(self, active: list[Any]) -> None:
        self._alarms_moved = True

    def _acquisition_failed(self, message: str) -> None:
        if message != self._acquisition_fault:
            self._acquisition_fault = message
            self.error.emit(message)

    def draw_frame(self) -> ConsoleView:
        """Publish the view of this frame (frame timer, 25 Hz).

        The view is built again (:meth:`refresh`) when the runtime counted a change since it was
        last built, when the time its snapshot said something changes has come, or when alarms
        may have been seen at the central station; otherwise it is the last view with the newest
        pleth and capnogram samples (when new ones came) and the time now.
        """
        runtime = self.runtime
        made = self._view_made
        now = self.clock.now()
        if (
            runtime is None
            or made is None
            or made[0] is not runtime
            or made[1] != runtime.view_version
            or made[2] is None
            or now >= made[2]
            or (self.seen_at_central is not None and self.view.alarms)
        ):
            return self.refresh()
        samples = runtime.waveform_samples
        if samples == self._waves_shown:
            view = replace_view(self.view, now=now)  # every part as it was: the window sees so
        else:
            pleth, co2 = runtime.waveforms()
            view = adapter.frame_view(self.view, pleth, co2, now)
            self._waves_shown = samples
        self.view = view
        self._publish_physiology()
        self.view_changed.emit(view)
        return view

    def refresh(self) -> ConsoleView:
        """Build the view of the session now and publish it (after an intent; tests)."""
        self._view_made = None
        if self.runtime is None:
            view = self.view if self.read_only_session is not None else ConsoleView()
        else:
            self._waves_shown = self.runtime.waveform_samples
            snapshot = self.runtime.snapshot()
            self._view_made = (self.runtime, snapshot.version, snapshot.next_change_at)
            adapter.feed_trends(self.trends, snapshot)
            view = adapter.console_view(snapshot)
            self._note_alarm_markers(view, snapshot)
            if self._alarm_markers:
                markers = tuple(
                    sorted(view.markers + tuple(self._alarm_markers), key=lambda m: m.t_s)
                )
                view = replace_view(view, markers=markers)
        if self.seen_at_central is not None and self.runtime is not None and view.alarms:
            view = replace_view(view, alarms=self._with_seen_at_central(view.alarms))
        if self.audio_unavailable_reason is not None and view.audio.state != "unavailable":
            # Never show AUDIO ON when sound cannot play, whether or not a session is open.
            view = replace_view(view, audio=AudioView("unavailable"))
        no_engine = self.runtime is None or self.runtime.locked
        shown = any(a.condition == "audio_unavailable" for a in view.alarms)
        if no_engine and self._audio_alarm is not None and not shown:
            # no alarm engine raises audio_unavailable: the bar must not say "No active alarms"
            view = replace_view(view, alarms=(*view.alarms, self._audio_alarm))
        self.view = view
        self._publish_physiology()
        self.view_changed.emit(view)
        return view

    def _with_seen_at_central(self, items: tuple) -> tuple:
        """The alarm items with who saw them at the central station (the central link's)."""
        ids = {a.condition: a.alarm_id for a in self.runtime.engine.active_alarms}
        seen = self.seen_at_central
        return tuple(
            replace_view(item, seen_by=seen(ids[item.condition]) or "")
            if item.condition in ids
            else item
            for item in items
        )

    def _note_alarm_markers(self, view: ConsoleView, snapshot: Any) -> None:
        start = snapshot.session.created_at
        for alarm in snapshot.alarms:
            key = str(alarm.alarm_id)
            if key in self._alarm_starts:
                continue
            t_s = (alarm.started_at - start).total_seconds()
            self._alarm_starts[key] = t_s
            label = adapter.CONDITION_TEXT.get(alarm.condition, alarm.condition)
            self._alarm_markers.append(TrendMarker(t_s, "alarm", label))

    @property
    def has_session(self) -> bool:
        """Whether a live session is running."""
        return self.runtime is not None


def replace_view(view: ConsoleView, **changes: Any) -> ConsoleView:
    """A copy of ``view`` (or of one of its parts, such as an alarm item) with ``changes``."""
    from dataclasses import replace

    return replace(view, **changes)
