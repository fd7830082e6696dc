"""The frame search of the fixed-length parsers whose framing a resync guard confirms.

CMS50 legacy and Nonin #8 frames carry no checksum: after a resync their values count only once
a run of consecutive frames agree (:class:`~sessionmon.devices.protocols.base.ResyncGuard`). The
search is the same for both; only the frame pattern, length, agreement key and decoding differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sessionmon.devices.readings import Decoded


class GuardedFrameScan:
    """Mixin of a ``FrameParser`` with a resync guard (``self._guard``) and a ``_run`` fast path.

    Where the stream is in step and the framing confirmed, the parser's ``_run`` decodes the
    frames ahead at once; every other frame is searched for, placed and passed through the
    guard, which holds a new framing's frames until enough agree.
    """

    _buf: bytearray
    _base: int
    _expected: int
    _guard: Any

    if TYPE_CHECKING:  # provided by FrameParser and the parser (stubs here would shadow them)

        def _accept(self, start: int, end: int) -> bool: ...

        def _run(self, frames: list[list[Decoded]], pos: int) -> int: ...

    def _scan_guarded(
        self,
        frames: list[list[Decoded]],
        search: Callable[[bytearray, int], Any],
        frame_len: int,
        key: Callable[[bytes], Any],
        decode: Callable[[bytes], list[Decoded]],
    ) -> int:
        """Append the decoded frames of the buffer to ``frames``; return where scanning stopped.

        ``search`` finds the next frame from a position (a compiled pattern's ``search``),
        ``key`` gives what consecutive frames must agree on, ``decode`` a frame's readings.
        """
        buf = self._buf
        pos = 0
        guard = self._guard
        while True:
            if guard.confirmed and self._base + pos == self._expected:
                pos = self._run(frames, pos)  # in step: the frames ahead at once
            match = search(buf, pos)
            if match is None:
                break
            start = match.start()
            end = start + frame_len
            raw = match.group()
            in_place = self._accept(start, end)
            if in_place and guard.confirmed:  # the usual case: straight through
                frames.append(decode(raw))
            else:
                for released in guard.frame(in_place, key(raw), raw):
                    frames.append(decode(released))
            pos = end
        return max(pos, len(buf) - (frame_len - 1))
