"""Checklist scales as data: MOAA/S, CADSS-23, CADSS-6, side effects, modified Aldrete, RASS.

The definitions live in ``sessionmon/data/scales.toml`` and are validated into frozen pydantic
models at import. Item wording that is copyrighted (CADSS) is not shipped: items carry neutral
placeholder labels ("CADSS item 7") and a clinic loads its licensed wording from a file with
:func:`load_item_wording` and applies it with :func:`with_item_wording`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sessionmon.errors import UserError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Choice(_Frozen):
    """One allowed answer of an item: its score and what it means."""

    score: int
    label: str = Field(min_length=1)


class ScaleItem(_Frozen):
    """One item (question or criterion) of a scale.

    ``number`` is the item's number in the scale's source numbering (CADSS-6 keeps the CADSS-23
    numbers 1, 2, 6, 7, 15, 22); ``key`` is a stable machine name.
    """

    number: int = Field(ge=1)
    key: str = Field(min_length=1)
    label: str = Field(min_length=1)
    choices: tuple[Choice, ...] = Field(min_length=1)
    subscale: str | None = None
    rater: Literal["subject", "observer"] | None = None

    @property
    def scores(self) -> tuple[int, ...]:
        """The allowed scores, lowest first."""
        return tuple(sorted(c.score for c in self.choices))

    def choice_for(self, score: int) -> Choice | None:
        """Return the choice with ``score``, or None when that score is not allowed."""
        return next((c for c in self.choices if c.score == score), None)

    def allowed_text(self) -> str:
        """Describe the allowed answers, e.g. ``0 (absent), 1 (mild), 2 (moderate), 3 (severe)``."""
        ordered = sorted(self.choices, key=lambda c: c.score)
        return ", ".join(f"{c.score} ({c.label})" for c in ordered)


class Band(_Frozen):
    """An interpretation for totals ``min``..``max`` inclusive."""

    min: int
    max: int
    label: str = Field(min_length=1)


class ScaleDefinition(_Frozen):
    """A checklist scale: items, scoring rule and interpretation bands.

    ``scoring`` is ``"single"`` (one item; its score is the total) or ``"sum"`` (total is the sum
    of the item scores).
    """

    id: str
    title: str
    short: str
    scoring: Literal["single", "sum"]
    items: tuple[ScaleItem, ...] = Field(min_length=1)
    bands: tuple[Band, ...] = Field(min_length=1)
    subscales: dict[str, tuple[int, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ScaleDefinition:
        numbers = [i.number for i in self.items]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"scale {self.id}: item numbers repeat")
        keys = [i.key for i in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError(f"scale {self.id}: item keys repeat")
        if self.scoring == "single" and len(self.items) != 1:
            raise ValueError(f"scale {self.id}: a single-choice scale has exactly one item")
        low, high = self.total_range
        covered = set()
        for band in self.bands:
            if band.min > band.max:
                raise ValueError(f"scale {self.id}: band {band.label!r} has min above max")
            covered.update(range(band.min, band.max + 1))
        missing = [t for t in range(low, high + 1) if t not in covered]
        if missing:
            raise ValueError(f"scale {self.id}: no interpretation band covers totals {missing}")
        return self

    @property
    def total_range(self) -> tuple[int, int]:
        """Lowest and highest possible total."""
        return (
            sum(min(i.scores) for i in self.items),
            sum(max(i.scores) for i in self.items),
        )

    def item(self, ref: int | str) -> ScaleItem | None:
        """Find an item by number (int or digit string) or key; None when there is none."""
        if isinstance(ref, str) and ref.strip().isdecimal():
            ref = int(ref)
        for item in self.items:
            if (isinstance(ref, int) and item.number == ref) or item.key == ref:
                return item
        return None

    def interpret(self, total: int) -> str:
        """Return the interpretation of a total (first band that contains it)."""
        for band in self.bands:
            if band.min <= total <= band.max:
                return band.label
        low, high = self.total_range
        raise UserError(f"{self.short} total {total} is outside {low} to {high}")


# --------------------------------------------------------------------------- loading


def _expand_items(
    scale_id: str, raw: dict[str, Any], choice_sets: Mapping[str, Any], built: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Turn the compact TOML forms (numbered_items, items_from, shared choices) into full items."""
    subscales: dict[str, list[int]] = raw.get("subscales", {})
    observers = set(raw.get("observer_items", []))

    def membership(number: int) -> tuple[str | None, str | None]:
        names = [n for n, members in subscales.items() if number in members and n != "observer"]
        rater = None
        if subscales or observers:
            rater = "observer" if number in observers else "subject"
        return (names[0] if names else ("observer" if number in observers else None)), rater

    if "numbered_items" in raw:
        spec = raw["numbered_items"]
        choices = choice_sets[spec["choices"]]
        items = []
        for n in range(1, int(spec["count"]) + 1):
            subscale, rater = membership(n)
            items.append(
                {
                    "number": n,
                    "key": f"item_{n}",
                    "label": spec["label"].format(n=n),
                    "choices": choices,
                    "subscale": subscale,
                    "rater": rater,
                }
            )
        return items
    if "items_from" in raw:
        source = built[raw["items_from"]]
        wanted = list(raw["item_numbers"])
        by_number = {item["number"]: item for item in source}
        return [dict(by_number[n]) for n in wanted]
    shared = raw.get("choices")
    items = []
    for index, item in enumerate(raw["items"], start=1):
        item = dict(item)
        item.setdefault("number", index)
        if "choices" not in item:
            item["choices"] = choice_sets[shared]
        elif isinstance(item["choices"], str):
            item["choices"] = choice_sets[item["choices"]]
        items.append(item)
    return items


def parse_scales(data: Mapping[str, Any], source: str = "scale file") -> dict[str, ScaleDefinition]:
    """Build scale definitions from the parsed TOML/JSON structure of a scale file.

    Raises
    ------
    UserError
        Naming the file, the scale and the problem when a definition is invalid.
    """
    choice_sets = data.get("choice_sets", {})
    built_items: dict[str, list[dict[str, Any]]] = {}
    scales: dict[str, ScaleDefinition] = {}
    for scale_id, raw in data.items():
        if scale_id == "choice_sets":
            continue
        try:
            items = _expand_items(scale_id, raw, choice_sets, built_items)
            built_items[scale_id] = items
            subscales = {k: tuple(v) for k, v in raw.get("subscales", {}).items()}
            if "items_from" in raw:
                numbers = {item["number"] for item in items}
                source_subscales = scales[raw["items_from"]].subscales
                for name, members in source_subscales.items():
                    kept = tuple(n for n in members if n in numbers)
                    if kept:
                        subscales.setdefault(name, kept)
            scales[scale_id] = ScaleDefinition(
                id=scale_id,
                title=raw["title"],
                short=raw.get("short", scale_id),
                scoring=raw["scoring"],
                items=items,
                bands=raw["bands"],
                subscales=subscales,
            )
        except KeyError as exc:
            raise UserError(f"{source}: scale {scale_id!r} is missing {exc.args[0]!r}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise UserError(f"{source}: scale {scale_id!r}: {where}: {first['msg']}") from None
    return scales


def load_scale_file(path: str | Path) -> dict[str, ScaleDefinition]:
    """Read a TOML scale file (same format as the built-in ``data/scales.toml``)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read scale file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {exc}") from None
    return parse_scales(data, source=str(path))


def _builtin_scales() -> dict[str, ScaleDefinition]:
    scales: dict[str, ScaleDefinition] = {}
    for name in ("scales.toml", "outcomes.toml"):  # outcomes: PHQ-9, GAD-7, PCL-5, anxiety 0-10
        text = resources.files("sessionmon").joinpath(f"data/{name}").read_text(encoding="utf-8")
        scales.update(parse_scales(tomllib.loads(text), source=f"built-in {name}"))
    return scales


#: Built-in scales by id: moaas, cadss, cadss6, side_effects, aldrete, rass.
SCALES: dict[str, ScaleDefinition] = _builtin_scales()


def get_scale(scale_id: str) -> ScaleDefinition:
    """Return the built-in scale ``scale_id`` or raise a UserError listing the known ids."""
    try:
        return SCALES[scale_id]
    except KeyError:
        known = ", ".join(SCALES)
        raise UserError(f"unknown scale {scale_id!r}; known scales: {known}") from None


# --------------------------------------------------------------------------- licensed wording


def load_item_wording(path: str | Path, scale_id: str = "cadss") -> dict[int, str]:
    """Load a clinic's licensed item wording: a TOML or JSON mapping of item number to text.

    TOML may be flat (``7 = "..."``) or under an ``[items]`` table; JSON is an object
    (``{"7": "..."}``), optionally under ``"items"``. The numbers are those of ``scale_id``
    (CADSS-23 numbering, which CADSS-6 shares). Items the file does not name keep their
    placeholder label.

    Returns
    -------
    dict[int, str]
        Item number -> wording.

    Raises
    ------
    UserError
        If the file cannot be read or parsed, a key is not an item number of the scale, or a
        text is empty or not a string; the message names the file and the entry.
    """
    path = Path(path)
    scale = get_scale(scale_id)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read item wording file {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    elif path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: not valid TOML: {exc}") from None
    else:
        raise UserError(f"{path}: item wording must be a .toml or .json file")
    if isinstance(data, dict) and isinstance(data.get("items"), dict):
        data = data["items"]
    if not isinstance(data, dict) or not data:
        raise UserError(f"{path}: expected a mapping of item number to text")
    numbers = sorted(i.number for i in scale.items)
    wording: dict[int, str] = {}
    for key, value in data.items():
        key_text = str(key).strip()
        if not key_text.isdigit() or int(key_text) not in numbers:
            raise UserError(
                f"{path}: {key_text!r} is not a {scale.short} item number "
                f"(expected {numbers[0]} to {numbers[-1]})"
            )
        if not isinstance(value, str) or not value.strip():
            raise UserError(f"{path}: item {key_text}: wording must be non-empty text")
        wording[int(key_text)] = value.strip()
    return wording


def with_item_wording(scale: ScaleDefinition, wording: Mapping[int, str]) -> ScaleDefinition:
    """Return a copy of ``scale`` whose item labels are replaced by ``wording`` where given.

    Numbers in ``wording`` that the scale does not have are ignored, so one CADSS-23 wording
    file serves CADSS-6 too.
    """
    items = tuple(
        item.model_copy(update={"label": wording[item.number]}) if item.number in wording else item
        for item in scale.items
    )
    return scale.model_copy(update={"items": items})
