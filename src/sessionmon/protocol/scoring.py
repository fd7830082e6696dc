"""Scoring a checklist: validated answers in, total and interpretation out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sessionmon.errors import UserError
from sessionmon.protocol.scales import ScaleDefinition, ScaleItem, get_scale


@dataclass(frozen=True)
class ItemAnswer:
    """One answered item: its number, key, label, score and the meaning of that score."""

    number: int
    key: str
    label: str
    score: int
    choice: str
    noted_at: datetime | None = None


@dataclass(frozen=True)
class ChecklistResult:
    """A scored checklist.

    Attributes
    ----------
    scale : ScaleDefinition
        The scale scored.
    total : int
        The total (sum of the answered items, or the total given directly).
    interpretation : str
        What the total means by the scale's bands (plus the reported side effects, for
        ``side_effects``; plus how many items were answered when not all were).
    items : tuple[ItemAnswer, ...]
        The item answers, in scale order; empty for a total-only entry.
    complete : bool
        True when the total covers the whole scale: every item answered, or a total given.
    at : datetime or None
        When the checklist was taken, if given.
    """

    scale: ScaleDefinition
    total: int
    interpretation: str
    items: tuple[ItemAnswer, ...]
    complete: bool
    at: datetime | None = None

    @property
    def scale_id(self) -> str:
        """The scale's id, e.g. ``"moaas"``."""
        return self.scale.id

    def payload(self) -> dict[str, Any]:
        """A JSON-friendly dict for an ``Event`` payload (scale, total, items, interpretation)."""
        return {
            "scale": self.scale.id,
            "total": self.total,
            "interpretation": self.interpretation,
            "complete": self.complete,
            "items": {str(a.number): a.score for a in self.items},
        }


def _as_int(scale: ScaleDefinition, item: ScaleItem, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UserError(
            f"{scale.short} item {item.number} ({item.key}): {value!r} is not a score; "
            f"allowed: {item.allowed_text()}"
        )
    if isinstance(value, str):
        text = value.strip()
        by_label = next((c for c in item.choices if c.label.lower() == text.lower()), None)
        if by_label is not None:
            return by_label.score
        try:
            value = int(text)
        except ValueError:
            raise UserError(
                f"{scale.short} item {item.number} ({item.key}): {text!r} is not a score; "
                f"allowed: {item.allowed_text()}"
            ) from None
    if isinstance(value, float):
        if not value.is_integer():
            raise UserError(
                f"{scale.short} item {item.number} ({item.key}): {value} is not a whole score; "
                f"allowed: {item.allowed_text()}"
            )
        value = int(value)
    if item.choice_for(value) is None:
        raise UserError(
            f"{scale.short} item {item.number} ({item.key}): {value} is not allowed; "
            f"allowed: {item.allowed_text()}"
        )
    return value


def _answer(scale: ScaleDefinition, item: ScaleItem, raw: Any) -> ItemAnswer:
    noted_at = None
    if isinstance(raw, Mapping):
        if "score" not in raw:
            raise UserError(
                f"{scale.short} item {item.number} ({item.key}): an answer given as a table "
                "needs a 'score'"
            )
        noted_at = raw.get("at")
        if noted_at is not None and not isinstance(noted_at, datetime):
            raise UserError(
                f"{scale.short} item {item.number} ({item.key}): 'at' must be a date-time"
            )
        raw = raw["score"]
    score = _as_int(scale, item, raw)
    choice = item.choice_for(score)
    assert choice is not None  # _as_int checked it
    return ItemAnswer(item.number, item.key, item.label, score, choice.label, noted_at)


def _collect(
    scale: ScaleDefinition, answers: Mapping[Any, Any] | Sequence[Any]
) -> dict[int, ItemAnswer]:
    collected: dict[int, ItemAnswer] = {}
    if isinstance(answers, Mapping):
        for ref, raw in answers.items():
            item = scale.item(ref)
            if item is None:
                numbers = [i.number for i in scale.items]
                keys = ", ".join(i.key for i in scale.items)
                raise UserError(
                    f"{scale.short} has no item {ref!r}; items are numbered "
                    f"{', '.join(map(str, numbers))} (keys: {keys})"
                )
            if item.number in collected:
                raise UserError(f"{scale.short} item {item.number} is answered twice")
            collected[item.number] = _answer(scale, item, raw)
        return collected
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise UserError(
            f"{scale.short} answers must be a list in item order or a mapping item -> score"
        )
    if len(answers) != len(scale.items):
        raise UserError(
            f"{scale.short} has {len(scale.items)} items; {len(answers)} answers were given "
            "(a list must answer every item, in order)"
        )
    for item, raw in zip(scale.items, answers, strict=True):
        collected[item.number] = _answer(scale, item, raw)
    return collected


def _check_total(scale: ScaleDefinition, total: Any) -> int:
    low, high = scale.total_range
    if isinstance(total, bool) or not isinstance(total, int | float):
        raise UserError(f"{scale.short} total {total!r} is not a number; allowed {low} to {high}")
    if isinstance(total, float) and not total.is_integer():
        raise UserError(f"{scale.short} total {total} is not a whole number")
    total = int(total)
    if not low <= total <= high:
        raise UserError(f"{scale.short} total {total} is outside the scale's range {low} to {high}")
    if scale.scoring == "single" and scale.items[0].choice_for(total) is None:
        raise UserError(
            f"{scale.short}: {total} is not allowed; allowed: {scale.items[0].allowed_text()}"
        )
    return total


def score_checklist(
    scale_id: str,
    answers: Mapping[Any, Any] | Sequence[Any] | None = None,
    total: int | None = None,
    at: datetime | None = None,
) -> ChecklistResult:
    """Validate and score one checklist.

    Parameters
    ----------
    scale_id : str
        ``moaas``, ``cadss``, ``cadss6``, ``side_effects``, ``aldrete`` or ``rass``.
    answers : dict or list, optional
        Item answers: a mapping item -> score (item by number, digit string or key) that may be
        partial, or a list with one score per item in scale order (a single-choice scale also
        takes the bare score). A score may be an int, a
        digit string, a choice label (``"mild"``) or ``{"score": s, "at": datetime}`` to note
        when that item was observed (side effects).
    total : int, optional
        The total, for a total-only entry (the scenario format gives ``score = 4``). Checked
        against the scale's range; when answers are given too, it must equal their sum.
    at : datetime, optional
        When the checklist was taken.

    Returns
    -------
    ChecklistResult

    Raises
    ------
    UserError
        Unknown scale, unknown item, a score that is not allowed (the message names the item and
        the allowed values), a total outside the range, or neither answers nor a total.
    """
    scale = get_scale(scale_id)
    if answers is None and total is None:
        raise UserError(f"{scale.short}: give item answers or a total")
    if answers is None:
        value = _check_total(scale, total)
        return ChecklistResult(scale, value, scale.interpret(value), (), True, at)
    if (
        scale.scoring == "single"
        and isinstance(answers, int | str)
        and not isinstance(answers, bool)
    ):
        answers = [answers]
    collected = _collect(scale, answers)
    if not collected:
        raise UserError(f"{scale.short}: no items answered")
    items = tuple(collected[i.number] for i in scale.items if i.number in collected)
    value = sum(a.score for a in items)
    complete = len(items) == len(scale.items)
    if total is not None:
        given = _check_total(scale, total)
        if given != value:
            raise UserError(
                f"{scale.short}: the total {given} does not match the item scores, "
                f"which add up to {value}"
            )
    interpretation = scale.interpret(value)
    if scale.id == "side_effects":
        present = [f"{a.label.lower()} ({a.choice})" for a in items if a.score > 0]
        if present:
            interpretation = f"{interpretation}: {', '.join(present)}"
    if not complete:
        interpretation = f"{interpretation} ({len(items)} of {len(scale.items)} items answered)"
    return ChecklistResult(scale, value, interpretation, items, complete, at)
