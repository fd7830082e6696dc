"""Read what an IntelliVue sent on its MIB/RS232 port (``decode --device intellivue``).

:class:`IntelliVueStreamParser` is the registry parser of the ``intellivue`` protocol: it
deframes the monitor's byte stream (BOF/EOF, transparency, FCS) and turns its poll results into
readings and ``invalid_value`` conditions like every other parser. Frames that fail their FCS
are dropped and counted as checksum errors.
"""

from __future__ import annotations

from itertools import chain

from sessionmon.devices.protocols import intellivue as iv
from sessionmon.devices.protocols.intellivue_client import PollDecoder, Wave
from sessionmon.devices.protocols.intellivue_frame import Deframer
from sessionmon.devices.protocols.intellivue_layout import LayoutParser
from sessionmon.devices.readings import Condition, Decoded, ParserStats, Reading
from sessionmon.model import Kind

_PLETH = Kind.PLETH


def _pleth(sample: int) -> Reading | None:
    """The shared pleth reading of raw ``sample`` (:meth:`Reading.of`), kept by value."""
    reading = _PLETH_READINGS.get(sample)
    if reading is None:
        reading = Reading.of(_PLETH, sample)
        if len(_PLETH_READINGS) >= 1 << 16:
            _PLETH_READINGS.clear()
        _PLETH_READINGS[sample] = reading
    return reading


#: Pleth readings by raw sample value (a 16-bit wave has at most 65,536).
_PLETH_READINGS: dict[int, Reading | None] = {}


class _PlethSamples:
    """A pleth sample array as the monitor sent it (raw integers), for :func:`_pleth`."""

    __slots__ = ("samples",)

    def __init__(self, samples: tuple[int, ...]) -> None:
        self.samples = samples


class _StreamPollDecoder(PollDecoder):
    """The poll decoder, with pleth arrays left as raw samples.

    The stream turns each pleth sample into its shared reading; ``Reading.of`` gives the same
    reading for a raw sample as for the float :meth:`PollDecoder._wave` would make of it, so
    the float tuple is not built.
    """

    def _wave(self, kind: Kind, w: iv.WaveValue) -> Wave | _PlethSamples:  # type: ignore[override]
        if kind is _PLETH:
            return _PlethSamples(w.samples)
        return PollDecoder._wave(self, kind, w)


_ITEMS = (Reading, Condition)


class IntelliVueStreamParser:
    """Monitor-to-host RS232 bytes in, readings and conditions out (pure, incremental).

    Pleth samples come out as ``pleth`` readings, as the oximeter parsers give them; CO2 wave
    samples are counted (``stats.extra["co2_samples"]``) but not printed.
    """

    def __init__(self, numerics_every: int | None = None) -> None:
        del numerics_every  # each poll result carries each value once
        self.stats = ParserStats()
        self._deframer = Deframer()
        self._decoder = _StreamPollDecoder()
        self._messages = LayoutParser()

    @property
    def _buf(self) -> bytearray:
        """The partial frame kept for the next call (as the other parsers' buffer)."""
        return self._deframer._body

    def feed(self, data: bytes) -> list[Decoded]:
        """Decode ``data``; keep any partial frame for the next call."""
        return list(chain.from_iterable(self.feed_frames(data)))

    def feed_frames(self, data: bytes) -> list[list[Decoded]]:
        """Like :meth:`feed`, one list per frame."""
        self.stats.bytes_in += len(data)
        before = self._deframer.stats.fcs_errors
        out: list[list[Decoded]] = []
        for message in self._deframer.feed(data):
            self.stats.frames += 1
            out.append(self._decode(message))
        self.stats.checksum_errors += self._deframer.stats.fcs_errors - before
        return out

    def _decode(self, message: bytes) -> list[Decoded]:
        try:
            parsed = self._messages.parse(message)
        except iv.MessageError:
            self._count("bad_messages")
            return []
        if not isinstance(parsed, iv.PollResult):
            self._count(type(parsed).__name__)
            return []
        items: list[Decoded] = []
        for item in self._decoder.decode(parsed):
            if type(item) is _PlethSamples:
                # raw samples are at most 16 bits: always inside the pleth range; the readings
                # are shared per value (Reading.of), looked up here without the call
                start = len(items)
                try:
                    items += map(_PLETH_READINGS.__getitem__, item.samples)
                except KeyError:  # a value not seen yet: made and kept
                    del items[start:]
                    items += map(_pleth, item.samples)
            elif isinstance(item, _ITEMS):
                items.append(item)
            elif isinstance(item, Wave):
                self._count("co2_samples", len(item.samples))
        return items

    def _count(self, name: str, n: int = 1) -> None:
        self.stats.extra[name] = self.stats.extra.get(name, 0) + n
