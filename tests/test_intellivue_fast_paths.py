"""The IntelliVue fast paths give exactly what the plain paths give.

Poll results read by a learned layout give exactly what :func:`parse_message` gives, and the
deframer that walks its buffer by position cuts and counts as the one that cut it at every EOF.

Hypothesis builds a few message *shapes* (objects, attributes, sample formats, linked or not,
extended or not, repeated and unknown attributes) and then a mix of messages of those shapes with
arbitrary values (states, FLOAT values, NaN, times, samples beyond the significant bits), some of
them corrupted (a byte flipped, dropped or inserted, or random bytes of a learned length), with
other messages between them. :class:`LayoutParser` must return, message by message, the same
result as :func:`parse_message`, or raise the same :class:`MessageError` with the same text.
"""

from __future__ import annotations

import itertools
import struct
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionmon.devices.protocols import intellivue as iv
from sessionmon.devices.protocols import intellivue_frame as fr
from sessionmon.devices.protocols import intellivue_monitor as mon
from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.protocols.intellivue_layout import LayoutParser

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))

NUMERIC_IDS = [nom.NOM_ECG_CARD_BEAT_RATE, nom.NOM_PULS_OXIM_SAT_O2, nom.NOM_AWAY_CO2_ET, 0x1234]
UNITS = [nom.NOM_DIM_BEAT_PER_MIN, nom.NOM_DIM_PERCENT, nom.NOM_DIM_KILO_PASCAL, nom.NOM_DIM_MMHG]
STATES = st.sampled_from(
    [0, nom.MS_INVALID, nom.MS_QUESTIONABLE, nom.MS_DEMO_DATA, nom.MS_MSMT_ONGOING, 0xFFFF]
)
#: Values from a small pool (so that a value often stays while another changes) or any.
VALUES = st.one_of(
    st.sampled_from([None, 0, 72, 97.5]),
    st.floats(-500, 500, allow_nan=False),
    st.integers(0, 300),
)
TIMES = st.one_of(
    st.none(),
    st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(lambda t: t.replace(tzinfo=UTC)),
    st.binary(min_size=8, max_size=8),  # any bytes: not BCD, not a date, "not set"
)


def _ava(attr: int, value: bytes) -> bytes:
    return struct.pack(">HH", attr, len(value)) + value


def _attr_list(avas: list[bytes]) -> bytes:
    body = b"".join(avas)
    return struct.pack(">HH", len(avas), len(body)) + body


def _time(at: object) -> bytes:
    return at if isinstance(at, bytes) else iv.encode_absolute_time(at)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- shapes


@st.composite
def numeric_shape(draw):
    return (
        "nu",
        draw(st.sampled_from(NUMERIC_IDS)),
        draw(st.sampled_from(UNITS)),
        draw(st.sampled_from([None, 8, 6])),  # stamp: none, AbsoluteTime, another size
        draw(st.booleans()),  # the value attribute twice (the last one counts)
        draw(st.integers(0, 2)),  # bytes after the NuObsValue inside its attribute
    )


@st.composite
def nibp_shape(draw):
    return ("nibp", draw(st.integers(0, 4)), draw(st.booleans()))


@st.composite
def wave_shape(draw):
    return (
        "wave",
        draw(st.sampled_from([nom.NOM_PLETH, nom.NOM_AWAY_CO2])),
        draw(st.integers(0, 30)),  # samples
        draw(st.sampled_from([16, 16, 8, 24])),  # sample size in bits
        draw(st.integers(0, 16)),  # significant bits (0: all)
        draw(st.booleans()),  # an odd byte after the samples
        draw(st.booleans()),  # with a scale
    )


@st.composite
def alarm_shape(draw):
    return (
        "alarms",
        draw(st.integers(0, 9)),  # code
        draw(st.sampled_from(["", "LEADS"])),  # text
        draw(st.integers(0, 2)),  # how many
    )


@st.composite
def shape(draw):
    an_object = st.one_of(numeric_shape(), nibp_shape(), wave_shape(), alarm_shape())
    contexts = draw(
        st.lists(
            st.tuples(
                st.integers(0, 3),  # bytes after the objects of the context
                st.lists(an_object, max_size=4).map(tuple),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return (
        draw(
            st.sampled_from(
                [nom.NOM_MOC_VMO_METRIC_NU, nom.NOM_MOC_VMO_METRIC_SA_RT, nom.NOM_MOC_VMO_AL_MON]
            )
        ),
        draw(st.booleans()),  # extended poll
        draw(st.booleans()),  # linked result
        tuple(contexts),
    )


# ---------------------------------------------------------------------- values


def _nu(physio, unit, state, value, decimals, extra):
    return mon._nu(physio, state, unit, value, decimals) + bytes(extra)


def _object(draw, handle: int, obj) -> bytes:
    kind = obj[0]
    if kind == "nu":
        _, physio, unit, stamp, twice, extra = obj
        avas = [_ava(nom.NOM_ATTR_ID_LABEL, b"\x00\x02\x41\x82")]
        if twice:  # an earlier value attribute of the same id: not read (part of the shape)
            avas.append(_ava(nom.NOM_ATTR_NU_VAL_OBS, _nu(physio, unit, 0, 50, 0, extra)))
        value = _nu(physio, unit, draw(STATES), draw(VALUES), draw(st.integers(0, 3)), extra)
        avas.append(_ava(nom.NOM_ATTR_NU_VAL_OBS, value))
        if stamp == 8:
            avas.append(_ava(nom.NOM_ATTR_TIME_STAMP_ABS, _time(draw(TIMES))))
        elif stamp == 6:
            avas.append(_ava(nom.NOM_ATTR_TIME_STAMP_ABS, b"\x01\x02\x03\x04\x05\x06"))
    elif kind == "nibp":
        _, count, stamped = obj
        ids = [nom.NOM_PRESS_BLD_NONINV_SYS, nom.NOM_PRESS_BLD_NONINV_DIA]
        ids += [nom.NOM_PRESS_BLD_NONINV_MEAN, 0x4A08]
        parts = b"".join(
            _nu(ids[k % 4], nom.NOM_DIM_MMHG, draw(STATES), draw(VALUES), 0, 0)
            for k in range(count)
        )
        avas = [_ava(nom.NOM_ATTR_NU_CMPD_VAL_OBS, struct.pack(">HH", count, len(parts)) + parts)]
        if stamped:
            avas.append(_ava(nom.NOM_ATTR_TIME_STAMP_ABS, _time(draw(TIMES))))
    elif kind == "wave":
        _, physio, count, bits, significant, odd, scaled = obj
        size = bits // 8
        top = (1 << bits) - 1
        top = min(top, draw(st.sampled_from([15, 255, 4095, top])))  # inside the mask or not
        samples = draw(st.lists(st.integers(0, top), min_size=count, max_size=count))
        array = b"".join(s.to_bytes(size, "big") for s in samples) + b"\x07" * odd
        avas = [
            _ava(nom.NOM_ATTR_SA_SPECN, struct.pack(">HBBH", count, bits, significant, 0)),
            _ava(nom.NOM_ATTR_TIME_PD_SAMP, (64).to_bytes(4, "big")),
        ]
        if scaled:
            low, high = nom.encode_float(0.0, 1), nom.encode_float(100.0, 1)
            avas.append(
                _ava(nom.NOM_ATTR_SCALE_SPECN_I16, struct.pack(">IIHH", low, high, 0, 4095))
            )
        state = draw(STATES)
        avas.append(
            _ava(nom.NOM_ATTR_SA_VAL_OBS, struct.pack(">HHH", physio, state, len(array)) + array)
        )
    else:
        _, code, text, many = obj
        alarms = [iv.DeviceAlarm(1, code, 1, 0, text), iv.DeviceAlarm(2, 3, 512, 0, "SpO2 LOW")]
        return mon.alarm_observation(handle, alarms[:many])
    return struct.pack(">H", handle) + _attr_list(avas)


def _linked(message: bytes, state: int, count: int) -> bytes:
    """The same poll result as one part of a linked result (RORLS, with its two bytes)."""
    length = struct.unpack_from(">H", message, 6)[0]
    head = iv.DATA_EXPORT_SPDU + struct.pack(">HH", iv.RORLS_APDU, length + 2)
    return head + bytes((state, count)) + message[8:]


def _poll_result(draw, obj_class, extended, contexts, at: bytes) -> bytes:
    """As :func:`intellivue_monitor.poll_result`, with any AbsoluteTime bytes and contexts of
    ``(tail, observations)``: ``tail`` bytes after the objects inside their context."""
    context = b""
    for k, (tail, observations) in enumerate(contexts):
        objects = b"".join(observations) + bytes(tail)
        context += struct.pack(">HHH", k, len(observations), len(objects)) + objects
    info = struct.pack(">HH", len(contexts), len(context)) + context
    head = struct.pack(">H", draw(st.integers(0, 0xFFFF)))
    if extended:
        head += struct.pack(">H", draw(st.integers(0, 0xFFFF)))
    head += struct.pack(">I", draw(st.integers(0, 0xFFFFFFFF))) + at
    head += struct.pack(">HHH", nom.NOM_PART_OBJ, obj_class, 0)
    action = nom.NOM_ACT_POLL_MDIB_DATA_EXT if extended else nom.NOM_ACT_POLL_MDIB_DATA
    body = head + info
    argument = struct.pack(">HHH", nom.NOM_MOC_VMS_MDS, 0, 0)
    argument += struct.pack(">HH", action, len(body)) + body
    invoke = draw(st.integers(0, 0xFFFF))
    rose = struct.pack(">HHH", invoke, iv.CMD_CONFIRMED_ACTION, len(argument)) + argument
    return iv.DATA_EXPORT_SPDU + struct.pack(">HH", iv.RORS_APDU, len(rose)) + rose


def _message(draw, s) -> bytes:
    obj_class, extended, linked, shapes = s
    contexts = [
        (tail, [_object(draw, 0x100 + k, obj) for k, obj in enumerate(objects)])
        for tail, objects in shapes
    ]
    message = _poll_result(draw, obj_class, extended, contexts, _time(draw(TIMES)))
    if linked:
        message = _linked(message, draw(st.integers(1, 3)), draw(st.integers(0, 255)))
    return message


@st.composite
def message_mixes(draw):
    shapes = draw(st.lists(shape(), min_size=1, max_size=3))
    out: list[bytes] = []
    for _ in range(draw(st.integers(1, 14))):
        pick = draw(st.integers(0, 9))
        if pick == 0 and out:  # random bytes of a length already seen
            out.append(draw(st.binary(min_size=len(out[-1]), max_size=len(out[-1]))))
            continue
        if pick == 1:
            out.append(draw(st.sampled_from([iv.keep_alive(3), iv.abort(), iv.release_result()])))
            continue
        message = _message(draw, draw(st.sampled_from(shapes)))
        if pick == 2:  # one byte flipped
            at = draw(st.integers(0, len(message) - 1))
            message = (
                message[:at] + bytes((message[at] ^ draw(st.integers(1, 255)),)) + message[at + 1 :]
            )
        elif pick == 3:  # one byte dropped or inserted
            at = draw(st.integers(0, len(message) - 1))
            extra = draw(st.binary(max_size=1))
            message = message[:at] + extra + message[at + 1 :]
        out.append(message)
    return out


def _outcome(parse, data: bytes) -> tuple[str, object]:
    try:
        return "ok", parse(data)
    except iv.MessageError as exc:
        return "error", str(exc)


@SETTINGS
@given(messages=message_mixes())
def test_layout_reading_equals_parse_message(messages):
    reader = LayoutParser()
    for data in messages:
        assert _outcome(reader.parse, data) == _outcome(iv.parse_message, data)


def _learnable(s) -> bool:
    """Whether a shape's layout is one :class:`LayoutParser` learns (16-bit samples)."""
    return all(obj[0] != "wave" or obj[3] == 16 for _, objects in s[3] for obj in objects)


@SETTINGS
@given(data=st.data(), s=shape().filter(_learnable))
def test_a_shape_seen_before_is_read_by_its_layout(data, s):
    """Every learnable shape is read by layout the second time, with that message's values
    (a walk that went wrong would be caught by the guard and end here as a plain parse)."""
    reader = LayoutParser()
    first = _message(data.draw, s)
    second = _message(data.draw, s)
    assert reader.parse(first) == iv.parse_message(first)
    assert reader.parse(second) == iv.parse_message(second)
    assert reader.reads_by_layout == 1


def test_repeated_layout_is_read_by_layout_with_new_values():
    """The second message of a shape is read by the layout, and its new values come out."""
    reader = LayoutParser()
    monitor = mon.IntelliVueWireEncoder()
    from sessionmon.devices.protocols.intellivue_frame import Deframer

    deframer = Deframer()
    first = deframer.feed(monitor.frames_for(72, 97, [100, 200, 4000], 2.5))
    second = deframer.feed(monitor.frames_for(80, 91, [300, 200, 4095], 2.5))
    for data in first:
        reader.parse(data)
    assert reader.reads_by_layout == 0
    for data in second:
        assert reader.parse(data) == iv.parse_message(data)
    assert reader.reads_by_layout == 2
    numerics = reader.parse(second[0]).numerics
    assert [n.value for n in numerics] == [80, 91]
    assert reader.parse(second[1]).waves[0].samples == (300, 200, 4095)


class ReferenceDeframer(fr.Deframer):
    """The deframer as it was: the buffer cut at every EOF, the FCS compared as bytes."""

    def feed(self, data):
        out = []
        buf = self._body
        buf += data
        stats = self.stats
        while True:
            end = buf.find(fr.EOF)
            if end < 0:
                break
            chunk = bytes(buf[:end])
            del buf[: end + 1]
            start = chunk.rfind(fr.BOF)
            if start < 0:
                stats.skipped_bytes += len(chunk) + 1
                continue
            before = chunk[:start]
            if fr.BOF in before:
                stats.malformed += 1
                before = before[: before.find(fr.BOF)]
            stats.skipped_bytes += len(before)
            body = chunk[start + 1 :]
            if body.endswith(b"\x7d"):
                stats.aborted += 1
                continue
            message = self._finish(fr._unescape(body))
            if message is not None:
                out.append(message)
        if len(buf) > fr.MAX_USER_DATA + fr.HEADER_LEN + fr.FCS_LEN + 16:
            start = buf.rfind(fr.BOF)
            keep = buf[start:] if start >= 0 and len(buf) - start < fr.MAX_USER_DATA else b""
            stats.malformed += 1
            stats.skipped_bytes += len(buf) - len(keep)
            self._body = buf = bytearray(keep)
        return out

    def _finish(self, body):
        if len(body) < fr.HEADER_LEN + fr.FCS_LEN:
            self.stats.malformed += 1
            return None
        content, fcs = body[: -fr.FCS_LEN], body[-fr.FCS_LEN :]
        if fr.fcs_bytes(content) != fcs:
            self.stats.fcs_errors += 1
            return None
        length = int.from_bytes(content[2:4], "big")
        if content[0] != fr.PROTOCOL_ID or length != len(content) - fr.HEADER_LEN:
            self.stats.malformed += 1
            return None
        self.stats.frames += 1
        return content[fr.HEADER_LEN :]


_FRAMES = [fr.frame(bytes([k]) * n) for k, n in ((0xC0, 3), (0x7D, 40), (0x11, 0), (0xC1, 9))]
_PIECE = st.one_of(
    st.sampled_from(_FRAMES),
    st.binary(max_size=40),
    st.sampled_from([b"\xc0", b"\xc1", b"\x7d", b"\x7d\xc1", b"\xc0\xc0\x11"]),
    st.sampled_from(_FRAMES).map(lambda f: f[:-3] + b"\x00" + f[-2:]),  # bad FCS
    st.integers(8000, 9000).map(lambda n: b"\xc0" + bytes(n)),  # over the longest frame
)


@SETTINGS
@given(
    pieces=st.lists(_PIECE, max_size=30),
    cuts=st.lists(st.integers(0, 20_000), max_size=12),
)
def test_deframer_by_position_equals_cutting_at_every_eof(pieces, cuts):
    data = b"".join(pieces)
    fast, reference = fr.Deframer(), ReferenceDeframer()
    bounds = [0, *sorted(c for c in cuts if c < len(data)), len(data)]
    for start, end in itertools.pairwise(bounds):
        assert fast.feed(data[start:end]) == reference.feed(data[start:end])
        assert fast._body == reference._body
    assert fast.stats == reference.stats
