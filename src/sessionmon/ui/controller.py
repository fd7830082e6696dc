"""The console controller: turns the widgets' intents into runtime calls and publishes views.

Widgets never talk to the core. They emit signals; the main window connects them to the methods
here. The controller owns the session runtime, calls its ``tick`` from an acquisition timer and
publishes a :class:`~sessionmon.ui.viewmodel.ConsoleView` from a separate frame timer (25 Hz), so
painting never holds up acquisition. While the timers run, a serial device's reader thread also
wakes acquisition the moment a reading arrives (:mod:`sessionmon.ui.arrival`), so the alarm engine
sees it then, not at the next tick. Tests call :meth:`ConsoleController.step` instead of running
the timers, with a ``ManualClock``.

:class:`ConsoleController` is put together from mixins, one job each: the acquisition tick and
each frame's view (:mod:`~sessionmon.ui.acquisition_cycle`), opening, resuming and showing
sessions (:mod:`~sessionmon.ui.session_opening`), the nurse's intents on the running session
(:mod:`~sessionmon.ui.session_intents`), the sign-off (:mod:`~sessionmon.ui.sign_off_intents`),
the clinic and console settings and the alarm profile
(:mod:`~sessionmon.ui.console_configuration`) and training
(:mod:`~sessionmon.ui.training_controls`). The parts type against
:class:`~sessionmon.ui.controller_wiring.ControllerWiring`. This module keeps the ``QObject``
with its signals (a Qt signal must be declared on the ``QObject`` class itself), its timers and
the runtime it starts and closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from PySide6.QtCore import QObject, QTimer, Signal

from sessionmon.accounts.book import AccountBook
from sessionmon.accounts.console_user import ConsoleUser
from sessionmon.clock import Clock
from sessionmon.errors import UserError
from sessionmon.model import Kind, Session
from sessionmon.ui.acquisition_cycle import AcquisitionCycle
from sessionmon.ui.arrival import ArrivalWakeup
from sessionmon.ui.console_configuration import ConsoleConfiguration, clinic_alarm_file
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.session_intents import AUDIO_ACK_WITHOUT_SESSION, SessionIntents
from sessionmon.ui.session_opening import SessionOpening
from sessionmon.ui.settings import ConsoleSettings
from sessionmon.ui.sign_off_intents import SignOffIntents
from sessionmon.ui.sources import SimulatedDevices, serial_devices, simulated_devices
from sessionmon.ui.training_controls import TrainingControls
from sessionmon.ui.trend_buffer import SessionTrends
from sessionmon.ui.viewmodel import AlarmItemView, ConsoleView, TrendMarker

log = logging.getLogger(__name__)

ACQUISITION_MS = 100
FRAME_MS = 40  # 25 Hz redraw

#: The store's background flush: buffered samples are committed once the oldest is this many real
#: seconds old, so a crash loses well under a second of them (issue 10 item 6).
STORE_AUTOFLUSH_S = 0.5

_TREND_KINDS = (
    Kind.HR,
    Kind.SPO2,
    Kind.NIBP_SYS,
    Kind.NIBP_DIA,
    Kind.NIBP_MAP,
    Kind.RESP_RATE,
    Kind.ETCO2,
)


class ConsoleController(
    AcquisitionCycle,
    SessionOpening,
    SessionIntents,
    SignOffIntents,
    ConsoleConfiguration,
    TrainingControls,
    QObject,
):
    """Owns the running session and carries out the nurse's intents.

    Parameters
    ----------
    store : SessionStore
        The session database.
    clock : Clock
        ``SystemClock``, ``ScaledClock`` (simulator) or ``ManualClock`` (tests).
    settings : ConsoleSettings
        Persisted console settings (devices, limits, staff name).
    simulator : bool
        Training mode: sessions use simulated devices and are marked simulated.

    Signals
    -------
    view_changed(object)
        A new :class:`ConsoleView` to draw.
    session_changed(object)
        A session was opened, resumed or closed (the ``Session`` or ``None``).
    error(str)
        An intent was refused; one clear line for the nurse.
    info(str)
        Something the nurse should know (status line).
    physiology_changed(dict)
        The simulated patient's targets changed (training): name -> final target value.
    failure(str, str, str)
        Something failed that the nurse must see in full: ``(title, message, details)``; the
        window shows it in a dialog (details: the traceback, for whoever fixes it).
    """

    view_changed = Signal(object)
    session_changed = Signal(object)
    error = Signal(str)
    info = Signal(str)
    physiology_changed = Signal(dict)
    failure = Signal(str, str, str)

    def __init__(
        self,
        store: Any,
        clock: Clock,
        settings: ConsoleSettings,
        simulator: bool = False,
        settings_saver: Callable[[ConsoleSettings], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock
        self.settings = settings
        self.simulator = simulator
        self._settings_saver = settings_saver or (lambda s: s.save())
        self.runtime: Any | None = None
        self.devices: SimulatedDevices | None = None
        self.nibp_source: Any | None = None
        self.playback: Any | None = None
        self.read_only_session: Session | None = None
        self.trends = SessionTrends()
        self.view = ConsoleView()
        self.draft = NewSessionForm()
        self.clinic = self._load_clinic()
        book = None
        if hasattr(store, "account_bodies"):
            book = AccountBook(store, clock, self.clinic.min_secret_length)
        #: Who is signed in (``sessionmon --simulator``: the built-in trainee); fills every "by".
        self.user = ConsoleUser(book)
        #: The console's lock screen is up (set by :mod:`sessionmon.ui.lock_screen`).
        self.screen_locked = False
        self.audio_unavailable_reason: str | None = None
        self._audio_alarm: AlarmItemView | None = None  # shown while no session runs
        #: ``seen_at_central(alarm_id) -> user or None``, set when a central link runs.
        self.seen_at_central: Callable[[UUID], str | None] | None = None
        self._alarm_starts: dict[str, float] = {}
        self._alarm_markers: list[TrendMarker] = []
        #: (runtime, version, next change) of the last view built from a snapshot, or None.
        self._view_made: tuple[Any, int, Any] | None = None
        self._waves_shown = 0  # the runtime's waveform blocks in the last view
        self.acquisition_timer = QTimer(self)
        self.acquisition_timer.setInterval(ACQUISITION_MS)
        self.acquisition_timer.timeout.connect(self._acquire_live)
        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.timeout.connect(self.draw_frame)
        #: Reader threads wake acquisition on arrival (only while the timers run).
        self.arrival = ArrivalWakeup(self)
        self.arrival.arrived.connect(self._acquire_on_arrival)
        self._alarms_moved = False  # set by the runtime when an alarm starts, changes or ends
        self.ticks = 0
        self._acquisition_fault: str | None = None  # the failure already told to the nurse
        self._physiology_seen: tuple[int, int] | None = None
        self._refusals: list[str] | None = None  # set while a form submits (see submit())

    # ------------------------------------------------------------------ timers

    def start_timers(self) -> None:
        """Start acquisition (10 Hz), redraw (25 Hz) and the store's background flush."""
        start_autoflush = getattr(self.store, "start_autoflush", None)
        if start_autoflush is not None:
            start_autoflush(STORE_AUTOFLUSH_S)
        self.acquisition_timer.start()
        self.frame_timer.start()

    def stop_timers(self) -> None:
        """Stop both timers."""
        self.acquisition_timer.stop()
        self.frame_timer.stop()

    def shutdown(self) -> None:
        """Stop timers and devices and commit what is buffered (the session stays open)."""
        self.stop_timers()
        self._close_runtime()

    def step(self) -> ConsoleView:
        """One acquisition tick then one redraw (what the timers do; used by tests)."""
        self.acquire()
        return self.refresh()

    # ------------------------------------------------------------------ the runtime

    def _start_runtime(
        self,
        session: Session,
        devices: SimulatedDevices | None = None,
        nibp_interval_s: float | None = None,
    ) -> None:
        from sessionmon.runtime.session_runtime import SessionRuntime

        self._close_runtime()
        if devices is None and (
            self.simulator or session.simulated or self.settings.simulated_devices
        ):
            devices = simulated_devices(self.clock)
        if devices is not None and not session.simulated and session.dose_at is None:
            # Simulated devices never make a patient record: the session is marked simulated.
            session = session.model_copy(update={"simulated": True})
        respiration = None
        if devices is not None:
            oximeter, nibp = devices.oximeter, devices.nibp
            respiration = devices.respiration
        else:
            oximeter, nibp = serial_devices(self.settings, self.clock)  # started by the factory
        if nibp_interval_s is None and self.settings.nibp_auto_interval_min:
            nibp_interval_s = self.settings.nibp_auto_interval_min * 60.0
        try:
            profile = self._profile()
            self.runtime = SessionRuntime(
                self.store,
                self.clock,
                session,
                oximeter=oximeter,
                nibp=nibp,
                respiration=respiration,
                profile=profile,
                nibp_interval_s=nibp_interval_s,
                simulated=session.simulated,
            )
        except BaseException:
            for source in (oximeter, nibp, respiration):
                if source is not None:
                    source.stop()  # no reader thread outlives a session that did not start
            raise
        self.runtime.set_data_listener(self.arrival.notify)
        self.runtime.add_alarm_listener(self._on_alarms_moved)
        self.devices = devices
        self.nibp_source = nibp
        self.read_only_session = None
        self._reset_view_state()
        self._backfill(self.runtime.session)
        if self.audio_unavailable_reason is not None:
            self.runtime.set_audio_available(False, self.audio_unavailable_reason)
        self.session_changed.emit(self.runtime.session)
        self.refresh()

    def _reset_view_state(self) -> None:
        self.trends.clear()
        self._alarm_starts.clear()
        self._alarm_markers.clear()

    def _backfill(self, session: Session) -> None:
        """Load the trends of a session that already has a record (resumed or opened)."""
        start = session.created_at
        names = {
            Kind.HR: "hr",
            Kind.SPO2: "spo2",
            Kind.NIBP_SYS: "nibp_sys",
            Kind.NIBP_DIA: "nibp_dia",
            Kind.NIBP_MAP: "nibp_map",
            Kind.RESP_RATE: "resp_rate",
            Kind.ETCO2: "etco2",
        }
        for m in self.store.measurements(session.id, kinds=list(_TREND_KINDS)):
            self.trends.add(names[m.kind], (m.received_at - start).total_seconds(), m.value)

    def _close_runtime(self) -> None:
        if self.runtime is not None:
            self._end_training(self.runtime)
            try:
                self.runtime.close()
            except UserError as exc:
                self.error.emit(str(exc))
        self.runtime = None
        self.devices = None
        self.playback = None

    def _end_training(self, runtime: Any) -> None:
        """A training session the console leaves ends (never left interrupted)."""
        if runtime.locked or not runtime.session.simulated:
            return
        from sessionmon.lifecycle import endings_for
        from sessionmon.model import SessionEnding

        how = SessionEnding.ENDED_EARLY
        if how not in endings_for(runtime.phase):
            how = SessionEnding.DOSE_NOT_GIVEN
        try:
            runtime.end_session(how, self.staff or "trainer", "training session closed")
        except UserError as exc:
            log.warning("training session not ended: %s", exc)


__all__ = [
    "ACQUISITION_MS",
    "AUDIO_ACK_WITHOUT_SESSION",
    "FRAME_MS",
    "STORE_AUTOFLUSH_S",
    "ConsoleController",
    "clinic_alarm_file",
]
