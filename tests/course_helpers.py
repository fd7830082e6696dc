"""Build a simulated treatment course headless, through ``sessionmon simulate --start``."""

from __future__ import annotations

from pathlib import Path

from sessionmon.cli import main

#: PHQ-9 item answers per session: total 20 falling to 4; item 9 answered 1 at session 1 only.
PHQ9_COURSE = (
    [3, 3, 2, 2, 2, 3, 2, 2, 1],
    [3, 2, 2, 2, 2, 2, 2, 2, 0],
    [2, 2, 2, 2, 1, 2, 2, 1, 0],
    [2, 2, 1, 2, 1, 1, 1, 1, 0],
    [1, 2, 1, 1, 1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 0, 1, 0, 0, 0],
    [1, 0, 1, 1, 0, 1, 0, 0, 0],
)
GAD7_TOTALS = (15, 14, 12, 10, 8, 7, 5, 4)
#: Session starts: twice weekly over 5 weeks (the esketamine induction rhythm, 8 sessions).
STARTS = (
    "2026-03-02T09:00+00:00",
    "2026-03-05T09:00+00:00",
    "2026-03-09T09:00+00:00",
    "2026-03-12T09:00+00:00",
    "2026-03-16T09:00+00:00",
    "2026-03-19T09:00+00:00",
    "2026-03-26T09:00+00:00",
    "2026-04-02T09:00+00:00",
)


def course_scenario(number: int, pseudonym: str, short: bool = True) -> str:
    """Scenario text of session ``number`` (0-based); ``short`` ends at 12 min, unsigned."""
    phq = PHQ9_COURSE[number]
    rise = 30 - 2 * number  # the BP response fades a little across the course
    cadss = max(1, 10 - number)  # and so does dissociation
    full = "" if short else _DISCHARGE
    return f"""name = "Course session {number + 1}"
treatment = "esketamine-84"
duration = "{"00:12:00" if short else "02:10:00"}"
seed = {number + 1}

[patient]
pseudonym = "{pseudonym}"

[baseline]
hr = 74
spo2 = 98
sys = 124
dia = 78

[nibp]
interval = "off"

[[step]]
at = "00:00:20"
action = "questionnaire"
scale = "phq9"
items = {phq}

[[step]]
at = "00:00:25"
action = "questionnaire"
scale = "gad7"
score = {GAD7_TOTALS[number]}

[[step]]
at = "00:00:30"
action = "questionnaire"
scale = "anxiety"
score = {max(0, 6 - number)}

[[step]]
at = "00:01:00"
action = "measure_bp"

[[step]]
at = "00:02:00"
action = "dose"

[[step]]
at = "00:03:00"
action = "dose"

[[step]]
at = "00:04:00"
action = "dose"

[[step]]
at = "00:02:00"
change = {{ sys = {124 + rise}, dia = 88 }}
over = "00:06:00"

[[step]]
at = "00:09:00"
action = "measure_bp"

[[step]]
at = "00:10:00"
action = "checklist"
scale = "cadss6"
score = {cadss}
{full}"""


_DISCHARGE = """
[[step]]
at = "00:40:00"
change = { sys = 124, dia = 78 }
over = "00:30:00"

[[step]]
at = "00:42:00"
action = "measure_bp"

[[step]]
at = "01:55:00"
action = "measure_bp"

[[step]]
at = "01:56:00"
action = "checklist"
scale = "moaas"
score = 5

[[step]]
at = "01:57:00"
action = "checklist"
scale = "aldrete"
score = 10

[[step]]
at = "02:03:00"
action = "questionnaire"
scale = "anxiety"
score = 1

[[step]]
at = "02:04:00"
action = "discharge"

[[step]]
at = "02:06:00"
action = "sign"
"""


def build_course(db: Path, folder: Path, pseudonym: str = "COURSE-01", short: bool = True) -> None:
    """Run the 8 sessions of the course into ``db`` with ``sessionmon simulate --start``."""
    for number, start in enumerate(STARTS):
        scenario = folder / f"{pseudonym}-{number + 1}.toml"
        scenario.write_text(course_scenario(number, pseudonym, short))
        argv = ["--db", str(db), "simulate", "--scenario", str(scenario), "--headless"]
        assert main([*argv, "--start", start]) == 0
