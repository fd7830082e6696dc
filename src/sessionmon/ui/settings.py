"""Console settings that persist between launches: a JSON file in the user settings folder.

Holds the clinic's devices and ports (the next session reconnects by itself), the alarm-limit
adjustments, the window layout and a few conveniences (last signer, NIBP auto interval, the
folder of the last export).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sessionmon.paths import config_dir

SETTINGS_FILE = "console.json"


@dataclass
class DeviceChoice:
    """A device the clinic set up: its protocol (driver), serial port and port overrides.

    ``overrides`` holds port settings that differ from the driver's defaults (``baud``,
    ``parity``, ``bytesize``, ``stopbits``, ``xonxoff``, ``rtscts``), e.g. ``{"parity": "O"}``
    for a CMS50 whose firmware uses odd parity; edit them in the settings file.
    """

    protocol: str
    port: str
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class ConsoleSettings:
    """Everything the console remembers."""

    simulated_devices: bool = False
    devices: dict[str, DeviceChoice] = field(default_factory=dict)  # role -> choice
    alarm_limits: dict[str, Any] = field(default_factory=dict)
    alarm_profile_path: str | None = None
    window_geometry: str | None = None  # base64 of QMainWindow.saveGeometry()
    window_state: str | None = None
    nibp_auto_interval_min: int | None = None
    staff_name: str = ""
    cadss_wording_path: str | None = None
    export_folder: str | None = None  # where the last export went

    @classmethod
    def path(cls, folder: Path | None = None) -> Path:
        """Where the settings file lives."""
        return (folder or config_dir()) / SETTINGS_FILE

    @classmethod
    def load(cls, folder: Path | None = None) -> ConsoleSettings:
        """Read the settings; a missing or unreadable file gives the defaults (never fails)."""
        path = cls.path(folder)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        settings = cls()
        for name in (
            "simulated_devices",
            "alarm_limits",
            "alarm_profile_path",
            "window_geometry",
            "window_state",
            "nibp_auto_interval_min",
            "staff_name",
            "cadss_wording_path",
            "export_folder",
        ):
            if name in data:
                setattr(settings, name, data[name])
        for role, choice in (data.get("devices") or {}).items():
            if isinstance(choice, dict) and "protocol" in choice and "port" in choice:
                overrides = choice.get("overrides")
                settings.devices[role] = DeviceChoice(
                    str(choice["protocol"]),
                    str(choice["port"]),
                    dict(overrides) if isinstance(overrides, dict) else {},
                )
        return settings

    def save(self, folder: Path | None = None) -> Path:
        """Write the settings atomically and return the file path."""
        path = self.path(folder)
        data = asdict(self)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
        return path
