"""Clinic settings: entered once, validated, kept in the settings folder."""

from __future__ import annotations

import json
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessionmon.clinic import ClinicSettings, StaffMember
from sessionmon.errors import UserError

CLINIC = ClinicSettings(
    name="Harbour Clinic",
    address="1 Quay Street",
    city="Portland",
    state="me",
    zip="04101",
    phone="(207) 555-0100",
    staff=(StaffMember(first_name="Kim", last_name="Lee", phone="555-0101", email="k@h.example"),),
)


def test_saved_once_and_read_back(tmp_path):
    path = CLINIC.save(tmp_path)
    assert path.name == "clinic.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = ClinicSettings.load(tmp_path)
    assert again == CLINIC and again.state == "ME"
    assert again.member("Kim Lee").email == "k@h.example"
    assert again.missing == []
    assert ClinicSettings.load(tmp_path / "nowhere").missing == [
        "clinic name",
        "street address",
        "city",
        "state",
        "ZIP code",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"zip": "4101"}, "zip: ZIP code '4101' must be 5 digits"),
        ({"state": "Maine"}, "state: String should have at most 2 characters"),
        ({"phone": "call me"}, "phone: telephone 'call me' is not a phone number"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        (
            {"staff": [{"first_name": "A", "last_name": "B", "email": "nope"}]},
            "staff.0.email: email 'nope' is not an email address",
        ),
    ],
)
def test_a_bad_field_is_one_line_naming_it(tmp_path, change, message):
    data = {**CLINIC.model_dump(mode="json"), **change}
    (tmp_path / "clinic.json").write_text(json.dumps(data))
    with pytest.raises(UserError) as refused:
        ClinicSettings.load(tmp_path)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_a_file_that_is_not_json_is_refused_with_its_path(tmp_path):
    (tmp_path / "clinic.json").write_text("{name =")
    with pytest.raises(UserError, match=r"clinic\.json is not valid JSON"):
        ClinicSettings.load(tmp_path)


@given(st.dictionaries(st.sampled_from(["name", "zip", "state", "phone", "city"]), st.text()))
def test_any_input_is_settings_or_a_user_error(data):
    try:
        ClinicSettings.from_data(data)
    except UserError as exc:
        assert str(exc).startswith("clinic settings: ")
