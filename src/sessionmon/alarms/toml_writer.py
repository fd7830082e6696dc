"""A small TOML writer for settings made of tables, strings, numbers, booleans and flat lists.

The standard library reads TOML (:mod:`tomllib`) but does not write it; this is enough for the
alarm settings file and keeps the project free of another dependency.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: TOML settings cannot hold {value}")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    raise TypeError(f"{where}: cannot write {type(value).__name__} to TOML")


def dumps(data: Mapping[str, Any], header: str = "") -> str:
    """Return ``data`` as TOML text.

    Parameters
    ----------
    data : mapping
        Nested tables (mappings) of str, int, float, bool and lists of those. ``None`` values are
        left out (TOML has no null).
    header : str
        Comment lines written first (each line gets a ``#``).

    Returns
    -------
    str
        TOML that :func:`tomllib.loads` reads back to ``data`` (without the ``None`` values).
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    _table(data, [], lines)
    return "\n".join(lines).strip("\n") + "\n"


def _table(data: Mapping[str, Any], path: list[str], lines: list[str]) -> None:
    scalars = [(k, v) for k, v in data.items() if v is not None and not isinstance(v, Mapping)]
    tables = [(k, v) for k, v in data.items() if isinstance(v, Mapping)]
    if path and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_key(p) for p in path) + "]")
    where = ".".join(path)
    for key, value in scalars:
        lines.append(f"{_key(key)} = {_value(value, f'{where}.{key}' if where else key)}")
    for key, value in tables:
        _table(value, [*path, key], lines)
