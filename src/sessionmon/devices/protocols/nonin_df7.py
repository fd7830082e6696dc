"""Nonin data format #7: as #2 with 16-bit pleth.

Frame ``[STATUS, PLETH_MSB, PLETH_LSB, FLOAT, CHK]``.
There is no start byte: frames are found by a STATUS byte (bit 7 set) whose checksum
``(b0 + b1 + b2 + b3) & 0xFF`` holds. 25 frames make a packet (see
:mod:`~sessionmon.devices.protocols.nonin_packet`). 9600 8-N-1, 75 frames/s.
"""

from __future__ import annotations

import re

import numpy as np

from sessionmon.devices.protocols.base import clamp_int
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
_CANDIDATE = re.compile(rb"[\x80-\xff]")


class NoninDf7Parser(PacketFrameParser):
    """Parser of Nonin data format #7 (``numerics_every`` as in :class:`PacketFrameParser`)."""

    def _scan(self, frames: list[list[Decoded]]) -> int:
        buf = self._buf
        n = len(buf)
        pos = 0
        search = _CANDIDATE.search
        while True:
            if self._base + pos == self._expected:  # in step: check the frames ahead at once
                pos = self._run(frames, pos)
            match = search(buf, pos)
            if match is None:
                return n
            start = match.start()
            end = start + FRAME_LEN
            if end > n:
                return start
            status, msb, lsb, value, chk = buf[start:end]
            if (status + msb + lsb + value) & 0xFF != chk:
                if self._checksum_failed(start, end):
                    self._packet.skip_frame()
                pos = start + 1
                continue
            if not self._accept(start, end):
                self._packet.lose_place()
            out: list[Decoded] = []
            pleth = Reading.of(Kind.PLETH, (msb << 8) | lsb)
            if pleth is not None:
                out.append(pleth)
            out += status_conditions(status)
            out += self._packet.frame(status, value)
            frames.append(out)
            pos = end

    def _run(self, frames: list[list[Decoded]], pos: int) -> int:
        """Decode the run of good frames at ``pos`` (see :func:`aligned_run`); return its end."""
        run = aligned_run(self._buf, pos, 7)
        if run is None:
            return pos
        count = len(run)
        end = pos + count * FRAME_LEN
        self.stats.frames += count
        self._expected = self._base + end
        statuses = run[:, 0]
        pleths = _PLETH_HEADS.take((run[:, 1].astype(np.intp) << 8) | run[:, 2])
        if not _FLAGGED[statuses].any():  # the usual case: no STATUS condition
            heads = pleths
        else:
            conditions = [_STATUS_CONDITIONS[s] for s in statuses.tolist()]
            heads = [(*p, *c) for p, c in zip(pleths, conditions, strict=True)]
        self._packet.frames(frames, heads, statuses, run[:, 3])
        return end


def _pleth_head(pleth: int) -> tuple[Decoded, ...]:
    """The pleth reading of a frame, as a head without conditions (empty if out of range)."""
    reading = Reading.of(Kind.PLETH, pleth)
    return (reading,) if reading is not None else ()


#: Pleth heads by 16-bit sample, made on first use.
_PLETH_HEADS = LazyTable(1 << 16, _pleth_head)
#: The STATUS conditions, and whether a STATUS byte sets any.
_STATUS_CONDITIONS = [status_conditions(s) for s in range(256)]
_FLAGGED = np.array([bool(c) for c in _STATUS_CONDITIONS])


def encode_frame(status: int, pleth: int, value: int) -> bytes:
    """Return one frame ``STATUS PLETH_MSB PLETH_LSB FLOAT CHK``."""
    pleth = clamp_int(pleth, 0, 0xFFFF)
    body = (status | 0x80, pleth >> 8, pleth & 0xFF, value & 0xFF)
    return bytes((*body, sum(body) & 0xFF))


class NoninDf7Encoder(PacketEncoder):
    """Wire encoder of format #7: 16-bit pleth (see :class:`PacketEncoder`)."""

    def __init__(self) -> None:
        super().__init__(encode_frame, pleth_max=0xFFFF)
