"""The ``[central]`` settings: which broker, how to log in, which clinic and chair.

They live in ``central.toml`` in the settings folder (``$SESSIONMON_CONFIG_DIR`` or the user
config folder); ``--central mqtt://HOST:PORT`` (or ``mqtts://``) and ``--chair NAME`` override
them, and ``SESSIONMON_CENTRAL_USER`` / ``SESSIONMON_CENTRAL_PASSWORD`` override the login.
Without a ``[central]`` table nothing is published: the console stays a single machine.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sessionmon.errors import UserError
from sessionmon.paths import config_dir

SETTINGS_FILE = "central.toml"
USER_ENV = "SESSIONMON_CENTRAL_USER"
PASSWORD_ENV = "SESSIONMON_CENTRAL_PASSWORD"

#: A chair or clinic name: safe in a topic (no ``/``, ``+``, ``#``, spaces) and short.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
_NAME = re.compile(NAME_PATTERN)

#: Names a chair may not take (``central`` holds the acknowledgement topics).
RESERVED_NAMES = frozenset({"central"})


def check_name(value: str, what: str) -> str:
    """Return ``value`` if it is a valid chair or clinic name, else raise ``ValueError``."""
    if not _NAME.match(value):
        raise ValueError(
            f"{what} {value!r} must be 1-32 letters, digits, '_', '.' or '-' "
            "(starting with a letter or digit)"
        )
    if what == "chair" and value.lower() in RESERVED_NAMES:
        raise ValueError(f"chair {value!r} is reserved for the central station")
    return value


class CentralConfig(BaseModel):
    """How a console or the central station reaches the broker.

    Attributes
    ----------
    host, port : str, int
        The broker (1883 plain, 8883 TLS by convention).
    tls : bool
        Connect with TLS; the broker's certificate is checked against ``ca_file`` (or the
        system's CAs when it is empty).
    ca_file : str or None
        PEM file of the CA that signed the broker's certificate.
    username, password : str or None
        The broker login of this console (one per console) or of the central station.
    clinic : str
        Clinic id, the second topic level (``sessionmon/<clinic>/<chair>/...``).
    chair : str or None
        This console's chair name (consoles only).
    chairs : list of str
        Central only: the chairs it expects. Messages of any other chair are dropped; empty
        means any chair that publishes valid messages is shown.
    user : str
        Central only: who acknowledges at central ("seen at central by <user>").
    offline_after_s : float
        Central only: a chair silent this long raises its offline alarm (issue 13: 5 s).
    """

    model_config = ConfigDict(extra="forbid")

    host: str = "localhost"
    port: int = Field(default=1883, ge=1, le=65535)
    tls: bool = False
    ca_file: str | None = None
    username: str | None = None
    password: str | None = None
    clinic: str = "clinic"
    chair: str | None = None
    chairs: list[str] = Field(default_factory=list)
    user: str = "central"
    offline_after_s: float = Field(default=5.0, gt=0, le=300)

    @field_validator("clinic")
    @classmethod
    def _clinic(cls, value: str) -> str:
        return check_name(value, "clinic")

    @field_validator("chair")
    @classmethod
    def _chair(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value, "chair")

    @field_validator("chairs")
    @classmethod
    def _chairs(cls, value: list[str]) -> list[str]:
        return [check_name(v, "chair") for v in value]

    @property
    def url(self) -> str:
        """``mqtt://host:port`` or ``mqtts://host:port`` (no credentials)."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_url(url: str) -> dict[str, object]:
    """Return ``host``, ``port`` and ``tls`` from ``mqtt://HOST[:PORT]`` or ``mqtts://...``.

    Raises
    ------
    UserError
        For another scheme, a missing host or a bad port.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts"):
        raise UserError(f"--central {url!r}: use mqtt://HOST:PORT or mqtts://HOST:PORT")
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port
    except ValueError:
        raise UserError(f"--central {url!r}: the port is not a number 1-65535") from None
    if not parts.hostname:
        raise UserError(f"--central {url!r}: no broker host")
    return {"host": parts.hostname, "port": port or (8883 if tls else 1883), "tls": tls}


def load_central(
    folder: Path | None = None,
    *,
    url: str | None = None,
    chair: str | None = None,
    environ: dict[str, str] | None = None,
) -> CentralConfig | None:
    """Return the central settings, or None when the station is not configured.

    Parameters
    ----------
    folder : Path, optional
        The settings folder (default: :func:`sessionmon.paths.config_dir`).
    url : str, optional
        ``--central``: overrides host, port and TLS (and configures central on its own).
    chair : str, optional
        ``--chair``: overrides the chair name.
    environ : dict, optional
        The environment (default ``os.environ``) for the credentials.

    Raises
    ------
    UserError
        If the file is not valid TOML or a setting is invalid (the message names it).
    """
    environ = os.environ if environ is None else environ
    path = (folder or config_dir()) / SETTINGS_FILE
    data: dict[str, object] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot read the central settings ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: not valid TOML: {exc}") from None
        section = raw.get("central")
        if section is not None and not isinstance(section, dict):
            raise UserError(f"{path}: [central] must be a table")
        data = dict(section or {})
    if not data and url is None:
        return None
    if url is not None:
        data.update(parse_url(url))
    if chair is not None:
        data["chair"] = chair
    if environ.get(USER_ENV):
        data["username"] = environ[USER_ENV]
    if environ.get(PASSWORD_ENV):
        data["password"] = environ[PASSWORD_ENV]
    try:
        return CentralConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'central'}: {e['msg']}" for e in exc.errors()
        )
        raise UserError(f"{path.name} [central]: {problems}") from None
