"""The monitor's side of the IntelliVue Data Export dialog, for the simulator and tests.

:class:`MonitorSession` answers a client as an IntelliVue does: association request -> accept
(or refuse), then the MDS create event; the client's create result opens the data phase, in
which each poll request gets a poll result built from the values set with
:meth:`MonitorSession.set_numeric`, :meth:`~MonitorSession.set_wave` and
:meth:`~MonitorSession.set_alarms`; release -> release result; abort ends it. Pure: messages in,
messages out, no I/O and no clock (the caller passes the relative time).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from datetime import datetime

from sessionmon.devices.protocols import intellivue as iv
from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.protocols.encoding import OximeterEncoderBase, OximeterValues


@dataclass(frozen=True, slots=True)
class SimNumeric:
    """A numeric the simulated monitor exports (``value=None`` exports NaN)."""

    physio_id: int
    value: float | None
    unit: int
    label: int
    state: int = 0
    decimals: int = 0


@dataclass(frozen=True, slots=True)
class SimWave:
    """A wave the simulated monitor exports: raw samples and their scale."""

    physio_id: int
    samples: tuple[int, ...]
    sample_period_s: float
    scale: tuple[float, float, int, int]
    label: int
    state: int = 0


def _float(value: float | None, decimals: int = 0) -> int:
    return nom.encode_float(value, decimals)


def _ava(attr: int, value: bytes) -> bytes:
    return struct.pack(">HH", attr, len(value)) + value


def _attr_list(avas: list[bytes]) -> bytes:
    body = b"".join(avas)
    return struct.pack(">HH", len(avas), len(body)) + body


def _nu(physio: int, state: int, unit: int, value: float | None, decimals: int) -> bytes:
    return struct.pack(">HHHI", physio, state, unit, _float(value, decimals))


def numeric_observation(handle: int, n: SimNumeric, at: datetime | None = None) -> bytes:
    """Return one ObservationPoll of a numeric (NIBP as a compound value with its time)."""
    avas = [_ava(nom.NOM_ATTR_ID_LABEL, n.label.to_bytes(4, "big"))]
    if n.physio_id == nom.NOM_PRESS_BLD_NONINV:
        raise ValueError("use nibp_observation for the compound NBP value")
    avas.append(
        _ava(nom.NOM_ATTR_NU_VAL_OBS, _nu(n.physio_id, n.state, n.unit, n.value, n.decimals))
    )
    if at is not None:
        avas.append(_ava(nom.NOM_ATTR_TIME_STAMP_ABS, iv.encode_absolute_time(at)))
    return struct.pack(">H", handle) + _attr_list(avas)


def nibp_observation(
    handle: int,
    sys: float | None,
    dia: float | None,
    mean: float | None,
    measured_at: datetime | None,
    state: int = 0,
) -> bytes:
    """Return the NBP ObservationPoll: compound sys/dia/mean and the measurement time."""
    parts = b"".join(
        _nu(physio, state, nom.NOM_DIM_MMHG, value, 0)
        for physio, value in (
            (nom.NOM_PRESS_BLD_NONINV_SYS, sys),
            (nom.NOM_PRESS_BLD_NONINV_DIA, dia),
            (nom.NOM_PRESS_BLD_NONINV_MEAN, mean),
        )
    )
    compound = struct.pack(">HH", 3, len(parts)) + parts
    avas = [
        _ava(nom.NOM_ATTR_ID_LABEL, (0x00024A04).to_bytes(4, "big")),
        _ava(nom.NOM_ATTR_NU_CMPD_VAL_OBS, compound),
        _ava(nom.NOM_ATTR_TIME_STAMP_ABS, iv.encode_absolute_time(measured_at)),
    ]
    return struct.pack(">H", handle) + _attr_list(avas)


def wave_observation(handle: int, w: SimWave) -> bytes:
    """Return one ObservationPoll of a sample array (16-bit samples, 12 significant bits)."""
    array = b"".join(s.to_bytes(2, "big") for s in w.samples)
    low_abs, high_abs, low, high = w.scale
    avas = [
        _ava(nom.NOM_ATTR_ID_LABEL, w.label.to_bytes(4, "big")),
        _ava(nom.NOM_ATTR_SA_SPECN, struct.pack(">HBBH", len(w.samples), 16, 12, 0)),
        _ava(nom.NOM_ATTR_TIME_PD_SAMP, round(w.sample_period_s * 8000).to_bytes(4, "big")),
        _ava(
            nom.NOM_ATTR_SCALE_SPECN_I16,
            struct.pack(">IIHH", _float(low_abs, 1), _float(high_abs, 1), low, high),
        ),
        _ava(
            nom.NOM_ATTR_SA_VAL_OBS,
            struct.pack(">HHH", w.physio_id, w.state, len(array)) + array,
        ),
    ]
    return struct.pack(">H", handle) + _attr_list(avas)


def alarm_observation(handle: int, alarms: list[iv.DeviceAlarm]) -> bytes:
    """Return the alert monitor ObservationPoll: technical and physiological alarm lists."""

    def entries(selected: list[iv.DeviceAlarm]) -> bytes:
        body = b""
        for n, a in enumerate(selected):
            text = iv.encode_string(a.text)
            info = struct.pack(">HIHHH", n, 0, 0, 0, len(text)) + text
            body += struct.pack(">HHHH", a.source, a.code, a.alert_type, a.state)
            body += struct.pack(">HHH", nom.NOM_MOC_VMO_METRIC_NU, 0, 0)
            body += struct.pack(">HH", iv.STR_ALMON_INFO, len(info)) + info
        return struct.pack(">HH", len(selected), len(body)) + body

    technical = [a for a in alarms if a.category == "technical"]
    physiological = [a for a in alarms if a.category == "physiological"]
    avas = [
        _ava(nom.NOM_ATTR_AL_MON_T_AL_LIST, entries(technical)),
        _ava(nom.NOM_ATTR_AL_MON_P_AL_LIST, entries(physiological)),
    ]
    return struct.pack(">H", handle) + _attr_list(avas)


def poll_result(
    invoke_id: int,
    poll_number: int,
    sequence: int,
    relative_time: int,
    at: datetime | None,
    obj_class: int,
    observations: list[bytes],
    *,
    extended: bool = True,
) -> bytes:
    """Return a poll result carrying ``observations`` (one context)."""
    objects = b"".join(observations)
    context = struct.pack(">HHH", 0, len(observations), len(objects)) + objects
    info = struct.pack(">HH", 1, len(context)) + context
    head = struct.pack(">H", poll_number)
    if extended:
        head += struct.pack(">H", sequence & 0xFFFF)
    head += struct.pack(">I", relative_time & 0xFFFFFFFF) + iv.encode_absolute_time(at)
    head += struct.pack(">HHH", nom.NOM_PART_OBJ, obj_class, 0)
    action = nom.NOM_ACT_POLL_MDIB_DATA_EXT if extended else nom.NOM_ACT_POLL_MDIB_DATA
    body = head + info
    argument = struct.pack(">HHH", nom.NOM_MOC_VMS_MDS, 0, 0)
    argument += struct.pack(">HH", action, len(body)) + body
    rose = struct.pack(">HHH", invoke_id, iv.CMD_CONFIRMED_ACTION, len(argument)) + argument
    return iv.DATA_EXPORT_SPDU + struct.pack(">HH", iv.RORS_APDU, len(rose)) + rose


def mds_create_event(invoke_id: int, relative_time: int, at: datetime | None) -> bytes:
    """Return the MDS create event report (system type, absolute and relative time)."""
    avas = [
        _ava(nom.NOM_ATTR_TIME_ABS, iv.encode_absolute_time(at)),
        _ava(nom.NOM_ATTR_TIME_REL, (relative_time & 0xFFFFFFFF).to_bytes(4, "big")),
    ]
    info = _attr_list(avas)
    argument = struct.pack(">HHH", nom.NOM_MOC_VMS_MDS, 0, 0)
    argument += struct.pack(">IHH", relative_time & 0xFFFFFFFF, nom.NOM_NOTI_MDS_CREAT, len(info))
    argument += info
    rose = struct.pack(">HHH", invoke_id, iv.CMD_CONFIRMED_EVENT_REPORT, len(argument))
    rose += argument
    return iv.DATA_EXPORT_SPDU + struct.pack(">HH", iv.ROIV_APDU, len(rose)) + rose


def connect_indication(relative_time: int = 0) -> bytes:
    """Return the LAN connect indication (event report, no attributes)."""
    info = _attr_list([])
    argument = struct.pack(">HHH", nom.NOM_MOC_MDS_COMPOS_SINGLE_BED, 0, 0)
    argument += struct.pack(">IHH", relative_time & 0xFFFFFFFF, nom.NOM_NOTI_CONN_INDIC, len(info))
    argument += info
    rose = struct.pack(">HHH", 0, iv.CMD_EVENT_REPORT, len(argument)) + argument
    return iv.DATA_EXPORT_SPDU + struct.pack(">HH", iv.ROIV_APDU, len(rose)) + rose


@dataclass
class MonitorSession:
    """One simulated monitor's association with one client.

    Attributes
    ----------
    refuse_association : bool
        Fault: refuse every association request.
    silent : bool
        Fault: answer nothing (the monitor stops answering).
    associated : bool
        Whether the data phase is open.
    """

    refuse_association: bool = False
    silent: bool = False
    associated: bool = False
    numerics: dict[int, SimNumeric] = field(default_factory=dict)
    nibp: tuple[float | None, float | None, float | None, datetime | None] | None = None
    nibp_state: int = 0
    waves: dict[int, SimWave] = field(default_factory=dict)
    alarms: list[iv.DeviceAlarm] = field(default_factory=list)
    polls_answered: int = 0
    _created: bool = False
    _sequence: int = 0

    def set_numeric(self, n: SimNumeric) -> None:
        """Export ``n`` from the next poll on."""
        self.numerics[n.physio_id] = n

    def set_nibp(
        self, sys: float | None, dia: float | None, mean: float | None, at: datetime | None
    ) -> None:
        """Export an NBP result measured at ``at``."""
        self.nibp = (sys, dia, mean, at)

    def set_wave(self, w: SimWave) -> None:
        """Export ``w``'s samples with the next wave poll (then they are gone)."""
        self.waves[w.physio_id] = w

    def set_alarms(self, alarms: list[iv.DeviceAlarm]) -> None:
        """The monitor's alarm list from now on."""
        self.alarms = list(alarms)

    def handle(self, data: bytes, relative_time: int, at: datetime | None) -> list[bytes]:
        """Answer one client message; returns the messages to send back."""
        if self.silent:
            return []
        try:
            message = iv.parse_message(data)
        except iv.MessageError:
            return []
        if isinstance(message, iv.AssociationRequest):
            if self.refuse_association:
                return [iv.refuse()]
            self.associated, self._created = True, False
            return [iv.association_accept(), mds_create_event(1, relative_time, at)]
        if isinstance(message, iv.MdsCreateResult):
            self._created = True
            return []
        if isinstance(message, iv.ReleaseRequest):
            self.associated = False
            return [iv.release_result()]
        if isinstance(message, iv.Abort):
            self.associated = False
            return []
        if isinstance(message, iv.PollRequest) and self.associated:
            return [self._answer(message, relative_time, at)]
        return []

    def _answer(self, request: iv.PollRequest, relative_time: int, at: datetime | None) -> bytes:
        observations: list[bytes] = []
        if request.obj_class == nom.NOM_MOC_VMO_METRIC_NU:
            for handle, n in enumerate(self.numerics.values(), start=0x100):
                observations.append(numeric_observation(handle, n))
            if self.nibp is not None:
                observations.append(nibp_observation(0x1FF, *self.nibp, self.nibp_state))
        elif request.obj_class == nom.NOM_MOC_VMO_METRIC_SA_RT:
            for handle, w in enumerate(self.waves.values(), start=0x200):
                observations.append(wave_observation(handle, w))
            self.waves.clear()
        elif request.obj_class == nom.NOM_MOC_VMO_AL_MON:
            observations.append(alarm_observation(0x300, self.alarms))
        self._sequence += 1
        self.polls_answered += 1
        return poll_result(
            request.invoke_id,
            request.poll_number,
            self._sequence,
            relative_time,
            at,
            request.obj_class,
            observations,
            extended=request.extended,
        )


class IntelliVueWireEncoder(OximeterEncoderBase):
    """What a monitor sends, as RS232 frames, for the registry's generic encoder interface.

    Each :meth:`encode` call is one numerics poll result (ECG HR, SpO2; ``None`` or
    ``sensor_off`` export NaN with the invalid state) and, with samples, one pleth wave result.
    Used for captures and property tests; the simulated monitor answers polls instead.
    """

    def __init__(self) -> None:
        self._sequence = 0

    def encode(self, values: OximeterValues) -> bytes:
        """Return the framed poll results for these values."""
        from sessionmon.devices.protocols.intellivue_frame import frame

        sensor_off, device_time = values.sensor_off, values.device_time

        def numeric(physio: int, value: int | None, unit: int, label: int) -> SimNumeric:
            bad = sensor_off or value is None
            return SimNumeric(physio, None if bad else value, unit, label, nom.MS_INVALID * bad)

        numerics = [
            numeric(nom.NOM_ECG_CARD_BEAT_RATE, values.hr, nom.NOM_DIM_BEAT_PER_MIN, 0x00024182),
            numeric(nom.NOM_PULS_OXIM_SAT_O2, values.spo2, nom.NOM_DIM_PERCENT, 0x00024BB8),
        ]
        self._sequence += 1
        rel = self._sequence * 8000
        observations = [numeric_observation(0x100 + i, n) for i, n in enumerate(numerics)]
        out = frame(
            poll_result(
                self._sequence,
                1,
                self._sequence,
                rel,
                device_time,
                nom.NOM_MOC_VMO_METRIC_NU,
                observations,
            )
        )
        samples = tuple(max(0, min(4095, round(s))) for s in values.pleth_samples)
        if samples:
            wave = SimWave(nom.NOM_PLETH, samples, 1 / 125, (0.0, 100.0, 0, 4095), 0x24BB4)
            out += frame(
                poll_result(
                    self._sequence,
                    2,
                    self._sequence,
                    rel,
                    device_time,
                    nom.NOM_MOC_VMO_METRIC_SA_RT,
                    [wave_observation(0x200, wave)],
                )
            )
        return out
