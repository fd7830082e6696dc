"""Read scenario TOML files (or built-ins by id) into :class:`~sessionmon.scenarios.model.Scenario`.

Every problem becomes one :class:`~sessionmon.errors.UserError` line naming the file, the line and
the field, e.g. ``hypertensive.toml, line 23, field step[3].action: Input should be 'measure_bp',
...``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sessionmon.errors import UserError
from sessionmon.scenarios.model import Scenario, format_hms

_BUILTIN_PACKAGE = "sessionmon.scenarios.builtin"
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TOML_END = re.compile(r"\s*\(at end of document\)\s*$")
_LATE_STEP = re.compile(r"^step (\d+) is at ")


@dataclass(frozen=True)
class BuiltinScenario:
    """A scenario shipped with sessionmon."""

    id: str
    name: str
    treatment: str
    duration_s: float
    description: str
    path: Path

    @property
    def duration(self) -> str:
        """The duration as ``"HH:MM:SS"``."""
        return format_hms(self.duration_s)


def _builtin_dir() -> Path:
    return Path(str(resources.files(_BUILTIN_PACKAGE)))


def builtin_ids() -> list[str]:
    """Return the ids (file stems) of the built-in scenarios, sorted."""
    return sorted(p.stem for p in _builtin_dir().glob("*.toml"))


def list_builtin() -> list[BuiltinScenario]:
    """Return every built-in scenario, loaded and validated, sorted by id."""
    out = []
    for scenario_id in builtin_ids():
        path = _builtin_dir() / f"{scenario_id}.toml"
        scenario = load_scenario(path)
        out.append(
            BuiltinScenario(
                id=scenario_id,
                name=scenario.name,
                treatment=scenario.treatment.value,
                duration_s=scenario.duration,
                description=scenario.description,
                path=path,
            )
        )
    return out


def resolve_scenario_path(path_or_name: str | Path) -> Path:
    """Return the file of a scenario given as a path or a built-in id.

    Raises
    ------
    UserError
        If it is neither an existing file nor a built-in id.
    """
    candidate = Path(path_or_name)
    if candidate.is_file():
        return candidate
    text = str(path_or_name)
    if "/" not in text and "\\" not in text:
        stem = text[:-5] if text.endswith(".toml") else text
        builtin = _builtin_dir() / f"{stem}.toml"
        if builtin.is_file():
            return builtin
    if candidate.is_dir():
        raise UserError(f"{text} is a folder; give a scenario file (.toml)")
    if candidate.suffix == ".toml" or "/" in text:
        raise UserError(f"scenario file {text} not found")
    raise UserError(
        f"no scenario file or built-in scenario named {text!r} "
        f"(built-ins: {', '.join(builtin_ids())})"
    )


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Read and validate a scenario.

    Parameters
    ----------
    path_or_name : str or Path
        A scenario TOML file, or the id of a built-in scenario (e.g. ``"hypertensive-response"``).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    UserError
        If the file is missing, is not valid TOML, or breaks the scenario format; the message names
        the file, the line and the field.
    """
    path = resolve_scenario_path(path_or_name)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read scenario file {path}: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path.name}: not a UTF-8 text file (byte {exc.start})") from exc
    return parse_scenario(text, source=path.name)


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML ``text``; ``source`` names it in error messages.

    Raises
    ------
    UserError
        As :func:`load_scenario`.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(_syntax_message(source, text, str(exc))) from exc
    except RecursionError:
        raise UserError(_too_deep(source)) from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise UserError(_validation_message(source, text, exc)) from exc
    except RecursionError:
        raise UserError(_too_deep(source)) from None


def _too_deep(source: str) -> str:
    return (
        f"{source}: arrays or tables are nested too deeply to be a scenario "
        "(a scenario nests at most a few levels)"
    )


def _syntax_message(source: str, text: str, message: str) -> str:
    match = _TOML_POSITION.search(message)
    if match:
        reason = message[: match.start()]
        where = f"line {match.group(1)}, column {match.group(2)}"
    else:
        reason = _TOML_END.sub("", message)
        where = f"line {max(1, len(text.splitlines()))} (end of file)"
    reason = reason[:1].lower() + reason[1:]
    return f"{source}, {where}: not valid TOML: {reason}"


def _validation_message(source: str, text: str, exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc: tuple[Any, ...] = tuple(first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    late = _LATE_STEP.match(message)
    if not loc and late:
        loc = ("step", int(late.group(1)) - 1, "at")
    field = _field_path(loc)
    line = find_line(text, loc)
    if first["type"] == "missing":
        message = "required field is missing"
        line = line or 1
    elif first["type"] == "extra_forbidden":
        message = "unknown field"
    elif first["type"] in {"enum", "literal_error"}:
        message = f"{first['input']!r} is not allowed; {message[:1].lower()}{message[1:]}"
    where = f"line {line}, " if line else ""
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return f"{source}, {where}field {field or '(top level)'}: {message}" + (
        more if len(errors) > 1 else ""
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            # Tables are counted from 1 in messages, as a person counts them in the file.
            parts.append(f"[{item + 1}]")
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(?:#.*)?$")


def _key_pattern(key: str) -> re.Pattern[str]:
    return re.compile(
        rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=|[{{,]\s*{re.escape(key)}\s*="
    )


def find_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Return the 1-based line in ``text`` where the field at ``loc`` is (or should be).

    Finds the table (``[baseline]``, the N-th ``[[step]]``) then the key inside it; a missing key
    points at its table's header. Returns ``None`` when nothing sensible is found.
    """
    lines = text.splitlines()
    # Sections: (header name, is array, start line index) in order.
    sections: list[tuple[str, bool, int]] = [("", False, 0)]
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            sections.append((match.group(2).strip(), match.group(1) == "[[", index))
    bounds = [
        (name, is_array, start, sections[i + 1][2] if i + 1 < len(sections) else len(lines))
        for i, (name, is_array, start) in enumerate(sections)
    ]

    table = ""
    ordinal: int | None = None
    keys: list[str] = []
    loc_items = list(loc)
    if loc_items and loc_items[0] in {b[0] for b in bounds if b[0]}:
        table = str(loc_items.pop(0))
        if loc_items and isinstance(loc_items[0], int):
            ordinal = loc_items.pop(0)
    keys = [str(k) for k in loc_items if not isinstance(k, int)]

    if table:
        matching = [b for b in bounds if b[0] == table]
        if ordinal is not None:
            matching = matching[ordinal : ordinal + 1]
        if not matching:
            return None
        _, _, start, end = matching[0]
        header_line = start
    else:
        _, _, start, end = bounds[0]
        header_line = None
    for key in keys:
        pattern = _key_pattern(key)
        for index in range(start, end):
            if pattern.search(lines[index].split("#", 1)[0]):
                return index + 1
    if header_line is not None:
        return header_line + 1
    return None
