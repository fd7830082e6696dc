"""Philips IntelliVue monitor (Data Export) as one vitals source filling several roles.

:class:`IntelliVueMonitor` runs the client dialog (:class:`~sessionmon.devices.protocols.
intellivue_client.ClientDialog`) over either transport the programming guide defines:

- **MIB/RS232**: a serial port at 115200 8-N-1 through the shared
  :class:`~sessionmon.devices.link.SerialLink`; messages are framed (BOF/EOF, transparency, FCS);
- **LAN**: UDP to the monitor's protocol port 24105 through :class:`~sessionmon.devices.udp_link.
  UdpLink` (a port written ``udp:HOST[:PORT]``, or ``udp:auto`` to find the monitor from the
  connect indication it sends to UDP 24005); one datagram is one message.

The monitor is the session's oximeter, its NIBP and its respiration source at once
(:attr:`IntelliVueMonitor.roles`). It cannot start a blood pressure measurement (the Data
Export interface reads the monitor's NBP, it does not start it): :attr:`starts_measurements`
is ``False`` and :meth:`request_measurement` only records that the nurse has to start it on the
monitor, which the runtime shows as a prompt. A monitor that stops answering stalls the link
(``no_data``, a technical alarm) and is associated again; when it answers, polls resume.
"""

from __future__ import annotations

from typing import Any

from sessionmon.clock import Clock
from sessionmon.devices.intellivue_discovery import CONNECT_INDICATION_PORT
from sessionmon.devices.link import Backoff, SerialFactory
from sessionmon.devices.profiles import PortOverrides, get_profile
from sessionmon.devices.protocols import intellivue as iv
from sessionmon.devices.protocols.intellivue_client import AlarmList, ClientDialog, Phase, Wave
from sessionmon.devices.protocols.intellivue_frame import Deframer, frame
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.devices.serial_device import SerialSourceBase
from sessionmon.devices.source import DeviceAlarms, DeviceRole, WaveformBlock
from sessionmon.devices.udp_link import UdpLink

TC = TechnicalCondition

#: What one IntelliVue supplies in a session.
MONITOR_ROLES = (DeviceRole.OXIMETER, DeviceRole.NIBP, DeviceRole.RESPIRATION)


def is_udp(port: str) -> bool:
    """Whether a port setting names the LAN transport (``udp:HOST[:PORT]``)."""
    return port.lower().startswith("udp:")


class IntelliVueMonitor(SerialSourceBase):
    """A Philips IntelliVue MP/MX/X2/X3 read through its Data Export interface.

    Parameters
    ----------
    port : str
        A serial port (MIB/RS232) or ``udp:HOST[:PORT]`` (LAN).
    clock : Clock
        Receive times and every protocol timer.
    poll_period_s : float
        Numerics poll period.
    wave_period_s : float or None
        Waves (pleth, CO2) poll period; ``None`` does not poll waves.
    alarm_period_s : float or None
        Alarm list poll period; ``None`` does not poll alarms.
    answer_timeout_s : float
        Associate again after this long without an answer.
    stall_timeout_s : float
        Seconds without a byte before ``no_data`` (the technical alarm).
    """

    starts_measurements = False

    def __init__(
        self,
        port: str,
        clock: Clock,
        *,
        overrides: PortOverrides | None = None,
        poll_period_s: float = 1.0,
        wave_period_s: float | None = 0.5,
        alarm_period_s: float | None = 2.0,
        answer_timeout_s: float = 2.0,
        refused_retry_s: float = 5.0,
        stall_timeout_s: float | None = 2.0,
        backoff: Backoff | None = None,
        serial_factory: SerialFactory | None = None,
        device_id: str | None = None,
        indication_port: int | None = CONNECT_INDICATION_PORT,
        **_ignored: Any,
    ) -> None:
        super().__init__(
            get_profile("intellivue"),
            port,
            clock,
            overrides=overrides,
            stall_timeout_s=stall_timeout_s,
            backoff=backoff,
            serial_factory=serial_factory,
            device_id=device_id or f"monitor:intellivue:{port}",
        )
        self.transport = "udp" if is_udp(port) else "rs232"
        if self.transport == "udp":
            self.link: Any = UdpLink(
                port,
                clock,
                self,
                stall_timeout_s=stall_timeout_s,
                backoff=backoff,
                indication_port=indication_port,
            )
        self.dialog = ClientDialog(
            poll_period_s=poll_period_s,
            wave_period_s=wave_period_s,
            alarm_period_s=alarm_period_s,
            answer_timeout_s=answer_timeout_s,
            refused_retry_s=refused_retry_s,
        )
        self._deframer = Deframer()
        self.start_requested = False
        self.messages_in = 0
        self.bad_messages = 0
        self._invalid_detail = ""

    # ------------------------------------------------------------------ roles and NIBP

    @property
    def roles(self) -> tuple[DeviceRole, ...]:
        """Oximeter, NIBP and respiration: one monitor fills them all."""
        return MONITOR_ROLES

    @property
    def measuring(self) -> bool:
        """Whether the monitor reports an NBP measurement in progress."""
        return self.dialog.decoder.nibp_measuring

    def request_measurement(self) -> None:
        """Note that a BP is wanted: the nurse starts it on the monitor (sessionmon cannot)."""
        self.start_requested = True

    def abort(self) -> None:
        """Nothing to abort from here: the monitor runs its own NBP."""
        self.start_requested = False

    @property
    def associated(self) -> bool:
        """Whether the association is open and the monitor is being polled."""
        return self.dialog.phase is Phase.POLLING

    # ------------------------------------------------------------------ link callbacks

    def _send(self, messages: list[bytes]) -> None:
        for message in messages:
            self.link.write(message if self.transport == "udp" else frame(message))

    def link_opened(self, link: Any) -> None:
        """Associate as soon as the port / socket is open."""
        self._deframer = Deframer()
        self._send(self.dialog.start(self._clock.monotonic()))

    def link_monitor_announced(self, link: Any, host: str) -> None:
        """The monitor sent its connect indication (LAN): found (``udp:auto``) or just
        restarted. Associate now unless an association is open or on its way (the monitor
        announces itself until it has answered our request)."""
        if self.dialog.phase in (Phase.IDLE, Phase.REFUSED):
            self._send(self.dialog.start(self._clock.monotonic()))

    def stop(self) -> None:
        """Release the association (if open), then close the link; idempotent."""
        if self.is_open:
            self._send(self.dialog.stop())
        super().stop()

    def link_tick(self, link: Any) -> float | None:
        """Send what the dialog says is due (polls, keep-alive, a new association).

        Returns when the dialog's next timer is due (clock monotonic s), or ``None``.
        """
        now = self._clock.monotonic()
        self._send(self.dialog.tick(now))
        return self.dialog.next_due(now)

    def link_bytes(self, data: bytes) -> None:
        """Decode the monitor's messages and queue what they mean."""
        messages = [data] if self.transport == "udp" else self._deframer.feed(data)
        for message in messages:
            try:
                send, parsed = self.dialog.receive(message, self._clock.monotonic())
            except iv.MessageError:
                self.bad_messages += 1
                continue
            except Exception:  # a codec bug must not kill the reader thread
                self.internal_errors += 1
                continue
            self.messages_in += 1
            self._send(send)
            for item in parsed:
                self._handle(item)

    def on_link_lost(self) -> None:
        """The port went away: the association is gone with it."""
        self.dialog.phase = Phase.IDLE
        self._invalid_detail = ""

    # ------------------------------------------------------------------ what messages mean

    def _handle(self, message: iv.Message) -> None:
        if isinstance(message, iv.AssociationResult):
            if message.accepted:
                self._set_condition(TC.NO_DATA, False, "associated")
            else:
                self._set_condition(
                    TC.NO_DATA,
                    True,
                    "the monitor refused the association (is Data Export enabled on this "
                    "interface, and no other client connected?)",
                )
            return
        if not isinstance(message, iv.PollResult):
            return
        now = self._now()
        with self._lock:
            invalid: set[str] = set()
            for item in self.dialog.decoder.decode(message):
                if isinstance(item, Reading):
                    self._queue_reading(item, now)
                elif isinstance(item, Condition):
                    invalid.add(item.detail)
                elif isinstance(item, Wave):
                    self._emit(WaveformBlock(item.samples, item.sample_rate_hz, item.kind), now)
                elif isinstance(item, AlarmList):
                    self._emit(DeviceAlarms(item.alarms), now)
            if message.obj_class == 6:  # numerics: the invalid set is complete
                detail = "; ".join(sorted(invalid))
                if detail != self._invalid_detail:
                    self._set_condition(TC.INVALID_VALUE, False, "values again")
                    if detail:
                        self._set_condition(TC.INVALID_VALUE, True, detail)
                    self._invalid_detail = detail

    def _queue_reading(self, reading: Reading, now: Any) -> None:
        self._emit(reading, now)
        if reading.kind.value == "nibp_sys":
            self.start_requested = False
