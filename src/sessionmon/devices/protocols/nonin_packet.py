"""The 25-frame packet shared by Nonin data formats #2 and #7.

Each 5-byte frame carries a STATUS byte, a pleth sample and one FLOAT byte whose meaning depends
on the frame's place in the packet; frame 1 has the STATUS SYNC bit set.

STATUS: bit 7 always 1; bit 6 sensor disconnect; bit 5 artifact; bit 4 out of track; bit 3
sensor alarm (finger out); bits 2-1 perfusion (01 green, 11 yellow, 10 red); bit 0 SYNC.

FLOAT by frame: 1, 2 HR MSB / LSB (``HR = ((MSB & 3) << 7) | (LSB & 0x7F)``, 511 = missing);
3 SpO2 (4-beat average, 127 = missing); 4 firmware revision; 8 STAT2 (bit 5 SmartPoint, bit 0
low battery); 9-11 SpO2-D / fast / beat-to-beat; 14, 15 extended HR; 16, 17 extended SpO2 /
SpO2-D; 20-23 HR-D and extended HR-D.

Frames before the first SYNC cannot be placed: their FLOAT is ignored (their pleth sample and
status flags are still good). A frame dropped in place (bad checksum, next frame right after
it) keeps the count; after a resync the packet position is unknown until the next SYNC.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sessionmon.devices.protocols.base import (
    TC,
    FrameParser,
    ValueGate,
    clamp_int,
    conditions_of,
    value_or_invalid,
)
from sessionmon.devices.protocols.encoding import OximeterEncoderBase, OximeterValues
from sessionmon.devices.protocols.fast_runs import good_run
from sessionmon.devices.readings import Condition, Decoded, ParserStats
from sessionmon.model import Kind

#: Data formats a 9560-style unit can be switched to with :func:`format_select_command`.
SELECTABLE_FORMATS = (0x02, 0x07, 0x08, 0x0D)
ACK = 0x06
NAK = 0x15
FRAMES_PER_PACKET = 25
HR_MISSING = 511
SPO2_MISSING = 127
FIRMWARE_REVISION = 0x2A
_STAT2_FRAME = 8


def format_select_command(data_format: int) -> bytes:
    """Return ``02 70 02 02 ZZ 03``, which switches a Nonin 9560 to data format ``ZZ``.

    The device answers ``ACK`` (0x06) or ``NAK`` (0x15).
    """
    if data_format not in SELECTABLE_FORMATS:
        raise ValueError(f"data format must be one of {SELECTABLE_FORMATS}")
    return bytes((0x02, 0x70, 0x02, 0x02, data_format, 0x03))


def status_conditions(status: int) -> tuple[Condition, ...]:
    """Return the conditions set in a STATUS byte (looked up: called for every frame)."""
    return _STATUS_CONDITIONS[status & 0xFF]


def _status_conditions(status: int) -> list[Condition]:
    return conditions_of(
        (
            (bool(status & 0x40), TC.SENSOR_OFF, "sensor disconnect"),
            (bool(status & 0x08), TC.SENSOR_OFF, "sensor alarm"),
            (bool(status & 0x20), TC.ARTIFACT, "artifact"),
            (bool(status & 0x10), TC.ARTIFACT, "out of track"),
            ((status & 0x06) == 0x04, TC.LOW_PERFUSION, "perfusion red"),
        )
    )


_STATUS_CONDITIONS = [tuple(_status_conditions(s)) for s in range(256)]


class PacketTracker:
    """Places frames in their packet and decodes the numerics once a packet's STAT2 is in.

    Parameters
    ----------
    stats : ParserStats
        Where to count frames that could not be placed (``extra["unplaced_frames"]``).
    numerics_every : int
        Emit unchanged HR / SpO2 once every this many packets (3 = about once a second).
    """

    def __init__(self, stats: ParserStats, numerics_every: int = 3) -> None:
        self._stats = stats
        self._frame_no: int | None = None
        self._slots: dict[int, int] = {}
        self._gate = ValueGate(numerics_every)

    def skip_frame(self) -> None:
        """Step over one frame dropped in place (failed checksum): the position still holds."""
        if self._frame_no is not None:
            self._frame_no += 1
            if self._frame_no > FRAMES_PER_PACKET:
                self._frame_no = None

    def lose_place(self) -> None:
        """Forget the packet position (a frame was dropped)."""
        self._frame_no = None
        self._slots.clear()

    def restart(self) -> None:
        """A new connection: forget the packet position and the value filter."""
        self.lose_place()
        self._gate.reset()

    def frames(
        self,
        out: list[list[Decoded]],
        heads: list[tuple[Decoded, ...]],
        statuses: np.ndarray,
        values: np.ndarray,
    ) -> None:
        """Take a run of frames: append each frame's ``head`` plus the numerics it completed.

        The same as :meth:`frame` for each frame in turn, computed for the whole run at once:
        a frame's place is counted from the last SYNC before it (or from the place the run
        started at), and only the STAT2 frames, one in 25, are looked at one by one.
        """
        count = len(statuses)
        index = np.arange(count)
        last_sync = np.maximum.accumulate(np.where((statuses & 0x01) != 0, index, -1))
        start = FRAMES_PER_PACKET + 1 if self._frame_no is None else self._frame_no
        numbers = np.where(last_sync >= 0, index - last_sync + 1, start + index + 1)
        unplaced = int(np.count_nonzero(numbers > FRAMES_PER_PACKET))
        items = list(map(list, heads))
        slots = self._slots
        if (numbers == _STAT2_FRAME).any():
            held = values.tolist()
            for i in np.flatnonzero(numbers == _STAT2_FRAME).tolist():
                packet = [
                    held[j] if j >= 0 else slots.get(slot)
                    for slot, j in ((1, i - 7), (2, i - 6), (3, i - 5))
                ]
                numerics = self._numerics_of(*packet, held[i])
                if numerics:
                    items[i] += numerics
        first = 0
        if last_sync[-1] >= 0:
            first = int(last_sync[-1])
            slots.clear()
        for j in range(first, min(count, first + FRAMES_PER_PACKET)):
            number = int(numbers[j])
            if number <= FRAMES_PER_PACKET:
                slots[number] = int(values[j])
        last = int(numbers[-1])
        self._frame_no = last if last <= FRAMES_PER_PACKET else None
        out += items
        if unplaced:
            extra = self._stats.extra
            extra["unplaced_frames"] = extra.get("unplaced_frames", 0) + unplaced

    def frame(self, status: int, value: int) -> list[Decoded]:
        """Take one frame's STATUS and FLOAT; return the numerics completed by it."""
        if status & 0x01:
            self._frame_no = 1
            self._slots.clear()
        elif self._frame_no is not None:
            self._frame_no += 1
            if self._frame_no > FRAMES_PER_PACKET:
                self._frame_no = None
        if self._frame_no is None:
            extra = self._stats.extra
            extra["unplaced_frames"] = extra.get("unplaced_frames", 0) + 1
            return []
        self._slots[self._frame_no] = value
        if self._frame_no != _STAT2_FRAME:
            return []
        return self._numerics(value)

    def _numerics(self, stat2: int) -> list[Decoded]:
        slots = self._slots
        return self._numerics_of(slots.get(1), slots.get(2), slots.get(3), stat2)

    def _numerics_of(
        self, msb: int | None, lsb: int | None, spo2: int | None, stat2: int
    ) -> list[Decoded]:
        """The numerics of a packet from its FLOAT bytes 1-3 (``None``: not received)."""
        out: list[Decoded] = []
        passes = self._gate.passes
        if msb is not None and lsb is not None:
            hr_value, item = _HR_OF[((msb & 0x03) << 7) | (lsb & 0x7F)]
            if passes(Kind.HR, hr_value):
                out.append(item)
        if spo2 is not None:
            gated, item = _SPO2_OF[(spo2 & 0xFF) | (0x100 if stat2 & 0x20 else 0)]
            if passes(Kind.SPO2, gated):
                out.append(item)
        if stat2 & 0x01:
            out.append(_LOW_BATTERY)
        return out


def _hr_of(hr: int) -> tuple[int | None, Decoded]:
    """(value the gate compares, item) of a packet's 9-bit HR."""
    hr_value = None if hr == HR_MISSING else hr
    return hr_value, value_or_invalid(Kind.HR, hr_value)


def _spo2_of(key: int) -> tuple[tuple[int | None, tuple[str, ...]], Decoded]:
    """(value the gate compares, item) of ``SmartPoint << 8 | SpO2 byte``."""
    spo2 = key & 0xFF
    spo2_value = None if spo2 == SPO2_MISSING else spo2
    flags = ("smartpoint",) if key & 0x100 else ()
    return (spo2_value, flags), value_or_invalid(Kind.SPO2, spo2_value, flags=flags)


#: The numerics of a packet by their raw fields (the value filter still runs on each packet).
_HR_OF = [_hr_of(hr) for hr in range(1 << 9)]
_SPO2_OF = [_spo2_of(key) for key in range(1 << 9)]
_LOW_BATTERY = Condition(TC.LOW_BATTERY, "low battery")


class PacketFrameParser(FrameParser):
    """Base of the parsers of the packet formats (#2, #7): frames go through a packet tracker.

    Parameters
    ----------
    numerics_every : int
        Emit unchanged HR / SpO2 once every this many packets (3 = about once a second).
    """

    def __init__(self, numerics_every: int = 3) -> None:
        super().__init__()
        self._packet = PacketTracker(self.stats, numerics_every)

    def _restart_filters(self) -> None:
        self._packet.restart()


def aligned_run(buf: bytearray, pos: int, layout: int) -> np.ndarray | None:
    """The run of good frames that starts at ``pos``, found in one vectorised pass.

    A stream in step has a frame at every 5 bytes; checking all of them at once with numpy and
    decoding the good ones is what a frame-by-frame search would do there, only faster.
    Returns the frames as a (count, 5) array (``layout`` 2: ``01 STATUS PLETH FLOAT CHK``;
    7: ``STATUS MSB LSB FLOAT CHK``), or ``None`` when fewer than two frames are good.
    """
    return good_run(buf, pos, 5, _good_df2 if layout == 2 else _good_df7)


def _checksum_ok(frames: np.ndarray) -> np.ndarray:
    return (frames[:, :4].sum(axis=1, dtype=np.uint32) & 0xFF) == frames[:, 4]


def _good_df2(frames: np.ndarray) -> np.ndarray:
    """Which frames of a (k, 5) array are good #2 frames (start byte, STATUS bit 7, CHK)."""
    return _checksum_ok(frames) & (frames[:, 0] == 0x01) & (frames[:, 1] >= 0x80)


def _good_df7(frames: np.ndarray) -> np.ndarray:
    """Which frames of a (k, 5) array are good #7 frames (STATUS bit 7, CHK)."""
    return _checksum_ok(frames) & (frames[:, 0] >= 0x80)


def status_byte(
    *,
    sync: bool,
    sensor_off: bool = False,
    artifact: bool = False,
    low_perfusion: bool = False,
) -> int:
    """Return a STATUS byte (green perfusion unless ``low_perfusion``: red)."""
    status = 0x80 | (0x01 if sync else 0) | (0x08 if sensor_off else 0)
    status |= 0x20 if artifact else 0
    status |= 0x04 if low_perfusion else 0x02
    return status


class PacketPlanner:
    """Encoder side: which FLOAT byte goes into the next frame, remembering the packet position."""

    def __init__(self) -> None:
        self.frame_no = 0  # frames of the current packet already sent

    def next_float(
        self, hr: int | None, spo2: int | None, *, low_battery: bool = False
    ) -> tuple[bool, int]:
        """Return (SYNC bit, FLOAT byte) for the next frame and advance."""
        self.frame_no = self.frame_no % FRAMES_PER_PACKET + 1
        n = self.frame_no
        hr_raw = HR_MISSING if hr is None else clamp_int(hr, 0, HR_MISSING)
        spo2_raw = SPO2_MISSING if spo2 is None else clamp_int(spo2, 0, SPO2_MISSING)
        if n in (1, 14, 20, 22):
            value = (hr_raw >> 7) & 0x03
        elif n in (2, 15, 21, 23):
            value = hr_raw & 0x7F
        elif n in (3, 9, 10, 11, 16, 17):
            value = spo2_raw
        elif n == 4:
            value = FIRMWARE_REVISION
        elif n == _STAT2_FRAME:
            value = (0x01 if low_battery else 0) | (0x20 if spo2 is not None else 0)
        else:
            value = 0
        return n == 1, value


class PacketEncoder(OximeterEncoderBase):
    """Wire encoder of formats #2 and #7: one frame per pleth sample, 25 to a packet.

    The two formats differ only in how a frame is laid out and in the pleth range, so each
    passes its ``encode_frame(status, pleth, value)`` and full scale; the encoder remembers
    its place in the packet between calls (see ``OximeterEncoder``).

    Parameters
    ----------
    encode_frame : callable
        Returns the bytes of one frame from (STATUS, pleth sample, FLOAT byte).
    pleth_max : int
        Full scale of the pleth sample (samples are clamped into ``0..pleth_max``).
    """

    def __init__(self, encode_frame: Callable[[int, int, int], bytes], pleth_max: int) -> None:
        self._encode_frame = encode_frame
        self._pleth_max = pleth_max
        self._planner = PacketPlanner()

    def encode(self, values: OximeterValues) -> bytes:
        """Return one frame per pleth sample (``0..pleth_max``)."""
        out = bytearray()
        for sample in values.pleth_samples:
            sync, value = self._planner.next_float(
                values.hr, values.spo2, low_battery=values.low_battery
            )
            status = status_byte(
                sync=sync,
                sensor_off=values.sensor_off,
                artifact=values.artifact,
                low_perfusion=values.low_perfusion,
            )
            out += self._encode_frame(status, clamp_int(sample, 0, self._pleth_max), value)
        return bytes(out)
