"""The fast decoding paths give exactly what the straightforward decoding gave.

The CMS50 V7, CMS50 legacy and Nonin #8 parsers keep decoded packets, share readings and look
at a frame's numerics as one row (:class:`RowGate`); Nonin #2 and #7 check the frames ahead of
a stream in step in one vectorised pass; the ASCII parsers split all complete lines at
once. Each is checked here against a reference
parser that decodes every frame the plain way (the code these parsers had before, with a
:class:`ValueGate` per kind), on random mixes of real frames and noise split at random: the
same readings and conditions in the same order, and the same counters.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionmon.devices.protocols import (
    ascii_lines,
    cms50_legacy,
    cms50_v7,
    masimo_ascii,
    nonin_ascii,
    nonin_df2,
    nonin_df7,
    nonin_df8,
)
from sessionmon.devices.protocols.base import RowGate, ValueGate, value_or_invalid
from sessionmon.devices.protocols.nonin_packet import status_conditions
from sessionmon.devices.readings import Reading
from sessionmon.model import Kind

FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class ReferenceV7(cms50_v7.Cms50V7Parser):
    """CMS50 V7 decoded packet by packet: restore, decode, one gate per kind."""

    def __init__(self, numerics_every: int = 60) -> None:
        super().__init__(numerics_every)
        self._ref_gate = ValueGate(numerics_every)

    def _restart_filters(self) -> None:
        self._ref_gate.reset()

    def _scan(self, frames):
        buf = self._buf
        pos = 0
        while True:
            match = cms50_v7._REALTIME.search(buf, pos)
            if match is None:
                if len(buf) - pos > cms50_v7._MAX_PENDING:
                    return len(buf) - cms50_v7._MAX_PENDING
                return pos
            start = match.start()
            self._skip(buf[pos:start], pos)
            end = start + cms50_v7.PACKET_LEN
            self._accept(start, end)
            d = cms50_v7.restore(buf[start:end])
            head, row = cms50_v7._decode_packet(d)
            out = list(head)
            for kind, value in zip((Kind.HR, Kind.SPO2, Kind.PI), row, strict=True):
                if self._ref_gate.passes(kind, value):
                    out.append(value_or_invalid(kind, value))
            frames.append(out)
            pos = end


class ReferenceLegacy(cms50_legacy.Cms50LegacyParser):
    """CMS50 legacy with the guard asked for every frame and one gate per kind."""

    def __init__(self, numerics_every: int = 60) -> None:
        super().__init__(numerics_every)
        self._ref_gate = ValueGate(numerics_every)

    def _restart_filters(self) -> None:
        super()._restart_filters()
        self._ref_gate.reset()

    def _scan(self, frames):
        buf = self._buf
        pos = 0
        while True:
            match = cms50_legacy._FRAME.search(buf, pos)
            if match is None:
                return max(pos, len(buf) - (cms50_legacy.FRAME_LEN - 1))
            start = match.start()
            end = start + cms50_legacy.FRAME_LEN
            raw = bytes(buf[start:end])
            in_place = self._accept(start, end)
            for f in self._guard.frame(in_place, cms50_legacy._key(raw), raw):
                out = [
                    cms50_legacy._PLETH_READINGS[f[1]],
                    *cms50_legacy._CONDITIONS[(f[0] & 0x10) >> 4 | (f[2] & 0x30) >> 3],
                ]
                pulse = ((f[2] & 0x40) << 1) | f[3]
                spo2 = f[4]
                if f[0] & 0x10:
                    pulse, spo2 = 0, 0
                if self._ref_gate.passes(Kind.HR, pulse):
                    out.append(cms50_legacy._HR[pulse])
                if self._ref_gate.passes(Kind.SPO2, spo2):
                    out.append(cms50_legacy._SPO2[spo2])
                frames.append(out)
            pos = end


class ReferenceDf8(nonin_df8.NoninDf8Parser):
    """Nonin #8 with the guard asked for every frame."""

    def _scan(self, frames):
        buf = self._buf
        pos = 0
        while True:
            match = nonin_df8._FRAME.search(buf, pos)
            if match is None:
                return max(pos, len(buf) - (nonin_df8.FRAME_LEN - 1))
            start = match.start()
            end = start + nonin_df8.FRAME_LEN
            raw = bytes(buf[start:end])
            in_place = self._accept(start, end)
            for released in self._guard.frame(in_place, nonin_df8._key(raw), raw):
                frames.append(nonin_df8._decode(released))
            pos = end


values = st.one_of(st.none(), st.integers(0, 260))


@st.composite
def streams(draw, encode):
    """Real frames (values that change or repeat) mixed with noise, and a way to split them."""
    parts = []
    for _ in range(draw(st.integers(1, 12))):
        if draw(st.booleans()):
            hr, spo2 = draw(values), draw(values)
            frame = encode(draw, hr, spo2)
            parts.append(frame * draw(st.integers(1, 70)))
        else:
            parts.append(draw(st.binary(max_size=40)))
    data = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    return data, cuts


def _v7(draw, hr, spo2):
    pi = draw(st.one_of(st.none(), st.floats(0, 30, allow_nan=False)))
    return cms50_v7.encode_packet(
        hr if hr is None else min(hr, 254),
        spo2 if spo2 is None else min(spo2, 100),
        draw(st.integers(0, 127)),
        pi,
        probe_error=draw(st.booleans()),
        searching=draw(st.booleans()),
    )


def _legacy(draw, hr, spo2):
    return cms50_legacy.encode_frame(hr, spo2, draw(st.integers(0, 127)))


def _df8(draw, hr, spo2):
    return nonin_df8.encode_frame(hr, spo2, sensor_off=draw(st.booleans()))


def _feed_all(parser, data, cuts):
    out = []
    last = 0
    for cut in [*cuts, len(data)]:
        out += parser.feed(data[last:cut])
        last = cut
    return out, parser.stats


def _same(fast, reference, data, cuts):
    got, got_stats = _feed_all(fast, data, cuts)
    want, want_stats = _feed_all(reference, data, cuts)
    assert got == want
    assert got_stats == want_stats


@FAST
@given(stream=streams(_v7), every=st.integers(1, 5))
def test_cms50_v7_fast_path_equals_reference(stream, every):
    _same(cms50_v7.Cms50V7Parser(every), ReferenceV7(every), *stream)


@FAST
@given(stream=streams(_legacy), every=st.integers(1, 5))
def test_cms50_legacy_fast_path_equals_reference(stream, every):
    _same(cms50_legacy.Cms50LegacyParser(every), ReferenceLegacy(every), *stream)


@FAST
@given(stream=streams(_df8))
def test_nonin_df8_fast_path_equals_reference(stream):
    _same(nonin_df8.NoninDf8Parser(), ReferenceDf8(), *stream)


@FAST
@given(
    rows=st.lists(st.tuples(values, values, values), max_size=60),
    every=st.integers(1, 6),
    resets=st.sets(st.integers(0, 60)),
)
def test_row_gate_passes_what_a_gate_per_kind_passes(rows, every, resets):
    row_gate = RowGate(every, 3)
    gate = ValueGate(every)
    kinds = (Kind.HR, Kind.SPO2, Kind.PI)
    for n, row in enumerate(rows):
        if n in resets:
            row_gate.reset()
            gate.reset()
        expected = tuple(i for i, kind in enumerate(kinds) if gate.passes(kind, row[i]))
        assert row_gate.passing(row) == expected


@FAST
@given(value=st.one_of(st.integers(-5, 70000), st.floats(allow_nan=True)))
def test_shared_readings_equal_new_ones(value):
    for kind in (Kind.PLETH, Kind.HR, "spo2"):
        first = Reading.of(kind, value)
        again = Reading.of(kind, value)
        assert first == again
        if first is not None:
            assert first.kind is Kind(kind)
            assert first.value == float(value)
            assert isinstance(first.value, float)


def test_reading_of_unknown_kind_still_raises():
    try:
        Reading.of("no-such-kind", 1)
    except ValueError as error:
        assert re.search("no-such-kind", str(error))
    else:  # pragma: no cover - the failure
        raise AssertionError("an unknown kind was accepted")


class ReferenceDf2(nonin_df2.NoninDf2Parser):
    """Nonin #2 searched and decoded frame by frame."""

    def _scan(self, frames):
        buf = self._buf
        n = len(buf)
        pos = 0
        while True:
            match = nonin_df2._CANDIDATE.search(buf, pos)
            if match is None:
                return max(pos, n - 1)
            start = match.start()
            end = start + 5
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
            out = [nonin_df2._PLETH_READINGS[pleth]]
            out += status_conditions(status)
            out += self._packet.frame(status, value)
            frames.append(out)
            pos = end


class ReferenceDf7(nonin_df7.NoninDf7Parser):
    """Nonin #7 searched and decoded frame by frame."""

    def _scan(self, frames):
        buf = self._buf
        n = len(buf)
        pos = 0
        while True:
            match = nonin_df7._CANDIDATE.search(buf, pos)
            if match is None:
                return n
            start = match.start()
            end = start + 5
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
            out = [Reading.of(Kind.PLETH, (msb << 8) | lsb)]
            out += status_conditions(status)
            out += self._packet.frame(status, value)
            frames.append(out)
            pos = end


@st.composite
def packet_streams(draw, encoder_class, pleth_max):
    """Whole and partial Nonin packets (values that change or repeat) with noise, and cuts."""
    encoder = encoder_class()
    parts = []
    for _ in range(draw(st.integers(1, 10))):
        if draw(st.booleans()):
            samples = draw(st.lists(st.integers(0, pleth_max), min_size=1, max_size=80))
            parts.append(
                encoder.frames_for(
                    draw(values),
                    draw(values),
                    samples,
                    sensor_off=draw(st.booleans()),
                    artifact=draw(st.booleans()),
                    low_battery=draw(st.booleans()),
                )
            )
        else:
            parts.append(draw(st.binary(max_size=30)))
    data = b"".join(parts)
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    return data, cuts


@FAST
@given(stream=packet_streams(nonin_df2.NoninDf2Encoder, 255), every=st.integers(1, 4))
def test_nonin_df2_run_path_equals_reference(stream, every):
    _same(nonin_df2.NoninDf2Parser(every), ReferenceDf2(every), *stream)


@FAST
@given(stream=packet_streams(nonin_df7.NoninDf7Encoder, 0xFFFF), every=st.integers(1, 4))
def test_nonin_df7_run_path_equals_reference(stream, every):
    _same(nonin_df7.NoninDf7Parser(every), ReferenceDf7(every), *stream)


def _reference_line_scan(self, frames):
    """The line framing as it was: one end-of-line search per line."""
    buf = self._buf
    pos = 0
    while True:
        match = ascii_lines._EOL.search(buf, pos)
        if match is None:
            if len(buf) - pos > ascii_lines.MAX_LINE:
                if not self._overlong:
                    self._reject()
                self._overlong = True
                return len(buf)
            return pos
        end = match.start()
        raw = bytes(buf[pos:end])
        pos = end + 1
        if self._overlong:
            self._overlong = False
            continue
        if len(raw) > ascii_lines.MAX_LINE:
            self._reject()
            continue
        text = raw.replace(b"\x00", b"").decode("ascii", "replace").strip()
        if not text:
            continue
        items = self.parse_line(text)
        if items is None:
            self._reject()
            continue
        self.stats.frames += 1
        frames.append(items)


class ReferenceNoninAscii(nonin_ascii.NoninAsciiParser):
    _scan = _reference_line_scan


class ReferenceMasimo(masimo_ascii.MasimoAsciiParser):
    _scan = _reference_line_scan


line_bits = st.sampled_from(
    [
        b"12:00:01 SPO2=097 HR=072\r\n",
        b"SPO2=--- HR=---F\n",
        b"01/05/26 09:00:00 SN=0000 SPO2=98% BPM=72 PI=2.5 EXC=000000 ALARM=0000\r\n",
        b"\r",
        b"\n",
        b"\x00",
        b"garbage",
        b"x" * 600,
    ]
)


@FAST
@given(
    parts=st.lists(st.one_of(line_bits, st.binary(max_size=20)), max_size=20),
    cuts=st.lists(st.integers(0, 4000), max_size=8),
)
def test_line_framing_equals_reference(parts, cuts):
    data = b"".join(parts)
    cuts = sorted(c for c in cuts if c <= len(data))
    _same(nonin_ascii.NoninAsciiParser(), ReferenceNoninAscii(), data, cuts)
    _same(masimo_ascii.MasimoAsciiParser(), ReferenceMasimo(), data, cuts)
