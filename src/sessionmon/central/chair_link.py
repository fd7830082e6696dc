"""A chair's link to the central station: publishes its live state, never slows monitoring.

:class:`ChairLink` hooks into a :class:`~sessionmon.runtime.SessionRuntime` through its alarm
listener and its tick listener. Both only build a payload and put it in a slot, one per topic,
that keeps the newest message (a bounded queue: an older ``vitals`` not yet sent is replaced,
never waited for). A sender thread publishes the slots through paho-mqtt, whose own network
thread connects and reconnects. While the broker cannot be reached the runtime is told the
technical condition ``central_unreachable`` (low priority); on reconnect every retained message
(``online``, ``status``, ``alarms``) is published again from the current state.

Central's acknowledgements arrive on ``sessionmon/<clinic>/central/seen/<chair>``;
:meth:`ChairLink.seen_by` says who saw an alarm at central, and the next ``alarms`` message
carries it back (central shows it too).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from sessionmon.central.chair_payloads import alarms_payload, status_payload, vitals_payload
from sessionmon.central.config import CentralConfig
from sessionmon.central.mqtt import build_client, connect_in_background, reason_text
from sessionmon.central.payloads import (
    OnlinePayload,
    PayloadError,
    SeenPayload,
    decode,
    encode,
)
from sessionmon.central.topics import chair_topic, seen_topic
from sessionmon.clock import Clock, SystemClock

log = logging.getLogger(__name__)

#: The runtime's technical condition while the broker cannot be reached.
UNREACHABLE = "central_unreachable"

#: Seconds between two ``vitals`` messages (issue 13: about once a second).
VITALS_EVERY_S = 1.0

#: ... and at least this many real seconds apart (a run faster than real time sends no flood).
MIN_WALL_S = 0.25

#: A ``status`` whose content did not change is still sent this often (seconds).
STATUS_EVERY_S = 10.0


class ChairLink:
    """Publishes one chair's state to the broker.

    Parameters
    ----------
    config : CentralConfig
        Broker, login, clinic; ``config.chair`` must be set.
    clock : Clock
        The session's clock (times in the payloads, the once-a-second pace).
    wall_clock : Clock, optional
        Real time for the ``sent`` stamp (latency figures); default the system clock.
    """

    def __init__(
        self, config: CentralConfig, clock: Clock, wall_clock: Clock | None = None
    ) -> None:
        if not config.chair:
            raise ValueError("a chair link needs config.chair")
        self.config = config
        self.chair = config.chair
        self._clock = clock
        self._wall = wall_clock or SystemClock()
        self._cond = threading.Condition()
        self._slots: dict[str, tuple[bytes, int, bool]] = {}
        self._dirty: set[str] = set()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.connected = False
        self.last_error = "not connected yet"
        self.published = 0
        self._seen: dict[UUID, str] = {}
        self._seen_changed = False
        self._runtime: Any = None
        self._last_vitals: float | None = None
        self._last_wall = 0.0
        self._last_status: float | None = None
        self._status_key: str | None = None
        self._unreachable_told: bool | None = None
        self.on_seen: Callable[[str, list[UUID]], None] | None = None
        topic = self.topic("online")
        will = encode(OnlinePayload(chair=self.chair, sent=0.0, online=False))
        self._client = build_client(config, f"chair-{self.chair}", will=(topic, will))
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    # ------------------------------------------------------------------ life

    def topic(self, kind: str) -> str:
        """This chair's topic for ``kind``."""
        return chair_topic(self.config.clinic, self.chair, kind)

    def start(self) -> None:
        """Connect in the background and start the sender thread (returns at once)."""
        self._offer("online", OnlinePayload(chair=self.chair, sent=self._sent(), online=True))
        self._offer_idle()
        self._thread = threading.Thread(target=self._run, name=f"central-{self.chair}", daemon=True)
        self._thread.start()
        connect_in_background(self._client, self.config)

    def stop(self, timeout_s: float = 2.0) -> None:
        """Say ``online`` false, disconnect and stop the threads (the last state stays retained)."""
        runtime, self._runtime = self._runtime, None
        if runtime is not None:
            runtime.remove_listener(self._on_alarms)
            runtime.remove_listener(self._on_tick)
            snap = runtime.snapshot()  # the final state (e.g. the session just ended)
            self._offer("status", status_payload(self.chair, self._sent(), snap, snap.now))
            self._on_alarms(list(runtime.engine.active_alarms))
        with self._cond:
            if self.connected:  # let the sender thread deliver what is pending
                self._cond.wait_for(lambda: not self._dirty or not self.connected, timeout_s)
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self.connected:
            info = self._client.publish(
                self.topic("online"),
                encode(OnlinePayload(chair=self.chair, sent=self._sent(), online=False)),
                qos=1,
                retain=True,
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout_s)
        self._client.disconnect()
        self._client.loop_stop()

    # ------------------------------------------------------------------ the runtime

    def attach(self, runtime: Any) -> None:
        """Publish ``runtime``'s session from now on (its alarm and tick listeners)."""
        if self._runtime is not None:
            self.detach()
        self._runtime = runtime
        self._last_vitals = None
        self._unreachable_told = None
        with self._cond:
            self._seen.clear()
        runtime.add_alarm_listener(self._on_alarms)
        runtime.add_tick_listener(self._on_tick)
        self._on_alarms(list(runtime.engine.active_alarms))

    def detach(self) -> None:
        """Stop publishing the current runtime (the chair shows no session)."""
        runtime, self._runtime = self._runtime, None
        if runtime is None:
            return
        runtime.remove_listener(self._on_alarms)
        runtime.remove_listener(self._on_tick)
        self._offer_idle()

    @property
    def runtime(self) -> Any:
        """The runtime being published, or None."""
        return self._runtime

    def seen_by(self, alarm_id: UUID) -> str | None:
        """Who acknowledged this alarm at central, or None."""
        with self._cond:
            return self._seen.get(alarm_id)

    def _on_alarms(self, active: list[Any]) -> None:
        with self._cond:
            seen = dict(self._seen)
            self._seen_changed = False
        payload = alarms_payload(self.chair, self._sent(), self._clock.now(), active, seen)
        self._offer("alarms", payload)

    def _on_tick(self, runtime: Any) -> None:
        """Runs on the acquisition thread after each tick: cheap unless a second has passed."""
        unreachable = not self.connected
        if unreachable != self._unreachable_told:
            self._unreachable_told = unreachable
            runtime.set_external_condition(
                UNREACHABLE, unreachable, f"{self.config.url}: {self.last_error}"
            )
        if self._seen_changed:
            self._on_alarms(list(runtime.engine.active_alarms))
        mono = self._clock.monotonic()
        wall = self._wall.monotonic()
        if self._last_vitals is not None and (
            mono - self._last_vitals < VITALS_EVERY_S or wall - self._last_wall < MIN_WALL_S
        ):
            return
        self._last_vitals = mono
        self._last_wall = wall
        snap = runtime.snapshot()
        sent = self._sent()
        self._offer("vitals", vitals_payload(self.chair, sent, snap, snap.now))
        status = status_payload(self.chair, sent, snap, snap.now)
        key = status.model_dump_json(exclude={"sent", "at", "minutes_since_dose"})
        if (
            key != self._status_key
            or self._last_status is None
            or mono - self._last_status >= STATUS_EVERY_S
        ):
            self._status_key = key
            self._last_status = mono
            self._offer("status", status)

    # ------------------------------------------------------------------ the slots

    def _sent(self) -> float:
        return self._wall.now().timestamp()

    def _offer_idle(self) -> None:
        now = self._clock.now()
        sent = self._sent()
        self._offer("status", status_payload(self.chair, sent, None, now))
        self._offer("alarms", alarms_payload(self.chair, sent, now, [], {}))
        self._offer("vitals", vitals_payload(self.chair, sent, None, now))

    def _offer(self, kind: str, payload: Any) -> None:
        """Put the newest ``kind`` message in its slot (never blocks on the network)."""
        qos, retain = (0, False) if kind == "vitals" else (1, True)
        topic = self.topic(kind)
        with self._cond:
            self._slots[topic] = (encode(payload), qos, retain)
            self._dirty.add(topic)
            self._cond.notify()

    def _run(self) -> None:
        """The sender thread: publishes dirty slots while connected; idle heartbeat."""
        idle_at: datetime | None = None
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._stopping or (self.connected and bool(self._dirty)),
                    timeout=VITALS_EVERY_S,
                )
                if self._stopping:
                    return
                items = [(t, self._slots[t]) for t in self._dirty] if self.connected else []
                self._dirty.difference_update(t for t, _ in items)
            for topic, (data, qos, retain) in items:
                self._client.publish(topic, data, qos=qos, retain=retain)
                self.published += 1
            if items:
                with self._cond:
                    self._cond.notify_all()  # stop() may be waiting for the slots to drain
            if self._runtime is None:  # no session: a heartbeat so central knows we are here
                now = self._clock.now()
                if idle_at is None or (now - idle_at).total_seconds() >= VITALS_EVERY_S:
                    idle_at = now
                    self._offer("vitals", vitals_payload(self.chair, self._sent(), None, now))

    # ------------------------------------------------------------------ paho callbacks

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self.last_error = f"refused: {reason_code}"
            log.warning(
                "central %s refused the chair %s: %s", self.config.url, self.chair, reason_code
            )
            return
        client.subscribe(seen_topic(self.config.clinic, self.chair), qos=1)
        with self._cond:
            self.connected = True
            self.last_error = ""
            self._offer("online", OnlinePayload(chair=self.chair, sent=self._sent(), online=True))
            self._dirty.update(self._slots)  # republish the current state
            self._cond.notify()
        log.info("chair %s connected to %s", self.chair, self.config.url)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        with self._cond:
            was = self.connected
            self.connected = False
            self.last_error = reason_text(reason_code)
        if was and not self._stopping:
            log.warning("chair %s lost %s: %s", self.chair, self.config.url, self.last_error)

    def _on_message(self, _client, _userdata, message) -> None:
        try:
            seen = decode("seen", message.payload)
        except PayloadError as exc:
            log.warning("dropped message on %s: %s", message.topic, exc)
            return
        assert isinstance(seen, SeenPayload)
        if seen.chair != self.chair:
            log.warning("dropped message on %s: it names chair %s", message.topic, seen.chair)
            return
        with self._cond:
            for alarm_id in seen.alarm_ids:
                self._seen[alarm_id] = seen.by
            self._seen_changed = True
        callback = self.on_seen
        if callback is not None:
            callback(seen.by, list(seen.alarm_ids))
