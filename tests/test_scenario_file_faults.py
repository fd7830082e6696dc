"""Hostile scenario files through ``scenarios validate`` and ``simulate`` as typed."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

BUILTIN = (
    Path(str(resources.files("sessionmon.scenarios.builtin"))) / "uneventful-esketamine-84.toml"
)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sessionmon", *args], capture_output=True, text=True, timeout=120
    )


def variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = BUILTIN.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            ("seed = 1", "seed = -1"),
            "line 7, field seed: Input should be greater than or equal to 0",
        ),
        (("seed = 1", "seed = 99999999999"), "field seed: Input should be less than or equal to"),
        (None, "arrays or tables are nested too deeply"),
    ],
    ids=["seed -1", "seed too large", "5000-deep array"],
)
def test_bad_scenario_files_are_one_line_in_validate_and_in_simulate(tmp_path, content, message):
    if content is None:
        path = tmp_path / "deep.toml"
        path.write_text('name = "x"\nx = ' + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    else:
        path = variant(tmp_path, "bad.toml", *content)
    checked = cli("scenarios", "validate", str(path))
    run = cli("--db", str(tmp_path / "s.db"), "simulate", "--scenario", str(path), "--headless")
    for result in (checked, run):
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("sessionmon: ")
        assert message in result.stderr and "Traceback" not in result.stderr


def test_ansi_escapes_in_a_scenario_are_shown_escaped(tmp_path):
    named = variant(
        tmp_path, "named.toml", 'name = "Uneventful', r'name = "\u001b[2J\u001b[31mRED Uneventful'
    )
    checked = cli("scenarios", "validate", str(named))
    assert checked.returncode == 0, checked.stderr
    assert "\x1b" not in checked.stdout
    assert r"valid: \x1b[2J\x1b[31mRED Uneventful" in checked.stdout
    short = tmp_path / "short.toml"  # a two-minute run, to keep the test fast
    short.write_text(
        'name = "\\u001b[31mRED short"\ntreatment = "esketamine-56"\nduration = "00:02:00"\n'
    )
    run = cli("--db", str(tmp_path / "s.db"), "simulate", "--scenario", str(short), "--headless")
    assert run.returncode == 0, run.stderr
    assert "\x1b" not in run.stdout and r"\x1b[31mRED" in run.stdout
    refused = variant(
        tmp_path, "refused.toml", 'treatment = "esketamine-84"', r'treatment = "\u001b[31mevil"'
    )
    bad = cli("scenarios", "validate", str(refused))
    assert bad.returncode == 2 and "\x1b" not in bad.stderr
    assert r"field treatment: '\x1b[31mevil' is not allowed" in bad.stderr
