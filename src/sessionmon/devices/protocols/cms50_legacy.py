"""Contec CMS50D+ legacy 5-byte live stream (older firmware), about 60 frames/s.

Frame: byte 0 has bit 7 set (sync), bytes 1-4 have it clear.

=====  ====  =====================================
byte   bits  meaning
=====  ====  =====================================
0      0-3   signal strength
0      4     finger out / probe off
0      5     SpO2 dropping
0      6     pulse beep
1      0-6   pleth sample
2      0-3   bargraph
2      4     probe error
2      5     searching
2      6     bit 7 of pulse rate
3      0-6   pulse rate, low 7 bits
4      0-6   SpO2 %
=====  ====  =====================================

The protocol has no checksum. Pulse rate 0 or 255 and SpO2 0 or 127 are read as "no value"
(the sentinels of the V7 protocol of the same family; a finger-out frame carries zeros).
While the finger-out bit is set both are "no value" whatever the bytes hold.

Because there is no checksum, about one byte position in 32 of random noise looks like a frame.
After a resync (and at the start) frames are held until :data:`CONFIRM_FRAMES` consecutive
frames arrive in place with the same finger-out bit, SpO2 within 1 and pulse within 2 of the
frame before (a real device repeats its values in every frame, 60 a second): then they are all
released (:class:`~sessionmon.devices.protocols.base.ResyncGuard`).
"""

from __future__ import annotations

import re

import numpy as np

from sessionmon.devices.protocols.base import (
    TC,
    FrameParser,
    ResyncGuard,
    RowGate,
    clamp_int,
    conditions_of,
    value_or_invalid,
)
from sessionmon.devices.protocols.encoding import OximeterEncoderBase, OximeterValues
from sessionmon.devices.protocols.fast_runs import gate_events, good_run
from sessionmon.devices.protocols.guarded_scan import GuardedFrameScan
from sessionmon.devices.readings import Condition, Decoded, Reading
from sessionmon.model import Kind

FRAME_LEN = 5
#: Consecutive in-place, agreeing frames that confirm framing after a resync (83 ms of stream).
CONFIRM_FRAMES = 5
_FRAME = re.compile(rb"[\x80-\xff][\x00-\x7f]{4}")
_PLETH_READINGS = [Reading.of(Kind.PLETH, v) for v in range(128)]


class Cms50LegacyParser(GuardedFrameScan, FrameParser):
    """Parser of the legacy 5-byte CMS50 stream.

    Parameters
    ----------
    numerics_every : int
        Emit an unchanged HR / SpO2 once every this many frames (60 = about once a second);
        changes are always emitted. 1 emits them in every frame.
    """

    def __init__(self, numerics_every: int = 60) -> None:
        super().__init__()
        self._gate = RowGate(numerics_every, 2)
        self._guard = ResyncGuard(CONFIRM_FRAMES, _agree, self.stats)

    def _restart_filters(self) -> None:
        self._gate.reset()
        self._guard.reset()

    def _scan(self, frames: list[list[Decoded]]) -> int:
        return self._scan_guarded(frames, _FRAME.search, FRAME_LEN, _key, self._decode)

    def _run(self, frames: list[list[Decoded]], pos: int) -> int:
        """Decode the run of frames at ``pos`` of a confirmed stream in step; return its end.

        What the frame-by-frame search gives there (see :mod:`.fast_runs`): every frame in
        place, decoded by table, the numerics row through the same gate.
        """
        ahead = good_run(self._buf, pos, FRAME_LEN, _good)
        if ahead is None:
            return pos
        run = len(ahead)
        end = pos + run * FRAME_LEN
        self.stats.frames += run
        self._expected = self._base + end
        b0, b2 = ahead[:, 0], ahead[:, 2]
        finger = (b0 & 0x10) != 0
        heads = _HEADS[ahead[:, 1] | ((finger | (b2 & 0x30) >> 3).astype(np.intp) << 7)]
        pulse = ((b2 & 0x40).astype(np.int32) << 1) | ahead[:, 3]
        codes = np.where(finger, 0, (pulse << 8) | ahead[:, 4])  # finger out: no values
        if self._gate.every == 1:  # every frame's numerics pass (decode's default)
            hrs = _HR_TABLE[codes >> 8].tolist()
            items = zip(heads.tolist(), hrs, _SPO2_TABLE[codes & 0xFF].tolist(), strict=True)
            frames += [[*head, hr, spo2] for head, hr, spo2 in items]
            return end
        out = list(map(list, heads.tolist()))
        for i, due in gate_events(self._gate, codes, lambda i: _row(int(codes[i]))):
            code = int(codes[i])
            row = (_HR[code >> 8], _SPO2[code & 0xFF])
            out[i] += [row[k] for k in due]
        frames += out
        return end

    def _decode(self, f: bytes | bytearray) -> list[Decoded]:
        out: list[Decoded] = [
            _PLETH_READINGS[f[1]],
            *_CONDITIONS[(f[0] & 0x10) >> 4 | (f[2] & 0x30) >> 3],
        ]
        # finger out: whatever the bytes hold, the device shows no value
        row = (0, 0) if f[0] & 0x10 else (((f[2] & 0x40) << 1) | f[3], f[4])
        for i in self._gate.passing(row):
            out.append(_HR[row[0]] if i == 0 else _SPO2[row[1]])
        return out


def _good(frames: np.ndarray) -> np.ndarray:
    """Which frames of a (k, 5) array have the shape of a frame (the sync bit where it goes)."""
    return (frames[:, 0] >= 0x80) & (np.bitwise_or.reduce(frames[:, 1:], axis=1) < 0x80)


def _row(code: int) -> tuple[int, int]:
    """The (pulse, SpO2) row of a frame's code ``pulse << 8 | SpO2``."""
    return code >> 8, code & 0xFF


def _key(f: bytes) -> tuple[int, int, int]:
    """(finger out, pulse, SpO2) of a frame, as the resync guard compares them."""
    if f[0] & 0x10:
        return 1, 0, 0
    return 0, ((f[2] & 0x40) << 1) | f[3], f[4]


def _agree(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return a[0] == b[0] and abs(a[1] - b[1]) <= 2 and abs(a[2] - b[2]) <= 1


def _conditions(bits: int) -> tuple[Condition, ...]:
    """Conditions of a frame; ``bits``: 1 finger out, 2 probe error, 4 searching."""
    return tuple(
        conditions_of(
            (
                (bool(bits & 1), TC.SENSOR_OFF, "finger out"),
                (bool(bits & 2), TC.SENSOR_FAULT, "probe error"),
                (bool(bits & 4), TC.SEARCHING, "searching"),
            )
        )
    )


# Lookup tables: a frame is decoded by indexing (pulse 0/255 and SpO2 0/127 are "no value").
_CONDITIONS = [_conditions(bits) for bits in range(8)]
_HR = [value_or_invalid(Kind.HR, None if v in (0, 255) else v) for v in range(256)]
_SPO2 = [value_or_invalid(Kind.SPO2, None if v in (0, 127) else v) for v in range(128)]
_HR_TABLE = np.empty(len(_HR), dtype=object)
_HR_TABLE[:] = _HR
_SPO2_TABLE = np.empty(len(_SPO2), dtype=object)
_SPO2_TABLE[:] = _SPO2
#: Pleth reading and conditions of a frame by ``bits << 7 | pleth`` (as in :meth:`_decode`).
_HEADS = np.empty(8 << 7, dtype=object)
for _key_ in range(8 << 7):
    _HEADS[_key_] = (_PLETH_READINGS[_key_ & 0x7F], *_CONDITIONS[_key_ >> 7])


def encode_frame(
    hr: int | None,
    spo2: int | None,
    pleth: float,
    *,
    signal: int = 8,
    finger_out: bool = False,
    probe_error: bool = False,
    searching: bool = False,
    beep: bool = False,
    bargraph: int = 0,
) -> bytes:
    """Return one 5-byte frame.

    Parameters
    ----------
    hr, spo2 : int or None
        Pulse rate (0-255) and SpO2 (0-127); ``None`` sends the sentinels 255 / 127.
    pleth : int
        Pleth sample 0-127.
    signal, bargraph : int
        Signal strength and bargraph, 0-15.
    finger_out, probe_error, searching, beep : bool
        Status bits.
    """
    pulse = 255 if hr is None else clamp_int(hr, 0, 255)
    sat = 127 if spo2 is None else clamp_int(spo2, 0, 127)
    b0 = 0x80 | (signal & 0x0F) | (0x10 if finger_out else 0) | (0x40 if beep else 0)
    b2 = (bargraph & 0x0F) | (0x10 if probe_error else 0) | (0x20 if searching else 0)
    b2 |= (pulse & 0x80) >> 1
    return bytes((b0, clamp_int(pleth, 0, 127), b2, pulse & 0x7F, sat))


class Cms50LegacyEncoder(OximeterEncoderBase):
    """Wire encoder of the legacy stream: one frame per pleth sample (see ``OximeterEncoder``)."""

    def encode(self, values: OximeterValues) -> bytes:
        """Return one frame per pleth sample carrying ``hr`` and ``spo2``."""
        hr, spo2, searching = values.hr, values.spo2, values.searching
        return b"".join(
            encode_frame(hr, spo2, s, finger_out=values.sensor_off, searching=searching)
            for s in values.pleth_samples
        )
