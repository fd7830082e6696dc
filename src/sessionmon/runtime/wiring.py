"""What the runtime's mixins need from the session runtime, as a type (no runtime import).

:class:`~sessionmon.runtime.SessionRuntime` is put together from mixins (listeners, the tick,
lifecycle moves, the console snapshot, nurse intents, dosing, questionnaires, endings) that use
its wiring: the store, the alarm engine, the protocol state,
the event log and a few helpers. :class:`RuntimeWiring` names exactly that, so the mixins can be
type-checked against it without importing ``session_runtime`` (which imports them): the runtime
modules form no import circle.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover - typing only
    from collections.abc import Callable

    from sessionmon.alarms import AlarmEngine, AlarmProfile
    from sessionmon.clock import Clock
    from sessionmon.devices.source import VitalsSource
    from sessionmon.model import Event, EventKind, Session, SessionPhase
    from sessionmon.protocol import DischargeDecision, ProtocolState, SessionProtocol
    from sessionmon.runtime.conditions import ConditionGate
    from sessionmon.runtime.events import EventLog
    from sessionmon.runtime.ingest import SourceIngest
    from sessionmon.runtime.patient_facts import AlarmHistory
    from sessionmon.runtime.protocol_driver import ProtocolDriver
    from sessionmon.runtime.view_changes import ViewChanges
    from sessionmon.runtime.waveform import WaveformRecorder
    from sessionmon.store import SessionStore


class RuntimeWiring(Protocol):
    """The runtime's parts and helpers its mixins use (see ``session_runtime``)."""

    _store: SessionStore
    _clock: Clock
    _session: Session
    _sid: Any
    _oximeter: VitalsSource | None
    _nibp: VitalsSource | None
    _respiration: VitalsSource | None
    _sources: list[VitalsSource]
    _profile: AlarmProfile
    _limits: dict[str, Any]
    _protocol: SessionProtocol
    _discharge_override: dict[str, Any] | None
    _engine: AlarmEngine
    _state: ProtocolState
    _gate: ConditionGate
    _waveform: WaveformRecorder
    _co2_waveform: WaveformRecorder
    _driver: ProtocolDriver
    _events: EventLog
    _ingest: SourceIngest
    _last_decision: DischargeDecision | None
    _discharge_attempted_at: datetime | None
    _audio_available: bool
    _alarm_listeners: list[Callable[[list[Any]], None]]
    _tick_listeners: list[Callable[[Any], None]]
    _alarms_dirty: bool
    _view_changes: ViewChanges
    _nibp_shown: tuple[Any, ...]
    _pending_storage_failure: str | None
    _alarm_history: AlarmHistory
    _last_discharge_eval: float | None
    _discharge_facts: tuple[Any, ...]
    _discharge_checked_at: datetime | None

    @property
    def phase(self) -> SessionPhase:
        """The session's phase now."""
        ...

    @property
    def locked(self) -> bool:
        """Whether the session is closed and locked."""
        ...

    @property
    def protocol_state(self) -> ProtocolState:
        """The facts the protocol evaluates, brought up to date."""
        ...

    def tick(self) -> None:
        """Drain the sources and run the alarm engine and the protocol once."""
        ...

    def discharge_state(self) -> ProtocolState:
        """The protocol state with the patient's facts of now (for the discharge decision)."""
        ...

    def _require_open(self) -> datetime:
        """Refuse an intent on a closed session; return now."""
        ...

    def _after_intent(self, now: datetime) -> None:
        """Re-evaluate the protocol after an intent."""
        ...

    def _dosing_complete_reason(self, now: datetime) -> str | None:
        """Why dosing is complete now, or None (see ``dosing_intents``)."""
        ...

    def _advance_phase(self, now: datetime) -> None:
        """Make the automatic lifecycle moves that are due."""
        ...

    def _minimum_observation_ended(self, now: datetime) -> bool:
        """Whether the minimum observation ended since the last discharge check."""
        ...

    def _update_storage_failure(self, now: datetime) -> None:
        """Raise or end ``storage_failure``."""
        ...

    def waveforms(self) -> tuple[Any, Any]:
        """The live pleth and the capnogram (or None)."""
        ...

    def _notify_alarms(self) -> None:
        """Tell the alarm listeners about changes."""
        ...

    def _event(
        self,
        kind: EventKind,
        at: datetime,
        *,
        by: str | None = None,
        text: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Event:
        """Record one event."""
        ...

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
        """Move the session to another phase, recording the event."""
        ...
