"""Payloads, topics and the [central] settings: any input is a payload or one clear refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionmon.central.config import load_central, parse_url
from sessionmon.central.payloads import (
    AlarmItem,
    AlarmsPayload,
    PayloadError,
    StatusPayload,
    decode,
    encode,
)
from sessionmon.central.state import CentralState
from sessionmon.central.topics import chair_topic, parse_chair_topic, seen_topic
from sessionmon.clock import ManualClock
from sessionmon.errors import UserError

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["status", "vitals", "alarms", "online", "seen"]), data=st.binary())
def test_any_bytes_decode_or_refuse_with_payload_error(kind, data) -> None:
    try:
        decode(kind, data)
    except PayloadError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(["status", "vitals", "alarms", "online"]),
    obj=st.dictionaries(st.sampled_from(["v", "chair", "sent", "at", "alarms", "values",
                                         "session", "online", "phase"]), json_values),
)  # fmt: skip
def test_any_json_object_decodes_or_refuses(kind, obj) -> None:
    try:
        decode(kind, json.dumps(obj).encode())
    except PayloadError as exc:
        assert "\n" not in str(exc)


@given(
    priority=st.sampled_from(["low", "medium", "high"]),
    message=st.text(max_size=200),
    acknowledged=st.booleans(),
)
def test_alarms_round_trip(priority, message, acknowledged) -> None:
    payload = AlarmsPayload(
        chair="room1",
        sent=1.0,
        at=AT,
        alarms=[
            AlarmItem(
                alarm_id=uuid4(),
                condition="spo2_low",
                priority=priority,
                category="physiological",
                message=message,
                started_at=AT,
                acknowledged=acknowledged,
            )
        ],
    )
    assert decode("alarms", encode(payload)) == payload


def test_status_has_no_field_for_a_name_or_birth_date() -> None:
    assert not {"name", "date_of_birth", "dob"} & set(StatusPayload.model_fields)
    sent = {"v": 1, "chair": "room1", "sent": 1, "at": AT.isoformat(), "session": True}
    decoded = decode("status", json.dumps({**sent, "name": "Jane Doe"}).encode())
    assert "Jane" not in encode(decoded).decode()  # unknown fields are not kept


@given(st.text(max_size=80))
def test_topics_parse_only_chair_topics(topic) -> None:
    parsed = parse_chair_topic(topic)
    if parsed is not None:
        assert chair_topic(parsed.clinic, parsed.chair, parsed.kind) == topic


def test_seen_topic_is_not_a_chair_topic() -> None:
    assert parse_chair_topic(seen_topic("north", "room1")) is None
    assert parse_chair_topic("sessionmon/north/central/alarms") is None
    assert parse_chair_topic("sessionmon/north/room1/alarms").chair == "room1"


def test_unknown_clinic_and_chair_are_dropped() -> None:
    state = CentralState("north", ManualClock(), ["room1"])
    online = b'{"v": 1, "chair": "room2", "sent": 1, "online": true}'
    assert not state.receive("sessionmon/north/room2/online", online)
    assert not state.receive("sessionmon/south/room1/online", online.replace(b"room2", b"room1"))
    assert state.receive("sessionmon/north/room1/online", online.replace(b"room2", b"room1"))
    assert state.dropped == 2


def test_settings_file_url_override_and_credentials(tmp_path) -> None:
    assert load_central(tmp_path, environ={}) is None
    (tmp_path / "central.toml").write_text(
        '[central]\nhost = "broker.lan"\nport = 8883\ntls = true\nca_file = "/etc/ca.pem"\n'
        'clinic = "north"\nchair = "room1"\nusername = "room1"\npassword = "from-file"\n'
    )
    config = load_central(tmp_path, environ={"SESSIONMON_CENTRAL_PASSWORD": "from-env"})
    assert (config.host, config.port, config.tls, config.password) == (
        "broker.lan", 8883, True, "from-env",
    )  # fmt: skip
    config = load_central(tmp_path, url="mqtt://127.0.0.1:1999", chair="room2", environ={})
    assert (config.host, config.port, config.tls, config.chair) == (
        "127.0.0.1",
        1999,
        False,
        "room2",
    )
    assert parse_url("mqtts://h") == {"host": "h", "port": 8883, "tls": True}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[central]\nchair = "room 1"\n', "chair 'room 1' must be"),
        ('[central]\nchair = "central"\n', "reserved"),
        ("[central]\nport = 0\n", "port"),
        ("[central]\nbogus = 1\n", "bogus"),
        ("[central\n", "not valid TOML"),
    ],
)
def test_bad_settings_are_one_clear_line(tmp_path, text, message) -> None:
    (tmp_path / "central.toml").write_text(text)
    with pytest.raises(UserError, match=message) as info:
        load_central(tmp_path, environ={})
    assert "\n" not in str(info.value)


def test_bad_url_is_refused() -> None:
    for url, message in [
        ("http://x", "use mqtt://"),
        ("mqtt://x:99999", "port"),
        ("mqtt://", "host"),
    ]:
        with pytest.raises(UserError, match=message):
            parse_url(url)
