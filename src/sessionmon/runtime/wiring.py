"""What the intent mixins need from the session runtime, as a type (no runtime import).

:class:`~sessionmon.runtime.SessionRuntime` is put together from mixins (nurse intents, dosing,
questionnaires, endings) that use its wiring: the store, the alarm engine, the protocol state,
the event log and a few helpers. :class:`RuntimeWiring` names exactly that, so the mixins can be
type-checked against it without importing ``session_runtime`` (which imports them): the runtime
modules form no import circle.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.alarms import AlarmEngine, AlarmProfile
    from sessionmon.clock import Clock
    from sessionmon.devices.source import VitalsSource
    from sessionmon.model import Event, EventKind, Session, SessionPhase
    from sessionmon.protocol import DischargeDecision, ProtocolState, SessionProtocol
    from sessionmon.runtime.conditions import ConditionGate
    from sessionmon.runtime.events import EventLog
    from sessionmon.runtime.ingest import SourceIngest
    from sessionmon.runtime.protocol_driver import ProtocolDriver
    from sessionmon.runtime.waveform import WaveformRecorder
    from sessionmon.store import SessionStore


class RuntimeWiring(Protocol):
    """The runtime's parts and helpers the intent mixins use (see ``session_runtime``)."""

    _store: SessionStore
    _clock: Clock
    _session: Session
    _sid: Any
    _nibp: VitalsSource | None
    _profile: AlarmProfile
    _limits: dict[str, Any]
    _protocol: SessionProtocol
    _discharge_override: dict[str, Any] | None
    _engine: AlarmEngine
    _state: ProtocolState
    _gate: ConditionGate
    _waveform: WaveformRecorder
    _driver: ProtocolDriver
    _events: EventLog
    _ingest: SourceIngest
    _last_decision: DischargeDecision | None
    _discharge_attempted_at: datetime | None
    _audio_available: bool

    @property
    def phase(self) -> SessionPhase:
        """The session's phase now."""
        ...

    @property
    def locked(self) -> bool:
        """Whether the session is closed and locked."""
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
