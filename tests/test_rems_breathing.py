"""The REMS "respiratory depression" answer with its breathing evidence, through the CLI as
typed: ``sessionmon simulate --headless`` then ``sessionmon export --format rems`` (the form
page) and ``--format json``. A respiratory-depression session answers Yes with the lowest RR,
the highest etCO2 and the apnoea episodes; a calm session with a capnograph answers No with the
same evidence; a chair with no capnography says plainly that breathing was not monitored and
leaves the answer to the clinician instead of saying No."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

from acceptance_helpers import bp_then_dose, scenario_text
from export_fixtures import pdf_text
from sessionmon.cli import main

CALM = bp_then_dose("00:00:30", "00:01:00")


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


def _exported(db: Path, tmp: Path) -> tuple[str, dict]:
    _cli("--db", str(db), "export", "--format", "rems", "--out", str(tmp / "r.pdf"), "--quiet")
    _cli("--db", str(db), "export", "--format", "json", "--out", str(tmp / "s.json"), "--quiet")
    text = re.sub(r"\s+", " ", pdf_text(tmp / "r.pdf"))
    text = text.replace("SIMULATION - NOT A PATIENT", "")
    rems = json.loads((tmp / "s.json").read_text())["derived"]["rems"]
    return re.sub(r"\s+", " ", text), rems


def _simulate(tmp: Path, scenario: str) -> Path:
    db = tmp / "s.db"
    _cli("--db", str(db), "simulate", "--scenario", scenario, "--headless")
    return db


def _scenario_file(tmp: Path, text: str) -> str:
    path = tmp / "scenario.toml"
    path.write_text(text)
    return str(path)


def _answer(text: str) -> str:
    found = re.search(r"Respiratory depression (.*?) Serious adverse events", text)
    assert found, text
    return found.group(1)


def test_respiratory_depression_answer_gives_the_breathing_evidence(tmp_path):
    db = _simulate(tmp_path, "respiratory-depression-ketamine-bolus")
    text, rems = _exported(db, tmp_path)
    answer = _answer(text)
    assert answer.startswith("Yes: lowest RR ")
    lowest = float(re.search(r"lowest RR (\d+(?:\.\d+)?) /min", answer).group(1))
    assert 1 <= lowest < 8  # the 0 of the apnoea is not the lowest breathing rate
    highest = float(re.search(r"highest etCO2 (\d+(?:\.\d+)?) mmHg", answer).group(1))
    assert highest > 50
    assert re.search(r"\d+ apnoea episodes? \(no breath detected at \d+ min for \d+ s", answer)
    assert "apnea (high)" in answer and "SpO2 low" in answer
    assert rems["respiratory_depression"] is True
    assert "highest etCO2" in rems["respiratory_details"]


def test_calm_session_with_a_capnograph_answers_no_with_the_evidence(tmp_path):
    scenario = _scenario_file(tmp_path, scenario_text(CALM, duration="00:04:00"))
    text, rems = _exported(_simulate(tmp_path, scenario), tmp_path)
    answer = _answer(text)
    assert answer.startswith("No: no breathing or SpO2 alarm; lowest RR ")
    assert "no apnoea" in answer and "highest etCO2" in answer
    assert rems["respiratory_depression"] is False


def test_without_capnography_the_form_says_breathing_was_not_monitored(tmp_path):
    text = scenario_text(CALM, duration="00:04:00") + "[devices]\nrespiration = false\n"
    text, rems = _exported(_simulate(tmp_path, _scenario_file(tmp_path, text)), tmp_path)
    answer = _answer(text)
    assert not answer.startswith("No")
    assert answer.startswith("To be answered by the clinician: breathing not monitored")
    assert "no capnography or respiratory rate" in answer
    assert "the record suggests No" in answer
    assert rems["respiratory_depression"] is None


def test_spo2_alarm_without_capnography_is_yes_and_says_breathing_was_not_monitored(tmp_path):
    steps = CALM + '[[step]]\nat = "00:01:30"\nchange = { spo2 = 84 }\nover = "00:00:20"\n'
    text = scenario_text(steps, duration="00:04:00") + "[devices]\nrespiration = false\n"
    text, rems = _exported(_simulate(tmp_path, _scenario_file(tmp_path, text)), tmp_path)
    answer = _answer(text)
    assert answer.startswith("Yes: SpO2 low")
    assert "breathing not monitored" in answer
    assert rems["respiratory_depression"] is True
