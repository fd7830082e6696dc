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
shows). The class itself is put together from mixins typed against
:class:`~sessionmon.runtime.wiring.RuntimeWiring`: :mod:`~sessionmon.runtime.runtime_listeners`
(listeners and the alarm engine's outputs), :mod:`~sessionmon.runtime.tick_cycle` (the tick and
its automatic lifecycle moves), :mod:`~sessionmon.runtime.session_moves` (lifecycle moves and
events), :mod:`~sessionmon.runtime.console_snapshot` (what the console shows) and the intents.
This module wires the parts together: construction, the devices and the properties.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sessionmon.alarms import AlarmEngine, AlarmProfile, default_profile
from sessionmon.clock import Clock
from sessionmon.devices.source import VitalsSource
from sessionmon.model import (
    Kind,
    Patient,
    Session,
    SessionPhase,
    Treatment,
    TreatmentId,
)
from sessionmon.protocol import DischargeDecision, ProtocolState, SessionProtocol
from sessionmon.runtime.conditions import OXIMETER_DATA_LOST as _OXIMETER_DATA_LOST
from sessionmon.runtime.conditions import ConditionGate
from sessionmon.runtime.console_snapshot import ConsoleSnapshot
from sessionmon.runtime.dosing_intents import DosingIntents
from sessionmon.runtime.endings import SessionEndings
from sessionmon.runtime.errors import IntentRefusedError
from sessionmon.runtime.events import EventLog
from sessionmon.runtime.ingest import OBSERVED_KINDS, SourceIngest
from sessionmon.runtime.intents import NurseIntents, limits_of
from sessionmon.runtime.limits_in_force import record_limits_in_force
from sessionmon.runtime.monitor_roles import breathing_kinds, respiration_source
from sessionmon.runtime.patient_facts import AlarmHistory, patient_now
from sessionmon.runtime.protocol_driver import PROTOCOL_CONDITIONS, ProtocolDriver
from sessionmon.runtime.questionnaire_intents import QuestionnaireIntents
from sessionmon.runtime.restore import restore_protocol_state
from sessionmon.runtime.runtime_listeners import RuntimeListeners
from sessionmon.runtime.session_moves import SessionMoves
from sessionmon.runtime.snapshot_builder import CONDITION_KINDS, OXIMETER_STALE_S
from sessionmon.runtime.tick_cycle import DISCHARGE_EVALUATE_EVERY_S, TickCycle
from sessionmon.runtime.view_changes import ViewChanges
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

#: CO2 wave samples kept for the live capnogram (12 s at 25 Hz: two or three slow breaths).
CO2_CAPACITY = 300

_ = _OXIMETER_DATA_LOST  # kept importable from here for older callers


class SessionRuntime(
    RuntimeListeners,
    TickCycle,
    SessionMoves,
    ConsoleSnapshot,
    DosingIntents,
    NurseIntents,
    QuestionnaireIntents,
    SessionEndings,
):
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
        #: Counts the changes the console shows (the snapshot's ``version``).
        self._view_changes = ViewChanges()
        self._nibp_shown: tuple[Any, ...] = ()
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
            changes=self._view_changes,
        )
        self._driver = ProtocolDriver(
            self._protocol, self._gate, nibp, nibp_interval_s, protocol_nibp_requests
        )
        self._events = EventLog(store, self._sid)
        self._events.listeners.append(self._view_changes.bump)  # markers, phase, intents
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
    def view_version(self) -> int:
        """The count of changes the console shows (cheap; the snapshot carries it as ``version``).

        It moves with every reading that changes a shown value, alarm change, device state,
        event and intent; what time alone changes is the snapshot's ``next_change_at``.
        """
        return self._view_changes.count

    @property
    def waveform_samples(self) -> int:
        """How many pleth and CO2 samples the live rings took (cheap): :meth:`waveforms`
        changed only when it moved."""
        return self._waveform.ring.received + self._co2_waveform.ring.received

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
