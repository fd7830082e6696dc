"""The console controller: turns the widgets' intents into runtime calls and publishes views.

Widgets never talk to the core. They emit signals; the main window connects them to the methods
here. The controller owns the session runtime, calls its ``tick`` from an acquisition timer and
publishes a :class:`~sessionmon.ui.viewmodel.ConsoleView` from a separate frame timer (25 Hz), so
painting never holds up acquisition. While the timers run, a serial device's reader thread also
wakes acquisition the moment a reading arrives (:mod:`sessionmon.ui.arrival`), so the alarm engine
sees it then, not at the next tick. Tests call :meth:`ConsoleController.step` instead of running
the timers, with a ``ManualClock``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from PySide6.QtCore import QObject, QTimer, Signal

from sessionmon.accounts.book import AccountBook
from sessionmon.accounts.console_user import ConsoleUser
from sessionmon.accounts.model import Role
from sessionmon.clinic import ClinicSettings
from sessionmon.clock import Clock
from sessionmon.errors import UserError
from sessionmon.model import Kind, Session, SessionPhase
from sessionmon.ui import adapter
from sessionmon.ui.arrival import ArrivalWakeup
from sessionmon.ui.debrief import Debrief, build_debrief
from sessionmon.ui.forms import (
    TREATMENT_LABELS,
    NewSessionForm,
    PatientDetailsForm,
    course_plan_from_form,
    session_from_form,
    validate_new_session,
)
from sessionmon.ui.settings import ConsoleSettings
from sessionmon.ui.sources import SimulatedDevices, serial_devices, simulated_devices
from sessionmon.ui.trend_buffer import SessionTrends
from sessionmon.ui.viewmodel import (
    AlarmItemView,
    AudioView,
    ConsoleView,
    DischargeView,
    HeaderView,
    TrendMarker,
)

log = logging.getLogger(__name__)

ACQUISITION_MS = 100
#: What Acknowledge says with no session open and the alarm sound unavailable.
AUDIO_ACK_WITHOUT_SESSION = "AUDIO UNAVAILABLE acknowledged (no session open: nothing recorded)."
FRAME_MS = 40  # 25 Hz redraw

#: The store's background flush: buffered samples are committed once the oldest is this many real
#: seconds old, so a crash loses well under a second of them (issue 10 item 6).
STORE_AUTOFLUSH_S = 0.5

#: Far enough ahead that every physiology ramp has ended (reads the final targets).
_FAR_FUTURE = timedelta(days=3650)

_TREND_KINDS = (
    Kind.HR,
    Kind.SPO2,
    Kind.NIBP_SYS,
    Kind.NIBP_DIA,
    Kind.NIBP_MAP,
    Kind.RESP_RATE,
    Kind.ETCO2,
)


def clinic_alarm_file() -> str | None:
    """Return the clinic's alarm settings file ``alarms.toml`` in the settings folder, if any."""
    from sessionmon.paths import config_dir

    path = config_dir() / "alarms.toml"
    return str(path) if path.is_file() else None


class ConsoleController(QObject):
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
        self.acquisition_timer = QTimer(self)
        self.acquisition_timer.setInterval(ACQUISITION_MS)
        self.acquisition_timer.timeout.connect(self._acquire_live)
        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.timeout.connect(self.refresh)
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

    # ------------------------------------------------------------------ acquisition and views

    def acquire(self) -> None:
        """Drain the devices into the record, alarms and protocol (acquisition timer).

        A failure is told to the nurse once (not ten times a second) and the timer keeps
        running, so acquisition resumes by itself when the cause goes away. An unexpected
        error is logged with its traceback and shown too: the console is never silently stuck.
        """
        if self.runtime is None or self.runtime.locked:
            return
        try:
            if self.playback is not None:
                self.playback.advance()
            self.runtime.tick()
        except UserError as exc:
            self._acquisition_failed(str(exc))
            return
        except Exception as exc:
            log.exception("acquisition tick failed")
            self._acquisition_failed(f"Monitoring error, readings may not update: {exc}")
            return
        self.ticks += 1
        if self._acquisition_fault is not None:
            self._acquisition_fault = None
            self.info.emit("Monitoring running again.")

    def _acquire_on_arrival(self) -> None:
        """A source has new data: acquire now (live console only; tests drive :meth:`step`)."""
        if self.acquisition_timer.isActive():
            self._acquire_live()

    def _acquire_live(self) -> None:
        """Acquire; an alarm that started, changed or ended is drawn now, not at the next frame."""
        self._alarms_moved = False
        self.acquire()
        if self._alarms_moved:
            self._alarms_moved = False
            self.refresh()

    def _on_alarms_moved(self, active: list[Any]) -> None:
        self._alarms_moved = True

    def _acquisition_failed(self, message: str) -> None:
        if message != self._acquisition_fault:
            self._acquisition_fault = message
            self.error.emit(message)

    def refresh(self) -> ConsoleView:
        """Build the view of the session now and publish it (frame timer)."""
        if self.runtime is None:
            view = self.view if self.read_only_session is not None else ConsoleView()
        else:
            snapshot = self.runtime.snapshot()
            adapter.feed_trends(self.trends, snapshot)
            view = adapter.console_view(snapshot)
            self._note_alarm_markers(view, snapshot)
            if self._alarm_markers:
                markers = tuple(
                    sorted(view.markers + tuple(self._alarm_markers), key=lambda m: m.t_s)
                )
                view = _replace(view, markers=markers)
        if self.seen_at_central is not None and self.runtime is not None and view.alarms:
            view = _replace(view, alarms=self._with_seen_at_central(view.alarms))
        if self.audio_unavailable_reason is not None and view.audio.state != "unavailable":
            # Never show AUDIO ON when sound cannot play, whether or not a session is open.
            view = _replace(view, audio=AudioView("unavailable"))
        no_engine = self.runtime is None or self.runtime.locked
        shown = any(a.condition == "audio_unavailable" for a in view.alarms)
        if no_engine and self._audio_alarm is not None and not shown:
            # no alarm engine raises audio_unavailable: the bar must not say "No active alarms"
            view = _replace(view, alarms=(*view.alarms, self._audio_alarm))
        self.view = view
        self._publish_physiology()
        self.view_changed.emit(view)
        return view

    def _with_seen_at_central(self, items: tuple) -> tuple:
        """The alarm items with who saw them at the central station (the central link's)."""
        ids = {a.condition: a.alarm_id for a in self.runtime.engine.active_alarms}
        seen = self.seen_at_central
        return tuple(
            _replace(item, seen_by=seen(ids[item.condition]) or "")
            if item.condition in ids
            else item
            for item in items
        )

    def _note_alarm_markers(self, view: ConsoleView, snapshot: Any) -> None:
        start = snapshot.session.created_at
        for alarm in snapshot.alarms:
            key = str(alarm.alarm_id)
            if key in self._alarm_starts:
                continue
            t_s = (alarm.started_at - start).total_seconds()
            self._alarm_starts[key] = t_s
            label = adapter.CONDITION_TEXT.get(alarm.condition, alarm.condition)
            self._alarm_markers.append(TrendMarker(t_s, "alarm", label))

    @property
    def has_session(self) -> bool:
        """Whether a live session is running."""
        return self.runtime is not None

    # ------------------------------------------------------------------ sessions

    def today(self) -> date:
        """Today's local date by the injected clock."""
        return self.clock.now().astimezone().date()

    def new_session(self, form: NewSessionForm) -> Session | None:
        """Start a session from a validated new-session form; keeps the form as the draft.

        Refused while another patient's session is being monitored (it would be left open).
        """
        self.draft = form
        if self._refuse_leaving_patient():
            return None
        errors = validate_new_session(form, self.today())
        if errors:
            self._refused(next(iter(errors.values())))
            return None
        session = session_from_form(form, self.clock.now(), simulated=self.simulator)
        if self.clinic.name and not session.clinic:
            session = session.model_copy(update={"clinic": self.clinic.name})
        try:
            session = self._join_course(session, course_plan_from_form(form))
            self._start_runtime(session)
        except UserError as exc:
            self._refused(str(exc))
            return None
        except Exception as exc:
            self._failed("The session could not start", exc)
            return None
        self.draft = NewSessionForm()
        return session

    def _join_course(self, session: Session, plan: Any = None) -> Session:
        """The session in its patient's open treatment course (a new course opened with
        ``plan`` if none is open)."""
        from sessionmon.course.enrol import link_to_course
        from sessionmon.course.plan import indication_text

        linked, course = link_to_course(self.store, session, plan)
        held = len(self.store.course_sessions(course))
        self.info.emit(
            f"Treatment course {indication_text(course)} from "
            f"{course.started_on.isoformat()}: session {held + 1}."
        )
        return linked

    def course_details(self, pseudonym: str) -> dict[str, Any]:
        """What a new session of ``pseudonym`` carries forward from their open course ({}: none);
        ``course`` is that course."""
        from sessionmon.course.enrol import carried_forward

        course = self.store.open_course(pseudonym.strip()) if pseudonym.strip() else None
        return {} if course is None else {**carried_forward(self.store, course), "course": course}

    def record_questionnaire(
        self, scale_id: str, answers: dict[int, int], context: str = "pre-session"
    ) -> Any | None:
        """Record an outcome questionnaire (PHQ-9, GAD-7...) or the 0-10 anxiety rating."""
        return self._intent(
            lambda rt: rt.record_questionnaire(
                scale_id, {str(k): v for k, v in answers.items()}, by=self.staff, context=context
            )
        )

    def start_simulated_session(
        self,
        pseudonym: str = "SIM-0001",
        treatment: str = "esketamine-84",
        baseline: dict[str, float] | None = None,
        scenario: Any | None = None,
        seed: int = 7,
        respiration: bool | None = None,
    ) -> Session:
        """Start a training session with a simulated patient (optionally playing a scenario).

        ``respiration`` adds the simulated capnograph (default: yes, unless the scenario's
        ``[devices] respiration = false``)."""
        form = NewSessionForm(
            pseudonym=pseudonym,
            date_of_birth="1980-01-01",
            sex="unknown",
            treatment=treatment,
            dose_mg={"esketamine-56": "56", "esketamine-84": "84"}.get(treatment, "35"),
            lot_number="TRAINING",
            monitoring_provider="Training",
        )
        session = session_from_form(form, self.clock.now(), simulated=True)
        if scenario is not None:
            session = session.model_copy(update={"scenario": scenario.name})
        if respiration is None:
            respiration = bool(getattr(getattr(scenario, "devices", None), "respiration", True))
        devices = simulated_devices(self.clock, baseline, seed, respiration=respiration)
        interval = getattr(getattr(scenario, "nibp", None), "interval", None)
        self._start_runtime(session, devices=devices, nibp_interval_s=interval)
        if scenario is not None:
            from sessionmon.ui.training import ScenarioPlayback

            self.playback = ScenarioPlayback(scenario, devices, self.clock, self.clock.now())
        return session

    def run_scenario(self, scenario_id: str) -> Session | None:
        """Start a new training session that plays the built-in scenario ``scenario_id``."""
        refusal = self.user.refusal(Role.TRAINER, doing="run training scenarios")
        if refusal:
            self._refused(refusal)
            return None
        from sessionmon.scenarios.loader import load_scenario

        try:
            scenario = load_scenario(scenario_id)
        except UserError as exc:
            self.error.emit(str(exc))
            return None
        if self._refuse_leaving_patient():
            return None
        self._close_runtime()
        base = scenario.baseline
        try:
            return self.start_simulated_session(
                pseudonym=scenario.patient.pseudonym,
                treatment=scenario.treatment.value,
                baseline={
                    "hr": base.hr,
                    "spo2": base.spo2,
                    "sys": base.sys,
                    "dia": base.dia,
                    "resp_rate": base.resp_rate,
                    "etco2": base.etco2,
                },
                scenario=scenario,
                seed=scenario.seed,
            )
        except UserError as exc:
            self.error.emit(str(exc))
            return None

    def _failed(self, title: str, exc: BaseException) -> None:
        """Tell an unexpected failure in full: a dialog (with the traceback) and the form."""
        import traceback

        log.exception(title)
        message = f"{title}: {type(exc).__name__}: {exc}"
        details = "".join(traceback.format_exception(exc))
        self.failure.emit(title, message, details)
        self._refused(message)

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

    def _profile(self) -> Any:
        from sessionmon.alarms import default_profile, load_profile

        profile = default_profile()
        path = self.settings.alarm_profile_path or clinic_alarm_file()
        if path:
            try:
                profile = load_profile(path)
            except UserError as exc:
                self.error.emit(f"{exc}; using the default alarm profile")
        if self.settings.alarm_limits:
            try:
                profile = profile.with_overrides(self.settings.alarm_limits)
            except UserError as exc:
                self.error.emit(f"saved alarm limits ignored: {exc}")
        return profile

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

    def interrupted_sessions(self) -> list[Any]:
        """The sessions a crash left interrupted, newest first (empty if they cannot be read)."""
        try:
            found = [s for s in self.store.list_sessions() if s.phase is SessionPhase.INTERRUPTED]
        except UserError as exc:
            self.error.emit(f"Interrupted sessions not listed: {exc}")
            return []
        return sorted(found, key=lambda s: s.created_at, reverse=True)

    def end_interrupted_training(self) -> int:
        """Training sessions a crash left interrupted end (the simulator never resumes them).

        Returns how many were ended; the status line says so.
        """
        from sessionmon.runtime.unmonitored_ending import end_recorded_session

        ended = 0
        for summary in self.interrupted_sessions():
            if not summary.simulated:
                continue
            how = "ended_early" if summary.dose_at else "dose_not_given"
            why = "the training console stopped without closing this session"
            try:
                end_recorded_session(self.store, self.clock, summary.id, how, "trainer", why)
            except UserError as exc:
                log.warning("interrupted training session not ended: %s", exc)
                continue
            ended += 1
        if ended:
            self.info.emit(f"Ended {ended} training session(s) left open by an earlier crash.")
        return ended

    def end_session(
        self, how: str, by: str, reason: str, destination: str | None = None
    ) -> Any | None:
        """End the live session other than by discharge (closed and locked)."""
        by = self.user.by(by)
        self._remember_staff(by)
        event = self._intent(lambda rt: rt.end_session(how, by, reason, destination))
        if event is not None:
            self.session_changed.emit(self.runtime.session)
            self.info.emit(f"Session ended: {event.text}. The record is locked.")
        return event

    def _refuse_leaving_patient(self) -> bool:
        """Refuse (with a message) to replace a patient session still being monitored.

        Opening or resuming another session closes the running one: its vitals and alarms
        would silently leave the screen. A training session may be left at any time.
        """
        runtime = self.runtime
        if runtime is None or runtime.locked or runtime.session.simulated:
            return False
        self._refused(
            f"Session {runtime.session.patient.pseudonym} is being monitored: sign it off or"
            " end it (Session > End session...) before opening another session."
        )
        return True

    def resume_session(self, session_id: UUID) -> Session | None:
        """Resume an interrupted session (devices reconnect from the saved setup)."""
        if self._refuse_leaving_patient():
            return None
        try:
            session = self.store.resume_session(session_id)
            self._start_runtime(session)
        except UserError as exc:
            self.error.emit(str(exc))
            return None
        except Exception as exc:
            self._failed("The session could not resume", exc)
            return None
        self.info.emit(f"Resumed session {session.patient.pseudonym}")
        return session

    def open_read_only(self, session_id: UUID) -> Session | None:
        """Show a past session's record (trends and events), read-only."""
        if self._refuse_leaving_patient():
            return None
        try:
            session = self.store.get_session(session_id)
            events = self.store.events(session.id)
        except (UserError, KeyError, LookupError) as exc:
            self.error.emit(str(exc))
            return None
        self._close_runtime()
        self._reset_view_state()
        try:
            self._backfill(session)
        except UserError as exc:
            self.error.emit(f"Trends of this session not shown: {exc}")
        self.read_only_session = session
        start = session.created_at
        markers = tuple(
            TrendMarker(
                (e.at - start).total_seconds(),
                adapter.marker_kind(e.kind.value),
                e.text or e.kind.value,
            )
            for e in events
            if e.kind.value in ("dose_given", "checklist", "annotation")
        )
        end = session.ended_at or start
        self.view = ConsoleView(
            header=HeaderView(
                pseudonym=f"{session.patient.pseudonym} (read-only)",
                treatment=TREATMENT_LABELS.get(session.treatment.protocol, ""),
                phase=adapter.PHASE_TEXT.get(session.phase, session.phase.value),
                since_dose="",
                simulated=session.simulated,
                locked=session.phase is SessionPhase.CLOSED,
            ),
            markers=markers,
            session_start=start,
            now=end,
            dose_at=session.dose_at,
        )
        self.session_changed.emit(session)
        self.refresh()
        return session

    # ------------------------------------------------------------------ intents

    def _refused(self, message: str) -> None:
        """Tell a refusal: to the submitting form (see :meth:`submit`), else the status line."""
        if self._refusals is not None:
            self._refusals.append(message)
        else:
            self.error.emit(message)

    def _intent(self, action: Callable[[Any], Any]) -> Any | None:
        if self.runtime is None:
            self._refused(
                "This session is read-only." if self.read_only_session else "Start a session first."
            )
            return None
        try:
            result = action(self.runtime)
        except UserError as exc:
            self._refused(str(exc))
            return None
        self.refresh()
        return result

    def submit(self, intent: Callable[[], Any]) -> str | None:
        """Carry out a form's intent (a controller method call); return the refusal, if any.

        A form calls this instead of closing first: when the core refuses (a locked session,
        a value it rejects) the message comes back here, not on the status line, so the form
        can show it in place and keep everything that was typed.

        Returns
        -------
        str or None
            The first refusal message, or None when the intent was carried out.
        """
        outer, self._refusals = self._refusals, []
        try:
            result = intent()
            refusals = self._refusals
        finally:
            self._refusals = outer
        if refusals:
            return refusals[0]
        if result is None:
            return "Not recorded; try again."
        return None

    @property
    def staff(self) -> str | None:
        """Who is acting: the signed-in user, else the last name entered, else None."""
        return self.user.by(self.settings.staff_name or None)

    def acknowledge(self) -> Any | None:
        """Acknowledge every active alarm (button or F1; recorded as such on the lock screen)."""
        standing = self._audio_alarm
        if self.runtime is None and standing is not None and not standing.acknowledged:
            # no session: the bar's AUDIO UNAVAILABLE is acknowledged on screen (no record)
            self._audio_alarm = _replace(standing, acknowledged=True)
            self.info.emit(AUDIO_ACK_WITHOUT_SESSION)
            self.refresh()
            return None
        if self.screen_locked:
            return self._intent(lambda rt: rt.acknowledge(by=self.staff, while_locked=True))
        return self._intent(lambda rt: rt.acknowledge(by=self.staff))

    def pause_audio(self) -> Any | None:
        """Pause alarm audio for 2 minutes (button or F2)."""
        if self.screen_locked:
            return self._intent(lambda rt: rt.pause_audio(by=self.staff, while_locked=True))
        return self._intent(lambda rt: rt.pause_audio(by=self.staff))

    def measure_bp(self) -> Any | None:
        """Start an NIBP measurement now."""
        return self._intent(lambda rt: rt.measure_bp(by=self.staff))

    def stop_bp(self) -> None:
        """Abort the running NIBP measurement."""
        nibp = self.nibp_source if self.runtime is not None else None
        if nibp is not None and hasattr(nibp, "abort"):
            nibp.abort()
            self.refresh()

    def set_nibp_interval(self, minutes: int | None) -> Any | None:
        """Set the NIBP auto-cycle (minutes, or None for off); remembered for next sessions."""
        result = self._intent(
            lambda rt: rt.set_nibp_interval(minutes * 60.0 if minutes else None, by=self.staff)
        )
        if result is not None:
            self.settings.nibp_auto_interval_min = minutes
            self._save_settings(self.settings)
        return result

    def start_baseline(self) -> Any | None:
        """Start the pre-dose checks."""
        return self._intent(lambda rt: rt.start_baseline(by=self.staff))

    def dose(
        self, by: str, note: str = "", *, confirm_unanswered: bool = False, **details: Any
    ) -> Any | None:
        """Record that a dose (a nasal device, the infusion start) was given now by ``by``.

        ``details``: ``lot_number``, and for IV ``weight_kg``, ``mg_per_kg``, ``dose_mg``,
        ``rate_mg_per_h`` (see :meth:`SessionRuntime.dose`).
        """
        by = self.user.by(by)
        self._remember_staff(by)
        return self._intent(
            lambda rt: rt.dose(
                by=by, text=note or None, confirm_unanswered=confirm_unanswered, **details
            )
        )

    def stop_infusion(self, by: str, note: str = "") -> Any | None:
        """Record that the IV infusion stopped now."""
        by = self.user.by(by)
        return self._intent(lambda rt: rt.stop_infusion(by=by, text=note or None))

    def record_waste(self, amount_mg: float, witness: str, by: str, **details: Any) -> Any | None:
        """Record drug wasted with its witness (controlled-substance log)."""
        by = self.user.by(by)
        return self._intent(lambda rt: rt.record_waste(amount_mg, witness, by=by, **details))

    def record_safety_checklist(self, answers: dict[str, str | None]) -> Any | None:
        """Record the pre-session safety checklist (item key -> yes / no / None)."""
        return self._intent(lambda rt: rt.record_safety_checklist(answers, by=self.staff))

    def override_contraindication(self, prescriber: str, reason: str) -> Any | None:
        """A prescriber allows the dose despite a contraindication, with a reason."""
        refusal = self.user.refusal(Role.PRESCRIBER, doing="override a contraindication")
        if refusal:
            self._refused(refusal)
            return None
        prescriber = self.user.by(prescriber)
        return self._intent(lambda rt: rt.override_contraindication(prescriber, reason))

    def record_checklist(self, scale_id: str, answers: dict[int, int]) -> Any | None:
        """Record a checklist from item answers (item number -> score)."""
        return self._intent(
            lambda rt: rt.record_checklist(
                scale_id, {str(k): v for k, v in answers.items()}, by=self.staff
            )
        )

    def record_manual_bp(self, sys: float, dia: float, map_: float | None = None) -> Any | None:
        """Record a BP taken with a manual cuff (counts for the BP checks and alarms)."""
        event = self._intent(lambda rt: rt.record_bp(sys, dia, by=self.staff, map_=map_))
        if event is not None:
            self.info.emit(f"Manual BP {sys:g}/{dia:g} recorded.")
        return event

    def annotate(self, text: str) -> Any | None:
        """Add a note to the record."""
        return self._intent(lambda rt: rt.annotate(text, by=self.staff))

    def attempt_discharge(self) -> DischargeView | None:
        """Evaluate the discharge criteria now (recorded); returns what the dialog shows."""
        decision = self._intent(lambda rt: rt.attempt_discharge(by=self.staff))
        return adapter.discharge_view(decision) if decision is not None else None

    def override_discharge(self, by: str, reason: str) -> Any | None:
        """A clinician allows a refused discharge with a written reason (recorded)."""
        refusal = self.user.refusal(Role.PRESCRIBER, doing="override a refused discharge")
        if refusal:
            self._refused(refusal)
            return None
        by = self.user.by(by)
        return self._intent(lambda rt: rt.override_discharge(by, reason))

    # ------------------------------------------------------------------ clinic and REMS

    def _load_clinic(self) -> ClinicSettings:
        try:
            return ClinicSettings.load()
        except UserError as exc:
            log.error("clinic settings not loaded: %s", exc)
            return ClinicSettings()

    def save_clinic(self, clinic: ClinicSettings) -> None:
        """Keep the clinic settings (validated by the model) in the settings folder.

        Raises
        ------
        UserError
            The file cannot be written.
        """
        try:
            clinic.save()
        except OSError as exc:
            raise UserError(f"cannot save the clinic settings: {exc.strerror or exc}") from None
        self.clinic = clinic
        self.info.emit("Clinic settings saved.")

    def rems_sign_off(self) -> dict[str, Any] | None:
        """What the sign-off dialog asks for the REMS form (None: no form for this session).

        Returns
        -------
        dict or None
            ``suggestion`` (computed minutes until ready, or None), ``questions`` (id, label,
            what the record shows, what it suggests) for each yes/no the record cannot
            support, ``setting`` (from the clinic settings) and ``staff`` (for the picker).
        """
        from sessionmon.export.rems import QUESTIONS

        rt = self.runtime
        if rt is None or rt.locked:
            return None
        session = rt.session
        if session.simulated or session.treatment.drug.value != "esketamine":
            return None
        form = rt.rems_form()
        return {
            "suggestion": form.minutes_until_ready_suggested,
            "questions": [
                (q, QUESTIONS[q], form.finding(q).details, form.finding(q).suggestion)
                for q in form.open_questions
            ],
            "setting": self.clinic.setting(),
            "setting_missing": self.clinic.missing,
            "staff": list(self.clinic.staff),
        }

    def sign(
        self, by: str, rems: dict[str, Any] | None = None, pin: str | None = None
    ) -> Any | None:
        """Sign off: the session is closed and its record locked (with the REMS entries).

        A signed-in member of staff signs electronically: ``pin`` (their password or PIN) is
        checked again, and the manifest (printed name, role, UTC and local time, meaning, the
        audit head it binds to) is recorded with the sign-off.
        """
        by = self.user.by(by)
        signature = None
        account = self.user.account
        if account is not None and not account.built_in:
            if not pin:
                self._refused("Enter your password or PIN: signing re-asks it.")
                return None
            try:
                self.user.check(pin, "signature")
            except UserError as exc:
                self._refused(str(exc))
                return None
            from sessionmon.accounts.signature import manifest

            signature = lambda head: manifest(account, self.clock.now(), head)  # noqa: E731
        self._remember_staff(by)
        event = self._intent(lambda rt: rt.sign(by, rems, signature=signature))
        if event is not None:
            self.session_changed.emit(self.runtime.session)  # clears the message line first
            self.info.emit(f"Session signed by {by} and locked.")
        return event

    def missing_rems_fields(self) -> list[str]:
        """The REMS-required details the running session still lacks, as the nurse names them.

        Empty for training and ketamine sessions, and when no live session is open.
        """
        from sessionmon.runtime.patient_details import FIELD_LABELS

        if self.runtime is None or self.runtime.locked:
            return []
        return [FIELD_LABELS[name] for name in self.runtime.missing_rems_fields()]

    def patient_details_form(self) -> PatientDetailsForm | None:
        """The Patient details form filled from the running session (None: no live session)."""
        if self.runtime is None:
            return None
        return PatientDetailsForm.of(self.runtime.session, self.staff or "")

    def update_patient_details(self, form: PatientDetailsForm) -> Any | None:
        """Correct the running session's patient details (a new session version and an event)."""
        by = self.user.by(form.by.strip())
        event = self._intent(lambda rt: rt.update_patient_details(by, **form.fields()))
        if event is not None:
            self._remember_staff(by)
            self.session_changed.emit(self.runtime.session)
            self.info.emit(f"Patient details corrected by {by}.")
        return event

    def set_alarm_limits(self, overrides: dict[str, Any], profile: Any) -> Any | None:
        """Apply validated alarm-limit changes to the session and remember them.

        Remembering them changes this console's alarm defaults for every later session (the
        clinic alarm profile in force here): with accounts, only an admin may, and each change
        is recorded in the audited clinic-changes log with the defaults before and after. Any
        signed-in user may change the running session's limits.
        """
        result = self._intent(lambda rt: rt.set_alarm_limits(self.staff, **overrides))
        if result is not None:
            refusal = self.user.refusal(Role.ADMIN, doing="change the clinic alarm defaults")
            if refusal:
                self.info.emit(f"Alarm limits changed for this session only. {refusal}")
                return result
            before = dict(self.settings.alarm_limits)
            merged = dict(before)
            merged.update(overrides)
            self.settings.alarm_limits = merged
            if self.user.signed_in and not self.simulator:
                self.user.audit_change(self.store, "alarm_defaults", before, merged)
            self._save_settings(self.settings)
        return result

    def alarm_limits_refusal(self) -> str | None:
        """Why the alarm limits cannot be changed now (None when they can)."""
        if self.read_only_session is not None:
            return "This session is read-only: its alarm limits cannot be changed."
        if self.runtime is not None and self.runtime.locked:
            return "This session is closed: its alarm limits cannot be changed."
        return None

    def alarm_settings_file(self) -> str | None:
        """The clinic alarm settings file the profile is read from, if any."""
        path = self.settings.alarm_profile_path or clinic_alarm_file()
        return str(path) if path else None

    def current_profile(self) -> Any:
        """The alarm profile in force (the session's, or the configured one)."""
        if self.runtime is not None:
            return self.runtime.profile
        return self._profile()

    def _save_settings(self, settings: ConsoleSettings) -> bool:
        """Write ``settings``; a failure (read-only or full disk) is told, never raised.

        Saving is a side effect of intents (the dose, a sign-off): it must never stop them.
        """
        try:
            self._settings_saver(settings)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("settings not saved: %s", exc)
            self.error.emit(f"Console settings not saved: {exc}")
            return False
        return True

    def save_settings(self) -> bool:
        """Write the console settings now; returns whether they were saved."""
        return self._save_settings(self.settings)

    def _remember_staff(self, name: str) -> None:
        if self.user.signed_in:
            return  # the signed-in user is named, not remembered
        name = name.strip()
        if name and name != self.settings.staff_name:
            self.settings.staff_name = name
            self._save_settings(self.settings)

    def report_audio_unavailable(self, reason: str) -> None:
        """Sound cannot play: raise the technical alarm ``audio_unavailable`` (never silent)."""
        if self._audio_alarm is None or reason != self.audio_unavailable_reason:
            rule = self._profile().rule("audio_unavailable")
            self._audio_alarm = adapter.audio_alarm_without_session(rule, reason)
        self.audio_unavailable_reason = reason
        self.info.emit(f"Alarm audio unavailable: {reason}")
        if self.runtime is not None and not self.runtime.locked:
            self.runtime.set_audio_available(False, reason)
        self.refresh()

    # ------------------------------------------------------------------ training

    def set_speed(self, speed: float) -> None:
        """Run simulated time at ``speed`` x (ScaledClock only)."""
        if hasattr(self.clock, "set_speed"):
            self.clock.set_speed(float(speed))

    def set_paused(self, paused: bool) -> None:
        """Pause or resume simulated time (ScaledClock only)."""
        if paused and hasattr(self.clock, "pause"):
            self.clock.pause()
        elif not paused and hasattr(self.clock, "resume"):
            self.clock.resume()

    def inject_fault(self, device: str, fault: str) -> None:
        """Inject a device fault in the simulated session (``clear:<fault>`` ends one)."""
        if self.devices is None:
            self.error.emit("Faults can only be injected into a simulated session.")
            return
        target = {
            "oximeter": self.devices.oximeter,
            "nibp": self.devices.nibp,
            "respiration": self.devices.respiration,
        }.get(device)
        if target is None:
            self.error.emit(f"There is no simulated {device} in this session.")
            return
        try:
            if fault.startswith("clear:"):
                target.clear_fault(fault.removeprefix("clear:"))
            else:
                target.inject_fault(fault)
        except (ValueError, UserError) as exc:
            self.error.emit(str(exc))
            return
        self.info.emit(f"Injected {fault} on the {device}")

    def change_physiology(self, targets: dict[str, float], over_s: float) -> None:
        """Ramp the simulated patient's vital signs to ``targets`` over ``over_s`` seconds."""
        if self.devices is None:
            self.error.emit("Physiology can only be changed in a simulated session.")
            return
        try:
            self.devices.physiology.set_targets(at=self.clock.now(), over_s=over_s, **targets)
        except (ValueError, UserError) as exc:
            self.error.emit(str(exc))

    def physiology_targets(self) -> dict[str, float] | None:
        """The simulated patient's targets once every ramp has finished (None: no simulation)."""
        physiology = self.devices.physiology if self.devices is not None else None
        if physiology is None:
            return None
        final = physiology.targets_at(self.clock.now() + _FAR_FUTURE)
        return {name: float(getattr(final, name)) for name in ("hr", "spo2", "sys", "dia")}

    def _publish_physiology(self) -> None:
        physiology = self.devices.physiology if self.devices is not None else None
        seen = (id(physiology), physiology.revision) if physiology is not None else None
        if seen == self._physiology_seen:
            return
        self._physiology_seen = seen
        targets = self.physiology_targets()
        if targets is not None:
            self.physiology_changed.emit(targets)

    def debrief(self) -> Debrief | None:
        """Alarm response times and check timeliness of the current session."""
        session = self.runtime.session if self.runtime else self.read_only_session
        if session is None:
            self.error.emit("Start a session first.")
            return None
        checks = self.runtime.snapshot().checks if self.runtime else ()
        try:
            alarms = self.store.alarms(session.id)
        except UserError as exc:
            self.error.emit(str(exc))
            return None
        return build_debrief(alarms, checks, session.created_at)


def _replace(view: ConsoleView, **changes: Any) -> ConsoleView:
    from dataclasses import replace

    return replace(view, **changes)
