"""Checklist scales: structure, scoring, ranges, validation messages, licensed wording files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sessionmon.errors import UserError
from sessionmon.protocol import SCALES, load_item_wording, score_checklist, with_item_wording


def test_registry_has_every_scale_with_its_range():
    ranges = {scale_id: scale.total_range for scale_id, scale in SCALES.items()}
    assert ranges == {
        "moaas": (0, 5),
        "cadss": (0, 92),
        "cadss6": (0, 24),
        "side_effects": (0, 66),
        "aldrete": (0, 10),
        "rass": (-5, 4),
        "phq9": (0, 27),  # the outcome measures (data/outcomes.toml)
        "gad7": (0, 21),
        "pcl5": (0, 80),
        "anxiety": (0, 10),
    }


@pytest.mark.parametrize(
    ("total", "meaning"),
    [
        (5, "alert"),
        (4, "mild sedation"),
        (3, "moderate or deeper"),
        (1, "moderate or deeper"),
        (0, "loss of consciousness"),
    ],
)
def test_moaas_interpretation(total, meaning):
    assert meaning in score_checklist("moaas", total=total).interpretation


def test_moaas_anchors_and_answer_forms():
    item = SCALES["moaas"].items[0]
    assert item.scores == (0, 1, 2, 3, 4, 5)
    assert "painful trapezius squeeze" in item.choice_for(1).label
    by_list = score_checklist("moaas", [4])
    by_dict = score_checklist("moaas", {"responsiveness": 4})
    assert by_list.total == by_dict.total == 4
    assert by_list.items[0].choice.startswith("lethargic")


@pytest.mark.parametrize("bad", [6, -1, 2.5, "five", True])
def test_moaas_rejects_values_outside_the_scale(bad):
    with pytest.raises(UserError, match="MOAA/S"):
        score_checklist("moaas", total=bad)


def test_moaas_item_error_names_item_and_allowed_values():
    with pytest.raises(UserError) as err:
        score_checklist("moaas", {1: 7})
    text = str(err.value)
    assert "item 1" in text
    assert "0 (no response" in text and "5 (responds readily" in text


def test_cadss_structure():
    cadss = SCALES["cadss"]
    assert [i.number for i in cadss.items] == list(range(1, 24))
    assert cadss.items[6].label == "CADSS item 7"
    assert [i.number for i in cadss.items if i.rater == "observer"] == [20, 21, 22, 23]
    subject = [
        n for name, members in cadss.subscales.items() if name != "observer" for n in members
    ]
    assert sorted(subject) == list(range(1, 20))
    assert all(i.scores == (0, 1, 2, 3, 4) for i in cadss.items)


def test_cadss_scoring_and_threshold():
    assert score_checklist("cadss", [4] * 23).total == 92
    four = score_checklist("cadss", {1: 2, 7: 2})
    assert four.total == 4 and four.interpretation.startswith("no dissociation")
    assert not four.complete
    answers = [0] * 23
    answers[2], answers[19] = 3, 2  # item 3 and observer item 20
    result = score_checklist("cadss", answers)
    assert result.total == 5 and result.complete
    assert result.interpretation.startswith("dissociation")
    assert score_checklist("cadss", total=5).interpretation.startswith("dissociation")
    assert score_checklist("cadss", total=4).interpretation.startswith("no dissociation")


def test_cadss_errors_name_the_item_and_allowed_values():
    with pytest.raises(UserError, match=r"CADSS item 7 \(item_7\): 5 is not allowed; allowed: 0"):
        score_checklist("cadss", {7: 5})
    with pytest.raises(UserError, match="CADSS has no item 24"):
        score_checklist("cadss", {24: 1})
    with pytest.raises(UserError, match="23 items; 22 answers"):
        score_checklist("cadss", [0] * 22)
    with pytest.raises(UserError, match="outside the scale's range 0 to 92"):
        score_checklist("cadss", total=93)


def test_cadss6_uses_the_23_item_numbering():
    short = SCALES["cadss6"]
    assert [i.number for i in short.items] == [1, 2, 6, 7, 15, 22]
    assert short.item(22).rater == "observer"
    assert score_checklist("cadss6", [4] * 6).total == 24
    result = score_checklist("cadss6", {"1": 1, 15: 3, 22: 2})
    assert result.total == 6
    assert [a.number for a in result.items] == [1, 15, 22]
    with pytest.raises(UserError, match="CADSS-6 has no item 3"):
        score_checklist("cadss6", {3: 1})
    with pytest.raises(UserError, match="0 to 24"):
        score_checklist("cadss6", total=25)


def test_side_effects_list_severity_and_time_noted():
    scale = SCALES["side_effects"]
    keys = [i.key for i in scale.items]
    assert keys[:4] == ["dissociation", "dizziness", "nausea", "sedation"]
    assert "tremor" in keys and "blood_pressure_increased" in keys and len(keys) == 22
    assert [c.label for c in scale.items[0].choices] == ["absent", "mild", "moderate", "severe"]
    noted = datetime(2026, 1, 5, 9, 50, tzinfo=UTC)
    result = score_checklist(
        "side_effects", {"nausea": {"score": "moderate", "at": noted}, "dizziness": 1}
    )
    assert result.total == 3
    assert "nausea (moderate)" in result.interpretation
    assert "dizziness (mild)" in result.interpretation
    assert [a.key for a in result.items] == ["dizziness", "nausea"]
    assert result.items[0].noted_at is None and result.items[1].noted_at == noted
    none = score_checklist("side_effects", [0] * 22)
    assert none.interpretation == "no side effects" and none.complete
    with pytest.raises(UserError, match=r"nausea.*'awful' is not a score; allowed: 0 \(absent\)"):
        score_checklist("side_effects", {"nausea": "awful"})


def test_aldrete_criteria_and_readiness():
    scale = SCALES["aldrete"]
    assert [i.key for i in scale.items] == [
        "activity",
        "respiration",
        "circulation",
        "consciousness",
        "spo2",
    ]
    ready = score_checklist("aldrete", [2, 2, 2, 2, 1])
    assert ready.total == 9 and ready.interpretation.startswith("ready")
    not_ready = score_checklist(
        "aldrete",
        {"activity": 2, "respiration": 2, "circulation": 1, "consciousness": 1, "spo2": 2},
    )
    assert not_ready.total == 8 and not_ready.interpretation.startswith("not ready")
    with pytest.raises(UserError, match="item 3 \\(circulation\\): 3 is not allowed"):
        score_checklist("aldrete", [2, 2, 3, 2, 2])


def test_rass_single_choice_plus_four_to_minus_five():
    assert score_checklist("rass", total=-5).interpretation == "deeply sedated or unarousable"
    assert score_checklist("rass", total=0).interpretation == "alert and calm"
    assert score_checklist("rass", ["combative"]).total == 4
    with pytest.raises(UserError, match="-5 to 4"):
        score_checklist("rass", total=5)


def test_general_validation():
    with pytest.raises(UserError, match="unknown scale 'bprs'; known scales: moaas"):
        score_checklist("bprs", total=1)
    with pytest.raises(UserError, match="give item answers or a total"):
        score_checklist("moaas")
    with pytest.raises(
        UserError, match="total 9 does not match the item scores, which add up to 10"
    ):
        score_checklist("aldrete", [2] * 5, total=9)
    assert score_checklist("aldrete", [2] * 5, total=10).total == 10
    payload = score_checklist("cadss6", [1] * 6).payload()
    assert payload["scale"] == "cadss6" and payload["total"] == 6 and payload["items"]["22"] == 1


# --------------------------------------------------------------------------- licensed wording


def test_wording_from_toml_and_json_applies_to_cadss_and_cadss6(tmp_path):
    toml_file = tmp_path / "cadss.toml"
    toml_file.write_text('1 = "First licensed text"\n22 = "Observer text"\n', encoding="utf-8")
    json_file = tmp_path / "cadss.json"
    json_file.write_text(json.dumps({"items": {"7": "Seventh text"}}), encoding="utf-8")
    table_file = tmp_path / "table.toml"
    table_file.write_text('[items]\n2 = "Second"\n', encoding="utf-8")

    assert load_item_wording(toml_file) == {1: "First licensed text", 22: "Observer text"}
    assert load_item_wording(json_file) == {7: "Seventh text"}
    assert load_item_wording(table_file) == {2: "Second"}

    wording = load_item_wording(toml_file)
    full = with_item_wording(SCALES["cadss"], wording)
    short = with_item_wording(SCALES["cadss6"], wording)
    assert full.item(1).label == "First licensed text"
    assert full.item(2).label == "CADSS item 2"
    assert short.item(22).label == "Observer text"
    assert SCALES["cadss"].item(1).label == "CADSS item 1"  # registry untouched


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("w.toml", '24 = "x"\n', r"'24' is not a CADSS item number \(expected 1 to 23\)"),
        ("w.toml", 'seven = "x"\n', r"'seven' is not a CADSS item number"),
        ("w.toml", '3 = ""\n', "item 3: wording must be non-empty text"),
        ("w.toml", "3 = 4\n", "item 3: wording must be non-empty text"),
        ("w.toml", '3 = "unterminated\n', "not valid TOML"),
        ("w.json", '{"3": "a",', "not valid JSON"),
        ("w.json", "[1, 2]", "expected a mapping of item number to text"),
        ("w.txt", "1 = a", "must be a .toml or .json file"),
    ],
)
def test_wording_file_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message) as err:
        load_item_wording(path)
    assert str(path) in str(err.value)


def test_wording_missing_file(tmp_path):
    with pytest.raises(UserError, match="cannot read item wording file"):
        load_item_wording(tmp_path / "absent.toml")


def test_single_choice_scale_takes_a_bare_score():
    assert score_checklist("moaas", 3).total == 3
    assert score_checklist("rass", "-2").interpretation == "sedated"


answer_values = st.one_of(
    st.integers(-10, 10),
    st.text(max_size=8),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
)


@settings(max_examples=60, deadline=None)
@given(
    scale_id=st.sampled_from(sorted(SCALES)),
    answers=st.dictionaries(
        st.one_of(st.integers(-2, 30), st.text(max_size=6)), answer_values, max_size=8
    ),
)
def test_any_answers_either_score_in_range_or_raise_user_error(scale_id, answers):
    try:
        result = score_checklist(scale_id, answers)
    except UserError as exc:
        assert str(exc)
        return
    low, high = SCALES[scale_id].total_range
    assert low <= result.total <= high
    assert result.total == sum(a.score for a in result.items)
    assert result.interpretation
