"""The session runtime: devices in, record, alarms and protocol out.

:class:`SessionRuntime` is the one object the console and headless runs drive. It owns no thread
and no timer: the caller calls :meth:`SessionRuntime.tick` often (the console from a timer, a
headless run once per simulated second) and the nurse's intents as methods. Each tick drains the
vitals sources, records what they sent, feeds the alarm engine, evaluates the session protocol,
moves the lifecycle and lets the store commit. Every intent becomes an :class:`~sessionmon.model.
Event` committed before the method returns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sessionmon.alarms import AlarmEngine, AlarmProfile, default_profile
from sessionmon.clock import Clock
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.devices.source import (
    ConditionChange,
    DeviceRole,
    LinkState,
    LinkStateChange,
    SourceOutput,
    VitalsSource,
    WaveformBlock,
)
from sessionmon.lifecycle import IllegalTransition, transition
from sessionmon.model import (
    UNITS,
    AlarmLogEntry,
    AlarmPriority,
    AlarmRecord,
    Event,
    EventKind,
    Kind,
    Measurement,
    Patient,
    Session,
    SessionPhase,
    Treatment,
    TreatmentId,
    WaveformChunk,
)
from sessionmon.protocol import DischargeDecision, ProtocolState, SessionProtocol, score_checklist
from sessionmon.runtime.errors import IntentRefusedError, SessionLockedError
from sessionmon.runtime.pleth import PlethRing
from sessionmon.runtime.snapshot import (
    DeviceStatus,
    Marker,
    NibpStatus,
    PlethView,
    RuntimeSnapshot,
    VitalValue,
)
from sessionmon.runtime.technical import TECHNICAL_CONDITIONS, DeviceTracker
from sessionmon.store import SessionStore, StoreError

log = logging.getLogger(__name__)

P = SessionPhase

#: Numerics the alarm engine evaluates.
OBSERVED_KINDS = frozenset(
    {Kind.HR, Kind.SPO2, Kind.NIBP_SYS, Kind.NIBP_DIA, Kind.NIBP_MAP, Kind.RESP_RATE}
)

#: Which displayed values each physiological alarm colours.
CONDITION_KINDS: dict[str, tuple[Kind, ...]] = {
    "spo2_low": (Kind.SPO2,),
    "hr_high": (Kind.HR,),
    "hr_low": (Kind.HR,),
    "nibp_sys_high": (Kind.NIBP_SYS,),
    "nibp_sys_low": (Kind.NIBP_SYS,),
    "nibp_dia_high": (Kind.NIBP_DIA,),
    "nibp_rise": (Kind.NIBP_SYS, Kind.NIBP_DIA),
}

#: Conditions the runtime itself raises (besides the devices' technical ones).
PROTOCOL_CONDITIONS = ("predose_bp_elevated", "bp_check_due", "bp_check_overdue")

#: Oximeter conditions under which its numerics are no longer current.
_OXIMETER_DATA_LOST = frozenset(
    {"oximeter_sensor_off", "oximeter_disconnected", "oximeter_no_data"}
)

#: Oximeter numerics older than this are shown as stale.
OXIMETER_STALE_S = 10.0

#: Esketamine nasal devices are given this far apart.
NASAL_DEVICE_INTERVAL_S = 300.0


@dataclass
class _ChunkBuilder:
    """Pleth samples waiting to become one stored :class:`WaveformChunk`."""

    start: datetime
    rate: float
    source: str
    samples: list[float]

    def expected_next(self) -> datetime:
        return self.start + timedelta(seconds=len(self.samples) / self.rate)


class SessionRuntime:
    """Runs one session: sources -> store, alarm engine and protocol; nurse intents -> events.

    Parameters
    ----------
    store : SessionStore
        Where everything is recorded.
    clock : Clock
        Time source (``ManualClock`` headless and in tests, ``SystemClock`` or ``ScaledClock`` in
        the console).
    session : Session, optional
        The session to run. If it is not yet in the store it is created there; a session read back
        from the store (e.g. resumed after a crash) continues with its doses, BP readings and
        checklists restored. When omitted, a new session is created from ``patient`` and
        ``treatment``.
    oximeter : VitalsSource, optional
        The pulse oximeter (serial or simulated).
    nibp : VitalsSource, optional
        The NIBP module; it should also satisfy ``NibpControl`` (measuring, request_measurement).
    profile : AlarmProfile, optional
        Alarm limits and priorities; defaults to ``default_profile()``.
    protocol : SessionProtocol, optional
        Defaults to ``SessionProtocol.for_treatment`` of the session's treatment.
    patient, treatment : optional
        Used only when ``session`` is omitted.
    nibp_interval_s : float, optional
        NIBP auto-cycle interval chosen by the nurse (None: only the protocol's own requests).
    simulated : bool
        Mark a newly created session as a training/simulator session.
    scenario : str, optional
        Scenario name recorded in a newly created session.
    pleth_capacity : int
        Pleth samples kept for the live waveform.
    start_devices : bool
        Start the sources now (default True).
    flush_interval_s : float
        Commit buffered measurements at least this often (clock seconds). The store also commits
        on its own when items are a second old; a headless run may pass a long interval.
    """

    def __init__(
        self,
        store: SessionStore,
        clock: Clock,
        session: Session | None = None,
        *,
        oximeter: VitalsSource | None = None,
        nibp: VitalsSource | None = None,
        profile: AlarmProfile | None = None,
        protocol: SessionProtocol | None = None,
        patient: Patient | None = None,
        treatment: Treatment | TreatmentId | str | None = None,
        nibp_interval_s: float | None = None,
        simulated: bool = False,
        scenario: str | None = None,
        pleth_capacity: int = 1024,
        start_devices: bool = True,
        flush_interval_s: float = 1.0,
    ) -> None:
        self._store = store
        self._clock = clock
        self._session = self._open_session(session, patient, treatment, simulated, scenario)
        self._sid = self._session.id
        self._oximeter = oximeter
        self._nibp = nibp
        self._sources: list[VitalsSource] = [s for s in (oximeter, nibp) if s is not None]
        self._trackers: dict[int, DeviceTracker] = {
            id(s): DeviceTracker(role=s.role, device_id=s.device_id, link=s.state)
            for s in self._sources
        }
        self._profile = profile or default_profile()
        self._limits = _limits_of(self._profile)
        self._protocol = protocol or SessionProtocol.for_treatment(self._session.treatment.protocol)
        self._alarm_listeners: list[Callable[[list[Any]], None]] = []
        self._event_listeners: list[Callable[[Event], None]] = []
        self._alarms_dirty = False
        self._pending_storage_failure: str | None = None
        self._engine = AlarmEngine(
            self._profile,
            clock,
            self._sid,
            on_record=self._on_alarm_record,
            on_log=self._on_alarm_log,
        )
        self._state = ProtocolState()
        self._conditions: dict[str, bool] = {}
        self._values: dict[Kind, tuple[float, datetime, str]] = {}
        self._pleth = PlethRing(pleth_capacity)
        self._chunk: _ChunkBuilder | None = None
        self._pending_sys: tuple[datetime, float] | None = None
        self._cuff: tuple[float, datetime] | None = None
        self._nibp_interval_s = nibp_interval_s
        self._last_nibp_request: datetime | None = None
        self._last_decision: DischargeDecision | None = None
        self._discharge_attempted_at: datetime | None = None
        self._audio_available = True
        self._markers: list[Marker] = []
        self._last_flush = clock.monotonic()
        self._flush_interval_s = float(flush_interval_s)
        self._last_protocol_eval: float | None = None
        self._last_discharge_eval: float | None = None
        self._restore()
        if start_devices:
            self.start_devices()

    # ------------------------------------------------------------------ construction helpers

    def _open_session(
        self,
        session: Session | None,
        patient: Patient | None,
        treatment: Treatment | TreatmentId | str | None,
        simulated: bool,
        scenario: str | None,
    ) -> Session:
        if session is None:
            if treatment is None:
                raise IntentRefusedError("a new session needs a treatment (e.g. esketamine-84)")
            if not isinstance(treatment, Treatment):
                treatment = Treatment.for_protocol(treatment)
            session = Session(
                patient=patient or Patient(pseudonym="UNKNOWN"),
                treatment=treatment,
                created_at=self._clock.now(),
                simulated=simulated,
                scenario=scenario,
            )
        if session.phase is P.INTERRUPTED:
            raise IntentRefusedError(
                f"session {session.id} is interrupted; resume it with the store first"
            )
        try:
            stored = self._store.get_session(session.id)
        except (StoreError, KeyError, LookupError):
            stored = None
        if stored is None:
            self._store.create_session(session)
            return session
        return stored

    def _restore(self) -> None:
        """Rebuild the protocol state of a session that already has a record."""
        session = self._session
        events = self._store.events(self._sid)
        for event in events:
            if event.kind is EventKind.CHECKLIST and "total" in event.payload:
                self._state.checklists.append(
                    (event.at, str(event.payload.get("scale")), int(event.payload["total"]))
                )
            baseline = event.payload.get("baseline_bp")
            if event.kind is EventKind.DOSE_GIVEN and event.payload.get("first") and baseline:
                self._state.baseline_bp = (float(baseline[0]), float(baseline[1]))
            self._add_marker(event)
        if not events:
            return
        sys_values = self._store.measurements(self._sid, kinds=[Kind.NIBP_SYS])
        dia_by_time = {
            m.received_at: m.value
            for m in self._store.measurements(self._sid, kinds=[Kind.NIBP_DIA])
        }
        for m in sys_values:
            dia = dia_by_time.get(m.received_at)
            if dia is not None:
                self._state.bp_readings.append((m.received_at, m.value, dia))
        if session.dose_at is not None:
            self._state.dose_at = session.dose_at
            self._state.first_dose_at = session.dose_at
            baseline = self._state.baseline(session.dose_at)
            if baseline is not None:
                self._state.baseline_bp = baseline
                self._engine.set_baseline_bp(*baseline)

    def start_devices(self) -> None:
        """Start every source (idempotent)."""
        for source in self._sources:
            source.start()
            tracker = self._trackers[id(source)]
            tracker.started = True
            tracker.link = source.state

    def stop_devices(self) -> None:
        """Stop every source and record what they sent until now."""
        for source in self._sources:
            source.stop()
        if not self.locked:
            self.tick()

    def close(self) -> None:
        """Stop the devices and commit everything buffered (the session stays as it is)."""
        for source in self._sources:
            source.stop()
        self._flush_chunk()
        self._store.flush()

    # ------------------------------------------------------------------ properties

    @property
    def session(self) -> Session:
        """The session record as it is now."""
        return self._session

    @property
    def session_id(self) -> Any:
        """The session's UUID."""
        return self._sid

    @property
    def phase(self) -> SessionPhase:
        """Lifecycle phase."""
        return self._session.phase

    @property
    def locked(self) -> bool:
        """Whether the session is closed (signed or cancelled)."""
        return self._session.phase is P.CLOSED

    @property
    def engine(self) -> AlarmEngine:
        """The alarm engine (read it; drive it through the runtime's intents)."""
        return self._engine

    @property
    def protocol(self) -> SessionProtocol:
        """The session protocol."""
        return self._protocol

    @property
    def profile(self) -> AlarmProfile:
        """The alarm profile in force."""
        return self._profile

    @property
    def protocol_state(self) -> ProtocolState:
        """The facts the protocol evaluates (read only, please)."""
        self._state.unacknowledged_latched = list(self._engine.unacknowledged_latched())
        return self._state

    @property
    def nibp_interval_s(self) -> float | None:
        """The nurse's NIBP auto-cycle interval, or None."""
        return self._nibp_interval_s

    # ------------------------------------------------------------------ listeners

    def add_alarm_listener(self, callback: Callable[[list[Any]], None]) -> None:
        """Call ``callback(active_alarms)`` whenever an alarm starts, changes or ends."""
        self._alarm_listeners.append(callback)

    def add_event_listener(self, callback: Callable[[Event], None]) -> None:
        """Call ``callback(event)`` after each event is committed."""
        self._event_listeners.append(callback)

    def remove_listener(self, callback: Callable[..., None]) -> None:
        """Stop calling ``callback`` (alarm or event listener)."""
        for listeners in (self._alarm_listeners, self._event_listeners):
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
        try:
            self._store.save_alarm(record)
        except StoreError as exc:
            self._pending_storage_failure = str(exc)
            log.error("could not save alarm %s: %s", record.condition, exc)

    def _on_alarm_log(self, entry: AlarmLogEntry) -> None:
        self._alarms_dirty = True
        try:
            self._store.add_alarm_log(entry)
        except StoreError as exc:
            self._pending_storage_failure = str(exc)
            log.error("could not write the alarm log: %s", exc)

    # ------------------------------------------------------------------ the tick

    def tick(self) -> None:
        """Do everything that is due now. Call often (console: every 100-250 ms)."""
        now = self._clock.now()
        if self.locked:
            for source in self._sources:
                source.poll()  # drain, nothing more is recorded in a closed session
            return
        batch: list[Measurement] = []
        for source in self._sources:
            outputs = source.poll()
            if outputs:
                self._ingest(source, outputs, batch)
            self._reconcile(source, now)
        try:
            if batch:
                self._store.append_measurements(batch)
            mono = self._clock.monotonic()
            if mono - self._last_flush >= self._flush_interval_s:
                self._flush_chunk_if_old(now)
                self._store.flush()
                self._last_flush = mono
        except StoreError as exc:
            self._pending_storage_failure = str(exc)
        self._evaluate_protocol(now)
        self._advance_phase(now)
        if self._pending_storage_failure is not None:
            self._set_condition("storage_failure", True, now, self._pending_storage_failure)
            self._pending_storage_failure = None
        self._engine.tick(now)
        self._notify_alarms()

    def _ingest(self, source: VitalsSource, outputs: list[SourceOutput], batch: list) -> None:
        tracker = self._trackers[id(source)]
        device_id = tracker.device_id
        is_nibp = tracker.role is DeviceRole.NIBP
        for out in outputs:
            item = out.item
            at = out.at
            if isinstance(item, Reading):
                tracker.last_data_at = at
                batch.append(
                    Measurement.model_construct(
                        session_id=self._sid,
                        kind=item.kind,
                        value=item.value,
                        unit=item.unit,
                        received_at=at,
                        device_time=item.device_time,
                        source=device_id,
                        flags=item.flags,
                    )
                )
                self._on_reading(tracker, item, at, is_nibp)
            elif isinstance(item, WaveformBlock):
                tracker.last_data_at = at
                self._on_waveform(item, at, device_id)
            elif isinstance(item, ConditionChange):
                if item.active:
                    tracker.reported[item.condition] = item.detail
                else:
                    tracker.reported.pop(item.condition, None)
                self._apply_technical(tracker, at)
            elif isinstance(item, LinkStateChange):
                tracker.link = item.new
                tracker.detail = item.detail
                self._apply_technical(tracker, at)
            elif isinstance(item, Condition):
                tracker.detail = item.detail or item.name.value

    def _on_reading(self, tracker: DeviceTracker, item: Reading, at: datetime, is_nibp: bool):
        kind = item.kind
        if kind is Kind.CUFF_PRESSURE:
            self._cuff = (item.value, at)
            return
        self._values[kind] = (item.value, at, tracker.device_id)
        if kind is Kind.NIBP_SYS:
            self._pending_sys = (at, item.value)
            if is_nibp and TechnicalCondition.NIBP_FAILED in tracker.reported:
                # A good measurement ends a failure the device did not clear itself.
                del tracker.reported[TechnicalCondition.NIBP_FAILED]
                self._apply_technical(tracker, at)
        elif kind is Kind.NIBP_DIA:
            pending, self._pending_sys = self._pending_sys, None
            if pending is not None and abs((at - pending[0]).total_seconds()) <= 5.0:
                self._state.bp_readings.append((pending[0], pending[1], item.value))
                self._engine.observe_bp(pending[1], item.value, at)
            else:
                self._engine.observe(kind, item.value, at)
        elif kind in OBSERVED_KINDS:
            self._engine.observe(kind, item.value, at)

    def _on_waveform(self, block: WaveformBlock, at: datetime, device_id: str) -> None:
        self._pleth.extend(block.samples, block.sample_rate_hz, at)
        chunk = self._chunk
        if chunk is not None and (
            chunk.rate != block.sample_rate_hz
            or chunk.source != device_id
            or abs((at - chunk.expected_next()).total_seconds()) > 1.0
        ):
            self._flush_chunk()
            chunk = None
        if chunk is None:
            self._chunk = _ChunkBuilder(at, block.sample_rate_hz, device_id, list(block.samples))
        else:
            chunk.samples.extend(block.samples)
            if len(chunk.samples) >= chunk.rate * 2:
                self._flush_chunk()

    def _flush_chunk(self) -> None:
        chunk, self._chunk = self._chunk, None
        if chunk is None or not chunk.samples:
            return
        self._store.append_waveform(
            WaveformChunk.model_construct(
                session_id=self._sid,
                kind=Kind.PLETH,
                start=chunk.start,
                sample_rate_hz=chunk.rate,
                samples=tuple(chunk.samples),
                source=chunk.source,
            )
        )

    def _flush_chunk_if_old(self, now: datetime) -> None:
        if self._chunk is not None and (now - self._chunk.start).total_seconds() > 2.0:
            self._flush_chunk()

    def _reconcile(self, source: VitalsSource, now: datetime) -> None:
        """Catch link moves the source did not report as items."""
        tracker = self._trackers[id(source)]
        state = source.state
        if state is not tracker.link:
            tracker.link = state
            self._apply_technical(tracker, now)

    def _apply_technical(self, tracker: DeviceTracker, at: datetime) -> None:
        active = tracker.conditions()
        for condition in TECHNICAL_CONDITIONS[tracker.role]:
            self._set_condition(
                condition,
                condition in active,
                at,
                tracker.condition_detail(condition) if condition in active else "",
            )

    def _set_condition(self, condition: str, active: bool, at: datetime, detail: str = "") -> None:
        if self._conditions.get(condition, False) == active:
            return
        self._conditions[condition] = active
        self._engine.set_condition(condition, active, at, detail=detail)
        if active and condition in _OXIMETER_DATA_LOST:
            # SpO2 and pulse limits stop holding: the technical alarm explains the gap.
            for kind in (Kind.SPO2, Kind.HR):
                self._engine.invalidate(kind, at, detail=condition)

    # ------------------------------------------------------------------ protocol and lifecycle

    def _evaluate_protocol(self, now: datetime) -> None:
        mono = self._clock.monotonic()
        if self._last_protocol_eval is not None and mono - self._last_protocol_eval < 1.0:
            return
        self._last_protocol_eval = mono
        state = self.protocol_state
        active = self._protocol.active_conditions(state, now)
        for condition in PROTOCOL_CONDITIONS:
            self._set_condition(condition, condition in active, now)
        self._maybe_request_nibp(state, now)

    def _maybe_request_nibp(self, state: ProtocolState, now: datetime) -> None:
        nibp = self._nibp
        if nibp is None or not hasattr(nibp, "request_measurement"):
            return
        if nibp.state is not LinkState.STREAMING or getattr(nibp, "measuring", False):
            return
        last = self._last_nibp_request
        due = False
        if self._nibp_interval_s is not None and self._session.phase is not P.PLANNED:
            due = last is None or (now - last).total_seconds() >= self._nibp_interval_s
        if not due and self._session.dose_at is not None:
            due = self._protocol.nibp_due(state, now, last)
        if due:
            nibp.request_measurement()  # type: ignore[attr-defined]
            self._last_nibp_request = now

    def _dosing_duration_s(self) -> float:
        config = getattr(self._protocol, "config", None)
        infusion_min = float(getattr(config, "infusion_min", 0.0) or 0.0)
        if infusion_min > 0:
            return infusion_min * 60.0
        devices = self._session.treatment.devices_count or 1
        return max(60.0, (devices - 1) * NASAL_DEVICE_INTERVAL_S)

    def _advance_phase(self, now: datetime) -> None:
        phase = self._session.phase
        if phase is P.DOSING:
            dose_at = self._session.dose_at
            if dose_at is not None and (now - dose_at).total_seconds() >= self._dosing_duration_s():
                self._move(P.OBSERVATION, now, "dosing complete")
            return
        if phase not in (P.OBSERVATION, P.DISCHARGE_READY):
            return
        mono = self._clock.monotonic()
        if self._last_discharge_eval is not None and mono - self._last_discharge_eval < 5.0:
            return
        self._last_discharge_eval = mono
        decision = self._protocol.evaluate_discharge(self.protocol_state, now)
        if decision.allowed:
            self._set_condition("discharge_blocked", False, now)
            if phase is P.OBSERVATION:
                self._move(P.DISCHARGE_READY, now, "discharge criteria met")
        elif phase is P.DISCHARGE_READY:
            self._move(P.OBSERVATION, now, "discharge criteria no longer met")

    def _move(
        self,
        target: SessionPhase,
        now: datetime,
        why: str,
        by: str | None = None,
        **changes: Any,
    ) -> Event:
        """Move the lifecycle (with any other session changes in the same version)."""
        current = self._session.phase
        try:
            transition(current, target)
        except IllegalTransition as exc:
            raise IntentRefusedError(str(exc)) from None
        self._session = self._session.model_copy(update={"phase": target, **changes})
        self._store.update_session(self._session)
        return self._event(
            EventKind.PHASE_CHANGE,
            now,
            by=by,
            text=why,
            payload={"from": current.value, "to": target.value},
        )

    # ------------------------------------------------------------------ events

    def _event(
        self,
        kind: EventKind,
        at: datetime,
        *,
        by: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Event:
        event = Event(
            session_id=self._sid, kind=kind, at=at, by=by, text=text, payload=payload or {}
        )
        self._store.add_event(event)
        self._add_marker(event)
        for callback in list(self._event_listeners):
            try:
                callback(event)
            except Exception:
                log.exception("event listener failed")
        return event

    def _add_marker(self, event: Event) -> None:
        label = event.text or ""
        if event.kind is EventKind.CHECKLIST:
            label = f"{event.payload.get('scale')} {event.payload.get('total')}"
        elif event.kind is EventKind.DOSE_GIVEN:
            label = event.text or "dose"
        elif event.kind is EventKind.PHASE_CHANGE:
            label = str(event.payload.get("to", ""))
        elif event.kind is EventKind.DISCHARGE_ATTEMPT:
            label = "discharge allowed" if event.payload.get("allowed") else "discharge refused"
        elif event.kind not in (EventKind.ANNOTATION, EventKind.SIGN_OFF):
            return
        self._markers.append(Marker(event.at, event.kind.value, label))

    def _require_open(self) -> datetime:
        if self.locked:
            who = f" by {self._session.signed_by}" if self._session.signed_by else ""
            raise SessionLockedError(
                f"session {self._session.patient.pseudonym} is closed{who} and locked; "
                "nothing more can be recorded in it"
            )
        return self._clock.now()

    # ------------------------------------------------------------------ nurse intents

    def start_baseline(self, by: str | None = None) -> Event:
        """Start the pre-dose checks (planned -> baseline)."""
        now = self._require_open()
        return self._move(P.BASELINE, now, "pre-dose checks started", by=by)

    def measure_bp(self, by: str | None = None) -> Event:
        """Ask the NIBP module for a measurement now.

        Raises
        ------
        IntentRefusedError
            No NIBP module, or it is not connected.
        """
        now = self._require_open()
        nibp = self._nibp
        if nibp is None or not hasattr(nibp, "request_measurement"):
            raise IntentRefusedError("no NIBP module is connected; enter the BP by hand")
        if nibp.state is not LinkState.STREAMING:
            raise IntentRefusedError(
                f"the NIBP module is {nibp.state.value}; check the cable or enter the BP by hand"
            )
        already = bool(getattr(nibp, "measuring", False))
        nibp.request_measurement()  # type: ignore[attr-defined]
        self._last_nibp_request = now
        return self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text="BP measurement requested",
            payload={"action": "measure_bp", "already_measuring": already},
        )

    def record_bp(
        self, sys: float, dia: float, by: str | None = None, map_: float | None = None
    ) -> Event:
        """Record a BP taken by hand (manual cuff)."""
        now = self._require_open()
        if not (0 < dia < sys <= 300):
            raise IntentRefusedError(
                f"BP {sys:g}/{dia:g} is not possible (need 0 < dia < sys <= 300)"
            )
        values = {Kind.NIBP_SYS: sys, Kind.NIBP_DIA: dia}
        if map_ is not None:
            values[Kind.NIBP_MAP] = map_
        batch = [
            Measurement(
                session_id=self._sid,
                kind=kind,
                value=value,
                unit=UNITS[kind],
                received_at=now,
                source="manual",
                flags=("manual",),
            )
            for kind, value in values.items()
        ]
        self._store.append_measurements(batch)
        self._store.flush()
        for kind, value in values.items():
            self._values[kind] = (value, now, "manual")
            self._engine.observe(kind, value, now)
        self._state.bp_readings.append((now, sys, dia))
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=f"BP {sys:g}/{dia:g} entered by hand",
            payload={"action": "record_bp", "sys": sys, "dia": dia, "map": map_},
        )
        self._after_intent(now)
        return event

    def dose(
        self,
        by: str | None = None,
        text: str | None = None,
        dose_mg: float | None = None,
        lot_number: str | None = None,
    ) -> Event:
        """Record a dose. The first dose starts dosing (and the protocol's clock).

        Later doses while dosing (e.g. the second nasal device) are recorded as further doses.
        """
        now = self._require_open()
        phase = self._session.phase
        treatment = self._session.treatment
        if phase is P.PLANNED:
            self._move(P.BASELINE, now, "pre-dose checks started", by=by)
            phase = P.BASELINE
        payload: dict[str, Any] = {
            "drug": treatment.drug.value,
            "route": treatment.route.value,
            "dose_mg": dose_mg if dose_mg is not None else treatment.dose_mg,
        }
        if lot_number or treatment.lot_number:
            payload["lot_number"] = lot_number or treatment.lot_number
        if phase is P.BASELINE:
            baseline = self._state.baseline(now)
            payload["first"] = True
            payload["baseline_bp"] = list(baseline) if baseline else None
            self._move(P.DOSING, now, "first dose given", by=by, dose_at=now)
            self._state.dose_at = now
            self._state.first_dose_at = now
            if baseline is not None:
                self._state.baseline_bp = (float(baseline[0]), float(baseline[1]))
                self._engine.set_baseline_bp(*baseline)
        elif phase is P.DOSING:
            payload["first"] = False
        else:
            raise IntentRefusedError(f"dosing is over (the session is in {phase.value})")
        event = self._event(EventKind.DOSE_GIVEN, now, by=by, text=text, payload=payload)
        self._after_intent(now)
        return event

    def end_dosing(self, by: str | None = None) -> Event:
        """Mark dosing complete now (dosing -> observation) instead of waiting for the schedule."""
        now = self._require_open()
        return self._move(P.OBSERVATION, now, "dosing complete", by=by)

    def record_checklist(
        self,
        scale: str,
        answers: dict[str, Any] | list[Any] | None = None,
        total: int | None = None,
        by: str | None = None,
    ) -> Event:
        """Score and record a checklist (``moaas``, ``cadss``, ``cadss6``, ``side_effects``,
        ``aldrete``, ``rass``) from item answers or a total."""
        now = self._require_open()
        result = score_checklist(scale, answers, total)
        scale_id = str(getattr(result, "scale_id", scale))
        payload: dict[str, Any] = {
            "scale": scale_id,
            "total": int(result.total),
            "interpretation": result.interpretation,
            "complete": bool(getattr(result, "complete", True)),
        }
        items = getattr(result, "items", None)
        if items:
            payload["items"] = _plain(items)
        self._state.checklists.append((now, scale_id, int(result.total)))
        event = self._event(EventKind.CHECKLIST, now, by=by, payload=payload)
        self._after_intent(now)
        return event

    def annotate(self, text: str, by: str | None = None) -> Event:
        """Add a free-text note."""
        now = self._require_open()
        text = (text or "").strip()
        if not text:
            raise IntentRefusedError("an annotation needs some text")
        return self._event(EventKind.ANNOTATION, now, by=by, text=text)

    def acknowledge(self, by: str | None = None, condition: str | None = None) -> Event:
        """Acknowledge every active alarm, or one ``condition``."""
        now = self._require_open()
        self._engine.acknowledge(by, now, condition)
        if condition in (None, "discharge_blocked"):
            self._set_condition("discharge_blocked", False, now)
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=f"acknowledged {condition}" if condition else "acknowledged alarms",
            payload={"action": "acknowledge", "condition": condition},
        )
        self._after_intent(now)
        return event

    def pause_audio(self, by: str | None = None) -> Event:
        """Pause alarm sounds for the profile's pause time (120 s)."""
        now = self._require_open()
        self._engine.pause_audio(now)
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text="alarm audio paused",
            payload={"action": "pause_audio"},
        )
        self._after_intent(now)
        return event

    def set_nibp_interval(self, seconds: float | None, by: str | None = None) -> Event:
        """Set the NIBP auto-cycle interval (None: off)."""
        now = self._require_open()
        if seconds is not None and seconds < 60:
            raise IntentRefusedError(
                f"an NIBP interval of {seconds:g} s is too short (minimum 60 s)"
            )
        self._nibp_interval_s = seconds
        return self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text=f"NIBP auto-cycle {'off' if seconds is None else f'every {seconds / 60:g} min'}",
            payload={"action": "set_nibp_interval", "interval_s": seconds},
        )

    def set_alarm_limits(self, by: str | None = None, /, **changes: Any) -> Event:
        """Adjust alarm rules for this session, e.g.
        ``set_alarm_limits("RN A", spo2_low={"medium": {"threshold": 88}})``.

        Keys are condition ids (or ``audio_pause_s``...) as in
        :meth:`AlarmProfile.with_overrides`, which validates the result (a low limit above a high
        limit is refused with a message naming both).

        Raises
        ------
        UserError
            An unknown rule or an invalid combination; nothing is changed.
        """
        now = self._require_open()
        profile = self._profile.with_overrides(**changes)
        set_profile = getattr(self._engine, "set_profile", None)
        if set_profile is None:
            raise IntentRefusedError(
                "this alarm engine cannot change limits during a session; "
                "change the clinic profile before starting"
            )
        set_profile(profile, now)
        self._profile = profile
        self._limits = _limits_of(profile)
        event = self._event(
            EventKind.NURSE_ACTION,
            now,
            by=by,
            text="alarm limits changed: " + ", ".join(sorted(changes)),
            payload={"action": "set_alarm_limits", "changes": _plain(changes)},
        )
        self._after_intent(now)
        return event

    def set_audio_available(self, available: bool, detail: str = "") -> None:
        """Tell the runtime whether alarm sounds can play (raises ``audio_unavailable``)."""
        self._audio_available = bool(available)
        if not self.locked:
            now = self._clock.now()
            self._set_condition("audio_unavailable", not available, now, detail)
            self._after_intent(now)

    def attempt_discharge(self, by: str | None = None) -> DischargeDecision:
        """Check the discharge criteria now and record the attempt.

        Returns
        -------
        DischargeDecision
            ``allowed`` and every blocking reason. A refusal raises ``discharge_blocked``; an
            allowed discharge moves the session to ``discharge_ready`` (sign to close it).
        """
        self._require_open()
        self.tick()
        now = self._clock.now()
        self._state.discharge_requested_at = now
        decision = self._protocol.evaluate_discharge(self.protocol_state, now)
        self._last_decision = decision
        self._discharge_attempted_at = now
        blocking = list(decision.blocking)
        self._event(
            EventKind.DISCHARGE_ATTEMPT,
            now,
            by=by,
            text="discharge allowed"
            if decision.allowed
            else "discharge refused: " + "; ".join(blocking),
            payload={
                "allowed": bool(decision.allowed),
                "blocking": blocking,
                "blocking_ids": list(getattr(decision, "blocking_ids", [])),
            },
        )
        if decision.allowed:
            self._set_condition("discharge_blocked", False, now)
            if self._session.phase is P.OBSERVATION:
                self._move(P.DISCHARGE_READY, now, "discharge criteria met", by=by)
        else:
            self._set_condition("discharge_blocked", True, now, "; ".join(blocking))
            if self._session.phase is P.DISCHARGE_READY:
                self._move(P.OBSERVATION, now, "discharge criteria no longer met", by=by)
        self._after_intent(now)
        return decision

    def sign(self, by: str) -> Event:
        """Sign the session off: discharge and lock it (closed). Later intents are refused.

        Raises
        ------
        IntentRefusedError
            If the discharge criteria are not met (the message lists them) or ``by`` is empty.
        """
        self._require_open()
        by = (by or "").strip()
        if not by:
            raise IntentRefusedError("signing needs the name of the person signing")
        self.tick()
        now = self._clock.now()
        if self._session.phase is not P.DISCHARGE_READY:
            decision = self._protocol.evaluate_discharge(self.protocol_state, now)
            if not decision.allowed or self._session.phase is not P.OBSERVATION:
                reasons = "; ".join(decision.blocking) or f"the session is {self.phase.value}"
                raise IntentRefusedError(f"cannot sign off yet: {reasons}")
            self._move(P.DISCHARGE_READY, now, "discharge criteria met", by=by)
        self._flush_chunk()
        self._store.flush()
        self._engine.close(now, "session signed off")
        self._notify_alarms()
        event = self._event(EventKind.SIGN_OFF, now, by=by, text=f"signed off by {by}")
        self._move(
            P.CLOSED,
            now,
            "discharged and signed",
            by=by,
            signed_by=by,
            signed_at=now,
            ended_at=now,
        )
        self._store.flush()
        return event

    def cancel(self, by: str, reason: str) -> Event:
        """Cancel a session before the dose (planned/baseline -> closed)."""
        now = self._require_open()
        if self._session.phase not in (P.PLANNED, P.BASELINE):
            raise IntentRefusedError("only a session that has not been dosed can be cancelled")
        self._flush_chunk()
        self._store.flush()
        self._engine.close(now, "session cancelled")
        self._notify_alarms()
        event = self._event(EventKind.ANNOTATION, now, by=by, text=f"cancelled: {reason}")
        self._move(P.CLOSED, now, "cancelled before dosing", by=by, ended_at=now)
        self._store.flush()
        return event

    def _after_intent(self, now: datetime) -> None:
        self._engine.tick(now)
        self._notify_alarms()

    # ------------------------------------------------------------------ snapshot

    def snapshot(self) -> RuntimeSnapshot:
        """Return everything the console shows now (read only; cheap enough for 10-30 Hz)."""
        now = self._clock.now()
        alarms = sorted(
            self._engine.active_alarms,
            key=lambda a: (-AlarmPriority(a.priority).rank, a.started_at),
        )
        colour: dict[Kind, AlarmPriority] = {}
        for alarm in alarms:
            for kind in CONDITION_KINDS.get(alarm.condition, ()):
                priority = AlarmPriority(alarm.priority)
                if kind not in colour or colour[kind].rank < priority.rank:
                    colour[kind] = priority
        ox_tracker = self._trackers.get(id(self._oximeter)) if self._oximeter else None
        ox_down = bool(ox_tracker and ox_tracker.conditions())
        values: dict[Kind, VitalValue] = {}
        for kind, (value, at, source) in self._values.items():
            age = (now - at).total_seconds()
            from_oximeter = kind in (Kind.HR, Kind.SPO2, Kind.PI, Kind.RESP_RATE)
            stale = from_oximeter and (age > OXIMETER_STALE_S or ox_down)
            values[kind] = VitalValue(
                kind, value, UNITS[kind], at, age, stale, colour.get(kind), source
            )
        devices = tuple(
            DeviceStatus(
                role=t.role,
                device_id=t.device_id,
                state=t.link,
                conditions=tuple(sorted(c.value for c in t.reported)),
                alarm_conditions=tuple(sorted(t.conditions())),
                last_data_at=t.last_data_at,
                detail=t.detail,
            )
            for t in self._trackers.values()
        )
        dose_at = self._session.dose_at
        return RuntimeSnapshot(
            now=now,
            session=self._session,
            phase=self._session.phase,
            locked=self.locked,
            dose_at=dose_at,
            since_dose_s=(now - dose_at).total_seconds() if dose_at else None,
            values=values,
            pleth=PlethView(self._pleth.samples(), self._pleth.sample_rate_hz, self._pleth.last_at),
            nibp=self._nibp_status(now),
            devices=devices,
            alarms=tuple(alarms),
            audio=self._engine.audio_state(now),
            audio_available=self._audio_available,
            checks=tuple(self._protocol.checks(self.protocol_state, now)),
            discharge=self._last_decision,
            discharge_attempted_at=self._discharge_attempted_at,
            markers=tuple(self._markers),
            alarm_limits=self._limits,
        )

    def _nibp_status(self, now: datetime) -> NibpStatus:
        nibp = self._nibp
        sys_entry = self._values.get(Kind.NIBP_SYS)
        dia_entry = self._values.get(Kind.NIBP_DIA)
        map_entry = self._values.get(Kind.NIBP_MAP)
        measuring = bool(getattr(nibp, "measuring", False)) if nibp is not None else False
        cuff = self._cuff[0] if (self._cuff and measuring) else None
        interval = self._nibp_interval_s
        last = self._last_nibp_request
        next_auto = None
        if interval is not None:
            next_auto = (last or now) + timedelta(seconds=interval)
        return NibpStatus(
            available=nibp is not None and nibp.state is LinkState.STREAMING,
            measuring=measuring,
            cuff_pressure=cuff,
            last_sys=sys_entry[0] if sys_entry else None,
            last_dia=dia_entry[0] if dia_entry else None,
            last_map=map_entry[0] if map_entry else None,
            last_at=sys_entry[1] if sys_entry else None,
            auto_interval_s=interval,
            last_request_at=last,
            next_auto_at=next_auto,
        )


def _plain(value: Any) -> Any:
    """Turn pydantic models / tuples / enums into JSON-friendly values for event payloads."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, int | float | str):
        return value.value
    return value


def _limits_of(profile: Any) -> dict[str, Any]:
    to_dict = getattr(profile, "to_dict", None)
    return dict(to_dict()) if callable(to_dict) else {}
