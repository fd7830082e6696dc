"""Read what an IntelliVue sent on its MIB/RS232 port (``decode --device intellivue``).

:class:`IntelliVueStreamParser` is the registry parser of the ``intellivue`` protocol: it
deframes the monitor's byte stream (BOF/EOF, transparency, FCS) and turns its poll results into
readings and ``invalid_value`` conditions like every other parser. Frames that fail their FCS
are dropped and counted as checksum errors.
"""

from __future__ import annotations

from sessionmon.devices.protocols import intellivue as iv
from sessionmon.devices.protocols.intellivue_client import PollDecoder, Wave
from sessionmon.devices.protocols.intellivue_frame import Deframer
from sessionmon.devices.readings import Condition, Decoded, ParserStats, Reading
from sessionmon.model import Kind

_PLETH = Kind.PLETH


def _pleth(sample: float) -> Reading:
    """The shared pleth reading of ``sample`` (:meth:`Reading.of`), kept by value."""
    reading = _PLETH_READINGS.get(sample)
    if reading is None:
        reading = Reading.of(_PLETH, sample)
        if len(_PLETH_READINGS) >= 1 << 16:
            _PLETH_READINGS.clear()
        _PLETH_READINGS[sample] = reading
    return reading


#: Pleth readings by sample value (a 16-bit wave has at most 65,536).
_PLETH_READINGS: dict[float, Reading] = {}


class IntelliVueStreamParser:
    """Monitor-to-host RS232 bytes in, readings and conditions out (pure, incremental).

    Pleth samples come out as ``pleth`` readings, as the oximeter parsers give them; CO2 wave
    samples are counted (``stats.extra["co2_samples"]``) but not printed.
    """

    def __init__(self, numerics_every: int | None = None) -> None:
        del numerics_every  # each poll result carries each value once
        self.stats = ParserStats()
        self._deframer = Deframer()
        self._decoder = PollDecoder()

    @property
    def _buf(self) -> bytearray:
        """The partial frame kept for the next call (as the other parsers' buffer)."""
        return self._deframer._body

    def feed(self, data: bytes) -> list[Decoded]:
        """Decode ``data``; keep any partial frame for the next call."""
        return [item for frame in self.feed_frames(data) for item in frame]

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
            parsed = iv.parse_message(message)
        except iv.MessageError:
            self._count("bad_messages")
            return []
        if not isinstance(parsed, iv.PollResult):
            self._count(type(parsed).__name__)
            return []
        items: list[Decoded] = []
        for item in self._decoder.decode(parsed):
            if isinstance(item, Reading | Condition):
                items.append(item)
            elif isinstance(item, Wave) and item.kind is Kind.PLETH:
                # raw samples are at most 16 bits: always inside the pleth range; the readings
                # are shared per value (Reading.of), looked up here without the call
                start = len(items)
                try:
                    items += map(_PLETH_READINGS.__getitem__, item.samples)
                except KeyError:  # a value not seen yet: made and kept
                    del items[start:]
                    items += map(_pleth, item.samples)
            elif isinstance(item, Wave):
                self._count("co2_samples", len(item.samples))
        return items

    def _count(self, name: str, n: int = 1) -> None:
        self.stats.extra[name] = self.stats.extra.get(name, 0) + n
