"""Serial pulse oximeters as vitals sources: link + parser + technical conditions + a queue.

:class:`SerialOximeter` owns a :class:`~sessionmon.devices.link.SerialLink`. Its reader thread
feeds the bytes to the protocol parser and turns what comes out into source outputs:

- numerics (hr, spo2, pi) as :class:`Reading` (the parser already thins out values a fast stream
  repeats in every frame);
- pleth samples grouped into :class:`WaveformBlock`;
- per-frame device flags as :class:`ConditionChange` start/end: a condition starts with the first
  frame that reports it and ends once ``condition_hold_frames`` frames have arrived without it,
  or when the link drops; ``invalid_value`` (a "no value" sentinel) ends when every kind it
  was reported for has a value again;
- link moves as :class:`LinkStateChange`, plus ``disconnected`` when the port is lost and
  ``no_data`` when it stalls;
- what the driver itself judges: ``no_value`` while SpO2 or pulse keeps coming as the device's
  "no value" marker (the runtime treats it like sensor off), ``no_valid_data`` when bytes
  arrive but no valid reading or "no value" marker has come for ``no_valid_data_s`` (noise, a
  wrong baud or protocol), ``too_fast`` while frames arrive far faster than the device sends
  them (:mod:`~sessionmon.devices.rate_guard`; such frames are dropped, never recorded).

On every new connection the parser restarts (:meth:`FrameParser.restart`): the value filter
forgets the values from before a re-plug, so the first valid frame gives its values at once.

Everything is put on a thread-safe queue that :meth:`poll` drains. Whoever drains it may ask to
be woken when something other than waveform arrives (:meth:`SerialSourceBase.set_data_listener`):
the console then runs its acquisition on arrival instead of at its next timer tick.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sessionmon.clock import Clock
from sessionmon.devices.link import (
    OPEN_STATES,
    READ_TIMEOUT_S,
    Backoff,
    SerialFactory,
    SerialLink,
)
from sessionmon.devices.profiles import DeviceProfile, PortOverrides, get_profile
from sessionmon.devices.rate_guard import FrameRateGuard
from sessionmon.devices.readings import Condition, Decoded, TechnicalCondition
from sessionmon.devices.source import (
    ConditionChange,
    DeviceRole,
    LinkState,
    LinkStateChange,
    SourceOutput,
    WaveformBlock,
)
from sessionmon.model import Kind

#: Conditions owned by the link rather than by device frames.
LINK_CONDITIONS = frozenset({TechnicalCondition.DISCONNECTED, TechnicalCondition.NO_DATA})

#: Conditions the oximeter driver judges over time (not per frame: no hold-frame rule).
DRIVER_CONDITIONS = frozenset(
    {TechnicalCondition.NO_VALUE, TechnicalCondition.NO_VALID_DATA, TechnicalCondition.TOO_FAST}
)

#: Kinds whose "no value" marker counts towards ``no_value`` (PI may be invalid for good).
NO_VALUE_KINDS = frozenset({Kind.SPO2.value, Kind.HR.value})

_SHOWN_KIND = {Kind.SPO2.value: "SpO2", Kind.HR.value: "pulse rate"}

#: Seconds of bytes without a valid reading before ``no_valid_data`` (devices send values at
#: least once a second; the alarm profile's delay adds the rest of the 10 s).
NO_VALID_DATA_S = 4.0


class SerialSourceBase:
    """What every serial vitals source shares: the link, the queue and the condition set.

    Subclasses implement :meth:`link_bytes` and may override :meth:`link_opened` and
    :meth:`link_tick`; they call :meth:`_emit` and :meth:`_set_condition`.
    """

    def __init__(
        self,
        profile: DeviceProfile,
        port: str,
        clock: Clock,
        *,
        overrides: PortOverrides | None = None,
        stall_timeout_s: float | None = 5.0,
        backoff: Backoff | None = None,
        serial_factory: SerialFactory | None = None,
        device_id: str | None = None,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        self.profile = profile
        self._clock = clock
        self._device_id = device_id or f"{profile.role.value}:{profile.name}:{port}"
        self._lock = threading.RLock()
        self._queue: deque[SourceOutput] = deque()
        self._active: dict[TechnicalCondition, str] = {}
        self.link = SerialLink(
            port,
            profile.settings(overrides),
            clock,
            self,
            stall_timeout_s=stall_timeout_s,
            backoff=backoff,
            serial_factory=serial_factory,
            read_timeout_s=read_timeout_s,
        )
        self.internal_errors = 0
        self._data_listener: Callable[[], None] | None = None

    # ------------------------------------------------------------------ VitalsSource

    @property
    def device_id(self) -> str:
        """Stable id: ``role:protocol:port``."""
        return self._device_id

    @property
    def role(self) -> DeviceRole:
        """Oximeter or NIBP, from the profile."""
        return self.profile.role

    @property
    def state(self) -> LinkState:
        """The link state now."""
        return self.link.state

    @property
    def active_conditions(self) -> frozenset[TechnicalCondition]:
        """Technical conditions in force now."""
        with self._lock:
            return frozenset(self._active)

    def start(self) -> None:
        """Start the reader thread; it opens the port and keeps reopening it if lost."""
        self.link.start()

    def stop(self) -> None:
        """Stop the reader thread and close the port; idempotent."""
        self.link.stop()

    def poll(self) -> list[SourceOutput]:
        """Return everything received since the last call, oldest first."""
        with self._lock:
            self._flush_pending()
            out = sorted(self._queue, key=lambda o: o.at)
            self._queue.clear()
        return out

    def set_data_listener(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback()`` whenever a reading, condition or link move is queued.

        It runs on the reader thread, possibly with the source's lock held: it must only
        signal (set an event, post a message) and never call :meth:`poll` itself. Waveform
        blocks do not call it (they arrive many times a second and carry no alarm).
        ``None`` removes the listener.
        """
        self._data_listener = callback

    # ------------------------------------------------------------------ helpers

    def _now(self) -> datetime:
        return self._clock.now()

    def _emit(self, item: Any, at: datetime | None = None) -> None:
        with self._lock:
            self._queue.append(SourceOutput(at or self._now(), item))
        if not isinstance(item, WaveformBlock):
            self._data_arrived()

    def _data_arrived(self) -> None:
        """Tell the data listener that something worth draining is queued."""
        listener = self._data_listener
        if listener is not None:
            try:
                listener()
            except Exception:  # the listener's bug must not kill the reader thread
                self.internal_errors += 1

    def _flush_pending(self) -> None:
        """Hook for subclasses that buffer (pleth); called with the lock held."""

    def _set_condition(self, condition: TechnicalCondition, active: bool, detail: str = "") -> None:
        with self._lock:
            if active and condition not in self._active:
                self._active[condition] = detail
                self._emit(ConditionChange(condition, True, detail))
            elif not active and condition in self._active:
                del self._active[condition]
                self._emit(ConditionChange(condition, False, detail))

    def _end_device_conditions(self, detail: str) -> None:
        with self._lock:
            for condition in [c for c in self._active if c not in LINK_CONDITIONS]:
                self._set_condition(condition, False, detail)

    # ------------------------------------------------------------------ LinkListener

    def link_state(self, change: LinkStateChange) -> None:
        """Record a link move and derive the link conditions from it."""
        self._emit(change)
        if change.new is LinkState.RECONNECTING:
            self._end_device_conditions("link lost")
            self._set_condition(TechnicalCondition.NO_DATA, False, "link lost")
            self._set_condition(TechnicalCondition.DISCONNECTED, True, change.detail)
            self.on_link_lost()
        elif change.new is LinkState.STREAMING and change.old is LinkState.OPENING:
            self._set_condition(TechnicalCondition.DISCONNECTED, False, "port open")
        elif change.new is LinkState.STALLED:
            self._set_condition(TechnicalCondition.NO_DATA, True, change.detail)
        elif change.new is LinkState.STREAMING and change.old is LinkState.STALLED:
            self._set_condition(TechnicalCondition.NO_DATA, False, change.detail)
        elif change.new is LinkState.DISCONNECTED:
            self.on_link_lost()
            with self._lock:
                for condition in list(self._active):
                    self._set_condition(condition, False, "stopped")

    def link_opened(self, link: SerialLink) -> None:
        """The port is open: subclasses send their start commands here."""

    def link_bytes(self, data: bytes) -> None:
        """Bytes arrived (override)."""
        raise NotImplementedError

    def link_tick(self, link: SerialLink) -> float | None:
        """Run timers on the reader thread while the port is open (override for timers).

        Returns when the next timer is due (clock monotonic s) or ``None``: see
        :meth:`~sessionmon.devices.link.LinkListener.link_tick`.
        """
        return None

    def on_link_lost(self) -> None:
        """The port went away or the link stopped (override to reset a protocol exchange)."""

    @property
    def is_open(self) -> bool:
        """Whether the port is open now."""
        return self.link.state in OPEN_STATES


class SerialOximeter(SerialSourceBase):
    """A streaming pulse oximeter on a serial port.

    Parameters
    ----------
    protocol : str or DeviceProfile
        A protocol name from the registry (``"cms50-v7"``, ``"nonin-df2"``, ...) or a profile.
    port : str
        Serial port name or path.
    clock : Clock
        Host receive times and timers.
    overrides : PortOverrides, optional
        Port settings that differ from the profile's defaults.
    block_samples : int, optional
        Pleth samples per :class:`WaveformBlock` (default: about 0.1 s of samples).
    no_valid_data_s : float
        Seconds of bytes without a valid reading before ``no_valid_data``.
    stall_timeout_s, backoff, serial_factory, device_id, read_timeout_s
        See :class:`~sessionmon.devices.link.SerialLink`.
    """

    def __init__(
        self,
        protocol: str | DeviceProfile,
        port: str,
        clock: Clock,
        *,
        overrides: PortOverrides | None = None,
        block_samples: int | None = None,
        no_valid_data_s: float = NO_VALID_DATA_S,
        stall_timeout_s: float | None = 5.0,
        backoff: Backoff | None = None,
        serial_factory: SerialFactory | None = None,
        device_id: str | None = None,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        profile = get_profile(protocol) if isinstance(protocol, str) else protocol
        super().__init__(
            profile,
            port,
            clock,
            overrides=overrides,
            stall_timeout_s=stall_timeout_s,
            backoff=backoff,
            serial_factory=serial_factory,
            device_id=device_id,
            read_timeout_s=read_timeout_s,
        )
        self.parser = profile.new_parser()
        rate = profile.pleth_rate_hz or 1.0
        self._block_samples = block_samples or max(1, round(rate / 10))
        self._pending: list[float] = []
        self._pending_at: datetime | None = None
        self._frames_without: dict[TechnicalCondition, int] = {}
        self._invalid_kinds: set[str] = set()
        self._frames_seen = 0
        self._last_keepalive = 0.0
        self.no_valid_data_s = no_valid_data_s
        self.rate_guard = FrameRateGuard(profile.frame_rate_hz or 1.0)
        self._junk_since: float | None = None  # first byte since the last valid data
        self._junk_bytes = 0

    # ------------------------------------------------------------------ link callbacks

    def link_opened(self, link: SerialLink) -> None:
        """Send the profile's start command, if it has one."""
        # the keep-alive period counts from before the write: whoever sees the start command
        # may move the clock on, and the next keep-alive must follow from that
        self._last_keepalive = self._clock.monotonic()
        with self._lock:
            self._restart_stream()
        if self.profile.start_command:
            link.write(self.profile.start_command)

    def stop(self) -> None:
        """Send the profile's stop command (if any), then close the port; idempotent."""
        if self.profile.stop_command and self.is_open:
            self.link.write(self.profile.stop_command)
        super().stop()

    def link_tick(self, link: SerialLink) -> float | None:
        """Send the keep-alive when it is due; judge the stream (valid data, rate).

        Returns when the next of these is due: the keep-alive, the end of ``too_fast``, the
        start of ``no_valid_data`` (clock monotonic s), or ``None``.
        """
        now = self._clock.monotonic()
        command, every = self.profile.keepalive_command, self.profile.keepalive_s
        due = None
        if command and every:
            if now - self._last_keepalive >= every:
                self._last_keepalive = now
                link.write(command)
            due = self._last_keepalive + every
        with self._lock:
            self._judge_stream(now)
            for timer in self._stream_timers():
                due = timer if due is None else min(due, timer)
        return due

    def _stream_timers(self) -> list[float]:
        """When :meth:`_judge_stream` would next change something by time alone (lock held)."""
        if not self.is_open:
            return []
        timers = []
        clears = self.rate_guard.clear_due()
        if clears is not None:
            timers.append(clears)
        since = self._junk_since
        if since is not None and TechnicalCondition.NO_VALID_DATA not in self._active:
            timers.append(since + self.no_valid_data_s - 1e-6)
        return timers

    def link_bytes(self, data: bytes) -> None:
        """Decode bytes and queue what they mean."""
        try:
            frames = self._decode(data)
        except Exception:  # a parser bug must not kill the reader thread
            self.internal_errors += 1
            return
        now = self._now()
        mono = self._clock.monotonic()
        admit = self.rate_guard.admit
        news = False
        with self._lock:
            if self._junk_since is None:
                self._junk_since = mono
                self._junk_bytes = 0
            self._junk_bytes += len(data)
            for frame in frames:
                if not admit(mono):
                    continue  # too fast to be the device: never recorded
                present: dict[TechnicalCondition, str] = {}
                for item in frame:
                    if isinstance(item, Condition):
                        if item.name is TechnicalCondition.INVALID_VALUE:
                            self._invalid_kinds.add(item.detail)
                        present.setdefault(item.name, item.detail)
                    elif item.kind is Kind.PLETH:
                        self._add_pleth(item.value, now)
                    else:
                        self._invalid_kinds.discard(item.kind.value)
                        self._queue.append(SourceOutput(now, item))
                        news = True
                        self._valid_data(mono)
                    if (
                        isinstance(item, Condition)
                        and item.name is TechnicalCondition.INVALID_VALUE
                    ):
                        self._valid_data(mono)  # the device speaks: it has no value to give
                self._update_conditions(present)
            self._judge_stream(mono)
        if news:
            self._data_arrived()

    def _decode(self, data: bytes) -> list[list[Decoded]]:
        """Return the decoded items grouped by frame."""
        feed_frames = getattr(self.parser, "feed_frames", None)
        if feed_frames is not None:
            return feed_frames(data)
        items = self.parser.feed(data)
        frames = self.parser.stats.frames
        new_frames, self._frames_seen = frames - self._frames_seen, frames
        if new_frames <= 0 and not items:
            return []
        return [[] for _ in range(new_frames - 1)] + [items]  # flags count as the latest

    def on_link_lost(self) -> None:
        """Drop half-received pleth and numeric history; the next frame starts afresh."""
        with self._lock:
            self._flush_pending()
            self._restart_stream()

    def _restart_stream(self) -> None:
        """A new connection (or none): parser, value filter, rate and validity timers afresh."""
        self._frames_without.clear()
        self._invalid_kinds.clear()
        restart = getattr(self.parser, "restart", None)
        if restart is not None:
            restart()
        self.rate_guard.reset()
        self._junk_since = None
        for condition in DRIVER_CONDITIONS:
            self._set_condition(condition, False, "new connection")

    def _valid_data(self, now: float) -> None:
        self._junk_since = None
        self._set_condition(TechnicalCondition.NO_VALID_DATA, False, "valid data again")

    def _judge_stream(self, now: float) -> None:
        """Set or end ``too_fast``, ``no_valid_data`` and ``no_value`` (lock held)."""
        if not self.is_open:
            return
        guard = self.rate_guard
        fast = guard.check(now)
        self._set_condition(
            TechnicalCondition.TOO_FAST,
            fast,
            guard.describe(self.profile.name) if fast else "rate normal again",
        )
        since = self._junk_since
        if since is not None and now - since >= self.no_valid_data_s - 1e-6:
            self._set_condition(
                TechnicalCondition.NO_VALID_DATA,
                True,
                f"{self._junk_bytes} bytes in {now - since:.0f} s but no valid "
                f"{self.profile.name} reading at {self.link.settings.describe()}: "
                "check the driver and baud",
            )
        missing = sorted(NO_VALUE_KINDS & self._invalid_kinds)
        self._set_condition(
            TechnicalCondition.NO_VALUE,
            bool(missing),
            f"device sends no {' or '.join(_SHOWN_KIND[k] for k in missing)} value"
            if missing
            else "values again",
        )

    # ------------------------------------------------------------------ helpers

    def _add_pleth(self, value: float, now: datetime) -> None:
        if not self._pending:
            self._pending_at = now
        self._pending.append(value)
        if len(self._pending) >= self._block_samples:
            self._flush_pending()

    def _flush_pending(self) -> None:
        if not self._pending:
            return
        block = WaveformBlock(tuple(self._pending), self.profile.pleth_rate_hz or 1.0)
        at = self._pending_at or self._now()
        self._pending = []
        self._pending_at = None
        self._queue.append(SourceOutput(at, block))

    def _update_conditions(self, present: dict[TechnicalCondition, str]) -> None:
        for condition, detail in present.items():
            self._frames_without[condition] = 0
            self._set_condition(condition, True, detail)
        hold = self.profile.condition_hold_frames
        judged = LINK_CONDITIONS | DRIVER_CONDITIONS
        for condition in [c for c in self._active if c not in judged]:
            if condition is TechnicalCondition.INVALID_VALUE:
                # numerics are thinned out by the parser: "no value" ends with the next value
                if not self._invalid_kinds:
                    self._set_condition(condition, False, "values again")
                continue
            if condition in present:
                continue
            count = self._frames_without.get(condition, 0) + 1
            self._frames_without[condition] = count
            if count >= hold:
                self._frames_without.pop(condition, None)
                self._set_condition(condition, False, "cleared")
