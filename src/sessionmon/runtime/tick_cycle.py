"""What one tick of the runtime does, and the automatic lifecycle moves it makes.

:class:`TickCycle` is the part of :class:`~sessionmon.runtime.SessionRuntime` that drains the
sources into the store and the alarm engine, evaluates the protocol, moves the lifecycle on its own
(dosing complete, discharge criteria met or no longer met), raises or ends ``storage_failure``,
and brings everything up to date right after a nurse's intent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sessionmon.model import Measurement, SessionPhase
from sessionmon.store import StoreError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.runtime.wiring import RuntimeWiring

    _Base = RuntimeWiring
else:
    _Base = object

# The runtime's one logger, named as before it was split into parts.
log = logging.getLogger("sessionmon.runtime.session_runtime")

P = SessionPhase

#: While observing, the discharge criteria are re-checked at once when a BP, a checklist or a
#: latched alarm changes, or the minimum observation ends; otherwise this often (clock seconds).
DISCHARGE_EVALUATE_EVERY_S = 5.0


class TickCycle(_Base):
    """The tick of a running session and its automatic phase changes."""

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
        self._note_nibp_shown()
        self._notify_alarms()

    def _note_nibp_shown(self) -> None:
        """Count a change of what the NIBP tile shows that the module keeps itself (measuring,
        streaming) or the protocol driver (why the console started it, the auto-cycle)."""
        nibp = self._nibp
        shown = (
            bool(getattr(nibp, "measuring", False)) if nibp is not None else False,
            nibp.state if nibp is not None else None,
            self._driver.protocol_reason,
            self._driver.nibp_interval_s,
        )
        if shown != self._nibp_shown:
            self._nibp_shown = shown
            self._view_changes.bump()

    def _update_storage_failure(self, now: datetime) -> None:
        """Raise ``storage_failure`` while writes do not reach the disk; end it once they do."""
        problem = self._pending_storage_failure or getattr(self._store, "write_problem", None)
        self._pending_storage_failure = None
        self._gate.set("storage_failure", problem is not None, now, problem or "saving again")

    def _after_intent(self, now: datetime) -> None:
        """Bring the protocol conditions and the alarms up to date right after an intent."""
        self._view_changes.bump()
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
