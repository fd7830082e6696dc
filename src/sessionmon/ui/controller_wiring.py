"""What the console controller's parts need from the controller, as a type (no controller import).

:class:`~sessionmon.ui.controller.ConsoleController` is put together from mixins (the
acquisition cycle, opening sessions, the nurse's intents, the sign-off, the settings, training).
:class:`ControllerWiring` names the state, signals and helpers they use of one another, so they
are typed against it without importing ``controller`` (which imports them): the ``ui`` modules
form no import circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover - typing only
    from collections.abc import Callable
    from datetime import date
    from uuid import UUID

    from PySide6.QtCore import QTimer, SignalInstance

    from sessionmon.accounts.console_user import ConsoleUser
    from sessionmon.clinic import ClinicSettings
    from sessionmon.clock import Clock
    from sessionmon.model import Session
    from sessionmon.ui.arrival import ArrivalWakeup
    from sessionmon.ui.forms import NewSessionForm
    from sessionmon.ui.settings import ConsoleSettings
    from sessionmon.ui.sources import SimulatedDevices
    from sessionmon.ui.trend_buffer import SessionTrends
    from sessionmon.ui.viewmodel import AlarmItemView, ConsoleView, TrendMarker


class ControllerWiring(Protocol):
    """The controller's state, signals and helpers its parts use (see ``controller``)."""

    store: Any
    clock: Clock
    settings: ConsoleSettings
    simulator: bool
    _settings_saver: Callable[[ConsoleSettings], None]
    runtime: Any | None
    devices: SimulatedDevices | None
    nibp_source: Any | None
    playback: Any | None
    read_only_session: Session | None
    trends: SessionTrends
    view: ConsoleView
    draft: NewSessionForm
    clinic: ClinicSettings
    user: ConsoleUser
    screen_locked: bool
    audio_unavailable_reason: str | None
    _audio_alarm: AlarmItemView | None
    seen_at_central: Callable[[UUID], str | None] | None
    _alarm_starts: dict[str, float]
    _alarm_markers: list[TrendMarker]
    _view_made: tuple[Any, int, Any] | None
    _waves_shown: int
    acquisition_timer: QTimer
    frame_timer: QTimer
    arrival: ArrivalWakeup
    _alarms_moved: bool
    ticks: int
    _acquisition_fault: str | None
    _physiology_seen: tuple[int, int] | None
    _refusals: list[str] | None

    # the signals, declared on ConsoleController (a QObject)
    view_changed: SignalInstance
    session_changed: SignalInstance
    error: SignalInstance
    info: SignalInstance
    physiology_changed: SignalInstance
    failure: SignalInstance

    @property
    def staff(self) -> str | None: ...

    def today(self) -> date: ...

    def refresh(self) -> ConsoleView: ...

    def _start_runtime(
        self,
        session: Session,
        devices: SimulatedDevices | None = None,
        nibp_interval_s: float | None = None,
    ) -> None: ...

    def _close_runtime(self) -> None: ...

    def _reset_view_state(self) -> None: ...

    def _backfill(self, session: Session) -> None: ...

    def _refuse_leaving_patient(self) -> bool: ...

    def _join_course(self, session: Session, plan: Any = None) -> Session: ...

    def _failed(self, title: str, exc: BaseException) -> None: ...

    def interrupted_sessions(self) -> list[Any]: ...

    def start_simulated_session(
        self,
        pseudonym: str = "SIM-0001",
        treatment: str = "esketamine-84",
        baseline: dict[str, float] | None = None,
        scenario: Any | None = None,
        seed: int = 7,
        respiration: bool | None = None,
    ) -> Session: ...

    def _refused(self, message: str) -> None: ...

    def _intent(self, action: Callable[[Any], Any]) -> Any | None: ...

    def _profile(self) -> Any: ...

    def _save_settings(self, settings: ConsoleSettings) -> bool: ...

    def _remember_staff(self, name: str) -> None: ...

    def physiology_targets(self) -> dict[str, float] | None: ...

    def _publish_physiology(self) -> None: ...


__all__ = ["ControllerWiring"]
