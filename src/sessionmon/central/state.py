"""What the central station knows: every chair's last messages and central's own alarms.

:class:`CentralState` is fed raw MQTT messages (from paho's thread) and read by the window or
the headless printer (from the main thread); a lock keeps them apart. It validates every
message: a topic that is not a known chair's or a payload that fails validation is dropped with
a log line and never shown. :meth:`CentralState.tick` raises central's own technical alarms: a
chair whose ``online`` is false or that has been silent for ``offline_after_s`` (5 s), and a
broker that cannot be reached (both high priority). Acknowledging at central silences central
only; it returns the ``seen`` messages to send so the chair shows "seen at central by <user>".
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from sessionmon.central.payloads import (
    AlarmItem,
    AlarmsPayload,
    OnlinePayload,
    PayloadError,
    SeenPayload,
    StatusPayload,
    VitalsPayload,
    decode,
)
from sessionmon.central.topics import parse_chair_topic
from sessionmon.clock import Clock
from sessionmon.model import AlarmPriority

log = logging.getLogger(__name__)

#: Seconds of trends kept per chair (issue 13: the last 30 minutes).
TREND_WINDOW_S = 30 * 60.0

#: Central's audio pause, as at the chair (IEC 60601-1-8 allows up to 120 s... the default).
AUDIO_PAUSE_S = 120.0

#: Seconds central waits for the broker at start before it raises ``broker_unreachable``.
BROKER_GRACE_S = 5.0

#: Latency samples kept for the figures.
LATENCY_SAMPLES = 20000

TREND_KINDS = ("hr", "spo2", "nibp_sys", "nibp_dia", "resp_rate", "etco2")


@dataclass
class CentralAlarm:
    """One of central's own alarms (technical, high): a chair offline, the broker unreachable."""

    condition: str
    chair: str | None
    message: str
    started_at: datetime
    priority: AlarmPriority = AlarmPriority.HIGH
    acknowledged: bool = False

    def to_json(self) -> dict[str, Any]:
        """The alarm as the headless JSON prints it."""
        return {
            "condition": self.condition,
            "chair": self.chair,
            "priority": self.priority.value,
            "category": "technical",
            "message": self.message,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "acknowledged": self.acknowledged,
        }


@dataclass
class ChairState:
    """The last of everything one chair sent."""

    chair: str
    online: bool | None = None
    status: StatusPayload | None = None
    vitals: VitalsPayload | None = None
    vitals_received: float | None = None  # central monotonic time
    alarms: list[AlarmItem] = field(default_factory=list)
    last_message: float | None = None
    trends: dict[str, deque[tuple[float, float]]] = field(default_factory=dict)
    dropped: int = 0

    def highest_alarm(self) -> AlarmItem | None:
        """The chair's highest-priority active alarm (the first in its list), if any."""
        if not self.alarms:
            return None
        return max(self.alarms, key=lambda a: a.priority.rank)


@dataclass(frozen=True)
class CentralAudio:
    """What central's loudspeaker should do."""

    sounding: AlarmPriority | None
    paused: bool
    pause_remaining_s: float


class CentralState:
    """Every chair as central sees it.

    Parameters
    ----------
    clinic : str
        Messages of another clinic are dropped.
    clock : Clock
        Central's clock (silence, alarm times, latency).
    chairs : list of str, optional
        The chairs expected (tiles from the start; any other chair is dropped). Empty: any chair
        with valid messages.
    offline_after_s : float
        A chair silent this long is offline.
    """

    def __init__(
        self,
        clinic: str,
        clock: Clock,
        chairs: list[str] | None = None,
        offline_after_s: float = 5.0,
    ) -> None:
        self.clinic = clinic
        self._clock = clock
        self._lock = threading.RLock()
        self._expected = list(chairs or [])
        self._chairs: dict[str, ChairState] = {c: ChairState(c) for c in self._expected}
        self.offline_after_s = offline_after_s
        self._started = clock.monotonic()
        self._alarms: dict[tuple[str, str | None], CentralAlarm] = {}
        self._acked: set[tuple[UUID, str]] = set()  # (alarm_id, priority) seen at central
        self._pause_until: float | None = None
        self.broker_connected = False
        self.broker_detail = "not connected yet"
        self._broker_lost_at: float | None = clock.monotonic()
        self.audio_problem: str | None = None
        self.latencies_ms: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.received = 0
        self.dropped = 0

    # ------------------------------------------------------------------ input

    def receive(self, topic: str, data: bytes, retained: bool = False) -> bool:
        """Apply one message; return False (and log why) when it is dropped.

        ``retained``: the broker kept it from before (it counts for no latency figure).
        """
        parsed = parse_chair_topic(topic)
        if parsed is None or parsed.clinic != self.clinic:
            return self._drop(topic, "not a chair topic of this clinic")
        if self._expected and parsed.chair not in self._expected:
            return self._drop(topic, f"unknown chair {parsed.chair!r}")
        try:
            payload = decode(parsed.kind, data)
        except PayloadError as exc:
            return self._drop(topic, str(exc))
        if getattr(payload, "chair", None) != parsed.chair:
            return self._drop(topic, f"payload names chair {getattr(payload, 'chair', None)!r}")
        mono = self._clock.monotonic()
        with self._lock:
            chair = self._chairs.setdefault(parsed.chair, ChairState(parsed.chair))
            if isinstance(payload, OnlinePayload):
                chair.online = payload.online
                if payload.online:
                    chair.last_message = mono
            else:
                chair.last_message = mono
                if chair.online is None:
                    chair.online = True
                if isinstance(payload, StatusPayload):
                    chair.status = payload
                elif isinstance(payload, VitalsPayload):
                    chair.vitals = payload
                    chair.vitals_received = mono
                    self._add_trends(chair, payload)
                elif isinstance(payload, AlarmsPayload):
                    chair.alarms = list(payload.alarms)
            self.received += 1
            sent = getattr(payload, "sent", 0.0)
            if sent > 0 and not retained:
                self.latencies_ms.append((self._clock.now().timestamp() - sent) * 1000.0)
        return True

    def _drop(self, topic: str, why: str) -> bool:
        with self._lock:
            self.dropped += 1
        log.warning("central dropped a message on %r: %s", topic[:120], why)
        return False

    def _add_trends(self, chair: ChairState, payload: VitalsPayload) -> None:
        for kind in TREND_KINDS:
            item = payload.values.get(kind)
            if item is None or item.stale:
                continue
            series = chair.trends.setdefault(kind, deque())
            t = item.at.timestamp()
            if series and series[-1][0] >= t:
                continue  # the same reading again (BP) or out of order
            series.append((t, item.value))
            while series and series[0][0] < t - TREND_WINDOW_S:
                series.popleft()

    def set_broker(self, connected: bool, detail: str = "") -> None:
        """Paho's thread says whether central is connected to the broker."""
        with self._lock:
            self.broker_connected = connected
            self.broker_detail = detail
            if connected:
                self._broker_lost_at = None
            elif self._broker_lost_at is None:
                self._broker_lost_at = self._clock.monotonic()

    def set_audio_unavailable(self, reason: str) -> None:
        """Central's sound cannot play: a low-priority technical alarm says so (never mute)."""
        with self._lock:
            self.audio_problem = reason

    # ------------------------------------------------------------------ central's alarms

    def tick(self) -> None:
        """Raise and end central's own alarms (call about once a second or more)."""
        now = self._clock.now()
        mono = self._clock.monotonic()
        with self._lock:
            wanted: dict[tuple[str, str | None], str] = {}
            lost = self._broker_lost_at
            if not self.broker_connected and lost is not None and mono - lost >= BROKER_GRACE_S:
                wanted[("broker_unreachable", None)] = (
                    f"Central cannot reach the broker: {self.broker_detail}"
                )
            if self.broker_connected:  # with no broker, a silent chair tells nothing
                for chair in self._chairs.values():
                    why = self._offline_reason(chair, mono)
                    if why:
                        wanted[("chair_offline", chair.chair)] = f"Chair {chair.chair} {why}"
            if self.audio_problem:
                wanted[("audio_unavailable", None)] = (
                    f"Alarm sound cannot play: {self.audio_problem}"
                )
            for key, message in wanted.items():
                alarm = self._alarms.get(key)
                if alarm is None:
                    priority = (
                        AlarmPriority.LOW if key[0] == "audio_unavailable" else AlarmPriority.HIGH
                    )
                    self._alarms[key] = CentralAlarm(key[0], key[1], message, now, priority)
                    log.warning("central alarm: %s", message)
                else:
                    alarm.message = message
            for key in [k for k in self._alarms if k not in wanted]:
                del self._alarms[key]
            if self._pause_until is not None and mono >= self._pause_until:
                self._pause_until = None

    def _offline_reason(self, chair: ChairState, mono: float) -> str | None:
        if chair.online is False:
            return "offline"
        last = chair.last_message
        if last is None:
            if mono - self._started >= self.offline_after_s:
                return "not heard from"
            return None
        silent = mono - last
        if silent >= self.offline_after_s:
            return f"silent for {silent:.0f} s"
        return None

    # ------------------------------------------------------------------ the nurse at central

    def acknowledge(self, chair: str | None, user: str) -> list[tuple[str, SeenPayload]]:
        """Acknowledge at central (one chair, or everything when ``chair`` is None).

        Silences central only. Returns ``(chair, seen payload)`` for each chair whose alarms
        were acknowledged, for the caller to publish.
        """
        sent = self._clock.now().timestamp()
        out: list[tuple[str, SeenPayload]] = []
        with self._lock:
            for alarm in self._alarms.values():
                if chair is None or alarm.chair == chair:
                    alarm.acknowledged = True
            for name, state in self._chairs.items():
                if chair is not None and name != chair:
                    continue
                ids = []
                for a in state.alarms:
                    key = (a.alarm_id, a.priority.value)
                    if not a.acknowledged and key not in self._acked:
                        self._acked.add(key)
                        ids.append(a.alarm_id)
                if ids:
                    out.append((name, SeenPayload(chair=name, sent=sent, by=user, alarm_ids=ids)))
        return out

    def pause_audio(self) -> None:
        """Pause central's sound for :data:`AUDIO_PAUSE_S` (again restarts the count)."""
        with self._lock:
            self._pause_until = self._clock.monotonic() + AUDIO_PAUSE_S

    def resume_audio(self) -> None:
        """End central's audio pause."""
        with self._lock:
            self._pause_until = None

    def _sounds(self, alarm: AlarmItem) -> bool:
        return not alarm.acknowledged and (alarm.alarm_id, alarm.priority.value) not in self._acked

    def audio(self) -> CentralAudio:
        """The priority central sounds now (its own alarms and the chairs' not yet seen)."""
        with self._lock:
            ranks = [a.priority for a in self._alarms.values() if not a.acknowledged]
            for chair in self._chairs.values():
                if chair.online is not False:
                    ranks.extend(a.priority for a in chair.alarms if self._sounds(a))
            top = max(ranks, key=lambda p: p.rank) if ranks else None
            remaining = 0.0
            if self._pause_until is not None:
                remaining = max(0.0, self._pause_until - self._clock.monotonic())
            paused = remaining > 0
            return CentralAudio(None if paused else top, paused, remaining)

    # ------------------------------------------------------------------ output

    def chairs(self) -> list[ChairState]:
        """Every chair (expected ones first, then by name)."""
        with self._lock:
            order = {name: i for i, name in enumerate(self._expected)}
            return sorted(self._chairs.values(), key=lambda c: (order.get(c.chair, 1e9), c.chair))

    def alarms(self) -> list[CentralAlarm]:
        """Central's own active alarms."""
        with self._lock:
            return list(self._alarms.values())

    def chair_alarm(self, chair: str) -> CentralAlarm | None:
        """Central's offline alarm of ``chair``, if raised."""
        with self._lock:
            return self._alarms.get(("chair_offline", chair))

    def seen_at_central(self, alarm: AlarmItem) -> bool:
        """Whether ``alarm`` was acknowledged at central."""
        with self._lock:
            return (alarm.alarm_id, alarm.priority.value) in self._acked

    def vitals_age_s(self, chair: ChairState, kind: str) -> float | None:
        """Age of a chair's latest ``kind`` value now (its age when sent + time since)."""
        with self._lock:
            if chair.vitals is None or chair.vitals_received is None:
                return None
            item = chair.vitals.values.get(kind)
            if item is None:
                return None
            return item.age_s + max(0.0, self._clock.monotonic() - chair.vitals_received)

    def to_json(self) -> dict[str, Any]:
        """The state as ``sessionmon central --headless --json`` prints it."""
        with self._lock:
            chairs = []
            for chair in self.chairs():
                status = chair.status
                vitals = {}
                if chair.vitals is not None:
                    for kind, item in chair.vitals.values.items():
                        age = self.vitals_age_s(chair, kind)
                        vitals[kind] = {
                            "value": item.value,
                            "unit": item.unit,
                            "age_s": round(age if age is not None else item.age_s, 1),
                            "stale": item.stale,
                        }
                offline = self._alarms.get(("chair_offline", chair.chair))
                chairs.append(
                    {
                        "chair": chair.chair,
                        "online": chair.online is True and offline is None,
                        "pseudonym": status.pseudonym if status else None,
                        "treatment": status.treatment if status else None,
                        "phase": status.phase.value if status and status.phase else None,
                        "minutes_since_dose": status.minutes_since_dose if status else None,
                        "next_check": (
                            status.next_check.model_dump(mode="json")
                            if status and status.next_check
                            else None
                        ),
                        "discharge_ready": status.discharge_ready if status else None,
                        "vitals": vitals,
                        "alarms": [
                            {
                                "condition": a.condition,
                                "priority": a.priority.value,
                                "category": a.category.value,
                                "message": a.message,
                                "acknowledged": a.acknowledged,
                                "seen_at_central": self.seen_at_central(a),
                                "seen_at_central_by": a.seen_at_central_by,
                            }
                            for a in chair.alarms
                        ],
                    }
                )
            audio = self.audio()
            return {
                "at": self._clock.now().isoformat(timespec="milliseconds"),
                "broker": {"connected": self.broker_connected, "detail": self.broker_detail},
                "chairs": chairs,
                "alarms": [a.to_json() for a in self._alarms.values()],
                "audio": {
                    "sounding": audio.sounding.value if audio.sounding else None,
                    "paused": audio.paused,
                },
                "messages": {"received": self.received, "dropped": self.dropped},
            }

    def latency_ms(self) -> dict[str, float | int | None]:
        """p50 / p99 of publish-to-central-state latency over the kept samples."""
        with self._lock:
            samples = sorted(self.latencies_ms)
        if not samples:
            return {"n": 0, "p50": None, "p99": None, "max": None}

        def pct(q: float) -> float:
            return round(samples[min(len(samples) - 1, int(q * len(samples)))], 2)

        return {"n": len(samples), "p50": pct(0.50), "p99": pct(0.99), "max": round(samples[-1], 2)}
