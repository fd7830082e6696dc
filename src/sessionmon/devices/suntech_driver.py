"""SunTech Advantage OEM NIBP module on a serial port: a vitals source the host drives.

The module only speaks when spoken to. A measurement is an exchange run on the link's reader
thread (:meth:`SuntechNibp.link_tick` / :meth:`SuntechNibp.link_bytes`):

1. ``request_measurement`` (any thread) -> the driver sends *start* (``3A 20 A6``);
2. while measuring it asks for the cuff pressure every ``poll_interval_s`` and reports each
   answer as a ``cuff_pressure`` reading;
3. the measurement is over when the module acknowledges ``K`` (done) or the cuff pressure falls
   back to zero after having risen; the driver then asks for the BP data;
4. the BP data gives ``nibp_sys/dia/map/hr`` readings, or an ``nibp_failed`` condition carrying
   the module's error code and its meaning.

``abort`` sends the abort command. A measurement that does not finish within
``measurement_timeout_s`` is aborted and reported failed; a module that stops answering is
reported failed too. When idle the driver asks for the cuff pressure every ``idle_poll_s`` (the
module's keep-alive): a request left unanswered for ``reply_timeout_s`` sets ``no_data`` (a
silent module, e.g. the cable pulled between adapter and module), which the runtime raises as
``nibp_disconnected``; the next reply ends it.
"""

from __future__ import annotations

import threading
from enum import StrEnum

from sessionmon.clock import Clock
from sessionmon.devices.link import READ_TIMEOUT_S, Backoff, SerialFactory, SerialLink
from sessionmon.devices.profiles import PortOverrides, get_profile
from sessionmon.devices.protocols import suntech
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.devices.serial_device import SerialSourceBase
from sessionmon.model import Kind

TC = TechnicalCondition
_START = suntech.start_adult()
_CUFF = suntech.get_cuff_pressure()
_BP_DATA = suntech.get_bp_data()
_ABORT = suntech.abort()


class Phase(StrEnum):
    """Where the driver is in a measurement exchange."""

    IDLE = "idle"
    MEASURING = "measuring"  # start sent; polling cuff pressure
    READING = "reading"  # BP data requested
    ABORTING = "aborting"


class SuntechNibp(SerialSourceBase):
    """A SunTech Advantage NIBP module (:class:`VitalsSource` and :class:`NibpControl`).

    Parameters
    ----------
    port : str
        Serial port name or path.
    clock : Clock
        Receive times and all protocol timers (poll interval, timeouts, auto interval).
    overrides : PortOverrides, optional
        Port settings that differ from the profile's (9600 8-N-1).
    poll_interval_s : float
        Cuff pressure poll period while measuring.
    reply_timeout_s : float
        How long to wait for an answer before asking again.
    max_missed_replies : int
        Unanswered requests in a row before the measurement is reported failed.
    measurement_timeout_s : float
        Longest a measurement may take before it is aborted and reported failed.
    idle_poll_s : float or None
        Cuff pressure poll period when idle (``None``: stay silent when idle).
    stall_timeout_s, backoff, serial_factory, device_id, read_timeout_s
        See :class:`~sessionmon.devices.link.SerialLink`.
    """

    def __init__(
        self,
        port: str,
        clock: Clock,
        *,
        overrides: PortOverrides | None = None,
        poll_interval_s: float = 0.5,
        reply_timeout_s: float = 1.0,
        max_missed_replies: int = 3,
        measurement_timeout_s: float = 150.0,
        idle_poll_s: float | None = 5.0,
        stall_timeout_s: float | None = 12.0,
        backoff: Backoff | None = None,
        serial_factory: SerialFactory | None = None,
        device_id: str | None = None,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        super().__init__(
            get_profile("suntech"),
            port,
            clock,
            overrides=overrides,
            # a module left silent when idle is not stalled: it only speaks when spoken to
            stall_timeout_s=stall_timeout_s if idle_poll_s is not None else None,
            backoff=backoff,
            serial_factory=serial_factory,
            device_id=device_id,
            read_timeout_s=read_timeout_s,
        )
        self.parser = self.profile.new_parser()
        self.poll_interval_s = poll_interval_s
        self.reply_timeout_s = reply_timeout_s
        self.max_missed_replies = max_missed_replies
        self.measurement_timeout_s = measurement_timeout_s
        self.idle_poll_s = idle_poll_s
        self._commands = threading.Lock()
        self._start_requested = False
        self._abort_requested = False
        self._auto_interval_s: float | None = None
        self._last_start: float | None = None
        self._phase = Phase.IDLE
        self._phase_since = 0.0
        self._awaiting: str | None = None  # what the last request asked for
        self._sent_at = 0.0
        self._last_query = 0.0
        self._missed = 0
        self._peak_cuff = 0.0
        self._low_cuff_polls = 0
        self._bp_asked_at: float | None = None

    # ------------------------------------------------------------------ NibpControl

    @property
    def measuring(self) -> bool:
        """Whether a measurement is requested or running."""
        with self._commands:
            return self._start_requested or self._phase in (Phase.MEASURING, Phase.READING)

    @property
    def phase(self) -> Phase:
        """Where the measurement exchange is now."""
        return self._phase

    def request_measurement(self) -> None:
        """Start one measurement (ignored while one runs or while the port is not open)."""
        with self._commands:
            if self._phase is Phase.IDLE and self.is_open:
                self._start_requested = True
        self.link.wake()  # the start is sent by the reader thread's next tick: now

    def abort(self) -> None:
        """Abort the running measurement (the module deflates the cuff)."""
        with self._commands:
            self._start_requested = False
            self._abort_requested = True
        self.link.wake()

    def set_auto_interval(self, seconds: float | None) -> None:
        """Measure automatically every ``seconds`` (counted from the last start); ``None`` stops."""
        if seconds is not None and seconds <= 0:
            raise ValueError(f"auto interval must be positive, got {seconds}")
        with self._commands:
            self._auto_interval_s = seconds
        self.link.wake()  # the first automatic start may be due at once

    @property
    def auto_interval_s(self) -> float | None:
        """The automatic measurement interval, or ``None``."""
        return self._auto_interval_s

    # ------------------------------------------------------------------ link callbacks

    def link_tick(self, link: SerialLink) -> float | None:
        """Run the exchange's timers: start, abort, polls, timeouts, auto interval.

        Returns when the next of them is due (clock monotonic s), or ``None``.
        """
        now = self._clock.monotonic()
        self._run_timers(link, now)
        return self._next_due(now)

    def _next_due(self, now: float) -> float | None:
        """The earliest time at which :meth:`_run_timers` has something to do by time alone."""
        dues: list[float] = []
        with self._commands:
            auto = self._auto_interval_s
            if self._start_requested or self._abort_requested:
                return now  # asked after this tick had taken the requests: at once
        phase, awaiting = self._phase, self._awaiting
        if phase is Phase.IDLE:
            if auto is not None:
                dues.append(now if self._last_start is None else self._last_start + auto)
            if self.idle_poll_s is not None and awaiting is None:
                dues.append(self._last_query + self.idle_poll_s)
        if awaiting is not None or phase is Phase.ABORTING:
            dues.append(self._sent_at + self.reply_timeout_s)
        if phase is Phase.MEASURING:
            dues.append(self._phase_since + self.measurement_timeout_s)
            if awaiting is None:
                dues.append(self._last_query + self.poll_interval_s)
        elif phase is Phase.READING and awaiting is None:
            asked = self._bp_asked_at
            dues.append(now if asked is None else asked + self.poll_interval_s)
        return min(dues) if dues else None

    def _run_timers(self, link: SerialLink, now: float) -> None:
        with self._commands:
            start, abort = self._start_requested, self._abort_requested
            self._start_requested = self._abort_requested = False
            auto = self._auto_interval_s
        if abort:
            self._send_abort(link, now)
            return
        if self._phase is Phase.IDLE:
            due = auto is not None and (self._last_start is None or now - self._last_start >= auto)
            if start or due:
                self._start(link, now)
            elif (
                self.idle_poll_s is not None
                and self._awaiting is None
                and now - self._last_query >= self.idle_poll_s
            ):
                self._ask(link, "cuff", _CUFF, now)
        if self._awaiting is not None and now - self._sent_at >= self.reply_timeout_s:
            unanswered, self._awaiting = self._awaiting, None
            self._missed += 1
            if self._phase is Phase.IDLE:
                # the idle poll is the module's keep-alive: unanswered, the module is gone
                # (cable pulled between adapter and module, module unpowered)
                self._set_condition(
                    TC.NO_DATA, True, f"module not answering (idle {unanswered} request)"
                )
            if self._missed >= self.max_missed_replies and self._phase is not Phase.IDLE:
                self._fail(f"module not answering ({self._missed} requests unanswered)")
                self._missed = 0
        if (
            self._phase is Phase.ABORTING
            and self._awaiting is None
            and now - self._sent_at >= self.reply_timeout_s
        ):
            # no "A" (aborted) within a reply timeout, only "O" or silence: nothing is running
            # any more, and a new measurement must be possible
            self._set_phase(Phase.IDLE)
        if self._phase is Phase.MEASURING:
            if now - self._phase_since >= self.measurement_timeout_s:
                self._send_abort(link, now)
                self._fail(f"measurement timed out after {self.measurement_timeout_s:g} s")
            elif self._awaiting is None and now - self._last_query >= self.poll_interval_s:
                self._ask(link, "cuff", _CUFF, now)
        elif (
            self._phase is Phase.READING
            and self._awaiting is None
            and (self._bp_asked_at is None or now - self._bp_asked_at >= self.poll_interval_s)
        ):
            self._bp_asked_at = now  # asked again if the module answers busy
            self._ask(link, "bp", _BP_DATA, now)

    def link_bytes(self, data: bytes) -> None:
        """Handle the module's replies."""
        try:
            replies = self.parser.feed_replies(data)
        except Exception:  # a parser bug must not kill the reader thread
            self.internal_errors += 1
            return
        for reply in replies:
            self._missed = 0
            self._set_condition(TC.NO_DATA, False, "module answers again")
            self._handle(reply)

    def on_link_lost(self) -> None:
        """A measurement cannot survive the link: report it failed and go idle."""
        if self._phase in (Phase.MEASURING, Phase.READING):
            self._fail("link lost during measurement")
        self._phase = Phase.IDLE
        self._awaiting = None

    # ------------------------------------------------------------------ exchange

    def _ask(self, link: SerialLink, what: str, command: bytes, now: float) -> None:
        self._awaiting = what
        self._sent_at = now
        self._last_query = now
        link.write(command)

    def _set_phase(self, phase: Phase) -> None:
        self._phase = phase
        self._phase_since = self._clock.monotonic()

    def _start(self, link: SerialLink, now: float) -> None:
        self._last_start = now
        self._peak_cuff = 0.0
        self._low_cuff_polls = 0
        self._bp_asked_at = None
        self._set_phase(Phase.MEASURING)
        self._ask(link, "start", _START, now)
        self._last_query = now  # first cuff poll one interval after the start

    def _send_abort(self, link: SerialLink, now: float) -> None:
        was_measuring = self._phase in (Phase.MEASURING, Phase.READING)
        self._set_phase(Phase.ABORTING if was_measuring else Phase.IDLE)
        self._ask(link, "abort", _ABORT, now)

    def _fail(self, detail: str) -> None:
        self._set_phase(Phase.IDLE)
        self._awaiting = None
        self._set_condition(TC.NIBP_FAILED, False, "new failure")
        self._set_condition(TC.NIBP_FAILED, True, detail)

    def _handle(self, reply: object) -> None:
        awaited, self._awaiting = self._awaiting, None
        if isinstance(reply, suntech.Ack):
            self._handle_ack(reply, awaited)
        elif isinstance(reply, suntech.CuffPressure):
            self._emit(Reading.of(Kind.CUFF_PRESSURE, reply.mmhg) or _invalid("cuff pressure"))
            self._track_cuff(reply.mmhg)
        elif isinstance(reply, suntech.BpResult):
            self._handle_result(reply)

    def _handle_ack(self, ack: suntech.Ack, awaited: str | None) -> None:
        if ack.code == "K" and self._phase is Phase.MEASURING:
            self._set_phase(Phase.READING)
        elif ack.code == "A":
            self._set_phase(Phase.IDLE)
            self._emit(Reading.of(Kind.CUFF_PRESSURE, 0.0))
        elif ack.is_error and self._phase in (Phase.MEASURING, Phase.READING):
            self._fail(f"module refused {awaited or 'command'}: {ack.meaning}")
        # "O" (received) needs nothing; "B" (busy) after start means a measurement is already
        # running (keep polling it) and after a BP data request means "not finished yet".

    def _track_cuff(self, mmhg: float) -> None:
        if self._phase is not Phase.MEASURING:
            return
        self._peak_cuff = max(self._peak_cuff, mmhg)
        if self._peak_cuff >= 20 and mmhg < 5:
            self._low_cuff_polls += 1
            if self._low_cuff_polls >= 2:  # deflated: the module has finished
                self._set_phase(Phase.READING)
        else:
            self._low_cuff_polls = 0

    def _handle_result(self, result: suntech.BpResult) -> None:
        if self._phase not in (Phase.READING, Phase.MEASURING):
            return  # an answer nobody asked for any more
        self._set_phase(Phase.IDLE)
        if result.error_code:
            self._fail(result.error)
            return
        # the one plausibility rule, shared with ``decode``: an implausible result is a failed
        # measurement, and none of its numbers reaches the record or the alarm engine
        items = suntech.decoded_of(result)
        failed = [i for i in items if isinstance(i, Condition) and i.name is TC.NIBP_FAILED]
        if failed:
            self._fail(failed[0].detail)
            return
        self._set_condition(TC.NIBP_FAILED, False, "measurement succeeded")
        for item in items:
            if isinstance(item, Reading):
                self._emit(item)


def _invalid(what: str) -> Condition:
    return Condition(TC.INVALID_VALUE, what)
