"""Contec "V7.0" 9-byte protocol (CMS50D+ v4.6 and newer, CMS50E, CMS50F), 115200 8-N-1.

Every packet is a type byte (bit 7 clear) followed by data bytes sent with bit 7 forced to 1;
the first data byte is the "high byte" whose bit *i* is the true bit 7 of data byte *i* + 2.
Packets therefore delimit themselves: a packet ends where the next type byte begins.

Real-time data packet (type ``0x01``, about 60 a second), after restoring bit 7:

=====  ====  ==============================================
byte   bits  meaning
=====  ====  ==============================================
2      0-3   signal strength 0-8
2      4     searching too long
2      6     pulse beep
2      7     probe error ("finger out"; pleth then reads 0x40)
3      0-6   pleth 0-127
3      7     searching for pulse
4      0-3   bargraph 0-15
4      4     PI invalid
5            pulse rate 1-254, ``0xFF`` invalid
6            SpO2 1-100, ``0x7F`` invalid
7-8          perfusion index x 100, little endian, ``0xFFFF`` invalid
=====  ====  ==============================================

While the probe-error ("finger out") bit is set the numerics are "no value" whatever the
bytes hold: real CMS50D+ units signal finger out with a high byte of ``0xE1`` (bit 7 of the pulse
byte clear), so their pulse byte reads 0x7F, not the 0xFF sentinel (github.com/headrotor/
contec_data, stream_data.py).

Other packet types (command replies, device id...) are counted in ``stats.extra["other_packets"]``
and skipped. The host must send :func:`start_stream` and then :func:`keep_alive` about every 5 s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from sessionmon.devices.protocols.base import (
    TC,
    FrameParser,
    RowGate,
    clamp_int,
    conditions_of,
    value_or_invalid,
)
from sessionmon.devices.protocols.encoding import OximeterEncoderBase, OximeterValues
from sessionmon.devices.protocols.fast_runs import LazyTable, gate_events, good_run
from sessionmon.devices.readings import Decoded, Reading
from sessionmon.model import Kind

PACKET_LEN = 9
REALTIME = 0x01
_REALTIME = re.compile(rb"\x01[\x80-\xff]{8}")
_HIGH_BYTES = bytes(range(0x80, 0x100))
_TWO_TYPE_BYTES = re.compile(rb"[\x00-\x7f]{2}")
#: Longest run of unmatched bytes kept while waiting for a packet to complete.
_MAX_PENDING = 256
_PLETH_READINGS = [Reading.of(Kind.PLETH, v) for v in range(128)]

CMD_START = 0xA1
CMD_STOP = 0xA2
CMD_DEVICE_ID = 0xAA
CMD_KEEP_ALIVE = 0xAF


def command(cmd: int, params: Sequence[int] = ()) -> bytes:
    """Return the 9-byte host command ``7D 81 CMD P1..P6`` (parameters OR 0x80).

    Parameters
    ----------
    cmd : int
        Command byte, e.g. ``0xA1``.
    params : sequence of int
        Up to 6 parameter bytes; their bit 7s travel in the high byte (``0x81`` already carries
        the command's).
    """
    if len(params) > 6:
        raise ValueError("at most 6 parameters")
    padded = [*params, *([0] * (6 - len(params)))]
    high = 0x80 | ((cmd >> 7) & 1)
    for i, value in enumerate(padded):
        high |= ((value >> 7) & 1) << (i + 1)
    return bytes((0x7D, high, cmd | 0x80, *(v | 0x80 for v in padded)))


def start_stream() -> bytes:
    """Return the command that starts the real-time stream (``7D 81 A1 80 80 80 80 80 80``)."""
    return command(CMD_START)


def stop_stream() -> bytes:
    """Return the command that stops the real-time stream (``7D 81 A2 80 ...``)."""
    return command(CMD_STOP)


def keep_alive() -> bytes:
    """Return the keep-alive command (``7D 81 AF 80 ...``), to send about every 5 s."""
    return command(CMD_KEEP_ALIVE)


def device_id_request() -> bytes:
    """Return the command asking for the device id (``7D 81 AA 80 ...``)."""
    return command(CMD_DEVICE_ID)


def restore(packet: bytes | bytearray) -> bytes:
    """Return the data bytes of ``packet`` (from byte 2 on) with their true bit 7 restored."""
    high = packet[1]
    return bytes((b & 0x7F) | (((high >> i) & 1) << 7) for i, b in enumerate(packet[2:PACKET_LEN]))


class Cms50V7Parser(FrameParser):
    """Parser of the CMS50 V7 packet stream.

    Parameters
    ----------
    numerics_every : int
        Emit an unchanged HR / SpO2 / PI once every this many packets (60 = about once a
        second); changes are always emitted.
    """

    def __init__(self, numerics_every: int = 60) -> None:
        super().__init__()
        self._gate = RowGate(numerics_every, len(_ROW_KINDS))

    def _restart_filters(self) -> None:
        self._gate.reset()

    def _scan(self, frames: list[list[Decoded]]) -> int:
        buf = self._buf
        pos = 0
        cache = _DECODED
        passing = self._gate.passing
        append = frames.append
        search = _REALTIME.search
        while True:
            if self._base + pos == self._expected:  # in step: the packets ahead at once
                pos = self._run(frames, pos)
            match = search(buf, pos)
            if match is None:
                break
            start = match.start()
            if start != pos:
                self._skip(buf[pos:start], pos)
            end = start + PACKET_LEN
            self._accept(start, end)
            raw = match.group()
            decoded = cache.get(raw)
            if decoded is None:
                head, row = _decode_packet(restore(raw))
                numerics = tuple(_invalid(k, v) for k, v in zip(_ROW_KINDS, row, strict=True))
                decoded = head, row, numerics, head + numerics
                if len(cache) >= _DECODED_MAX:
                    cache.clear()
                cache[raw] = decoded
            head, row, numerics, whole = decoded
            due = passing(row)
            if not due:
                append(list(head))
            elif len(due) == 3:
                append(list(whole))
            else:
                append([*head, *[numerics[i] for i in due]])
            pos = end
        if len(buf) - pos > _MAX_PENDING:
            return len(buf) - _MAX_PENDING
        return pos

    def _run(self, frames: list[list[Decoded]], pos: int) -> int:
        """Decode the run of real-time packets at ``pos`` of a stream in step; return its end.

        What the packet-by-packet search gives there (see :mod:`.fast_runs`): every packet in
        place, its bit 7s restored and decoded for the whole run, numerics through the gate.
        """
        packets = good_run(self._buf, pos, PACKET_LEN, _good)
        if packets is None:
            return pos
        run = len(packets)
        ahead = packets.astype(np.int64)
        end = pos + run * PACKET_LEN
        self.stats.frames += run
        self._expected = self._base + end
        high = ahead[:, 1]
        d = [(ahead[:, i + 2] & 0x7F) | (((high >> i) & 1) << 7) for i in range(7)]
        finger = (d[0] & 0x80) != 0
        bits = finger | ((d[1] & 0x80) >> 6) | ((d[0] & 0x10) >> 2)
        heads = _HEADS[(d[1] & 0x7F) | (bits << 7)].tolist()
        pulse, spo2, pi_raw = d[3], d[4], d[5] | (d[6] << 8)
        hr_code = np.where(finger | (pulse == 0) | (pulse == 0xFF), _NO_HR, pulse)
        spo2_code = np.where(finger | (spo2 == 0) | (spo2 > 100), _NO_SPO2, spo2)
        no_pi = finger | ((d[2] & 0x10) != 0) | (pi_raw == 0xFFFF)
        pi_code = np.where(no_pi, _NO_PI, pi_raw)
        if self._gate.every == 1:  # every packet's numerics pass (decode's default)
            items = zip(
                heads,
                _HR_ITEMS.take(hr_code),
                _SPO2_ITEMS.take(spo2_code),
                _PI_ITEMS.take(pi_code),
                strict=True,
            )
            frames += [[*head, hr, spo2, pi] for head, hr, spo2, pi in items]
            return end
        codes = (hr_code << 25) | (spo2_code << 17) | pi_code
        out = list(map(list, heads))
        for i, due in gate_events(self._gate, codes, lambda i: _row(int(codes[i]))):
            row = _row(int(codes[i]))
            out[i] += [_invalid(_ROW_KINDS[k], row[k]) for k in due]
        frames += out
        return end

    def _skip(self, region: bytes | bytearray, pos: int) -> None:
        """Account for bytes between two real-time packets (other packets or garbage)."""
        if not region:
            return
        if (
            self._base + pos == self._expected
            and region[0] < 0x80
            and region[-1] >= 0x80
            and b"\x01" not in region
            and _TWO_TYPE_BYTES.search(region) is None
        ):
            # well-formed packets of other types (each a type byte and at least a high byte)
            self._count("other_packets", len(region.translate(None, _HIGH_BYTES)))
            self._expected = self._base + pos + len(region)


def _decode_packet(
    d: bytes,
) -> tuple[tuple[Decoded, ...], tuple[float | None, ...]]:
    """Decode restored data bytes: (pleth and conditions, (HR, SpO2, PI); ``None``: no value).

    Stateless, so its result is kept per raw packet (:data:`_DECODED`); the value gate runs
    on every packet.
    """
    out: list[Decoded] = [_PLETH_READINGS[d[1] & 0x7F]]
    out += conditions_of(
        (
            (bool(d[0] & 0x80), TC.SENSOR_OFF, "finger out"),
            (bool(d[1] & 0x80), TC.SEARCHING, "searching"),
            (bool(d[0] & 0x10), TC.SEARCHING, "searching too long"),
        )
    )
    pulse, spo2 = d[3], d[4]
    finger_out = bool(d[0] & 0x80)
    hr_value = None if finger_out or pulse in (0, 0xFF) else pulse
    spo2_value = None if finger_out or spo2 == 0 or spo2 > 100 else spo2
    pi_raw = d[5] | (d[6] << 8)
    pi_value = None if finger_out or (d[2] & 0x10) or pi_raw == 0xFFFF else pi_raw / 100
    return tuple(out), (hr_value, spo2_value, pi_value)


def _good(packets: np.ndarray) -> np.ndarray:
    """Which packets of a (k, 9) array are real-time packets (as :data:`_REALTIME`)."""
    return (packets[:, 0] == REALTIME) & (packets[:, 1:].min(axis=1) >= 0x80)


#: Codes of "no value" in a run's row codes (``hr << 25 | spo2 << 17 | pi``), see :func:`_row`.
_NO_HR, _NO_SPO2, _NO_PI = 0x100, 0xFF, 0x10000


def _row(code: int) -> tuple[float | None, ...]:
    """The (HR, SpO2, PI) row of a run's row code, as :func:`_decode_packet` gives it."""
    hr, spo2, pi = code >> 25, (code >> 17) & 0xFF, code & 0x1FFFF
    return (
        None if hr == _NO_HR else hr,
        None if spo2 == _NO_SPO2 else spo2,
        None if pi == _NO_PI else pi / 100,
    )


def _make_heads() -> np.ndarray:
    """Pleth reading and conditions by ``bits << 7 | pleth`` (bits: finger out, searching,
    searching too long), as :func:`_decode_packet` gives them."""
    heads = np.empty(8 << 7, dtype=object)
    for key in range(8 << 7):
        bits = key >> 7
        d0 = (0x80 if bits & 1 else 0) | (0x10 if bits & 4 else 0)
        d1 = (key & 0x7F) | (0x80 if bits & 2 else 0)
        heads[key] = _decode_packet(bytes((d0, d1, 0, 1, 1, 0, 0)))[0]
    return heads


def _invalid(kind: Kind, value: float | None) -> Decoded:
    """:func:`value_or_invalid`, with the reading or condition shared per (kind, value)."""
    key = (kind, value)
    item = _VALUES.get(key)
    if item is None:
        item = _VALUES[key] = value_or_invalid(kind, value)
    return item


#: Decoded raw packets: a stream repeats few distinct packets (pleth 0-127 by a handful of
#: numerics), so most packets are a dictionary look-up. Cleared when full (noise).
_DECODED_MAX = 1 << 15
#: Per raw packet: (pleth and conditions, numerics row, the row's items, all items).
_DECODED: dict[bytes, tuple[tuple[Decoded, ...], tuple[float | None, ...], tuple, tuple]] = {}
#: The numerics of a packet, in the order of its row for the value gate.
_ROW_KINDS = (Kind.HR, Kind.SPO2, Kind.PI)
#: HR 0-254, SpO2 0-100 and PI 0-655 have at most about 66,000 values: kept for good.
_VALUES: dict[tuple[Kind, float | None], Decoded] = {}
_HEADS = _make_heads()
#: The numerics items of a run's codes (see :func:`_row`), made on first use.
_HR_ITEMS = LazyTable(_NO_HR + 1, lambda code: _invalid(Kind.HR, _row(code << 25)[0]))
_SPO2_ITEMS = LazyTable(_NO_SPO2 + 1, lambda code: _invalid(Kind.SPO2, _row(code << 17)[1]))
_PI_ITEMS = LazyTable(_NO_PI + 1, lambda code: _invalid(Kind.PI, _row(code)[2]))


def encode_packet(
    hr: int | None,
    spo2: int | None,
    pleth: float,
    pi: float | None = None,
    *,
    signal: int = 8,
    probe_error: bool = False,
    searching: bool = False,
    searching_too_long: bool = False,
    beep: bool = False,
    bargraph: int = 0,
) -> bytes:
    """Return one 9-byte real-time packet.

    Parameters
    ----------
    hr, spo2 : int or None
        Pulse rate 0-254 and SpO2 0-100; ``None`` sends ``0xFF`` / ``0x7F``.
    pleth : float
        Pleth sample 0-127.
    pi : float or None
        Perfusion index in %; ``None`` sends ``0xFFFF`` with the PI-invalid bit.
    """
    pi_raw = 0xFFFF if pi is None else clamp_int(pi * 100, 0, 0xFFFE)
    data = (
        (signal & 0x0F)
        | (0x10 if searching_too_long else 0)
        | (0x40 if beep else 0)
        | (0x80 if probe_error else 0),
        clamp_int(pleth, 0, 127) | (0x80 if searching else 0),
        (bargraph & 0x0F) | (0x10 if pi is None else 0),
        0xFF if hr is None else clamp_int(hr, 0, 254),
        0x7F if spo2 is None else clamp_int(spo2, 0, 100),
        pi_raw & 0xFF,
        pi_raw >> 8,
    )
    high = 0x80
    for i, value in enumerate(data):
        high |= ((value >> 7) & 1) << i
    return bytes((REALTIME, high, *(v | 0x80 for v in data)))


class Cms50V7Encoder(OximeterEncoderBase):
    """Wire encoder of the V7 stream: one packet per pleth sample (see ``OximeterEncoder``)."""

    def encode(self, values: OximeterValues) -> bytes:
        """Return one real-time packet per pleth sample carrying ``hr``, ``spo2``, ``pi``."""
        hr, spo2, pi, searching = values.hr, values.spo2, values.pi, values.searching
        return b"".join(
            encode_packet(hr, spo2, s, pi, probe_error=values.sensor_off, searching=searching)
            for s in values.pleth_samples
        )
