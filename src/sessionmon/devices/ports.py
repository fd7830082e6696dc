"""Serial ports on this computer, with a hint of which device is likely behind each one.

The hint comes from the USB bridge chip (vendor and product id) and the USB strings: a clinic
plugs in a device and runs ``sessionmon ports`` to find out which port to put in the setup.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

#: (vendor id, product id or None for any) -> hint. Checked in order; the first match wins.
USB_HINTS: tuple[tuple[int, int | None, str], ...] = (
    (0x10C4, 0xEA60, "Silicon Labs CP210x: Contec CMS50 family (cms50-v7 or cms50-legacy)"),
    (0x10C4, None, "Silicon Labs USB-serial: possibly a Contec CMS50"),
    (0x0403, 0x6001, "FTDI USB-serial: generic adapter (Masimo, SunTech or Nonin via adapter)"),
    (0x0403, None, "FTDI USB-serial adapter (Masimo, SunTech or Nonin via adapter)"),
    (0x067B, 0x2303, "Prolific PL2303: USB-serial adapter"),
    (0x067B, None, "Prolific USB-serial adapter"),
    (0x1A86, None, "WCH CH340: USB-serial adapter"),
)

#: Words in the USB manufacturer/product strings -> hint (case-insensitive).
TEXT_HINTS: tuple[tuple[str, str], ...] = (
    ("nonin", "Nonin pulse oximeter (nonin-df2/df7/df8 or nonin-ascii)"),
    ("masimo", "Masimo pulse oximeter (masimo-ascii, Serial Out AS1)"),
    ("suntech", "SunTech Advantage NIBP module (suntech)"),
    ("contec", "Contec CMS50 family (cms50-v7 or cms50-legacy)"),
)


@dataclass(frozen=True, slots=True)
class PortEntry:
    """One serial port as ``sessionmon ports`` shows it."""

    device: str
    description: str
    vid_pid: str | None
    manufacturer: str | None
    product: str | None
    serial_number: str | None
    hint: str

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


def device_hint(vid: int | None, pid: int | None, text: str = "") -> str:
    """Return the likely device behind a port from its USB ids and strings.

    Parameters
    ----------
    vid, pid : int or None
        USB vendor and product id (``None`` for a non-USB port).
    text : str
        USB manufacturer, product and description strings, joined.
    """
    lowered = text.lower()
    for word, hint in TEXT_HINTS:
        if word in lowered:
            return hint
    if vid is not None:
        for hint_vid, hint_pid, hint in USB_HINTS:
            if vid == hint_vid and (hint_pid is None or pid == hint_pid):
                return hint
        return "USB device (unknown bridge)"
    return "built-in or virtual serial port"


def describe_port(info: Any) -> PortEntry:
    """Turn a pyserial ``ListPortInfo`` into a :class:`PortEntry`."""
    vid, pid = info.vid, info.pid
    vid_pid = f"{vid:04X}:{pid:04X}" if vid is not None and pid is not None else None
    description = info.description if info.description not in (None, "n/a") else ""
    text = " ".join(str(s) for s in (info.manufacturer, info.product, description) if s)
    return PortEntry(
        device=info.device,
        description=description,
        vid_pid=vid_pid,
        manufacturer=info.manufacturer,
        product=info.product,
        serial_number=info.serial_number,
        hint=device_hint(vid, pid, text),
    )


def list_ports() -> list[PortEntry]:
    """Return the serial ports pyserial finds, sorted by device name."""
    from serial.tools import list_ports

    return sorted((describe_port(p) for p in list_ports.comports()), key=lambda e: e.device)


def format_ports(entries: list[PortEntry]) -> str:
    """Return the human-readable listing (one block per port)."""
    if not entries:
        return "no serial ports found"
    lines = []
    for e in entries:
        ids = f"USB {e.vid_pid}" if e.vid_pid else "no USB id"
        desc = f"  {e.description}" if e.description else ""
        lines.append(f"{e.device}  [{ids}]{desc}")
        lines.append(f"    likely: {e.hint}")
    return "\n".join(lines)


def render_ports(entries: list[PortEntry], as_json: bool = False) -> str:
    """Return the listing as ``sessionmon ports`` prints it (text or a JSON array)."""
    if as_json:
        return json.dumps([e.to_json() for e in entries], indent=2)
    return format_ports(entries)
