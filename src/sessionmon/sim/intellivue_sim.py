"""A simulated Philips IntelliVue speaking the real Data Export protocol.

:class:`SimulatedIntelliVue` answers a client exactly as a monitor does (association, MDS create
event, poll results; see :class:`~sessionmon.devices.protocols.intellivue_monitor.
MonitorSession`) with values from the physiology model: ECG HR, pleth pulse, SpO2, NBP (an
automatic cycle and :meth:`~SimulatedIntelliVue.start_nibp`, as a nurse pressing Start on the
monitor), airway RR, etCO2 and inspired CO2, the pleth and CO2 waves, and the monitor's own alarm
list. Faults: ``refuse`` (association refused), ``silent`` (the monitor stops answering),
``invalid`` (numerics exported as invalid / NaN) and, in the transports, ``unplug``.

Transports: :class:`PtyTransport` (MIB/RS232 framing on a pty) and :class:`UdpTransport` (one
datagram per message on 127.0.0.1, protocol port 24105 unless moved). Each is stepped with
:meth:`step`; :meth:`run` steps it in real time until stopped.
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
from datetime import datetime
from typing import Any

from sessionmon.clock import Clock
from sessionmon.devices.protocols import intellivue as iv
from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.protocols.intellivue_frame import Deframer, frame
from sessionmon.devices.protocols.intellivue_monitor import MonitorSession, SimNumeric, SimWave
from sessionmon.devices.udp_link import PROTOCOL_PORT

#: Faults the simulated monitor can show (``unplug`` is the transport's).
FAULTS = ("refuse", "silent", "invalid", "unplug")

PLETH_RATE_HZ = 125.0
CO2_RATE_HZ = 62.5
#: Default end-tidal CO2 when the physiology model has none, mmHg.
DEFAULT_ETCO2 = 38.0
#: The raw range of the simulated CO2 wave (0..4095 is 0..100 mmHg).
CO2_SCALE = (0.0, 100.0, 0, 4095)
PLETH_SCALE = (0.0, 100.0, 0, 4095)
_WAVE_KEEP_S = 2.0


#: The simulated monitor's desaturation limit: below it "Desat" (high priority), below 90 %
#: "SpO2 Low" (medium). A simulator choice (docs/decisions/resp.md).
DESAT_LIMIT = 80


class SimulatedIntelliVue:
    """The monitor: values from the physiology model, answers from a :class:`MonitorSession`.

    Parameters
    ----------
    clock : Clock
        Device time.
    physiology : sessionmon.sim.Physiology, optional
        The patient (default: a stable adult).
    nibp_interval_s : float or None
        The monitor's NBP auto cycle (``None``: only :meth:`start_nibp`).
    nibp_first_s : float
        When the first automatic NBP starts.
    """

    def __init__(
        self,
        clock: Clock,
        physiology: Any = None,
        *,
        seed: int = 0,
        nibp_interval_s: float | None = 300.0,
        nibp_first_s: float = 2.0,
        nibp_duration_s: float = 25.0,
    ) -> None:
        from sessionmon.sim import Physiology, PhysiologyTargets

        self._clock = clock
        self.physiology = physiology or Physiology(
            clock, PhysiologyTargets(hr=72, spo2=98, sys=124, dia=78), seed=seed
        )
        self.session = MonitorSession()
        self._started = clock.monotonic()
        self._last_wave = self._started
        self._pleth: list[int] = []
        self._co2: list[int] = []
        self.nibp_interval_s = nibp_interval_s
        self.nibp_duration_s = nibp_duration_s
        self._next_nibp: float | None = self._started + nibp_first_s
        self._nibp_started: float | None = None
        self.faults: set[str] = set()
        self.protocol = "intellivue"
        self.is_nibp = False
        self.messages_in = 0
        self.messages_out = 0

    # ------------------------------------------------------------------ faults and controls

    def inject_fault(self, name: str, duration_s: float | None = None) -> None:
        """Start a fault: ``refuse``, ``silent`` or ``invalid`` (``unplug``: the transport)."""
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        self.faults.add(name)
        self._apply_faults()

    def clear_fault(self, name: str) -> None:
        """End a fault."""
        self.faults.discard(name)
        self._apply_faults()

    def _apply_faults(self) -> None:
        self.session.refuse_association = "refuse" in self.faults
        self.session.silent = "silent" in self.faults

    def start_nibp(self) -> None:
        """Start an NBP measurement, as the nurse pressing Start on the monitor."""
        if self._nibp_started is None:
            self._nibp_started = self._clock.monotonic()

    # ------------------------------------------------------------------ time

    def relative_time(self) -> int:
        """The monitor's relative time, 1/8 ms since it started."""
        return round((self._clock.monotonic() - self._started) * iv.RELATIVE_TICKS_PER_S)

    def now(self) -> datetime:
        """The monitor's clock."""
        return self._clock.now()

    # ------------------------------------------------------------------ the dialog

    def handle(self, message: bytes) -> list[bytes]:
        """Answer one client message (values brought up to now first)."""
        self.messages_in += 1
        self.update()
        replies = self.session.handle(message, self.relative_time(), self.now())
        if not self.session.waves:
            self._pleth.clear()
            self._co2.clear()
        self.messages_out += len(replies)
        return replies

    def update(self) -> None:
        """Bring the exported values, waves, NBP and alarm list up to the clock's now."""
        mono = self._clock.monotonic()
        state = self.physiology.state_at(self.now())
        etco2 = float(getattr(state, "etco2", DEFAULT_ETCO2))
        rr = float(state.resp_rate)
        invalid = "invalid" in self.faults
        flag = nom.MS_INVALID if invalid else 0

        def numeric(physio: int, value: float, unit: int, label: int, decimals: int = 0):
            shown = None if invalid else value
            self.session.set_numeric(SimNumeric(physio, shown, unit, label, flag, decimals))

        numeric(nom.NOM_ECG_CARD_BEAT_RATE, round(state.hr), nom.NOM_DIM_BEAT_PER_MIN, 0x00024182)
        numeric(nom.NOM_PLETH_PULS_RATE, round(state.hr), nom.NOM_DIM_BEAT_PER_MIN, 0x00024822)
        numeric(nom.NOM_PULS_OXIM_SAT_O2, round(state.spo2), nom.NOM_DIM_PERCENT, 0x00024BB8)
        numeric(nom.NOM_AWAY_RESP_RATE, round(rr), nom.NOM_DIM_RESP_PER_MIN, 0x00025012)
        numeric(nom.NOM_AWAY_CO2_ET, round(etco2), nom.NOM_DIM_MMHG, 0x000250B0)
        numeric(nom.NOM_AWAY_CO2_INSP_MIN, 0, nom.NOM_DIM_MMHG, 0x000250BA)
        self._update_nibp(mono, state)
        self._update_waves(mono, state.hr, rr, etco2)
        alarms = []
        if invalid:
            alarms.append(iv.DeviceAlarm(nom.NOM_PULS_OXIM_SAT_O2, 1, 2, 0, "SpO2 Interference"))
        elif state.spo2 < DESAT_LIMIT:  # a red alarm on the monitor
            alarms.append(iv.DeviceAlarm(nom.NOM_PULS_OXIM_SAT_O2, 2, 1024, 0, "Desat"))
        elif state.spo2 < 90:  # a yellow one
            alarms.append(iv.DeviceAlarm(nom.NOM_PULS_OXIM_SAT_O2, 3, 512, 0, "SpO2 Low"))
        self.session.set_alarms(alarms)

    def _update_nibp(self, mono: float, state: Any) -> None:
        if self._next_nibp is not None and mono >= self._next_nibp:
            self.start_nibp()
            self._next_nibp = None if self.nibp_interval_s is None else mono + self.nibp_interval_s
        if self._nibp_started is None:
            return
        if mono - self._nibp_started < self.nibp_duration_s:
            # measuring: the last result (if any) stays, with "measurement ongoing" set
            self.session.nibp_state = nom.MS_MSMT_ONGOING
            if self.session.nibp is None:
                self.session.set_nibp(None, None, None, None)
            return
        self._nibp_started = None
        self.session.nibp_state = 0
        self.session.set_nibp(round(state.sys), round(state.dia), round(state.map), self.now())

    def _update_waves(self, mono: float, hr: float, rr: float, etco2: float) -> None:
        span = min(_WAVE_KEEP_S, mono - self._last_wave)
        t0 = self._last_wave - self._started
        n_pleth = int(span * PLETH_RATE_HZ)
        if n_pleth <= 0:
            return
        beat_hz, breath_hz = hr / 60.0, rr / 60.0
        for i in range(n_pleth):
            t = t0 + i / PLETH_RATE_HZ
            phase = (t * beat_hz) % 1.0
            value = math.exp(-(((phase - 0.2) / 0.09) ** 2)) + 0.35 * math.exp(
                -(((phase - 0.5) / 0.12) ** 2)
            )
            self._pleth.append(max(0, min(4095, round(400 + 3000 * value))))
        for i in range(int(span * CO2_RATE_HZ)):
            t = t0 + i / CO2_RATE_HZ
            phase = (t * breath_hz) % 1.0
            level = etco2 if 0.1 < phase < 0.55 else 0.0  # expiration plateau, then inspiration
            self._co2.append(round(level / 100.0 * 4095))
        self._last_wave += n_pleth / PLETH_RATE_HZ
        keep_p, keep_c = int(_WAVE_KEEP_S * PLETH_RATE_HZ), int(_WAVE_KEEP_S * CO2_RATE_HZ)
        del self._pleth[:-keep_p]
        del self._co2[:-keep_c]
        invalid = nom.MS_INVALID if "invalid" in self.faults else 0
        self.session.set_wave(
            SimWave(nom.NOM_PLETH, tuple(self._pleth), 1 / PLETH_RATE_HZ, PLETH_SCALE, 0x24BB4)
        )
        self.session.set_wave(
            SimWave(
                nom.NOM_AWAY_CO2, tuple(self._co2), 1 / CO2_RATE_HZ, CO2_SCALE, 0x250AC, invalid
            )
        )


class PtyTransport:
    """The simulated monitor's MIB/RS232 port on a pty (115200 8-N-1 framing).

    Parameters
    ----------
    monitor : SimulatedIntelliVue
        The monitor.
    pty : PtyPort
        The pty whose slave the client opens.
    """

    def __init__(self, monitor: SimulatedIntelliVue, pty: Any) -> None:
        self.monitor = monitor
        self.pty = pty
        self.deframer = Deframer()
        self.bytes_out = 0

    @property
    def path(self) -> str:
        """The port a client opens."""
        return self.pty.path

    def step(self) -> int:
        """Answer what the client sent since the last step; returns bytes written."""
        data = self.pty.read_available()
        written = 0
        for message in self.deframer.feed(data):
            for reply in self.monitor.handle(message):
                out = frame(reply)
                if self.pty.plugged:
                    self.pty.write(out)
                    written += len(out)
        self.bytes_out += written
        return written

    def unplug(self) -> None:
        """Pull the cable (the pty closes)."""
        self.pty.unplug(remove_link=False)

    def replug(self) -> None:
        """Put the cable back (a fresh pty behind the same link)."""
        self.pty.replug()
        self.deframer = Deframer()

    def run(self, stop: threading.Event, period_s: float = 0.005, on_tick: Any = None) -> None:
        """Answer in real time until ``stop`` is set."""
        while not stop.is_set():
            if on_tick is not None:
                on_tick()
            if self.pty.plugged:
                self.step()
            stop.wait(period_s)

    def close(self) -> None:
        """Close the pty."""
        self.pty.close()


class UdpTransport:
    """The simulated monitor's LAN interface: UDP on ``host:port`` (default 127.0.0.1:24105).

    ``unplug`` closes the socket (the client hears nothing); ``replug`` opens it again.
    """

    def __init__(
        self, monitor: SimulatedIntelliVue, host: str = "127.0.0.1", port: int = PROTOCOL_PORT
    ) -> None:
        self.monitor = monitor
        self.host = host
        self.port = port
        self.sock: socket.socket | None = None
        self.bytes_out = 0
        self.replug()
        assert self.sock is not None
        self.port = self.sock.getsockname()[1]  # port 0: the one the system chose

    @property
    def path(self) -> str:
        """The port setting a client uses (as :attr:`address`)."""
        return self.address

    @property
    def address(self) -> str:
        """The port setting a client uses: ``udp:HOST:PORT``."""
        return f"udp:{self.host}:{self.port}"

    def replug(self) -> None:
        """Open (or reopen) the socket on the protocol port."""
        if self.sock is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.setblocking(False)
        self.sock = sock

    def unplug(self) -> None:
        """Close the socket: the monitor is gone from the network."""
        sock, self.sock = self.sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def step(self) -> int:
        """Answer every datagram waiting; returns bytes sent."""
        sock = self.sock
        if sock is None:
            return 0
        written = 0
        while True:
            try:
                data, client = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break  # e.g. ICMP unreachable from an earlier reply: the client went away
            for reply in self.monitor.handle(data):
                with contextlib.suppress(OSError):
                    written += sock.sendto(reply, client)
        self.bytes_out += written
        return written

    def run(self, stop: threading.Event, period_s: float = 0.005, on_tick: Any = None) -> None:
        """Answer in real time until ``stop`` is set."""
        import select

        while not stop.is_set():
            if on_tick is not None:
                on_tick()
            sock = self.sock
            if sock is None:
                stop.wait(period_s)
                continue
            with contextlib.suppress(OSError, ValueError):
                select.select([sock], [], [], period_s)
            self.step()

    def announce(self, to: tuple[str, int]) -> int:
        """Send the monitor's connect indication to ``to`` (a real monitor sends it to UDP
        24005 on its LAN) from the protocol socket; returns the bytes sent."""
        from sessionmon.devices.intellivue_discovery import announce

        sock = self.sock
        if sock is None:
            return 0
        sent = announce(sock, self.monitor.relative_time(), to)
        self.bytes_out += sent
        return sent

    def close(self) -> None:
        """Close the socket."""
        self.unplug()
