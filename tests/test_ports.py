"""``sessionmon ports``: listing and device hints, from real pyserial ListPortInfo objects."""

from __future__ import annotations

import json

from serial.tools.list_ports_common import ListPortInfo

from sessionmon.devices.ports import describe_port, device_hint, format_ports, render_ports


def usb_port(device: str, vid: int, pid: int, description: str, manufacturer: str | None = None):
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid = vid, pid
    info.description = description
    info.manufacturer = manufacturer
    info.product = description
    info.serial_number = "0001"
    return info


def test_cp210x_is_hinted_as_a_contec_oximeter() -> None:
    entry = describe_port(usb_port("/dev/ttyUSB0", 0x10C4, 0xEA60, "CP2102 USB to UART Bridge"))
    assert entry.vid_pid == "10C4:EA60"
    assert "Contec CMS50" in entry.hint
    text = format_ports([entry])
    assert text.splitlines() == [
        "/dev/ttyUSB0  [USB 10C4:EA60]  CP2102 USB to UART Bridge",
        "    likely: Silicon Labs CP210x: Contec CMS50 family (cms50-v7 or cms50-legacy)",
    ]


def test_adapters_and_named_devices() -> None:
    ftdi = describe_port(usb_port("/dev/ttyUSB1", 0x0403, 0x6001, "FT232R USB UART"))
    assert "Masimo, SunTech or Nonin via adapter" in ftdi.hint
    prolific = describe_port(usb_port("COM4", 0x067B, 0x2303, "USB-Serial Controller"))
    assert prolific.hint == "Prolific PL2303: USB-serial adapter"
    nonin = describe_port(usb_port("/dev/ttyACM0", 0x1234, 0x0001, "3012LP", "Nonin Medical"))
    assert nonin.hint.startswith("Nonin pulse oximeter")
    unknown = describe_port(usb_port("/dev/ttyACM1", 0x2341, 0x0043, "Arduino Uno"))
    assert unknown.hint == "USB device (unknown bridge)"


def test_built_in_port_has_no_usb_id() -> None:
    entry = describe_port(ListPortInfo("/dev/ttyS0", skip_link_detection=True))
    assert entry.vid_pid is None and entry.description == ""
    assert format_ports([entry]).startswith("/dev/ttyS0  [no USB id]")
    assert device_hint(None, None) == "built-in or virtual serial port"


def test_no_ports_message() -> None:
    assert format_ports([]) == "no serial ports found"


def test_json_output_lists_every_field() -> None:
    entries = [describe_port(usb_port("/dev/ttyUSB0", 0x10C4, 0xEA60, "CP2102"))]
    listed = json.loads(render_ports(entries, as_json=True))
    assert listed == [
        {
            "device": "/dev/ttyUSB0",
            "description": "CP2102",
            "vid_pid": "10C4:EA60",
            "manufacturer": None,
            "product": "CP2102",
            "serial_number": "0001",
            "hint": "Silicon Labs CP210x: Contec CMS50 family (cms50-v7 or cms50-legacy)",
        }
    ]
    assert json.loads(render_ports([], as_json=True)) == []


def test_ports_command_lists_this_machine(capsys) -> None:
    from sessionmon.cli import main

    assert main(["ports"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "no serial ports found" or "likely: " in out
