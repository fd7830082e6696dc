"""Nonin data format #2: 5-byte frames ``[0x01, STATUS, PLETH, FLOAT, CHK]``, 75 frames/s.

``CHK = (b0 + b1 + b2 + b3) & 0xFF``. Frames are found by searching for ``0x01`` followed by a
STATUS byte (bit 7 set) whose checksum holds; 25 frames make a packet (see
:mod:`~sessionmon.devices.protocols.nonin_packet`). 9600 8-N-1, no flow control.
"""

from __future__ import annotations

import re

import numpy as np

from sessionmon.devices.protocols.fast_runs import LazyTable
from sessionmon.devices.protocols.nonin_packet import (
    PacketEncoder,
    PacketFrameParser,
    aligned_run,
    status_conditions,
)
from sessionmon.devices.readings import Decoded, Reading
from sessionmon.model import Kind

FRAME_LEN = 5
_CANDIDATE = re.compile(rb"\x01[\x80-\xff]")
_PLETH_READINGS = [Reading.of(Kind.PLETH, v) for v in range(256)]


class NoninDf2Parser(PacketFrameParser):
    """Parser of Nonin data format #2 (``numerics_every`` as in :class:`PacketFrameParser`)."""

    def _scan(self, frames: list[list[Decoded]]) -> int:
        buf = self._buf
        n = len(buf)
        pos = 0
        while True:
            if self._base + pos == self._expected:  # in step: check the frames ahead at once
                pos = self._run(frames, pos)
            match = _CANDIDATE.search(buf, pos)
            if match is None:
                return max(pos, n - 1)
            start = match.start()
            end = start + FRAME_LEN
            if end > n:
                return start
            b0, status, pleth, value, chk = buf[start:end]
            if (b0 + status + pleth + value) & 0xFF != chk:
                if self._checksum_failed(start, end):
                    self._packet.skip_frame()
                pos = start + 1
                continue
            if not self._accept(start, end):
                self._packet.lose_place()
            out: list[Decoded] = [_PLETH_READINGS[pleth]]
            out += status_conditions(status)
            out += self._packet.frame(status, value)
            frames.append(out)
            pos = end

    def _run(self, frames: list[list[Decoded]], pos: int) -> int:
        """Decode the run of good frames at ``pos`` (see :func:`aligned_run`); return its end."""
        run = aligned_run(self._buf, pos, 2)
        if run is None:
            return pos
        count = len(run)
        end = pos + count * FRAME_LEN
        self.stats.frames += count
        self._expected = self._base + end
        statuses = run[:, 1]
        heads = _HEADS.take((statuses.astype(np.intp) << 8) | run[:, 2])
        self._packet.frames(frames, heads, statuses, run[:, 3])
        return end


def _head(key: int) -> tuple[Decoded, ...]:
    """The pleth reading and STATUS conditions of ``STATUS << 8 | PLETH``."""
    return (_PLETH_READINGS[key & 0xFF], *status_conditions(key >> 8))


#: Frame heads by ``STATUS << 8 | PLETH``, made on first use.
_HEADS = LazyTable(1 << 16, _head)


def encode_frame(status: int, pleth: int, value: int) -> bytes:
    """Return one frame ``01 STATUS PLETH FLOAT CHK``."""
    body = (0x01, status | 0x80, pleth & 0xFF, value & 0xFF)
    return bytes((*body, sum(body) & 0xFF))


class NoninDf2Encoder(PacketEncoder):
    """Wire encoder of format #2: 8-bit pleth (see :class:`PacketEncoder`)."""

    def __init__(self) -> None:
        super().__init__(encode_frame, pleth_max=255)
