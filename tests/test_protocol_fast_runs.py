"""The run-at-a-time paths of the second speed pass give exactly what the plain paths give.

Each fast path has its plain counterpart here, run beside it by hypothesis on arbitrary bytes
(real frames mixed with noise and split at random): the SunTech cuff-pressure runs and frame
look-ups against the frame-by-frame parser they replaced, the row gate's skipping of equal rows
against calling it row by row, the IntelliVue FCS against RFC 1662's table loop, the IntelliVue
parser against the per-sample code it replaced, and ``decode``'s printing by identity against
printing item by item. The CMS50, Nonin and ASCII runs are checked against their references in
``tests/test_protocol_fast_paths.py``.
"""

from __future__ import annotations

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionmon.commands.decode import ReadingPrinter
from sessionmon.devices.protocols import PROTOCOLS, intellivue_frame, suntech
from sessionmon.devices.protocols.fast_runs import LazyTable, gate_events
from sessionmon.devices.protocols.intellivue_stream import IntelliVueStreamParser
from sessionmon.devices.protocols.value_gates import RowGate
from sessionmon.devices.readings import Reading

FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class ReferenceSuntech(suntech.SuntechReplyParser):
    """The SunTech parser as it was: every frame searched, checked and decoded."""

    def _scan(self, frames):
        buf = self._buf
        n = len(buf)
        pos = 0
        while True:
            start = buf.find(suntech.MODULE_SOF, pos)
            if start < 0:
                return n
            if start + 2 > n:
                return start
            length = buf[start + 1]
            if length not in self._lengths:
                pos = start + 1
                continue
            end = start + length
            if end > n:
                return start
            frame = buf[start:end]
            if sum(frame) & 0xFF:
                self._checksum_failed(start, end)
                pos = start + 1
                continue
            self._accept(start, end)
            reply = suntech.decode_reply(frame)
            if isinstance(reply, suntech.UnknownReply):
                self._count("unknown_replies")
            self._replies.append(reply)
            frames.append(suntech.decoded_of(reply))
            pos = end


def _suntech_part(draw):
    kind = draw(st.sampled_from(["cuff", "cuff", "ack", "bp", "noise", "bad"]))
    if kind == "cuff":
        pressures = draw(st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=80))
        return b"".join(suntech.cuff_pressure_frame(p) for p in pressures)
    if kind == "ack":
        return suntech.ack_frame(draw(st.sampled_from("OKABXZ")))
    if kind == "bp":
        values = st.integers(0, 300)
        result = suntech.BpResult(
            draw(values), draw(values), draw(values), draw(values), error_code=draw(values)
        )
        return suntech.bp_data_frame(result)
    if kind == "bad":  # a cuff reply with its checksum broken
        frame = bytearray(suntech.cuff_pressure_frame(draw(st.integers(0, 300))))
        frame[-1] ^= draw(st.integers(1, 255))
        return bytes(frame)
    return draw(st.binary(max_size=12))


@st.composite
def suntech_streams(draw):
    data = b"".join(_suntech_part(draw) for _ in range(draw(st.integers(1, 12))))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    return data, cuts


def _pieces(data, cuts):
    last = 0
    for cut in [*cuts, len(data)]:
        yield data[last:cut]
        last = cut


@FAST
@given(stream=suntech_streams(), lengths=st.sampled_from([None, frozenset((4, 24))]))
def test_suntech_runs_equal_frame_by_frame(stream, lengths):
    args = () if lengths is None else (lengths,)
    fast, reference = suntech.SuntechReplyParser(*args), ReferenceSuntech(*args)
    for piece in _pieces(*stream):
        assert fast.feed_replies(piece) == reference.feed_replies(piece)
        assert fast.feed_frames(b"") == reference.feed_frames(b"")
    assert fast.stats == reference.stats
    fast, reference = suntech.SuntechReplyParser(*args), ReferenceSuntech(*args)
    for piece in _pieces(*stream):
        assert fast.feed(piece) == reference.feed(piece)
    assert fast.stats == reference.stats


@FAST
@given(
    codes=st.lists(st.integers(0, 3), max_size=200).map(
        lambda c: [x for x in c for _ in range(1 + x * 7)]
    ),
    every=st.integers(1, 9),
    before=st.lists(st.integers(0, 3), max_size=10),
)
def test_gate_events_equal_one_row_at_a_time(codes, every, before):
    def row_of(i):
        return (codes[i], codes[i] % 2, None if codes[i] == 3 else 1)

    fast, plain = RowGate(every, 3), RowGate(every, 3)
    for code in before:  # a gate that has seen rows already
        row = (code, code % 2, None)
        assert fast.passing(row) == plain.passing(row)
    events = gate_events(fast, np.array(codes, dtype=np.int64), row_of)
    want = [(i, due) for i in range(len(codes)) if (due := plain.passing(row_of(i)))]
    assert events == want
    assert fast.passing((9, 9, 9)) == plain.passing((9, 9, 9))  # the same state after


def test_lazy_table_makes_each_entry_once():
    made = []
    table = LazyTable(10, lambda key: made.append(key) or f"v{key}")
    assert table.take(np.array([3, 3, 1])) == ["v3", "v3", "v1"]
    assert table.take(np.array([1, 9])) == ["v1", "v9"]
    assert sorted(made) == [1, 3, 9]


@FAST
@given(data=st.binary(max_size=300), crc=st.integers(0, 0xFFFF))
def test_intellivue_fcs_equals_the_table_loop(data, crc):
    assert intellivue_frame.fcs16(data, crc) == intellivue_frame.fcs16_by_table(data, crc)
    assert intellivue_frame.fcs16(bytearray(data)) == intellivue_frame.fcs16_by_table(data)


class ReferenceIntelliVue(IntelliVueStreamParser):
    """The plain paths: every message by ``parse_message`` (no layouts), the plain poll
    decoder (float pleth samples), pleth samples turned into readings one call each."""

    def __init__(self):
        from sessionmon.devices.protocols.intellivue_client import PollDecoder

        super().__init__()
        self._decoder = PollDecoder()

    def _decode(self, message):
        from sessionmon.devices.protocols import intellivue as iv
        from sessionmon.devices.protocols.intellivue_client import Wave
        from sessionmon.devices.readings import Condition
        from sessionmon.model import Kind

        try:
            parsed = iv.parse_message(message)
        except iv.MessageError:
            self._count("bad_messages")
            return []
        if not isinstance(parsed, iv.PollResult):
            self._count(type(parsed).__name__)
            return []
        items = []
        for item in self._decoder.decode(parsed):
            if isinstance(item, Reading | Condition):
                items.append(item)
            elif isinstance(item, Wave) and item.kind is Kind.PLETH:
                items.extend([Reading.of(Kind.PLETH, s) for s in item.samples])
            elif isinstance(item, Wave):
                self._count("co2_samples", len(item.samples))
        return items


def _intellivue_bytes() -> bytes:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    try:
        import devices as bench_devices
    finally:
        sys.path.pop(0)
    return bench_devices.wire_bytes("intellivue", 20_000)


_IV = _intellivue_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    flips=st.lists(st.tuples(st.integers(0, len(_IV) - 1), st.integers(1, 255)), max_size=6),
    cuts=st.lists(st.integers(0, len(_IV)), max_size=6),
)
def test_intellivue_parser_equals_reference_on_corrupted_streams(flips, cuts):
    data = bytearray(_IV)
    for at, bits in flips:
        data[at] ^= bits
    fast, reference = IntelliVueStreamParser(), ReferenceIntelliVue()
    for piece in _pieces(bytes(data), sorted(cuts)):
        assert fast.feed_frames(piece) == reference.feed_frames(piece)
    assert fast.stats == reference.stats


def _print_item_by_item(printer, frames):
    """ReadingPrinter.print_frames without its look-up of a whole chunk."""
    saved = printer._invalid
    printer._invalid = _AlwaysTrue(saved)
    try:
        printer.print_frames(frames)
    finally:
        printer._invalid = saved


class _AlwaysTrue(set):
    """A set that is never empty to ``if``: forces the printer's item-by-item loop."""

    def __init__(self, inner):
        super().__init__()
        self._inner = inner

    def __bool__(self):
        return True

    def __contains__(self, value):
        return value in self._inner

    def add(self, value):
        self._inner.add(value)

    def discard(self, value):
        self._inner.discard(value)


@FAST
@given(
    name=st.sampled_from(["cms50-v7", "nonin-df2", "nonin-df8", "masimo-ascii", "suntech"]),
    seed=st.integers(0, 2**32 - 1),
    noise=st.integers(0, 40),
    chunk=st.sampled_from([1, 5, 9, 40, 200, 2000]),
)
def test_decode_printing_by_identity_equals_item_by_item(name, seed, noise, chunk):
    import random

    rng = random.Random(seed)
    spec = PROTOCOLS[name]
    if name == "suntech":
        unit = b"".join(suntech.cuff_pressure_frame(rng.randrange(300)) for _ in range(30))
        unit += suntech.ack_frame("K")
    else:
        encoder = spec.make_encoder()
        unit = b"".join(
            encoder.frames_for(
                rng.choice([None, 70, 71]),
                97,
                [rng.randrange(100) for _ in range(rng.choice([1, 2, 30]))],
                2.5,
                sensor_off=rng.random() < 0.2,  # flags that start, stop and start again
                artifact=rng.random() < 0.2,
            )
            for _ in range(40)
        )
    data = bytearray(unit * 3)
    for _ in range(noise):
        data[rng.randrange(len(data))] = rng.randrange(256)
    fast_out, plain_out = io.StringIO(), io.StringIO()
    fast = ReadingPrinter(fast_out, spec.flag_hold_frames)
    plain = ReadingPrinter(plain_out, spec.flag_hold_frames)
    parser_a, parser_b = spec.make_parser(numerics_every=1), spec.make_parser(numerics_every=1)
    for i in range(0, len(data), chunk):
        piece = bytes(data[i : i + chunk])
        fast.print_frames(parser_a.feed_frames(piece))
        _print_item_by_item(plain, parser_b.feed_frames(piece))
    assert fast_out.getvalue() == plain_out.getvalue()
    assert fast.lines == plain.lines
