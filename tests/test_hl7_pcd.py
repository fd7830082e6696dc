"""HL7 PCD-01 conventions receivers expect: sub-ids, EUI-64 equipment ids, AL|NE, SCT, status."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message
from hypothesis import given
from hypothesis import strategies as st

from export_fixtures import NIBP, OXIMETER, build_session
from sessionmon.export import export_session, load_record
from sessionmon.export.hl7 import build_message, eui64
from sessionmon.model import SessionPhase


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One recorded session for the module (the tests only read it)."""
    b = build_session(tmp_path_factory.mktemp("hl7") / "s.db")
    yield b
    b.store.close()


@pytest.fixture(scope="module")
def exported(built, tmp_path_factory):
    """The session's HL7 file as written by the exporter, parsed strictly and validated."""
    path = tmp_path_factory.mktemp("hl7out") / "m.hl7"
    export_session(built.store, built.session_id, "hl7", path, clock=built.clock)
    text = path.read_bytes().decode("utf-8")
    message = parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    message.validate()
    return text, message


def _fields(text, name):
    return [s.split("|") for s in text.split("\r") if s.startswith(name + "|")]


def test_every_obx_sub_id_is_unique_and_keeps_its_containment(exported):
    text, _ = exported
    obx = _fields(text, "OBX")
    sub_ids = [o[4] for o in obx]
    assert len(sub_ids) == len(set(sub_ids)) > 100
    spo2 = [o[4] for o in obx if o[3].startswith("150456^")]
    assert spo2[:3] == ["1.1.1.1.1", "1.1.1.1.2", "1.1.1.1.3"]
    assert all(re.fullmatch(r"[1-9]\d*(\.[1-9]\d*){4}", s) for s in sub_ids)


def test_equipment_ids_are_eui64_in_msh3_obr3_obx18(built, exported):
    text, message = exported
    (msh,) = _fields(text, "MSH")
    name, gateway, kind = msh[2].split("^")
    assert (name, kind) == ("SESSIONMON", "EUI-64") and re.fullmatch(r"[0-9A-F]{16}", gateway)
    assert int(gateway[:2], 16) & 0x03 == 0x02, "locally administered, unicast"
    (obr,) = _fields(text, "OBR")
    assert obr[3] == f"{built.session_id.hex}^SESSIONMON^{gateway}^EUI-64"
    equipment = {o[18] for o in _fields(text, "OBX")}
    assert equipment == {
        f"{OXIMETER}^^{eui64(OXIMETER)}^EUI-64",
        f"{NIBP}^^{eui64(NIBP)}^EUI-64",
    }
    assert message.msh.msh_3.to_er7() == msh[2]


def test_acknowledgement_types_snomed_system_and_status_agree(exported):
    text, message = exported
    assert message.msh.msh_15.to_er7() == "AL" and message.msh.msh_16.to_er7() == "NE"
    (obr,) = _fields(text, "OBR")
    assert obr[4] == "182777000^monitoring of patient^SCT"
    assert {o[11] for o in _fields(text, "OBX")} == {obr[25]}


def test_an_open_session_is_preliminary_in_obr25_and_every_obx11(built):
    record = load_record(built.store, built.session_id)
    session = record.session.model_copy(update={"phase": SessionPhase.OBSERVATION})
    text = build_message(dataclasses.replace(record, session=session), built.clock.now())
    (obr,) = _fields(text, "OBR")
    assert obr[25] == "R" and {o[11] for o in _fields(text, "OBX")} == {"R"}


@given(st.text(min_size=1, max_size=60))
def test_eui64_is_stable_16_hex_digits_locally_administered(name):
    value = eui64(name)
    assert value == eui64(name) and re.fullmatch(r"[0-9A-F]{16}", value)
    assert int(value[:2], 16) & 0x03 == 0x02
