"""The session protocol at run time: protocol alarm conditions and automatic NIBP requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sessionmon.devices.source import LinkState, VitalsSource
from sessionmon.model import SessionPhase
from sessionmon.protocol import ProtocolState, SessionProtocol
from sessionmon.runtime.conditions import ConditionGate

#: Conditions the protocol raises (besides the devices' technical ones).
PROTOCOL_CONDITIONS = ("predose_bp_elevated", "bp_check_due", "bp_check_overdue")

#: After a BP is requested, ``bp_check_due`` waits this long for the result before reminding.
REQUEST_GRACE_S = 60.0

#: The protocol is evaluated at most this often (clock seconds), except right after an intent.
EVALUATE_EVERY_S = 1.0


class ProtocolDriver:
    """Evaluates the protocol's alarm conditions and asks the NIBP module for measurements.

    ``bp_check_due`` is a reminder to take a BP. While the NIBP module is measuring, or for
    :data:`REQUEST_GRACE_S` after the console asked it to (and it has neither failed nor been
    disconnected since), the BP is already on its way and the reminder is held back: otherwise
    every automatic request (IV ketamine: every 10-15 min) would chime for the 20-40 s the
    measurement takes.

    Parameters
    ----------
    protocol : SessionProtocol
        The treatment's protocol.
    gate : ConditionGate
        Receives the protocol conditions.
    nibp : VitalsSource, optional
        The NIBP module (``request_measurement`` and ``measuring`` when it supports them).
    nibp_interval_s : float, optional
        The nurse's auto-cycle interval (None: no fixed cycle).
    protocol_requests : bool
        Whether the protocol may start measurements itself (IV ketamine every 10-15 min, the
        esketamine 40-minute BP). False means "on request only": the nurse starts every BP.
    """

    def __init__(
        self,
        protocol: SessionProtocol,
        gate: ConditionGate,
        nibp: VitalsSource | None,
        nibp_interval_s: float | None,
        protocol_requests: bool = True,
    ) -> None:
        self._protocol = protocol
        self._gate = gate
        self._nibp = nibp
        self.nibp_interval_s = nibp_interval_s
        self.protocol_requests = protocol_requests
        self.last_request_at: datetime | None = None
        self._measured_since_request = False
        self._last_eval: float | None = None
        #: Called as ``on_protocol_request(at, reason)`` when the protocol itself starts a BP
        #: (not the nurse, not the nurse's auto-cycle): the runtime logs and announces it.
        self.on_protocol_request: Callable[[datetime, str], None] | None = None
        #: Why the running measurement was started by the protocol (None: by the nurse).
        self.protocol_reason: str | None = None

    def evaluate(
        self,
        state: ProtocolState,
        now: datetime,
        phase: SessionPhase,
        mono: float,
        force: bool = False,
    ) -> None:
        """Request a BP if one is due, then set the protocol conditions (at most once a second
        unless ``force``)."""
        if not force and self._last_eval is not None and mono - self._last_eval < EVALUATE_EVERY_S:
            return
        self._last_eval = mono
        if self._nibp is not None and getattr(self._nibp, "measuring", False):
            self._measured_since_request = True
        self._maybe_request_nibp(state, now, phase)
        self.set_conditions(state, now)

    def set_conditions(self, state: ProtocolState, at: datetime) -> None:
        """Set the protocol conditions as they stand at ``at`` (no NIBP request).

        The runtime calls this with the time a BP arrived, so that the conditions a BP starts
        or ends (``predose_bp_elevated``, ``bp_check_due``...) change at that moment.
        """
        active = self._protocol.active_conditions(state, at)
        if "bp_check_due" in active and self.awaiting_bp(at):
            active.discard("bp_check_due")
        for condition in PROTOCOL_CONDITIONS:
            self._gate.set(condition, condition in active, at)

    def awaiting_bp(self, now: datetime) -> bool:
        """Whether a BP is on its way: measuring now, or requested within the grace time and
        the module has not failed or been disconnected since the request."""
        nibp = self._nibp
        if nibp is None:
            return False
        if getattr(nibp, "measuring", False):
            self._measured_since_request = True
            return True
        if self._measured_since_request:
            return False  # the requested measurement has finished: its BP came or it failed
        last = self.last_request_at
        if last is None or not 0.0 <= (now - last).total_seconds() < REQUEST_GRACE_S:
            return False
        for trouble in ("nibp_failed", "nibp_disconnected"):
            since = self._gate.activated_at(trouble)
            if self._gate.is_active(trouble) or (since is not None and since >= last):
                return False  # the request failed or was lost: no BP is coming
        return True

    def note_request(self, at: datetime, protocol_reason: str | None = None) -> None:
        """A measurement was requested at ``at`` (by the nurse or automatically)."""
        self.last_request_at = at
        self._measured_since_request = False
        self.protocol_reason = protocol_reason

    def _maybe_request_nibp(self, state: ProtocolState, now: datetime, phase: SessionPhase):
        nibp = self._nibp
        if nibp is None or not hasattr(nibp, "request_measurement"):
            return
        if nibp.state is not LinkState.STREAMING or getattr(nibp, "measuring", False):
            return
        last = self.last_request_at
        due = False
        reason = None
        if self.nibp_interval_s is not None and phase is not SessionPhase.PLANNED:
            due = last is None or (now - last).total_seconds() >= self.nibp_interval_s
        if not due and self.protocol_requests and state.dose_at is not None:
            due = self._protocol.nibp_due(state, now, last)
            reason = self._reason(state, now) if due else None
        if due:
            nibp.request_measurement()  # type: ignore[attr-defined]
            self.note_request(now, reason)
            self.prompt_if_manual(now)
            if reason is not None and self.on_protocol_request is not None:
                self.on_protocol_request(now, reason)

    def _reason(self, state: ProtocolState, now: datetime) -> str:
        """Why the protocol starts a BP now, as the tile and the event say it."""
        asked = state.discharge_requested_at
        if asked is not None and asked <= now:
            return "BP before discharge"
        config = getattr(self._protocol, "config", None)
        if getattr(config, "is_infusion", False):
            return "scheduled IV ketamine BP"
        return "40-minute BP"

    def prompt_if_manual(self, at: datetime) -> None:
        """Ask the nurse to start the BP on the monitor when sessionmon cannot start it."""
        if getattr(self._nibp, "starts_measurements", True) is False:
            self._gate.set("bp_start_on_monitor", True, at, "sessionmon cannot start it")

    def bp_arrived(self, at: datetime) -> None:
        """A BP arrived: the prompt to start one on the monitor is over."""
        self._gate.set("bp_start_on_monitor", False, at)
