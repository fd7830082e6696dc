"""IntelliVue poll results read by the layout of one seen before.

A monitor answers every poll of a kind with a message of the same *layout*: the same objects,
attributes, lengths and counts, with only the values changed (invoke id, poll number, sequence,
times, measurement states, FLOAT values, wave samples). :class:`LayoutParser` parses a message
with :func:`~.intellivue_parse.parse_message`, and when it is a poll result it also learns that
message's layout: one precompiled :class:`struct.Struct` covering the whole message, in which
every value is a field and every byte between values is a *structural* field. The next message
of the same length whose structural fields are all equal to the learned ones is read by
unpacking it once and building the result from the value fields alone.

Why that gives what :func:`parse_message` gives: the plain walk's control flow, its bounds
checks and the bytes it hands to pure decoders (wave format, alarm lists) depend only on
structural bytes; the value fields go only into the decoded values, through the same functions
(:func:`~.intellivue_nom.decode_float`, :func:`~.intellivue_wire.absolute_time`, the sample
mask). Equal structure therefore means the same walk, no error, and the same result as a
function of the values. A message that differs anywhere else (another length, count, attribute,
label, unit, scale) is not read by the layout; it goes to :func:`parse_message` and may become
a layout of its own. As a guard, a layout is kept only if reading the very message it was
learned from gives exactly the plain result.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.protocols.intellivue_messages import (
    Message,
    NumericValue,
    PollResult,
    WaveValue,
)
from sessionmon.devices.protocols.intellivue_parse import (
    parse_message,
    wave_format,
)
from sessionmon.devices.protocols.intellivue_wire import (
    CMD_CONFIRMED_ACTION,
    DATA_EXPORT_SPDU,
    RORLS_APDU,
    RORS_APDU,
    absolute_time,
)

#: Layouts kept per message length, and in all (cleared when full: a miss costs a plain parse).
_PER_LENGTH = 4
_MAX_LAYOUTS = 64
_MAX_FAILURES = 8

#: AbsoluteTime values decoded once (pure; a monitor repeats its stamps within a second).
_absolute_time = functools.lru_cache(maxsize=256)(absolute_time)


class LayoutParser:
    """:func:`parse_message` with poll results read by a learned layout where one fits.

    Stateful (the layouts seen), pure otherwise: the same messages give the same results as
    :func:`parse_message`, and the same :class:`~.intellivue_wire.MessageError` for a message
    it cannot decode.
    """

    __slots__ = ("_count", "_failures", "_layouts", "reads_by_layout")

    def __init__(self) -> None:
        self._layouts: dict[int, list[_Layout]] = {}
        self._count = 0
        #: Poll results of a length whose layout could not be learned (not tried again after
        #: :data:`_MAX_FAILURES`: a monitor with, say, 8-bit samples is parsed plainly).
        self._failures: dict[int, int] = {}
        #: How many messages were read by a layout (the others went to parse_message).
        self.reads_by_layout = 0

    def parse(self, data: bytes) -> Message:
        """Classify and decode one message, as :func:`parse_message` does.

        Raises
        ------
        MessageError
            If the message is truncated or its lengths disagree.
        """
        layouts = self._layouts.get(len(data))
        if layouts is not None:
            for layout in layouts:
                result = layout.read(data)
                if result is not None:
                    self.reads_by_layout += 1
                    return result
        message = parse_message(data)
        if type(message) is PollResult and self._failures.get(len(data), 0) < _MAX_FAILURES:
            self._learn(bytes(data), message)
        return message

    def _learn(self, data: bytes, plain: PollResult) -> None:
        try:
            layout = _learn_layout(data, plain)
        except (struct.error, IndexError, ValueError):
            layout = None  # a walk this module does not follow
        if layout is None or layout.read(data) != plain:
            if len(self._failures) >= _MAX_LAYOUTS:
                self._failures.clear()
            self._failures[len(data)] = self._failures.get(len(data), 0) + 1
            return
        if self._count >= _MAX_LAYOUTS:
            self._layouts.clear()
            self._failures.clear()
            self._count = 0
        same_length = self._layouts.setdefault(len(data), [])
        same_length.insert(0, layout)
        self._count += 1
        if len(same_length) > _PER_LENGTH:
            same_length.pop()
            self._count -= 1


@dataclass(frozen=True, slots=True)
class _NumericSpec:
    """Where one numeric's values are: its fields' indices and its structural parts."""

    physio: int
    unit: int
    handle: int
    state: int  # field index
    raw: int  # field index of the FLOAT value
    stamp: int  # field index of its object's AbsoluteTime, -1: no stamp (None)


@dataclass(frozen=True, slots=True)
class _WaveSpec:
    """Where one wave's values are, and its format (structural: fixed by the layout)."""

    physio: int
    handle: int
    period: float | None
    scale: tuple[float, float, int, int] | None
    mask: int
    state: int  # field index
    first: int  # field indices of the samples: [first, stop)
    stop: int


class _Layout:
    """One learned layout: the message's struct, its structural fields and where values are."""

    __slots__ = (
        "_alarms",
        "_expected",
        "_header",
        "_last_numerics",
        "_last_values",
        "_linked",
        "_numeric_values",
        "_numerics",
        "_obj_class",
        "_structure",
        "_unpack",
        "_waves",
    )

    def __init__(
        self,
        fmt: str,
        structural: list[int],
        header: tuple[int, int, int, int],
        numerics: list[_NumericSpec],
        waves: list[_WaveSpec],
        plain: PollResult,
        data: bytes,
    ) -> None:
        self._unpack = struct.Struct(fmt).unpack
        self._structure = itemgetter(*structural)
        self._expected = self._structure(self._unpack(data))
        self._header = header
        self._numerics = tuple(numerics)
        value_fields = [i for n in numerics for i in (n.state, n.raw, n.stamp) if i >= 0]
        self._numeric_values: Any = itemgetter(*value_fields) if value_fields else None
        self._last_values: object = None
        self._last_numerics: tuple[NumericValue, ...] = ()
        self._waves = tuple(waves)
        self._obj_class = plain.obj_class
        self._alarms = plain.alarms  # decoded from structural bytes only
        self._linked = plain.linked

    def read(self, data: bytes) -> PollResult | None:
        """The poll result ``data`` says, or ``None`` if it does not have this layout."""
        fields = self._unpack(data)
        if self._structure(fields) != self._expected:
            return None
        invoke, poll, relative, when = self._header
        numerics = self._last_numerics
        if self._numeric_values is not None:
            values = self._numeric_values(fields)
            if values != self._last_values:
                numerics = tuple(
                    NumericValue(
                        n.physio,
                        fields[n.state],
                        n.unit,
                        nom.decode_float(fields[n.raw]),
                        n.handle,
                        _absolute_time(fields[n.stamp]) if n.stamp >= 0 else None,
                    )
                    for n in self._numerics
                )
                self._last_values, self._last_numerics = values, numerics
        waves = tuple(map(_wave_reader(fields), self._waves)) if self._waves else ()
        return PollResult(
            fields[invoke],
            fields[poll],
            fields[relative],
            _absolute_time(fields[when]),
            self._obj_class,
            numerics,
            waves,
            self._alarms,
            self._linked,
        )


def _wave_reader(fields: tuple[Any, ...]) -> Any:
    def wave(w: _WaveSpec) -> WaveValue:
        samples = fields[w.first : w.stop]
        if w.mask != 0xFFFF and samples and max(samples) > w.mask:
            samples = tuple(map(w.mask.__and__, samples))
        return WaveValue(w.physio, fields[w.state], samples, w.handle, w.period, w.scale)

    return wave


# ---------------------------------------------------------------------- learning a layout


class _Slots:
    """The value fields found by the walk: (offset, struct code, size, field count)."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str, int, int]] = []

    def add(self, offset: int, code: str, size: int, count: int = 1) -> int:
        """Record a value field; return its slot number (resolved to a field index later)."""
        self.items.append((offset, code, size, count))
        return len(self.items) - 1


def _u16(data: bytes, at: int) -> int:
    return (data[at] << 8) | data[at + 1]


def _learn_layout(data: bytes, plain: PollResult) -> _Layout | None:
    """Walk a poll result the way :func:`parse_message` does, recording where values are.

    Returns ``None`` for a message whose walk this does not follow (then it is always parsed
    plainly): anything but a Data Export poll result, samples other than 16 bits.
    """
    if data[:2] != DATA_EXPORT_SPDU[:2]:
        return None
    slots = _Slots()
    ro_type = _u16(data, 4)
    pos = 8
    if ro_type == RORLS_APDU:
        slots.add(8, "B", 1)  # linked state (read and ignored)
        slots.add(9, "B", 1)  # linked count
        pos = 10
    elif ro_type != RORS_APDU:
        return None
    invoke = slots.add(pos, "H", 2)
    if _u16(data, pos + 2) != CMD_CONFIRMED_ACTION:
        return None
    pos += 6  # invoke id, command, length
    pos += 6  # managed object
    action = _u16(data, pos)
    pos += 4  # action, length
    poll = slots.add(pos, "H", 2)
    pos += 2
    if action == nom.NOM_ACT_POLL_MDIB_DATA_EXT:
        slots.add(pos, "H", 2)  # sequence number (read and ignored)
        pos += 2
    relative = slots.add(pos, "I", 4)
    when = slots.add(pos + 4, "8s", 8)
    pos += 12 + 6  # times, partition, object class, attribute group
    contexts = _u16(data, pos)
    pos += 4
    numerics: list[tuple[Any, ...]] = []
    waves: list[tuple[Any, ...]] = []
    for _ in range(contexts):
        count = _u16(data, pos + 2)
        objects_end = pos + 6 + _u16(data, pos + 4)
        pos += 6
        for _ in range(count):
            handle = _u16(data, pos)
            attrs, pos = _attributes(data, pos + 2)
            _observation_slots(data, handle, attrs, slots, numerics, waves)
        pos = objects_end  # bytes after the last object are skipped, as the sub-reader does
    return _assemble(data, plain, slots, (invoke, poll, relative, when), numerics, waves)


def _attributes(data: bytes, pos: int) -> tuple[dict[int, tuple[int, int]], int]:
    """An attribute list's (offset, size) per id (the last of a repeated id, as the dict
    :func:`parse_message` builds), and the offset after the list."""
    count = _u16(data, pos)
    after = pos + 4 + _u16(data, pos + 2)
    pos += 4
    out: dict[int, tuple[int, int]] = {}
    for _ in range(count):
        attr, size = _u16(data, pos), _u16(data, pos + 2)
        out[attr] = (pos + 4, size)
        pos += 4 + size
    return out, after


def _observation_slots(
    data: bytes,
    handle: int,
    attrs: dict[int, tuple[int, int]],
    slots: _Slots,
    numerics: list[tuple[Any, ...]],
    waves: list[tuple[Any, ...]],
) -> None:
    stamp = -1
    if (found := attrs.get(nom.NOM_ATTR_TIME_STAMP_ABS)) is not None and found[1] == 8:
        stamp = slots.add(found[0], "8s", 8)  # another size: never a time (None, structural)
    if (found := attrs.get(nom.NOM_ATTR_NU_VAL_OBS)) is not None:
        at = found[0]
        numerics.append(_numeric(data, at, handle, stamp, slots))
    if (found := attrs.get(nom.NOM_ATTR_NU_CMPD_VAL_OBS)) is not None:
        at = found[0]
        for k in range(_u16(data, at)):
            numerics.append(_numeric(data, at + 4 + 10 * k, handle, stamp, slots))
    if (found := attrs.get(nom.NOM_ATTR_SA_VAL_OBS)) is not None:
        at = found[0]
        size = _u16(data, at + 4)

        def raw(attr: int) -> bytes | None:
            place = attrs.get(attr)
            return None if place is None else data[place[0] : place[0] + place[1]]

        sample_bytes, mask, period, scale = wave_format(
            raw(nom.NOM_ATTR_SA_SPECN),
            raw(nom.NOM_ATTR_TIME_PD_SAMP),
            raw(nom.NOM_ATTR_SCALE_SPECN_I16),
        )
        if sample_bytes != 2:
            raise ValueError("only 16-bit samples are read by layout")
        state = slots.add(at + 2, "H", 2)
        count = size // 2
        samples = slots.add(at + 6, f"{count}H", 2 * count, count) if count else -1
        waves.append((_u16(data, at), handle, period, scale, mask, state, samples))


def _numeric(data: bytes, at: int, handle: int, stamp: int, slots: _Slots) -> tuple[Any, ...]:
    """A NuObsValue at ``at``: physio id and unit structural, state and value slots."""
    state = slots.add(at + 2, "H", 2)
    value = slots.add(at + 6, "I", 4)
    return (_u16(data, at), _u16(data, at + 4), handle, state, value, stamp)


def _assemble(
    data: bytes,
    plain: PollResult,
    slots: _Slots,
    header: tuple[int, int, int, int],
    numerics: list[tuple[Any, ...]],
    waves: list[tuple[Any, ...]],
) -> _Layout | None:
    """Lay the value slots out in one struct format, structural fields between them."""
    order = sorted(range(len(slots.items)), key=lambda s: slots.items[s][0])
    parts = [">"]
    structural: list[int] = []
    index_of: dict[int, int] = {}
    pos = field = 0
    for s in order:
        offset, code, size, count = slots.items[s]
        if offset < pos:
            return None  # overlapping values: not a layout this module reads
        if offset > pos:
            parts.append(f"{offset - pos}s")
            structural.append(field)
            field += 1
        parts.append(code)
        index_of[s] = field
        field += count
        pos = offset + size
    if pos > len(data):
        return None
    if pos < len(data):
        parts.append(f"{len(data) - pos}s")
        structural.append(field)
    if len(structural) < 2:
        return None  # itemgetter of one index gives a value, not a tuple: not worth a layout

    def idx(slot: int) -> int:
        return index_of[slot] if slot >= 0 else -1

    numeric_specs = [
        _NumericSpec(physio, unit, handle, idx(state), idx(raw), idx(stamp))
        for physio, unit, handle, state, raw, stamp in numerics
    ]
    wave_specs = []
    for physio, handle, period, scale, mask, state, samples in waves:
        first = idx(samples)
        count = slots.items[samples][3] if samples >= 0 else 0
        first = first if first >= 0 else 0
        wave_specs.append(
            _WaveSpec(physio, handle, period, scale, mask, idx(state), first, first + count)
        )
    head = (idx(header[0]), idx(header[1]), idx(header[2]), idx(header[3]))
    return _Layout("".join(parts), structural, head, numeric_specs, wave_specs, plain, data)
