"""The client side of the IntelliVue dialog as a pure state machine, and poll results as readings.

:class:`PollDecoder` turns poll results into what every driver yields: :class:`Reading` (with
the monitor's flags: where an HR came from, "questionable"), ``invalid_value`` conditions for
values the monitor marks invalid / unavailable / NaN, waveform samples, the NIBP result once per
measurement (with the monitor's measurement time) and the monitor's alarm list.

:class:`ClientDialog` runs the dialog: associate, confirm the MDS create event, poll numerics
(and waves and alarms when asked) on a timer, keep the association alive, re-associate when the
monitor stops answering or aborts, back off when it refuses. It does no I/O: :meth:`tick` and
:meth:`receive` return the messages to send, and the caller's clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sessionmon.devices.protocols import intellivue as iv
from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.readings import Condition, Decoded, Reading, TechnicalCondition
from sessionmon.model import Kind

TC = TechnicalCondition


def state_words(state: int) -> str:
    """Say which measurement-state bits are set, e.g. ``"invalid, unavailable"``."""
    names = (
        (nom.MS_INVALID, "invalid"),
        (nom.MS_QUESTIONABLE, "questionable"),
        (nom.MS_UNAVAILABLE, "unavailable"),
        (nom.MS_CALIBRATION_ONGOING, "calibrating"),
        (nom.MS_TEST_DATA, "test data"),
        (nom.MS_DEMO_DATA, "demo data"),
        (nom.MS_MSMT_ONGOING, "measuring"),
    )
    return ", ".join(word for bit, word in names if state & bit) or "no value"


def _to_mmhg(value: float, unit: int) -> float | None:
    if unit == nom.NOM_DIM_MMHG:
        return value
    if unit == nom.NOM_DIM_KILO_PASCAL:
        return round(value * nom.MMHG_PER_KPA, 1)
    if unit == nom.NOM_DIM_PERCENT:
        return round(value * nom.MMHG_PER_CO2_PERCENT, 1)
    return None


@dataclass(frozen=True, slots=True)
class Wave:
    """Samples of one wave from one poll result."""

    kind: Kind
    samples: tuple[float, ...]
    sample_rate_hz: float


@dataclass(frozen=True, slots=True)
class AlarmList:
    """The monitor's alarm list as it is now: ``(category, priority, text)`` per alarm."""

    alarms: tuple[tuple[str, str, str], ...]

    def texts(self, category: str) -> list[str]:
        """Texts of the alarms of one category, with their priority."""
        return [f"{text} ({priority})" for cat, priority, text in self.alarms if cat == category]


@dataclass
class PollDecoder:
    """Poll results in, readings / conditions / waves / alarm lists out (stateful, pure).

    Attributes
    ----------
    nibp_measuring : bool
        Whether the monitor reports an NBP measurement in progress.
    """

    nibp_measuring: bool = False
    _last_nibp_time: datetime | None = None
    _last_nibp: tuple[float | None, ...] | None = None
    _last_alarms: AlarmList | None = None

    def decode(self, result: iv.PollResult) -> list[Decoded | Wave | AlarmList]:
        """Return what one poll result says, in order."""
        out: list[Decoded | Wave | AlarmList] = []
        numerics = result.numerics
        if numerics:
            has_ecg_hr = False
            nibp = []
            for n in numerics:
                if n.physio_id in _NIBP_IDS:
                    nibp.append(n)
                elif n.physio_id == nom.NOM_ECG_CARD_BEAT_RATE and n.has_value:
                    has_ecg_hr = True
            for n in numerics:
                if n.physio_id in _NIBP_IDS:
                    continue
                mapped = nom.NUMERIC_KINDS.get(n.physio_id)
                if mapped is None:
                    continue
                kind, origin = mapped
                if kind is Kind.HR and origin != "ecg" and has_ecg_hr:
                    continue  # the ECG gives the heart rate; the pleth pulse would only repeat it
                out.append(self._numeric(kind, origin, n))
            if nibp:
                out.extend(self._nibp(nibp))
        for w in result.waves:
            kind = nom.WAVE_KINDS.get(w.physio_id)
            if kind is None or w.state & nom.MS_NO_VALUE or not w.samples:
                continue
            out.append(self._wave(kind, w))
        if result.alarms is not None:
            alarms = AlarmList(
                tuple((a.category, a.priority, a.text or f"alarm {a.code}") for a in result.alarms)
            )
            if alarms != self._last_alarms:
                self._last_alarms = alarms
                out.append(alarms)
        return out

    def _wave(self, kind: Kind, w: iv.WaveValue) -> Wave:
        """The :class:`Wave` of one sample array the monitor sent with a value."""
        rate = 1.0 / w.sample_period_s if w.sample_period_s else 125.0
        samples = w.physical() if kind is Kind.CO2 else tuple(map(float, w.samples))
        if kind is Kind.CO2 and w.scale is not None:
            samples = tuple(max(0.0, s) for s in samples)
        return Wave(kind, samples, rate)

    def _numeric(self, kind: Kind, origin: str, n: iv.NumericValue) -> Decoded:
        key = (kind, origin, n.physio_id, n.state, n.unit, n.value, n.device_time)
        item = _NUMERIC_ITEMS.get(key)
        if item is None:
            item = _numeric_item(kind, origin, n)
            if len(_NUMERIC_ITEMS) >= _NUMERIC_ITEMS_MAX:
                _NUMERIC_ITEMS.clear()
            _NUMERIC_ITEMS[key] = item
        return item

    def _nibp(self, parts: list[iv.NumericValue]) -> list[Decoded]:
        self.nibp_measuring = any(p.state & nom.MS_MSMT_ONGOING for p in parts)
        when = parts[0].device_time
        values = tuple(p.value if p.has_value else None for p in parts)
        if self.nibp_measuring or when is None:
            return []
        if when == self._last_nibp_time and values == self._last_nibp:
            return []  # the monitor repeats its last result in every poll
        self._last_nibp_time, self._last_nibp = when, values
        out: list[Decoded] = []
        for p in sorted(parts, key=lambda p: _NIBP_ORDER[p.physio_id]):
            kind = nom.NUMERIC_KINDS[p.physio_id][0]
            out.append(self._numeric(kind, "", p))
        return out

    def reset(self) -> None:
        """Forget the last NIBP result and alarm list (a new association)."""
        self._last_alarms = None
        self.nibp_measuring = False


_NIBP_ORDER = {
    nom.NOM_PRESS_BLD_NONINV_SYS: 0,
    nom.NOM_PRESS_BLD_NONINV_DIA: 1,
    nom.NOM_PRESS_BLD_NONINV_MEAN: 2,
}
_NIBP_IDS = frozenset(_NIBP_ORDER)


def _numeric_item(kind: Kind, origin: str, n: iv.NumericValue) -> Decoded:
    """The reading (or ``invalid_value`` condition) of one numeric (pure)."""
    detail = kind.value
    if n.has_value and n.value is not None:
        value = n.value
        if n.physio_id in nom.CO2_IDS:
            converted = _to_mmhg(value, n.unit)
            if converted is None:  # a unit sessionmon does not know: no value
                return Condition(TC.INVALID_VALUE, detail)
            value = converted
        flags = tuple(f for f in (origin, _quality(n.state)) if f)
        reading = Reading.of(kind, value, n.device_time, flags)
        if reading is not None:
            return reading
        return Condition(TC.INVALID_VALUE, detail)
    return Condition(TC.INVALID_VALUE, detail)  # invalid / unavailable / NaN: no value


#: What a numeric said, by everything it depends on: a monitor repeats its values poll after
#: poll (readings and conditions are immutable; cleared when full).
_NUMERIC_ITEMS: dict[tuple[object, ...], Decoded] = {}
_NUMERIC_ITEMS_MAX = 4096


def _quality(state: int) -> str:
    if state & nom.MS_QUESTIONABLE:
        return "questionable"
    if state & nom.MS_DEMO_DATA:
        return "demo"
    return ""


class Phase(StrEnum):
    """Where the client is in the dialog."""

    IDLE = "idle"
    ASSOCIATING = "associating"  # request sent, waiting for the result
    WAITING_MDS = "waiting_mds"  # accepted, waiting for the MDS create event
    POLLING = "polling"
    REFUSED = "refused"  # backing off after a refuse


@dataclass
class ClientDialog:
    """The client's side of the dialog (pure: the caller's monotonic time goes in).

    Parameters
    ----------
    poll_period_s : float
        Numerics poll period.
    wave_period_s : float or None
        Waves poll period (``None``: waves are not polled).
    alarm_period_s : float or None
        Alarm list poll period (``None``: not polled).
    answer_timeout_s : float
        Re-associate when nothing has come back for this long.
    refused_retry_s : float
        Wait after a refuse before asking again.
    keepalive_s : float
        Send the keep-alive at least this often.
    """

    poll_period_s: float = 1.0
    wave_period_s: float | None = 0.5
    alarm_period_s: float | None = 2.0
    answer_timeout_s: float = 2.0
    refused_retry_s: float = 5.0
    keepalive_s: float = 10.0
    phase: Phase = Phase.IDLE
    associations: int = 0
    refusals: int = 0
    decoder: PollDecoder = field(default_factory=PollDecoder)
    _since: float = 0.0
    _last_answer: float = 0.0
    _invoke: int = 0
    _next: dict[int, float] = field(default_factory=dict)
    _last_sent: float = 0.0

    def start(self, now: float) -> list[bytes]:
        """Begin (or begin again): send the association request."""
        self.phase = Phase.ASSOCIATING
        self._since = self._last_answer = now
        self.decoder.reset()
        return [iv.association_request(iv.UserInfo(min_poll_period_s=min(1.0, self.poll_period_s)))]

    def stop(self) -> list[bytes]:
        """End the association (release request) if one is open."""
        open_ = self.phase in (Phase.POLLING, Phase.WAITING_MDS)
        self.phase = Phase.IDLE
        return [iv.release_request()] if open_ else []

    def receive(self, data: bytes, now: float) -> tuple[list[bytes], list[iv.Message]]:
        """Take one message from the monitor; return (messages to send, decoded message)."""
        message = iv.parse_message(data)
        self._last_answer = now
        send: list[bytes] = []
        if isinstance(message, iv.AssociationResult):
            if message.accepted and self.phase is Phase.ASSOCIATING:
                self.phase, self._since = Phase.WAITING_MDS, now
            elif not message.accepted:
                self.refusals += 1
                self.phase, self._since = Phase.REFUSED, now
        elif isinstance(message, iv.MdsCreateEvent):
            send.append(iv.mds_create_result(message.invoke_id, message.event_time))
            self.phase, self._since = Phase.POLLING, now
            self.associations += 1
            self._next = {}
            send += self._polls(now)
        elif isinstance(message, iv.Abort | iv.ReleaseRequest):
            if isinstance(message, iv.ReleaseRequest):
                send.append(iv.release_result())
            send += self.start(now)
        return send, [message]

    def tick(self, now: float) -> list[bytes]:
        """Return what is due now: polls, keep-alive, a new association request."""
        if self.phase is Phase.IDLE:
            return []
        if self.phase is Phase.REFUSED:
            return self.start(now) if now - self._since >= self.refused_retry_s else []
        if now - self._last_answer >= self.answer_timeout_s:
            return self.start(now)  # the monitor stopped answering: associate again
        if self.phase is Phase.POLLING:
            return self._polls(now)
        return []

    def next_due(self, now: float) -> float | None:
        """When :meth:`tick` next has something to send (monotonic s), or ``None`` (idle)."""
        if self.phase is Phase.IDLE:
            return None
        if self.phase is Phase.REFUSED:
            return self._since + self.refused_retry_s
        due = self._last_answer + self.answer_timeout_s
        if self.phase is Phase.POLLING:
            for obj_class, period in self._schedule():
                if period is not None:  # a poll never sent yet is due at once
                    due = min(due, self._next.get(obj_class, now))
            due = min(due, self._last_sent + self.keepalive_s)
        return due

    def _polls(self, now: float) -> list[bytes]:
        out = []
        for obj_class, period in self._schedule():
            if period is None:
                continue
            if now >= self._next.get(obj_class, now):
                self._next[obj_class] = now + period
                out.append(iv.ext_poll_request(self._new_invoke(), 1, obj_class))
        if not out and now - self._last_sent >= self.keepalive_s:
            out.append(iv.keep_alive(self._new_invoke()))
        if out:
            self._last_sent = now
        return out

    def _schedule(self) -> tuple[tuple[int, float | None], ...]:
        """What is polled and how often: numerics, waves, alarms."""
        return (
            (nom.NOM_MOC_VMO_METRIC_NU, self.poll_period_s),
            (nom.NOM_MOC_VMO_METRIC_SA_RT, self.wave_period_s),
            (nom.NOM_MOC_VMO_AL_MON, self.alarm_period_s),
        )

    def _new_invoke(self) -> int:
        self._invoke = (self._invoke + 1) & 0xFFFF
        return self._invoke
