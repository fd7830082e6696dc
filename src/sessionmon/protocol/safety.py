"""The pre-session safety checklist as data: label contraindications, fasting, REMS, escort.

The items live in ``sessionmon/data/safety.toml`` (validated at import into frozen models, like
the scales). :func:`evaluate_safety` turns the answers into a :class:`SafetyVerdict`: which
contraindications were answered "yes" (these block the dose unless a prescriber overrides with a
reason), which items are unanswered (the dose then asks for confirmation) and which answers are
cautions to show.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sessionmon.errors import UserError

#: The answers an item takes.
YES, NO = "yes", "no"


class SafetyItem(BaseModel):
    """One yes/no question of the checklist (see the file's header for ``kind``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(min_length=1)
    kind: Literal["contraindication", "caution", "confirm", "info"]
    label: str = Field(min_length=1)
    drugs: tuple[str, ...] = Field(min_length=1)
    source: str = Field(min_length=1)


class SafetyChecklist(BaseModel):
    """The items of the checklist, in the order they are asked."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: tuple[SafetyItem, ...] = Field(min_length=1)

    def for_drug(self, drug: str) -> tuple[SafetyItem, ...]:
        """The items that apply to ``drug`` (``esketamine`` or ``ketamine``)."""
        return tuple(i for i in self.items if drug in i.drugs)


def load_safety_checklist(text: str | None = None) -> SafetyChecklist:
    """Read the checklist definition (the shipped file when ``text`` is None).

    Raises
    ------
    UserError
        The text is not TOML or does not describe a valid checklist (the message names the field).
    """
    if text is None:
        shipped = resources.files("sessionmon").joinpath("data/safety.toml")
        text = shipped.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
        checklist = SafetyChecklist.model_validate(raw)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"safety checklist: not TOML ({exc})") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(f"safety checklist: {where}: {first['msg']}") from None
    keys = [i.key for i in checklist.items]
    if len(set(keys)) != len(keys):
        raise UserError("safety checklist: item keys must be unique")
    return checklist


SAFETY_CHECKLIST = load_safety_checklist()


def normalise_answer(value: Any) -> str | None:
    """``yes`` / ``no`` / None (unanswered) from a bool, a string or None.

    Raises
    ------
    UserError
        Anything else.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return YES if value else NO
    text = str(value).strip().lower()
    if text in ("yes", "y", "true"):
        return YES
    if text in ("no", "n", "false"):
        return NO
    raise UserError(f"a safety checklist answer is yes or no, not {value!r}")


@dataclass(frozen=True)
class SafetyVerdict:
    """What the answers mean for the dose."""

    answers: dict[str, str | None]
    contraindications: tuple[str, ...]
    unanswered: tuple[str, ...]
    cautions: tuple[str, ...]

    @property
    def blocks(self) -> bool:
        """Whether a contraindication was answered "yes"."""
        return bool(self.contraindications)

    def as_payload(self) -> dict[str, Any]:
        """The verdict as plain data for an event payload."""
        return {
            "answers": dict(self.answers),
            "contraindications": list(self.contraindications),
            "unanswered": list(self.unanswered),
            "cautions": list(self.cautions),
            "complete": not self.unanswered,
        }


def evaluate_safety(
    answers: Mapping[str, Any] | None,
    drug: str,
    checklist: SafetyChecklist = SAFETY_CHECKLIST,
) -> SafetyVerdict:
    """Judge the answers (item key -> yes/no/None) for a session giving ``drug``.

    Raises
    ------
    UserError
        An answer names an unknown item, or is not yes/no.
    """
    answers = dict(answers or {})
    items = checklist.for_drug(drug)
    known = {i.key for i in items}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise UserError(f"unknown safety checklist item {unknown[0]!r} for {drug}")
    normal = {i.key: normalise_answer(answers.get(i.key)) for i in items}
    contra, cautions, unanswered = [], [], []
    for item in items:
        answer = normal[item.key]
        if answer is None:
            if item.kind != "info":
                unanswered.append(item.key)
        elif item.kind == "contraindication" and answer == YES:
            contra.append(item.key)
        elif (item.kind, answer) in (("caution", YES), ("confirm", NO)):
            cautions.append(item.key)
    return SafetyVerdict(normal, tuple(contra), tuple(unanswered), tuple(cautions))


def item_label(key: str, checklist: SafetyChecklist = SAFETY_CHECKLIST) -> str:
    """The question of an item (its key when unknown)."""
    return next((i.label for i in checklist.items if i.key == key), key)
