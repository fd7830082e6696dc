"""Nonin data format #8: 4-byte frames, one a second, no pleth and no checksum.

=====  ================================================================================
byte   meaning
=====  ================================================================================
1      STATUS: bit 7 = 1; bit 5 out of track; bit 4 low perfusion; bit 3 marginal
       perfusion; bit 2 artifact; bits 1-0 = HR bits 8-7
2      HR low 7 bits (HR 511 = missing)
3      SpO2-D (127 = missing)
4      STATUS2: bit 5 SmartPoint; bit 3 sensor alarm; bit 0 low battery
=====  ================================================================================

Frames are found by a STATUS byte (bit 7 set) followed by two bytes with bit 7 clear.
9600 8-N-1. An HR of 0 is not a reading ("no value", like 511).

There is no checksum: one byte position in 8 of random noise looks like a frame. After a resync
(and at the start) frames are held until :data:`CONFIRM_FRAMES` consecutive frames arrive in
place with SpO2 within 2 and HR within 10 of the frame before ("missing", which random bytes
rarely hold, agrees with anything: a sensor coming off or back is no reason to wait); then they
are all released
(:class:`~sessionmon.devices.protocols.base.ResyncGuard`). The price: the first values of a
connection come with its third frame, 2 s after the first.
"""

from __future__ import annotations

import re

import numpy as np

from sessionmon.devices.protocols.base import (
    TC,
    FrameParser,
    ResyncGuard,
    clamp_int,
    conditions_of,
    value_or_invalid,
)
from sessionmon.devices.protocols.encoding import OximeterEncoderBase, OximeterValues
from sessionmon.devices.protocols.fast_runs import good_run
from sessionmon.devices.protocols.guarded_scan import GuardedFrameScan
from sessionmon.devices.readings import Condition, Decoded
from sessionmon.model import Kind

FRAME_LEN = 4
HR_MISSING = 511
SPO2_MISSING = 127
#: Consecutive in-place, agreeing frames that confirm framing after a resync (2 s of stream).
CONFIRM_FRAMES = 3
_FRAME = re.compile(rb"[\x80-\xff][\x00-\x7f]{2}[\x00-\xff]", re.DOTALL)


class NoninDf8Parser(GuardedFrameScan, FrameParser):
    """Parser of Nonin data format #8 (every confirmed frame's values are emitted)."""

    def __init__(self) -> None:
        super().__init__()
        self._guard = ResyncGuard(CONFIRM_FRAMES, _agree, self.stats)

    def _restart_filters(self) -> None:
        self._guard.reset()

    def _scan(self, frames: list[list[Decoded]]) -> int:
        return self._scan_guarded(frames, _FRAME.search, FRAME_LEN, _key, _decode)

    def _run(self, frames: list[list[Decoded]], pos: int) -> int:
        """Decode the run of frames at ``pos`` of a confirmed stream in step; return its end.

        What the frame-by-frame search gives there (see :mod:`.fast_runs`), by table.
        """
        ahead = good_run(self._buf, pos, FRAME_LEN, _good)
        if ahead is None:
            return pos
        run = len(ahead)
        end = pos + run * FRAME_LEN
        self.stats.frames += run
        self._expected = self._base + end
        status = ahead[:, 0].astype(np.intp)
        status2 = ahead[:, 3]
        conditions = _CONDITION_TABLE[((status & 0x3C) << 2) | (status2 & 0x09)].tolist()
        hrs = _HR_TABLE[((status & 0x03) << 7) | ahead[:, 1]].tolist()
        spo2s = _SPO2_TABLE[((status2 & 0x20).astype(np.intp) << 2) | ahead[:, 2]].tolist()
        frames += [[*c, h, o] for c, h, o in zip(conditions, hrs, spo2s, strict=True)]
        return end


def _good(frames: np.ndarray) -> np.ndarray:
    """Which frames of a (k, 4) array have the shape of a frame (as :data:`_FRAME`)."""
    return (frames[:, 0] >= 0x80) & ((frames[:, 1] | frames[:, 2]) < 0x80)


def _key(f: bytes) -> tuple[int | None, int | None]:
    """(HR, SpO2) of a frame (``None``: missing), as the resync guard compares them."""
    hr = ((f[0] & 0x03) << 7) | f[1]
    return None if hr in (0, HR_MISSING) else hr, None if f[2] == SPO2_MISSING else f[2]


def _near(x: int | None, y: int | None, by: int) -> bool:
    return x is None or y is None or abs(x - y) <= by


def _agree(a: tuple[int | None, int | None], b: tuple[int | None, int | None]) -> bool:
    return _near(a[0], b[0], 10) and _near(a[1], b[1], 2)


def _status_conditions(status: int, status2: int) -> tuple[Condition, ...]:
    return tuple(
        conditions_of(
            (
                (bool(status2 & 0x08), TC.SENSOR_OFF, "sensor alarm"),
                (bool(status & 0x20), TC.ARTIFACT, "out of track"),
                (bool(status & 0x04), TC.ARTIFACT, "artifact"),
                (bool(status & 0x10), TC.LOW_PERFUSION, "low perfusion"),
                (bool(status2 & 0x01), TC.LOW_BATTERY, "low battery"),
            )
        )
    )


# Lookup tables: a frame is decoded by indexing, which keeps 1 MB of noise quick to reject.
_CONDITIONS = {
    (s, s2): _status_conditions(s, s2) for s in range(0x00, 0x40, 0x04) for s2 in (0, 1, 8, 9)
}
_HR = [value_or_invalid(Kind.HR, None if hr in (0, HR_MISSING) else hr) for hr in range(512)]
_SPO2 = {
    flags: [
        value_or_invalid(Kind.SPO2, None if v == SPO2_MISSING else v, flags=flags)
        for v in range(128)
    ]
    for flags in ((), ("smartpoint",))
}


def _object_table(values: list) -> np.ndarray:
    table = np.empty(len(values), dtype=object)
    table[:] = values
    return table


#: The tables above as numpy arrays, indexed by the fields the vectorised run computes:
#: conditions by ``(STATUS & 0x3C) << 2 | (STATUS2 & 0x09)``, SpO2 by ``SmartPoint << 7 | SpO2``.
_CONDITION_TABLE = np.empty(1 << 8, dtype=object)
for (_s, _s2), _conditions in _CONDITIONS.items():
    _CONDITION_TABLE[(_s << 2) | _s2] = _conditions
_HR_TABLE = _object_table(_HR)
_SPO2_TABLE = _object_table(_SPO2[()] + _SPO2[("smartpoint",)])


def _decode(f: bytes | bytearray) -> list[Decoded]:
    status, hr_low, spo2, status2 = f
    out: list[Decoded] = list(_CONDITIONS[status & 0x3C, status2 & 0x09])
    out.append(_HR[((status & 0x03) << 7) | hr_low])
    out.append(_SPO2[("smartpoint",) if status2 & 0x20 else ()][spo2])
    return out


def encode_frame(
    hr: int | None,
    spo2: int | None,
    *,
    sensor_off: bool = False,
    artifact: bool = False,
    out_of_track: bool = False,
    low_perfusion: bool = False,
    marginal_perfusion: bool = False,
    low_battery: bool = False,
    smartpoint: bool = False,
) -> bytes:
    """Return one 4-byte frame; ``None`` sends the missing-value sentinels."""
    hr_raw = HR_MISSING if hr is None else clamp_int(hr, 0, HR_MISSING)
    status = 0x80 | ((hr_raw >> 7) & 0x03)
    status |= (0x20 if out_of_track else 0) | (0x10 if low_perfusion else 0)
    status |= (0x08 if marginal_perfusion else 0) | (0x04 if artifact else 0)
    status2 = (0x20 if smartpoint else 0) | (0x08 if sensor_off else 0)
    status2 |= 0x01 if low_battery else 0
    sat = SPO2_MISSING if spo2 is None else clamp_int(spo2, 0, SPO2_MISSING)
    return bytes((status, hr_raw & 0x7F, sat, status2))


class NoninDf8Encoder(OximeterEncoderBase):
    """Wire encoder of format #8: one frame per call (see ``OximeterEncoder``)."""

    def encode(self, values: OximeterValues) -> bytes:
        """Return one frame with these values (pleth, pi and searching are not in #8)."""
        return encode_frame(
            values.hr,
            values.spo2,
            sensor_off=values.sensor_off,
            artifact=values.artifact,
            low_perfusion=values.low_perfusion,
            low_battery=values.low_battery,
            smartpoint=values.spo2 is not None and not values.sensor_off,
        )
