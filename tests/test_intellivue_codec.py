"""The IntelliVue Data Export codec, byte for byte, and its parsers under hypothesis.

The programming guide's example messages could not be retrieved through the search tool (only
the opening pages of the guide's copies are indexed), so the expected bytes below are the
message constants of an independent open-source client, VSCaptureMP (github.com/xeonfusion/
VSCaptureMP, ``Class2.cs`` ``DataConstants``: ``aarq_msg``, ``mds_create_resp_msg``,
``poll_mds_request_msg``, ``ext_poll_request_msg5``, ``keep_alive_msg``, ``rlrq_msg``,
``rlrq_resp_msg``, ``assoc_abort_resp_msg``), written out here as hex.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionmon.devices.protocols import intellivue as iv
from sessionmon.devices.protocols import intellivue_frame as fr
from sessionmon.devices.protocols import intellivue_monitor as mon
from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.devices.protocols.intellivue_client import (
    AlarmList,
    ClientDialog,
    Phase,
    PollDecoder,
    Wave,
)
from sessionmon.devices.protocols.intellivue_stream import IntelliVueStreamParser
from sessionmon.devices.readings import Condition, Reading, TechnicalCondition
from sessionmon.model import Kind

AARQ = bytes.fromhex(
    "0dec0508130100160102800014020002c1dc3180a0808001010000a280a003000001a4803080020101060452"
    "010001308006025101000000003080020102060c2a8648ce14020100000001013080060c2a8648ce14020100"
    "0000020100000000000061803080020101a0806080a180060c2a8648ce14020100000003010000be80288006"
    "0c2a8648ce140201000000010102010281488000000040000000000000008000000020000000000000000001"
    "002c0001002880000000000009c4000009c4000003e8ffffffff600000000001000cf00100088c0000000000"
    "000000000000000000000000000000000000"
)
MDS_CREATE_RESULT = bytes.fromhex("e10000020002001400010001000e002100000000000abd000d060000")
POLL_MDS = bytes.fromhex(
    "e10000020001001c00000007001600210000000000000000 0c16000800010001 00210000".replace(" ", "")
)
EXT_POLL_NUMERICS = bytes.fromhex(
    "e10000020001002800010007002200210000000000000000f13b00140001000100060000"
    "00010008f13e00040003a980"
)
KEEP_ALIVE = bytes.fromhex(
    "e10000020001001c000100070016002100000000000000000c160008000100010021080c"
)
RELEASE_REQUEST = bytes.fromhex("0918c11661803080020101a08062808001000000000000000000")
RELEASE_RESULT = bytes.fromhex("0a18c11661803080020101a08063808001000000000000000000")
ABORT = bytes.fromhex(
    "192e110103c129a080a080308002010106025101000000006180308002010 1a0806480800101"
    "00000000000000000000".replace(" ", "")
)


def test_association_request_byte_for_byte():
    built = iv.association_request()
    assert len(built) == 238
    assert built == AARQ


def test_mds_create_result_poll_keep_alive_release_abort_byte_for_byte():
    assert iv.mds_create_result(invoke_id=1, current_time=0x000ABD00) == MDS_CREATE_RESULT
    assert iv.poll_request(0, 1, nom.NOM_MOC_VMS_MDS) == POLL_MDS
    assert iv.ext_poll_request(1, 1, nom.NOM_MOC_VMO_METRIC_NU, period_s=30.0) == (
        EXT_POLL_NUMERICS
    )
    assert iv.keep_alive(1) == KEEP_ALIVE
    assert iv.release_request() == RELEASE_REQUEST
    assert iv.release_result() == RELEASE_RESULT
    assert iv.abort() == ABORT


def test_the_guides_float_examples_and_special_values():
    assert nom.decode_float(0xFF00002D) == 4.5  # 45 x 10^-1 (the guide's RR example)
    assert nom.decode_float(0x00000062) == 98.0
    assert nom.decode_float(0xFEFFFFFF) == -0.01
    for special in (nom.FLOAT_NAN, nom.FLOAT_NRES, nom.FLOAT_POS_INF, nom.FLOAT_NEG_INF):
        assert nom.decode_float(special) is None
    assert nom.encode_float(None) == nom.FLOAT_NAN


def test_fcs_is_the_ppp_fcs16_sent_low_byte_first():
    assert fr.fcs16(b"123456789") ^ 0xFFFF == 0x906E  # CRC-16/X.25 check value (RFC 1662)
    assert fr.fcs_bytes(b"123456789") == bytes((0x6E, 0x90))


def test_frame_has_header_escapes_and_fcs():
    payload = bytes((0xC0, 0x01, 0x7D, 0xC1))
    wire = fr.frame(payload)
    assert wire[0] == fr.BOF and wire[-1] == fr.EOF
    inner = wire[1:-1]
    assert fr.BOF not in inner and fr.EOF not in inner
    assert inner.startswith(bytes((0x11, 0x01, 0x00, 0x04, 0x7D, 0xE0, 0x01, 0x7D, 0x5D)))
    assert fr.Deframer().feed(wire) == [payload]


def test_deframer_drops_bad_fcs_and_aborted_frames_and_counts_them():
    good = fr.frame(b"\xe1\x00hello")
    bad = bytearray(good)
    bad[6] ^= 0x01
    deframer = fr.Deframer()
    out = deframer.feed(b"noise" + bytes(bad) + bytes((fr.BOF, 1, 2, fr.ESC, fr.EOF)) + good)
    assert out == [b"\xe1\x00hello"]
    assert deframer.stats.fcs_errors == 1 and deframer.stats.aborted == 1
    assert deframer.stats.skipped_bytes == 5


@given(st.binary(max_size=600), st.lists(st.integers(1, 64), max_size=20))
def test_framing_round_trips_whatever_the_split(payload, cuts):
    wire = fr.frame(payload) * 2
    deframer, out, at = fr.Deframer(), [], 0
    for cut in cuts:
        out += deframer.feed(wire[at : at + cut])
        at += cut
    out += deframer.feed(wire[at:])
    assert out == [payload, payload]


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 3))
def test_float_round_trip(value, decimals):
    decoded = nom.decode_float(nom.encode_float(value, decimals))
    assert decoded is not None
    assert abs(decoded - value) <= max(0.5 * 10**-decimals, abs(value) * 1e-6) + 1e-9


@given(st.binary(max_size=400))
def test_parse_message_raises_only_message_error(data):
    with contextlib.suppress(iv.MessageError):
        iv.parse_message(data)


@given(st.binary(min_size=4, max_size=300))
def test_data_export_garbage_raises_only_message_error(tail):
    with contextlib.suppress(iv.MessageError):
        iv.parse_message(iv.DATA_EXPORT_SPDU + tail)


@given(st.binary(max_size=2000))
def test_stream_parser_never_raises_and_never_leaves_range(data):
    for item in IntelliVueStreamParser().feed(data):
        assert isinstance(item, Reading | Condition)


AT = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)


def _associated_session() -> mon.MonitorSession:
    session = mon.MonitorSession()
    replies = session.handle(iv.association_request(), 100, AT)
    assert isinstance(iv.parse_message(replies[0]), iv.AssociationResult)
    event = iv.parse_message(replies[1])
    assert isinstance(event, iv.MdsCreateEvent)
    session.handle(iv.mds_create_result(event.invoke_id, event.event_time), 100, AT)
    return session


def _poll(session, obj_class):
    [reply] = session.handle(iv.ext_poll_request(7, 1, obj_class), 200, AT)
    result = iv.parse_message(reply)
    assert isinstance(result, iv.PollResult) and result.invoke_id == 7
    return result


def test_numerics_states_units_and_the_nibp_time():
    session = _associated_session()
    session.set_numeric(
        mon.SimNumeric(nom.NOM_ECG_CARD_BEAT_RATE, 71, nom.NOM_DIM_BEAT_PER_MIN, 0x24182)
    )
    session.set_numeric(
        mon.SimNumeric(nom.NOM_PLETH_PULS_RATE, 70, nom.NOM_DIM_BEAT_PER_MIN, 0x24822)
    )
    session.set_numeric(
        mon.SimNumeric(nom.NOM_PULS_OXIM_SAT_O2, None, nom.NOM_DIM_PERCENT, 1, nom.MS_INVALID)
    )
    session.set_numeric(
        mon.SimNumeric(nom.NOM_AWAY_CO2_ET, 5.2, nom.NOM_DIM_KILO_PASCAL, 1, decimals=1)
    )
    session.set_numeric(
        mon.SimNumeric(nom.NOM_AWAY_RESP_RATE, 9, nom.NOM_DIM_RESP_PER_MIN, 1, nom.MS_QUESTIONABLE)
    )
    session.set_nibp(118, 76, 90, AT)
    decoder = PollDecoder()
    items = decoder.decode(_poll(session, nom.NOM_MOC_VMO_METRIC_NU))
    readings = {r.kind: r for r in items if isinstance(r, Reading)}
    assert readings[Kind.HR].value == 71 and readings[Kind.HR].flags == ("ecg",)  # not the pleth
    assert [r.value for r in items if isinstance(r, Reading) and r.kind is Kind.HR] == [71]
    assert Condition(TechnicalCondition.INVALID_VALUE, "spo2") in items
    assert readings[Kind.ETCO2].value == pytest.approx(39.0, abs=0.1)  # 5.2 kPa
    assert readings[Kind.RESP_RATE].flags == ("airway", "questionable")
    assert [readings[k].value for k in (Kind.NIBP_SYS, Kind.NIBP_DIA, Kind.NIBP_MAP)] == [
        118,
        76,
        90,
    ]
    assert readings[Kind.NIBP_SYS].device_time == AT
    again = decoder.decode(_poll(session, nom.NOM_MOC_VMO_METRIC_NU))
    assert not [r for r in again if isinstance(r, Reading) and r.kind is Kind.NIBP_SYS]


def test_nibp_in_progress_is_measuring_and_gives_no_value():
    session = _associated_session()
    session.set_nibp(None, None, None, None)
    session.nibp_state = nom.MS_MSMT_ONGOING
    decoder = PollDecoder()
    items = decoder.decode(_poll(session, nom.NOM_MOC_VMO_METRIC_NU))
    assert decoder.nibp_measuring and not items


def test_waves_and_alarm_lists_keep_the_monitors_category():
    session = _associated_session()
    session.set_wave(mon.SimWave(nom.NOM_AWAY_CO2, (0, 1638, 4095), 1 / 62.5, (0, 100, 0, 4095), 1))
    session.set_alarms(
        [
            iv.DeviceAlarm(nom.NOM_PULS_OXIM_SAT_O2, 1, 1024, 0, "Desat"),
            iv.DeviceAlarm(nom.NOM_AWAY_CO2, 2, 2, 0, "CO2 Occlusion"),
        ]
    )
    decoder = PollDecoder()
    [wave] = decoder.decode(_poll(session, nom.NOM_MOC_VMO_METRIC_SA_RT))
    assert isinstance(wave, Wave) and wave.kind is Kind.CO2
    assert wave.sample_rate_hz == pytest.approx(62.5)
    assert wave.samples == pytest.approx((0.0, 40.0, 100.0), abs=0.01)
    [alarms] = decoder.decode(_poll(session, nom.NOM_MOC_VMO_AL_MON))
    assert isinstance(alarms, AlarmList)
    assert alarms.alarms == (
        ("technical", "medium", "CO2 Occlusion"),
        ("physiological", "high", "Desat"),
    )
    assert decoder.decode(_poll(session, nom.NOM_MOC_VMO_AL_MON)) == []  # unchanged list


def test_dialog_associates_polls_reassociates_and_backs_off_after_a_refuse():
    session = mon.MonitorSession()
    dialog = ClientDialog(poll_period_s=1.0, wave_period_s=None, alarm_period_s=None)

    def exchange(messages, now):
        for message in messages:
            for reply in session.handle(message, round(now * 8000), AT):
                exchange(dialog.receive(reply, now)[0], now)

    exchange(dialog.start(0.0), 0.0)
    assert dialog.phase is Phase.POLLING and dialog.associations == 1
    assert session.polls_answered == 1
    exchange(dialog.tick(1.0), 1.0)
    assert session.polls_answered == 2
    session.silent = True
    exchange(dialog.tick(2.0), 2.0)
    exchange(dialog.tick(3.5), 3.5)  # no answer for 2.5 s: association request again
    assert dialog.phase is Phase.ASSOCIATING
    session.silent = False
    session.refuse_association = True
    exchange(dialog.tick(5.6), 5.6)
    assert dialog.phase is Phase.REFUSED and dialog.refusals == 1
    assert dialog.tick(6.0) == []  # backing off
    session.refuse_association = False
    exchange(dialog.tick(10.7), 10.7)
    assert dialog.phase is Phase.POLLING and dialog.associations == 2


def test_dialog_answers_a_release_request_and_associates_again():
    dialog = ClientDialog()
    dialog.start(0.0)
    dialog.receive(iv.association_accept(), 0.1)
    send, _ = dialog.receive(iv.release_request(), 0.2)
    assert send[0] == iv.release_result()
    assert iv.parse_message(send[1]).__class__ is iv.AssociationRequest


def test_connect_indication_and_absolute_time():
    assert isinstance(iv.parse_message(mon.connect_indication()), iv.ConnectIndication)
    assert iv.absolute_time(iv.encode_absolute_time(AT)) == AT
    assert iv.absolute_time(b"\xff" * 8) is None
