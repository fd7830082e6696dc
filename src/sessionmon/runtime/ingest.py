"""What the vitals sources sent, turned into measurements, alarm input and device state.

:class:`SourceIngest` drains each source's outputs once per tick: readings become
:class:`~sessionmon.model.Measurement` rows (batched for the store) and alarm-engine input,
pleth blocks go to the :class:`~sessionmon.runtime.waveform.WaveformRecorder`, and link and
condition changes update the device's :class:`~sessionmon.runtime.technical.DeviceTracker`, from
which the technical alarm conditions follow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sessionmon.alarms import AlarmEngine
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.devices.source import (
    ConditionChange,
    DeviceAlarms,
    DeviceRole,
    LinkStateChange,
    SourceOutput,
    VitalsSource,
    WaveformBlock,
)
from sessionmon.model import Kind, Measurement
from sessionmon.protocol import ProtocolState
from sessionmon.runtime.conditions import ConditionGate
from sessionmon.runtime.monitor_alarms import monitor_priority
from sessionmon.runtime.technical import DeviceTracker
from sessionmon.runtime.view_changes import ViewChanges, reading_changes_view
from sessionmon.runtime.waveform import WaveformRecorder

#: Numerics the alarm engine evaluates.
OBSERVED_KINDS = frozenset(
    {
        Kind.HR,
        Kind.SPO2,
        Kind.NIBP_SYS,
        Kind.NIBP_DIA,
        Kind.NIBP_MAP,
        Kind.RESP_RATE,
        Kind.ETCO2,
        Kind.FICO2,
    }
)

#: A diastolic value this close to the systolic one completes the same NIBP measurement.
BP_PAIR_WINDOW_S = 5.0

_MEASUREMENT_FIELDS = frozenset(Measurement.model_fields)
_new = object.__new__
_set = object.__setattr__


def trusted_measurement(
    session_id: Any,
    kind: Kind,
    value: float,
    unit: str,
    received_at: datetime,
    device_time: datetime | None,
    source: str,
    flags: tuple[str, ...],
) -> Measurement:
    """Build a :class:`Measurement` from values a parser already validated, without checks.

    The same object ``Measurement.model_construct`` gives (every field set), about four times
    faster: a headless run builds tens of thousands of them.
    """
    m = _new(Measurement)
    _set(
        m,
        "__dict__",
        {
            "session_id": session_id,
            "kind": kind,
            "value": value,
            "unit": unit,
            "received_at": received_at,
            "device_time": device_time,
            "source": source,
            "flags": flags,
        },
    )
    _set(m, "__pydantic_fields_set__", set(_MEASUREMENT_FIELDS))
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


class SourceIngest:
    """Drains vitals sources into measurements, alarm input and device state.

    Parameters
    ----------
    session_id : uuid.UUID
        Written into every measurement.
    sources : list of VitalsSource
        The devices (oximeter, NIBP).
    engine : AlarmEngine
        Receives the numerics.
    gate : ConditionGate
        Receives the technical conditions.
    waveform : WaveformRecorder
        Receives the pleth blocks.
    state : ProtocolState
        Receives each complete NIBP measurement (``bp_readings``).
    co2_waveform : WaveformRecorder, optional
        Receives the CO2 wave blocks (the capnogram); without it they are dropped.
    changes : ViewChanges, optional
        Counts what the sources sent that the console shows (every output but waveform blocks
        and readings that repeat a fresh value).

    Attributes
    ----------
    values : dict
        The latest ``(value, received_at, device_id)`` of each kind.
    cuff : (pressure, at) or None
        The latest cuff pressure.
    bp_arrived_at : datetime or None
        When the latest complete NIBP measurement arrived, until the runtime takes it
        (:meth:`take_bp_arrival`).
    """

    def __init__(
        self,
        session_id: Any,
        sources: list[VitalsSource],
        engine: AlarmEngine,
        gate: ConditionGate,
        waveform: WaveformRecorder,
        state: ProtocolState,
        co2_waveform: WaveformRecorder | None = None,
        changes: ViewChanges | None = None,
    ) -> None:
        self._sid = session_id
        self._changes = changes if changes is not None else ViewChanges()
        self._co2_waveform = co2_waveform
        self._engine = engine
        self._gate = gate
        self._waveform = waveform
        self._state = state
        self.trackers: dict[int, DeviceTracker] = {
            id(s): DeviceTracker(
                role=s.role,
                device_id=s.device_id,
                link=s.state,
                roles=tuple(getattr(s, "roles", ())),
            )
            for s in sources
        }
        #: The latest alarm list of each device that reports its own alarms.
        self.device_alarms: dict[str, tuple[tuple[str, str, str], ...]] = {}
        self.values: dict[Kind, tuple[float, datetime, str]] = {}
        self.cuff: tuple[float, datetime] | None = None
        self._pending_sys: tuple[datetime, float] | None = None
        self.bp_arrived_at: datetime | None = None

    def tracker(self, source: VitalsSource) -> DeviceTracker:
        """The tracker of one source."""
        return self.trackers[id(source)]

    def drain(self, source: VitalsSource, outputs: list[SourceOutput], batch: list) -> None:
        """Take one poll's ``outputs``; readings are appended to ``batch`` as measurements."""
        tracker = self.trackers[id(source)]
        device_id = tracker.device_id
        is_nibp = DeviceRole.NIBP in tracker.all_roles()
        sid = self._sid
        append = batch.append
        for out in outputs:
            item = out.item
            at = out.at
            if isinstance(item, Reading):
                tracker.last_data_at = at
                append(
                    trusted_measurement(
                        sid,
                        item.kind,
                        item.value,
                        item.unit,
                        at,
                        item.device_time,
                        device_id,
                        item.flags,
                    )
                )
                self._on_reading(tracker, item, at, is_nibp)
                continue
            if isinstance(item, WaveformBlock):
                tracker.last_data_at = at
                if item.kind is Kind.CO2:
                    if self._co2_waveform is not None:
                        self._co2_waveform.add(item, at, device_id)
                elif item.kind is Kind.PLETH:
                    self._waveform.add(item, at, device_id)
                continue
            if isinstance(item, DeviceAlarms):
                self._on_device_alarms(device_id, item, at)
            elif isinstance(item, ConditionChange):
                if item.active:
                    tracker.reported[item.condition] = item.detail
                else:
                    tracker.reported.pop(item.condition, None)
                self.apply_technical(tracker, at)
            elif isinstance(item, LinkStateChange):
                tracker.link = item.new
                tracker.detail = item.detail
                self.apply_technical(tracker, at)
            elif isinstance(item, Condition):
                tracker.detail = item.detail or item.name.value
            self._changes.count += 1  # a device's alarms, conditions or link: shown

    def _on_reading(self, tracker: DeviceTracker, item: Reading, at: datetime, is_nibp: bool):
        kind = item.kind
        if kind is Kind.CUFF_PRESSURE:
            self.cuff = (item.value, at)
            self._changes.count += 1
            return
        entry = (item.value, at, tracker.device_id)
        if reading_changes_view(self.values.get(kind), kind, *entry):
            self._changes.count += 1
        self.values[kind] = entry
        if kind is Kind.NIBP_SYS:
            self._pending_sys = (at, item.value)
            if is_nibp and TechnicalCondition.NIBP_FAILED in tracker.reported:
                # A good measurement ends a failure the device did not clear itself.
                del tracker.reported[TechnicalCondition.NIBP_FAILED]
                self.apply_technical(tracker, at)
        elif kind is Kind.NIBP_DIA:
            pending, self._pending_sys = self._pending_sys, None
            if pending is not None and abs((at - pending[0]).total_seconds()) <= BP_PAIR_WINDOW_S:
                self._state.bp_readings.append((pending[0], pending[1], item.value))
                self.bp_arrived_at = pending[0]
                self._engine.observe_bp(pending[1], item.value, at)
            else:
                self._engine.observe(kind, item.value, at)
        elif kind in OBSERVED_KINDS:
            self._engine.observe(kind, item.value, at)

    def _on_device_alarms(self, device_id: str, item: DeviceAlarms, at: datetime) -> None:
        """A monitor's own alarm list: one alarm per category, the monitor's words as detail,
        at the highest priority the monitor gives an alarm of that category."""
        before = self.device_alarms.get(device_id, ())
        self.device_alarms[device_id] = item.alarms
        for category in ("physiological", "technical"):
            texts = [f"{text} ({prio})" for cat, prio, text in item.alarms if cat == category]
            if texts == [f"{t} ({p})" for c, p, t in before if c == category]:
                continue
            self._gate.set(f"monitor_{category}_alarm", False, at)  # a new list: a new alarm
            if texts:
                priority = monitor_priority(p for c, p, _ in item.alarms if c == category)
                self._gate.set(
                    f"monitor_{category}_alarm", True, at, "; ".join(texts), priority=priority
                )

    def take_bp_arrival(self) -> datetime | None:
        """When a BP measurement arrived since the last call (the latest), or None."""
        arrived, self.bp_arrived_at = self.bp_arrived_at, None
        return arrived

    def reconcile(self, source: VitalsSource, now: datetime) -> None:
        """Catch link moves the source did not report as items."""
        tracker = self.trackers[id(source)]
        state = source.state
        if state is not tracker.link:
            tracker.link = state
            self._changes.count += 1
            self.apply_technical(tracker, now)

    def apply_technical(self, tracker: DeviceTracker, at: datetime) -> None:
        """Set the technical alarm conditions that the device's state implies."""
        active = tracker.conditions()
        for condition in tracker.alarm_ids():
            self._gate.set(
                condition,
                condition in active,
                at,
                tracker.condition_detail(condition) if condition in active else "",
            )
