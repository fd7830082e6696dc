"""Speak a device's wire bytes into a pty, so the real drivers run end to end without hardware.

:class:`WireSimulator` plays one device of a supported protocol on the master side of a pty:

- an oximeter protocol: a :class:`~sessionmon.sim.SimulatedOximeter` (PPG-shaped pleth at the
  patient's heart rate, averaged HR and SpO2) is sampled at the protocol's pleth rate and its
  output turned into frames by the protocol's encoder;
- ``suntech``: the protocol's module emulator answers the host's commands (a measurement takes
  20-40 s with cuff pressure reported meanwhile) and takes its result from the patient model.

``sessionmon simulate-device`` runs one in real time; tests drive :meth:`WireSimulator.step`
with a manual clock.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sessionmon.clock import Clock
from sessionmon.devices.profiles import get_spec
from sessionmon.devices.protocols.encoding import OximeterValues
from sessionmon.devices.readings import TechnicalCondition
from sessionmon.devices.source import ConditionChange, DeviceRole, WaveformBlock
from sessionmon.model import Kind

_ONE_SECOND = timedelta(seconds=1)

#: Full scale of the simulated oximeter's pleth (its samples lie in 0..100).
SIM_PLETH_SCALE = 100.0


def _writer_for(target: Any) -> Callable[[bytes], None]:
    if isinstance(target, int):

        def write_fd(data: bytes) -> None:
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(target, view) :]
                except BlockingIOError:
                    threading.Event().wait(0.005)

        return write_fd
    if hasattr(target, "write"):
        return target.write
    if callable(target):
        return target
    raise TypeError(f"cannot write device bytes to {target!r}")


class WireSimulator:
    """One simulated device speaking its protocol's wire bytes.

    Parameters
    ----------
    protocol : str
        A protocol name from the registry.
    master : int or object with ``write(bytes)`` or callable
        Where the device bytes go: a pty master fd, a :class:`PtyPort`, or a function.
    clock : Clock
        Device time (``SystemClock`` for real time, ``ManualClock`` in tests).
    hr, spo2, sys, dia : float
        The patient's baseline (ignored when ``physiology`` is given).
    seed : int
        Seed of the patient model and the device.
    physiology : sessionmon.sim.Physiology, optional
        A patient model to follow (a scenario can change its targets while this runs).
    commanded : bool
        ``cms50-v7`` only: stream only between the host's start and stop commands and answer
        its other commands, as a real unit does (:mod:`sessionmon.sim.cms50_commands`); by
        default the oximeter streams from the start whatever the host sends.
    """

    def __init__(
        self,
        protocol: str,
        master: Any,
        clock: Clock,
        *,
        hr: float = 72.0,
        spo2: float = 98.0,
        sys: float = 124.0,
        dia: float = 78.0,
        seed: int = 0,
        physiology: Any = None,
        commanded: bool = False,
    ) -> None:
        from sessionmon.sim import Physiology, PhysiologyTargets, SimulatedOximeter
        from sessionmon.sim.cms50_commands import Cms50V7Commands

        if commanded and protocol != "cms50-v7":
            raise ValueError(f"{protocol} has no simulated stream commands")
        self.commands = Cms50V7Commands() if commanded else None

        self.spec = get_spec(protocol)
        self._seed = seed
        self.protocol = protocol
        self._write = _writer_for(master)
        self._clock = clock
        self.physiology = physiology or Physiology(
            clock, PhysiologyTargets(hr=hr, spo2=spo2, sys=sys, dia=dia), seed=seed
        )
        self.encoder = self.spec.make_encoder()
        self.bytes_out = 0
        self.frames_out = 0
        self._values: dict[Kind, float | None] = {Kind.HR: None, Kind.SPO2: None, Kind.PI: None}
        self._sensor_off = False
        self.wire_faults: set[str] = set()
        self._noise = random.Random(seed + 1)
        self._next_record: datetime | None = None
        self.oximeter: Any = None
        self.monitor: Any = None
        if protocol == "intellivue":
            from sessionmon.devices.protocols.intellivue_frame import Deframer
            from sessionmon.sim.intellivue_sim import SimulatedIntelliVue

            # a monitor only answers: the real Data Export dialog (see intellivue_sim)
            self.monitor = SimulatedIntelliVue(clock, self.physiology, seed=seed)
            self._deframer = Deframer()
        elif self.spec.role is DeviceRole.OXIMETER:
            self.oximeter = SimulatedOximeter(
                clock,
                self.physiology,
                seed=seed,
                sample_rate_hz=self.spec.pleth_rate_hz or 75.0,
                device_id=f"oximeter:wire-sim:{protocol}",
            )
            self.oximeter.start()
        else:
            self._attach_nibp_model()

    # ------------------------------------------------------------------ public

    @property
    def is_nibp(self) -> bool:
        """Whether this simulates a command/response NIBP module."""
        return self.spec.role is DeviceRole.NIBP

    def inject_fault(self, name: str, duration_s: float | None = None) -> None:
        """Inject a fault into the simulated oximeter (``"sensor_off"``) or monitor."""
        if self.monitor is not None:
            self.monitor.inject_fault("invalid" if name == "sensor_off" else name)
            return
        if self.oximeter is None:
            raise ValueError("faults apply to oximeter protocols")
        self.oximeter.inject_fault(name, duration_s)

    def clear_fault(self, name: str) -> None:
        """End a fault injected with :meth:`inject_fault` now."""
        if self.monitor is not None:
            self.monitor.clear_fault("invalid" if name == "sensor_off" else name)
            return
        if self.oximeter is None:
            raise ValueError("faults apply to oximeter protocols")
        self.oximeter.clear_fault(name)

    def set_wire_fault(self, name: str, active: bool) -> None:
        """Start or end a fault the simulator plays on the wire.

        ``noise`` (random bytes instead of frames), ``no_value`` (SpO2 and pulse sent as the
        device's "no value" marker), ``fast`` (every frame 100 times) or ``silent`` (nothing
        sent, no command answered).
        """
        if name not in ("noise", "no_value", "fast", "silent"):
            raise ValueError(f"unknown wire fault {name!r}")
        if active:
            self.wire_faults.add(name)
        else:
            self.wire_faults.discard(name)

    def step(self) -> int:
        """Send everything the device would have sent up to the clock's now.

        Returns
        -------
        int
            Bytes written.
        """
        if self.monitor is not None:
            return 0  # the monitor sends only answers (see receive)
        data = self._nibp_tick() if self.is_nibp else self._oximeter_bytes()
        if self.commands is not None and not self.commands.streaming:
            data = b""  # the unit measures on but sends nothing until told to
        data = self._apply_wire_faults(data)
        if data:
            self._write(data)
            self.bytes_out += len(data)
        return len(data)

    def receive(self, data: bytes) -> int:
        """Handle bytes the host sent (commands); write any reply. Returns bytes written."""
        if not data:
            return 0
        if self.monitor is not None:
            from sessionmon.devices.protocols.intellivue_frame import frame

            messages = self._deframer.feed(data)
            reply = b"".join(frame(r) for m in messages for r in self.monitor.handle(m))
        elif self.is_nibp:
            reply = self._nibp_receive(data)
        elif self.commands is not None:
            reply = self.commands.feed(data)
        else:
            reply = b""  # oximeters stream regardless of start / keep-alive commands
        reply = self._apply_wire_faults(reply)
        if reply:
            self._write(reply)
            self.bytes_out += len(reply)
        return len(reply)

    def run(
        self,
        stop: threading.Event,
        read_host: Callable[[float], bytes] | None = None,
        period_s: float = 0.02,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        """Stream in real time until ``stop`` is set.

        Host bytes are read via ``read_host``; ``on_tick`` runs before each step (timed faults).
        """
        while not stop.is_set():
            if on_tick is not None:
                on_tick()
            if read_host is not None:
                self.receive(read_host(0.0))
            self.step()
            stop.wait(period_s)

    def _apply_wire_faults(self, data: bytes) -> bytes:
        faults = self.wire_faults
        if not data or not faults:
            return data
        if "silent" in faults:
            return b""
        if "noise" in faults:
            return self._noise.randbytes(len(data))
        if "fast" in faults:
            return data * 100
        return data

    # ------------------------------------------------------------------ oximeter

    def _oximeter_bytes(self) -> bytes:
        out = bytearray()
        pleth_max = float(self.spec.pleth_max or 127)
        streaming = self.spec.pleth_rate_hz is not None
        for output in self.oximeter.poll():
            item = output.item
            if isinstance(item, WaveformBlock):
                if streaming:
                    samples = [s * pleth_max / SIM_PLETH_SCALE for s in item.samples]
                    out += self._frames(samples, output.at)
                    self.frames_out += len(samples)
            elif isinstance(item, ConditionChange):
                if item.condition is TechnicalCondition.SENSOR_OFF:
                    self._sensor_off = item.active
                    if item.active:
                        self._values = dict.fromkeys(self._values)
            elif getattr(item, "kind", None) in self._values:
                self._values[item.kind] = item.value
            if not streaming:
                out += self._once_a_second(output.at)
        if not streaming:
            out += self._once_a_second(self._clock.now())
        return bytes(out)

    def _once_a_second(self, at: datetime) -> bytes:
        if self._next_record is None:
            self._next_record = at
        out = b""
        while at >= self._next_record:
            out += self._frames((), self._next_record)
            self.frames_out += 1
            self._next_record = self._next_record.replace(microsecond=0) + _ONE_SECOND
        return out

    def _frames(self, samples: Any, at: datetime) -> bytes:
        hr, spo2, pi = self._values[Kind.HR], self._values[Kind.SPO2], self._values[Kind.PI]
        if "no_value" in self.wire_faults:
            hr = spo2 = None
        values = OximeterValues(
            None if hr is None else round(hr),
            None if spo2 is None else round(spo2),
            samples,
            pi,
            sensor_off=self._sensor_off,
            device_time=at,
        )
        return self.encoder.encode(values)

    # ------------------------------------------------------------------ NIBP (SunTech)

    def _attach_nibp_model(self) -> None:
        self._rng = random.Random(self._seed)
        self._measure_start: float | None = None
        self._measure_s = 0.0
        self._peak = 0.0

    def _nibp_receive(self, data: bytes) -> bytes:
        reply = self.encoder.feed(data)
        if self.encoder.measuring and self._measure_start is None:
            self._measure_start = self._clock.monotonic()
            self._measure_s = self._rng.uniform(20.0, 40.0)
            state = self.physiology.state_at(self._clock.now())
            self._peak = min(300.0, state.sys + self._rng.uniform(20.0, 40.0))
        elif not self.encoder.measuring:
            self._measure_start = None  # aborted
        return reply

    def _nibp_tick(self) -> bytes:
        """Move the cuff pressure along and finish the measurement when its time has come."""
        if self._measure_start is None or not self.encoder.measuring:
            return b""
        elapsed = self._clock.monotonic() - self._measure_start
        inflate_s = min(8.0, self._measure_s / 3)
        if elapsed < inflate_s:
            self.encoder.set_cuff_pressure(self._peak * elapsed / inflate_s)
            return b""
        if elapsed < self._measure_s:
            left = (self._measure_s - elapsed) / (self._measure_s - inflate_s)
            self.encoder.set_cuff_pressure(self._peak * left)
            return b""
        self._measure_start = None
        state = self.physiology.state_at(self._clock.now())
        systolic = round(state.sys + self._rng.gauss(0.0, 3.0))
        diastolic = round(state.dia + self._rng.gauss(0.0, 2.0))
        self.frames_out += 1
        return self.encoder.finish(
            systolic, diastolic, round(diastolic + (systolic - diastolic) / 3), round(state.hr)
        )
