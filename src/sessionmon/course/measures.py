"""Outcome measures as data: which scales are course measures, their LOINC codes, remission
cut-offs and the answers that raise the suicide-risk alarm.

The scales themselves (items, choices, bands) are ordinary :mod:`sessionmon.protocol.scales`
definitions from ``data/outcomes.toml``; a clinic's licensed measures (MADRS, LSAS, C-SSRS) load
from a file of the same structure with :func:`load_outcome_file`.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sessionmon.course.responses import Context, OutcomeResponse
from sessionmon.errors import UserError
from sessionmon.protocol import scales
from sessionmon.protocol.scoring import score_checklist

#: The alarm condition an alerting answer raises (protocol category, for the prescriber).
SUICIDE_RISK_CONDITION = "suicide_risk_screen"


@dataclass(frozen=True)
class ItemAlert:
    """An answer to ``item`` above ``above`` raises the alarm with ``message``."""

    item: int
    above: int
    message: str


@dataclass(frozen=True)
class OutcomeMeasure:
    """What the course needs to know about a measure beyond its scale definition."""

    scale_id: str
    short: str
    context: str
    loinc: str | None
    panel_loinc: str | None
    remission_below: int | None
    alert_items: tuple[ItemAlert, ...]
    positive_screen_at: int | None
    terms: str

    @property
    def scale(self) -> scales.ScaleDefinition:
        """The scale definition (items, choices, bands)."""
        return scales.get_scale(self.scale_id)


def _parse(data: Mapping[str, Any], source: str) -> dict[str, OutcomeMeasure]:
    defined = scales.parse_scales(data, source=source)
    measures: dict[str, OutcomeMeasure] = {}
    for scale_id, definition in defined.items():
        raw = data[scale_id]
        try:
            alerts = tuple(
                ItemAlert(int(a["item"]), int(a.get("above", 0)), str(a["message"]))
                for a in raw.get("alert_items", [])
            )
        except (KeyError, TypeError, ValueError):
            raise UserError(
                f"{source}: scale {scale_id!r}: alert_items need item, above and message"
            ) from None
        for alert in alerts:
            if definition.item(alert.item) is None:
                raise UserError(f"{source}: scale {scale_id!r}: alert item {alert.item} unknown")
        measures[scale_id] = OutcomeMeasure(
            scale_id=scale_id,
            short=definition.short,
            context=str(raw.get("context", "outcome")),
            loinc=raw.get("loinc"),
            panel_loinc=raw.get("panel_loinc"),
            remission_below=raw.get("remission_below"),
            alert_items=alerts,
            positive_screen_at=raw.get("positive_screen_at"),
            terms=str(raw.get("terms", "")),
        )
    scales.SCALES.update(defined)
    return measures


def _builtin() -> dict[str, OutcomeMeasure]:
    text = resources.files("sessionmon").joinpath("data/outcomes.toml").read_text("utf-8")
    return _parse(tomllib.loads(text), "built-in outcomes.toml")


#: Measures by scale id: phq9, gad7, pcl5 (course outcomes) and anxiety (in-session 0-10).
MEASURES: dict[str, OutcomeMeasure] = _builtin()


def load_outcome_file(path: str | Path) -> list[str]:
    """Add a clinic's licensed measures (MADRS, LSAS, C-SSRS) from a TOML file; return their ids.

    Raises
    ------
    UserError
        If the file cannot be read or a definition is invalid (nothing is added then).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read outcome file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    added = _parse(data, str(path))
    MEASURES.update(added)
    return list(added)


def outcome_ids() -> list[str]:
    """Ids of the course outcome measures (not in-session ratings)."""
    return [m.scale_id for m in MEASURES.values() if m.context == "outcome"]


def get_measure(scale_id: str) -> OutcomeMeasure:
    """The measure ``scale_id`` or a UserError naming the known ones."""
    try:
        return MEASURES[scale_id]
    except KeyError:
        raise UserError(
            f"unknown outcome measure {scale_id!r}; known: {', '.join(MEASURES)}"
        ) from None


def alerts_for(measure: OutcomeMeasure, total: int, items: Mapping[int, int]) -> list[str]:
    """The alarm messages the answers raise (PHQ-9 item 9 above 0, a positive C-SSRS screen)."""
    raised = []
    for alert in measure.alert_items:
        score = items.get(alert.item)
        if score is not None and score > alert.above:
            raised.append(alert.message.format(score=score, item=alert.item))
    if measure.positive_screen_at is not None and total >= measure.positive_screen_at:
        raised.append(f"{measure.short} positive screen (total {total}): tell the prescriber")
    return raised


def score_outcome(
    scale_id: str,
    *,
    course_id: uuid.UUID,
    at: datetime,
    items: Mapping[Any, Any] | Sequence[Any] | None = None,
    total: int | None = None,
    session_id: uuid.UUID | None = None,
    context: Context | str = Context.PRE_SESSION,
    by: str | None = None,
) -> OutcomeResponse:
    """Validate and score a questionnaire into a response (answers or a total).

    Raises
    ------
    UserError
        Unknown measure, an answer that is not allowed, a total outside the range.
    """
    measure = get_measure(scale_id)
    result = score_checklist(scale_id, items, total, at)
    answers = {a.number: int(a.score) for a in result.items}
    return OutcomeResponse(
        course_id=course_id,
        session_id=session_id,
        scale=scale_id,
        total=int(result.total),
        interpretation=result.interpretation,
        items=answers,
        at=at,
        by=by,
        context=Context(context),
        alerts=tuple(alerts_for(measure, int(result.total), answers)),
    )
