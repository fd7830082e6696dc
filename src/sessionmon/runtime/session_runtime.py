"""The session runtime: devices in, record, alarms and protocol out.

:class:`SessionRuntime` is the one object the console and headless runs drive. It owns no thread
and no timer: the caller calls :meth:`SessionRuntime.tick` often (the console from a timer, a
headless run once per simulated second) and the nurse's intents as methods. Each tick drains the
vitals sources, records what they sent, feeds the alarm engine, evaluates the session protocol,
moves the lifecycle and hands the records to the store's writer thread (it never waits on the
disk: a store that cannot write raises ``storage_failure`` from :attr:`SessionStore.write_problem`).
Every intent becomes an :class:`~sessionmon.model.Event` committed before the method returns, or is
refused and not applied.

The work is split by job: :mod:`~sessionmon.runtime.ingest` (source outputs),
:mod:`~sessionmon.runtime.waveform` (pleth), :mod:`~sessionmon.runtime.conditions` (what the alarm
engine was told), :mod:`~sessionmon.runtime.protocol_driver` (protocol conditions, NIBP
requests), :mod:`~sessionmon.runtime.events` (events and markers),
:mod:`~sessionmon.runtime.intents` (the nurse's intents), :mod:`~sessionmon.runtime.restore`
(resuming a recorded session) and :mod:`~sessionmon.runtime.snapshot_builder` (what the console
shows). This module wires them and runs the tick and the lifecycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sessionmon.alarms import AlarmEngine, AlarmProfile, default_profile
from sessionmon.clock import Clock
from sessionmon.devices.source import VitalsSource
from sessionmon.lifecycle import IllegalTransition, transition
from sessionmon.model import (
    AlarmLogEntry,
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
)
from sessionmon.protocol import DischargeDecision, ProtocolState, SessionProtocol
from sessionmon.runtime.conditions import OXIMETER_DATA_LOST as _OXIMETER_DATA_LOST
from sessionmon.runtime.conditions import ConditionGate
from sessionmon.runtime.dosing_intents import DosingIntents
from sessionmon.runtime.endings import SessionEndings
from sessionmon.runtime.errors import IntentRefusedError, SessionLockedError
from sessionmon.runtime.events import EventLog
from sessionmon.runtime.ingest import OBSERVED_KINDS, SourceIngest
from sessionmon.runtime.intents import NurseIntents, limits_of
from sessionmon.runtime.limits_in_force import record_limits_in_force
from sessionmon.runtime.monitor_roles import breathing_kinds, respiration_source
from sessionmon.runtime.patient_facts import AlarmHistory, patient_now
from sessionmon.runtime.protocol_driver import PROTOCOL_CONDITIONS, ProtocolDriver
from sessionmon.runtime.questionnaire_intents import QuestionnaireIntents
from sessionmon.runtime.restore import restore_protocol_state
from sessionmon.runtime.snapshot import PlethView, RuntimeSnapshot
from sessionmon.runtime.snapshot_builder import (
    CONDITION_KINDS,
    OXIMETER_STALE_S,
    device_statuses,
    nibp_status,
    sorted_alarms,
    vital_values,
)
from sessionmon.runtime.waveform import WaveformRecorder
from sessionmon.store import SessionStore, StoreError

__all__ = [
    "CONDITION_KINDS",
    "DISCHARGE_EVALUATE_EVERY_S",
    "NASAL_DEVICE_INTERVAL_S",
    "OBSERVED_KINDS",
    "OXIMETER_STALE_S",
    "PROTOCOL_CONDITIONS",
    "SessionRuntime",
]

log = logging.getLogger(__name__)

P = SessionPhase

#: Esketamine nasal devices are given this far apart.
NASAL_DEVICE_INTERVAL_S = 300.0

#: While observing, the discharge criteria are re-checked at once when a BP, a checklist or a
#: latched alarm changes, or the minimum observation ends; otherwise this often (clock seconds).
DISCHARGE_EVALUATE_EVERY_S = 5.0

#: CO2 wave samples kept for the live capnogram (12 s at 25 Hz: two or three slow breaths).
CO2_CAPACITY = 300

_ = _OXIMETER_DATA_LOST  # kept importable from here for older callers


class SessionRuntime(DosingIntents, NurseIntents, QuestionnaireIntents, SessionEndings):
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
    respiration : VitalsSource, optional
        The capnograph (RR, etCO2, FiCO2, CO2 wave); may be the same object as another role's.
    profile : AlarmProfile, optional
        Alarm limits and priorities; defaults to ``default_profile()``.
    protocol : SessionProtocol, optional
        Defaults to ``SessionProtocol.for_treatment`` of the session's treatment.
    patient, treatment : optional
        Used only when ``session`` is omitted.
    nibp_interval_s : float, optional
        NIBP auto-cycle interval chosen by the nurse (None: no fixed cycle).
    protocol_nibp_requests : bool
        Let the protocol start BP measurements itself (default). False: on request only.
    simulated : bool
        Mark a newly created session as a training/simulator session.
    scenario : str, optional
        Scenario name recorded in a newly created session.
    pleth_capacity : int
        Pleth samples kept for the live waveform.
    start_devices : bool
        Start the sources now (default True).
    flush_interval_s : float
        Kept for older callers: the store's writer thread commits buffered measurements on its
        own once they are a second old, so the tick never waits for a commit.
    """

    def __init__(
        self,
        store: SessionStore,
        clock: Clock,
        session: Session | None = None,
        *,
        oximeter: VitalsSource | None = None,
        nibp: VitalsSource | None = None,
        respiration: VitalsSource | None = None,
        profile: AlarmProfile | None = None,
        protocol: SessionProtocol | None = None,
        patient: Patient | None = None,
        treatment: Treatment | TreatmentId | str | None = None,
        nibp_interval_s: float | None = None,
        protocol_nibp_requests: bool = True,
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
        # an IntelliVue set up as the oximeter measures breathing too
        respiration = respiration_source(respiration, oximeter, nibp)
        self._respiration = respiration
        # one monitor may be the oximeter, the NIBP and the respiration source: drain it once
        self._sources: list[VitalsSource] = list(
            {id(s): s for s in (oximeter, nibp, respiration) if s is not None}.values()
        )
        self._profile = profile or default_profile()
        self._limits = limits_of(self._profile)
        self._protocol = protocol or SessionProtocol.for_treatment(self._session.treatment.protocol)
        self._alarm_listeners: list[Callable[[list[Any]], None]] = []
        self._tick_listeners: list[Callable[[SessionRuntime], None]] = []
        self._alarms_dirty = False
        self._pending_storage_failure: str | None = None
        self._alarm_history = AlarmHistory()
        self._discharge_override: dict[str, Any] | None = None
        self._engine = AlarmEngine(
            self._profile,
            clock,
            self._sid,
            on_record=self._on_alarm_record,
            on_log=self._on_alarm_log,
        )
        self._state = ProtocolState()
        self._gate = ConditionGate(self._engine)
        self._waveform = WaveformRecorder(store, self._sid, pleth_capacity)
        self._co2_waveform = WaveformRecorder(store, self._sid, CO2_CAPACITY, Kind.CO2)
        self._ingest = SourceIngest(
            self._sid,
            self._sources,
            self._engine,
            self._gate,
            self._waveform,
            self._state,
            co2_waveform=self._co2_waveform,
        )
        self._driver = ProtocolDriver(
            self._protocol, self._gate, nibp, nibp_interval_s, protocol_nibp_requests
        )
        self._events = EventLog(store, self._sid)
        self._driver.on_protocol_request = self._log_protocol_bp
        self._last_decision: DischargeDecision | None = None
        self._discharge_attempted_at: datetime | None = None
        self._audio_available = True
        self._last_flush = clock.monotonic()
        self._flush_interval_s = float(flush_interval_s)
        self._last_discharge_eval: float | None = None
        self._discharge_facts: tuple[Any, ...] = ()
        self._discharge_checked_at: datetime | None = None
        restore_protocol_state(store, self._session, self._state, self._engine, self._events)
        if not self.locked:
            why = "session start" if self._session.phase is P.PLANNED else "session resumed"
            record_limits_in_force(self._events, store, self._sid, self._profile, clock.now(), why)
        try:
            for record in store.alarms(self._sid):
                self._alarm_history.record(record)
        except StoreError as exc:  # the discharge check then sees only this run's alarms
            log.error("could not read the session's alarms: %s", exc)
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

    def start_devices(self) -> None:
        """Start every source (idempotent)."""
        for source in self._sources:
            source.start()
            tracker = self._ingest.tracker(source)
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
        self.set_data_listener(None)
        for source in self._sources:
            source.stop()
        self._waveform.flush()
        self._co2_waveform.flush()
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
        values = self._ingest.values
        self._state.breathing_kinds = breathing_kinds(
            self._respiration, (self._oximeter, self._nibp), values
        )
        self._state.respiration_monitored = bool(self._state.breathing_kinds)
        for kind in (Kind.RESP_RATE, Kind.ETCO2):
            if kind in values:
                self._state.breathing[kind.value] = (values[kind][1], values[kind][0])
        return self._state

    def discharge_state(self) -> ProtocolState:
        """:attr:`protocol_state` with the patient now (current vital signs, the limits in
        force, the session's alarms) for the discharge criteria."""
        state = self.protocol_state
        state.patient = patient_now(
            self._ingest.values, self._profile, self._alarm_history, self._engine.active_alarms
        )
        return state

    @property
    def nibp_interval_s(self) -> float | None:
        """The nurse's NIBP auto-cycle interval, or None."""
        return self._driver.nibp_interval_s

    # ------------------------------------------------------------------ listeners

    def add_alarm_listener(self, callback: Callable[[list[Any]], None]) -> None:
        """Call ``callback(active_alarms)`` whenever an alarm starts, changes or ends."""
        self._alarm_listeners.append(callback)

    def add_event_listener(self, callback: Callable[[Event], None]) -> None:
        """Call ``callback(event)`` after each event is committed."""
        self._events.listeners.append(callback)

    def add_tick_listener(self, callback: Callable[[SessionRuntime], None]) -> None:
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
        self._alarm_history.record(record)
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
        ingest = self._ingest
        for source in self._sources:
            outputs = source.poll()
            if outputs:
                ingest.drain(source, outputs, batch)
            ingest.reconcile(source, now)
        mono = self._clock.monotonic()
        try:  # buffered for the store's writer thread: never waits on the disk
            if batch:
                self._store.append_measurements(batch)
            self._waveform.flush_if_old(now)
            self._co2_waveform.flush_if_old(now)
        except StoreError as exc:
            self._pending_storage_failure = str(exc)
        if self._waveform.store_error is not None:
            self._pending_storage_failure = str(self._waveform.store_error)
            self._waveform.store_error = None
        if self._co2_waveform.store_error is not None:
            self._pending_storage_failure = str(self._co2_waveform.store_error)
            self._co2_waveform.store_error = None
        state = self.protocol_state
        arrived = ingest.take_bp_arrival()
        if arrived is not None:
            self._driver.bp_arrived(arrived)
            self._driver.set_conditions(state, arrived)
        self._driver.evaluate(state, now, self._session.phase, mono)
        self._advance_phase(now)
        self._update_storage_failure(now)
        for listener in list(self._tick_listeners):
            try:
                listener(self)
            except Exception:  # a listener's bug must not stop monitoring
                log.exception("tick listener failed")
        self._engine.tick(now)
        self._notify_alarms()

    def _update_storage_failure(self, now: datetime) -> None:
        """Raise ``storage_failure`` while writes do not reach the disk; end it once they do."""
        problem = self._pending_storage_failure or getattr(self._store, "write_problem", None)
        self._pending_storage_failure = None
        self._gate.set("storage_failure", problem is not None, now, problem or "saving again")

    def _after_intent(self, now: datetime) -> None:
        """Bring the protocol conditions and the alarms up to date right after an intent."""
        if not self.locked:
            mono = self._clock.monotonic()
            self._driver.evaluate(self.protocol_state, now, self._session.phase, mono, force=True)
        self._engine.tick(now)
        self._notify_alarms()

    # ------------------------------------------------------------------ lifecycle

    def _advance_phase(self, now: datetime) -> None:
        phase = self._session.phase
        if phase is P.DOSING:
            reason = self._dosing_complete_reason(now)
            if reason:
                self._move(P.OBSERVATION, now, reason, queued=True)
            return
        if phase not in (P.OBSERVATION, P.DISCHARGE_READY) or self._discharge_override:
            return
        state = self.protocol_state
        mono = self._clock.monotonic()
        facts = (
            len(state.bp_readings),
            len(state.checklists),
            tuple(state.unacknowledged_latched),
            tuple(a.condition for a in self._engine.active_alarms),
            phase,
        )
        if (
            self._last_discharge_eval is not None
            and facts == self._discharge_facts
            and not self._minimum_observation_ended(now)
            and mono - self._last_discharge_eval < DISCHARGE_EVALUATE_EVERY_S
        ):
            return
        self._last_discharge_eval = mono
        self._discharge_facts = facts
        self._discharge_checked_at = now
        decision = self._protocol.evaluate_discharge(self.discharge_state(), now)
        if decision.allowed:
            self._gate.set("discharge_blocked", False, now)
            if phase is P.OBSERVATION:
                self._move(P.DISCHARGE_READY, now, "discharge criteria met", queued=True)
        elif phase is P.DISCHARGE_READY:
            self._move(P.OBSERVATION, now, "discharge criteria no longer met", queued=True)

    def _minimum_observation_ended(self, now: datetime) -> bool:
        """Whether the minimum observation time ended since the last discharge check."""
        begin = self._state.observation_start
        minimum = getattr(getattr(self._protocol, "config", None), "min_observation_min", None)
        if begin is None or minimum is None or self._discharge_checked_at is None:
            return False
        ends = begin + timedelta(minutes=float(minimum))
        return self._discharge_checked_at < ends <= now

    def _move(
        self,
        target: SessionPhase,
        now: datetime,
        why: str,
        by: str | None = None,
        queued: bool = False,
        also: tuple[Event, ...] = (),
        also_before: tuple[Event, ...] = (),
        **changes: Any,
    ) -> Event:
        """Move the lifecycle (with any other session changes in the same version).

        The new version, its phase-change event and the events in ``also`` are one transaction.
        A nurse's move is committed before it is applied (a refused write changes nothing); an
        automatic move from the tick (``queued``) is queued and retried like alarms.
        """
        current = self._session.phase
        try:
            transition(current, target)
        except IllegalTransition as exc:
            raise IntentRefusedError(str(exc)) from None
        moved = self._session.model_copy(update={"phase": target, **changes})
        event = self._events.make(
            EventKind.PHASE_CHANGE,
            now,
            by=by,
            text=why,
            payload={"from": current.value, "to": target.value},
        )
        events = (*also_before, event, *also)  # also_before: recorded before the phase change
        self._store.update_session(moved, wait=not queued, events=events)
        self._session = moved
        if target is P.DOSING:
            self._engine.set_dose_active(True, now)  # oximetry alarms escalate from now on
        for recorded in events:
            self._events.announce(recorded)
        return event

    def _log_protocol_bp(self, at: datetime, reason: str) -> None:
        """The protocol started a BP itself (the nurse did not): an event says so."""
        interval = self._driver.nibp_interval_s
        cycle = "Auto off" if interval is None else f"Auto {interval / 60:g} min"
        self._event(
            EventKind.DEVICE,
            at,
            text=f"BP started by the console: {reason} ({cycle})",
            payload={"action": "protocol_bp_request", "reason": reason, "auto": cycle},
        )

    def _event(
        self,
        kind: EventKind,
        at: datetime,
        *,
        by: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Event:
        return self._events.record(kind, at, by=by, text=text, payload=payload)

    def _require_open(self) -> datetime:
        if self.locked:
            who = f" by {self._session.signed_by}" if self._session.signed_by else ""
            raise SessionLockedError(
                f"session {self._session.patient.pseudonym} is closed{who} and locked; "
                "nothing more can be recorded in it"
            )
        return self._clock.now()

    # ------------------------------------------------------------------ snapshot

    def snapshot(self) -> RuntimeSnapshot:
        """Return everything the console shows now (read only; cheap enough for 10-30 Hz)."""
        now = self._clock.now()
        alarms = sorted_alarms(self._engine)
        dose_at = self._session.dose_at
        ring = self._waveform.ring
        return RuntimeSnapshot(
            now=now,
            session=self._session,
            phase=self._session.phase,
            locked=self.locked,
            dose_at=dose_at,
            since_dose_s=(now - dose_at).total_seconds() if dose_at else None,
            values=vital_values(now, self._ingest, alarms, self._oximeter),
            pleth=PlethView(ring.samples(), ring.sample_rate_hz, ring.last_at),
            nibp=nibp_status(
                now,
                self._nibp,
                self._ingest,
                self._driver.nibp_interval_s,
                self._driver.last_request_at,
                self._driver.protocol_reason,
            ),
            devices=device_statuses(self._ingest),
            alarms=tuple(alarms),
            audio=self._engine.audio_state(now),
            audio_available=self._audio_available,
            checks=tuple(self._protocol.checks(self.protocol_state, now)),
            discharge=self._last_decision,
            discharge_attempted_at=self._discharge_attempted_at,
            markers=tuple(self._events.markers),
            alarm_limits=self._limits,
            co2=self._co2_view(),
        )

    def _co2_view(self) -> PlethView | None:
        """The capnogram for the console, when a respiration source is in the session."""
        if self._respiration is None:
            return None
        ring = self._co2_waveform.ring
        return PlethView(ring.samples(), ring.sample_rate_hz, ring.last_at)

    @property
    def has_respiration(self) -> bool:
        """Whether a respiration (capnography) source is in the session."""
        return self._respiration is not None
