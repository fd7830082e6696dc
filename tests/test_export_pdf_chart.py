"""The PDF trend chart: only physiological alarms shaded, technical ones listed, event
letters that never overlap; the export message names the REMS form only for that format."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from export_fixtures import DOSE, build_session, pdf_text
from sessionmon.export import export_session, load_record
from sessionmon.export.pdf import ALARM_FILL, MARKER_GAP, trend_chart
from sessionmon.export.pdf_chart import _label_width, _marker_rows
from sessionmon.model import AlarmCategory, AlarmPriority, AlarmRecord, EventKind


@pytest.fixture
def built(tmp_path):
    b = build_session(tmp_path / "s.db")
    yield b
    b.store.close()


def shaded(drawing) -> list:
    return [s for s in drawing.contents if getattr(s, "fillColor", None) == ALARM_FILL]


def test_a_technical_alarm_all_session_is_listed_not_shaded(built, tmp_path):
    record = load_record(built.store, built.session_id)
    physiological = len([a for a in record.alarms if a.category is AlarmCategory.PHYSIOLOGICAL])
    audio = AlarmRecord(
        session_id=built.session_id,
        condition="audio_unavailable",
        priority=AlarmPriority.LOW,
        category=AlarmCategory.TECHNICAL,
        start=DOSE - timedelta(minutes=5),
        end=DOSE + timedelta(minutes=130),
        message="Alarm sound cannot play",
    )
    with_audio = dataclasses.replace(record, alarms=[*record.alarms, audio])
    assert len(shaded(trend_chart(with_audio, 500))) == physiological
    built.store.save_alarm(audio)
    out = tmp_path / "r.pdf"
    export_session(built.store, built.session_id, "pdf", out, clock=built.clock)
    text = " ".join(pdf_text(out).split())
    assert "Technical alarms (not shaded): Alarm sound cannot play" in text
    assert "Shaded: physiological alarm active" in text


@given(st.lists(st.tuples(st.floats(0, 500), st.sampled_from("CNDS")), max_size=40))
def test_event_letters_never_overlap(markers):
    placed = _marker_rows(markers)
    for row in range(3):
        on_row = sorted((x, letter) for x, letter, r in placed if r == row)
        for (x0, a), (x1, b) in pairwise(on_row):
            assert x1 - _label_width(b) / 2 >= x0 + _label_width(a) / 2 + MARKER_GAP - 1e-9


def test_close_events_go_up_a_row_and_repeats_are_drawn_once():
    placed = _marker_rows([(100, "C"), (101, "C"), (102, "N"), (103, "D"), (50, "Dose")])
    letters = [(letter, row) for _, letter, row in placed]
    assert ("C", 0) in letters and ("N", 1) in letters and ("D", 2) in letters
    assert [letter for letter, _ in letters].count("C") == 1
    assert {letter for letter, _ in letters} == {"C", "N", "D", "Dose"}


def test_the_export_event_names_the_rems_form_only_for_the_rems_format(built, tmp_path):
    export_session(built.store, built.session_id, "pdf", tmp_path / "r.pdf", clock=built.clock)
    export_session(built.store, built.session_id, "rems", tmp_path / "f.pdf", clock=built.clock)
    texts = [e.text for e in built.store.events(built.session_id) if e.kind is EventKind.EXPORT]
    assert texts[-2:] == ["exported as pdf", "exported as rems (REMS monitoring form)"]
