"""``sessionmon decode``: captures in, JSON Lines out, one summary line on stderr."""

import io
import json
import os
import select
import sys
import threading
import tty
from pathlib import Path

import pytest

from sessionmon.cli import main
from sessionmon.commands.decode import parse_hex
from sessionmon.devices.protocols import PROTOCOLS, cms50_v7

CAPTURES = Path(__file__).parent / "captures"


def run(capsys, *argv):
    code = main(["decode", *argv])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    return code, lines, captured.err


def numerics(lines):
    return [(o["kind"], o["value"]) for o in lines if o["kind"] not in ("pleth", "condition")]


def conditions(lines):
    return [(o["value"], o.get("detail")) for o in lines if o["kind"] == "condition"]


def test_every_protocol_has_a_capture():
    assert set(PROTOCOLS) <= {p.stem for p in CAPTURES.glob("*.hex")}


@pytest.mark.parametrize("name", [n for n in sorted(PROTOCOLS) if n != "suntech"])
def test_oximeter_capture_values_and_condition_printed_once(capsys, name):
    code, lines, err = run(capsys, "--device", name, "--hex", str(CAPTURES / f"{name}.hex"))
    assert code == 0
    got = numerics(lines)
    heart_rates = [v for k, v in got if k == "hr"]
    changes = [v for i, v in enumerate(heart_rates) if i == 0 or heart_rates[i - 1] != v]
    assert changes[-3:] == [72, 73, 75]
    assert ("spo2", 97) in got and ("spo2", 96) in got
    assert ("invalid_value", "hr") in conditions(lines)
    assert conditions(lines).count(("invalid_value", "hr")) == 1
    off = [c for c in conditions(lines) if c[0] == "sensor_off"]
    assert len(off) <= 1  # ASCII Nonin has no flag; others print it once for the 2 s stretch
    assert all(isinstance(o["value"], int) or o["kind"] in ("pi", "condition") for o in lines)
    assert "0 checksum errors, 0 resyncs" in err and "frames decoded" in err


def test_cms50_v7_capture_starts_with_reference_example(capsys):
    _, lines, _ = run(capsys, "--device", "cms50-v7", "--hex", str(CAPTURES / "cms50-v7.hex"))
    assert lines[:4] == [
        {"kind": "pleth", "value": 85, "unit": "1"},
        {"kind": "hr", "value": 61, "unit": "/min"},
        {"kind": "spo2", "value": 99, "unit": "%"},
        {"kind": "condition", "value": "invalid_value", "detail": "pi"},
    ]
    assert {"kind": "pi", "value": 2.5, "unit": "%"} in lines


def test_masimo_capture_has_device_time_and_nonin_flags(capsys):
    _, lines, _ = run(
        capsys, "--device", "masimo-ascii", "--hex", str(CAPTURES / "masimo-ascii.hex")
    )
    assert lines[0] == {
        "kind": "spo2",
        "value": 97,
        "unit": "%",
        "device_time": "2026-03-14T09:30:00",
    }
    _, lines, _ = run(capsys, "--device", "nonin-df2", "--hex", str(CAPTURES / "nonin-df2.hex"))
    assert {"kind": "spo2", "value": 97, "unit": "%", "flags": ["smartpoint"]} in lines


def test_suntech_capture(capsys):
    _, lines, err = run(capsys, "--device", "suntech", "--hex", str(CAPTURES / "suntech.hex"))
    assert numerics(lines) == [
        ("cuff_pressure", 60),
        ("cuff_pressure", 160),
        ("cuff_pressure", 140),
        ("cuff_pressure", 90),
        ("nibp_sys", 128),
        ("nibp_dia", 82),
        ("nibp_map", 97),
        ("nibp_hr", 71),
        ("cuff_pressure", 30),
    ]
    assert conditions(lines) == [("nibp_failed", "57 loose cuff or leak")]
    assert "12 frames decoded" in err


def test_binary_file_and_stdin(capsys, tmp_path, monkeypatch):
    raw = tmp_path / "cap.bin"
    raw.write_bytes(b"junk\xff" + bytes.fromhex("01 E0 85 D5 9A BD E3 FF FF"))
    code, lines, err = run(capsys, "--device", "cms50-v7", str(raw))
    assert code == 0 and ("hr", 61) in numerics(lines)
    assert "1 resyncs" in err and "14 bytes" in err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"0x01 0xE0 85D59A\nBDE3FFFF")))
    code, lines, _ = run(capsys, "--device", "cms50-v7", "--hex", "-")
    assert ("spo2", 99) in numerics(lines)


def test_parse_hex_tolerates_formats_and_rejects_bad_text():
    assert parse_hex("0x01,0x02 0304\n# comment ff\n  0A:0b") == bytes((1, 2, 3, 4, 10, 11))
    with pytest.raises(Exception, match="line 1: odd number"):
        parse_hex("123")
    with pytest.raises(Exception, match="not hex"):
        parse_hex("01 zz")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "nope", "x"], "unknown device 'nope'"),
        (["--device", "cms50-v7", "/no/such/file"], "cannot read /no/such/file"),
        (["--device", "cms50-v7"], "give either a capture FILE or --port PORT"),
        (["--device", "cms50-v7", "--port", "/no/such/tty"], "cannot open /no/such/tty"),
        (["--device", "cms50-v7", "--port", "/dev/null", "--parity", "X"], "parity must be"),
    ],
)
def test_user_errors_are_one_line(capsys, argv, message):
    code = main(["decode", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{dir}"], "cannot read {dir}: Is a directory"),
        (["--hex", "{dir}"], "cannot read {dir}: Is a directory"),
        (["--hex", "{dir}/missing.hex"], "No such file or directory"),
        (["--hex", "{dir}/capture.bin"], "not hex text (a binary capture? leave out --hex)"),
        (["--port", "{dir}/no-such-tty"], "no such port; `sessionmon ports` lists"),
        (["--port", "{dir}"], "not a serial port"),
        (["--port", "{dir}/capture.bin"], "not a serial port"),
        (["--port", "/dev/null", "--duration", "0"], "--duration must be a positive"),
    ],
)
def test_bad_inputs_give_one_clear_line(capsys, tmp_path, argv, message):
    (tmp_path / "capture.bin").write_bytes(bytes(range(256)) * 4)
    argv = [a.format(dir=tmp_path) for a in argv]
    code = main(["decode", "--device", "cms50-v7", *argv])
    captured = capsys.readouterr()
    assert code == 2
    assert message.format(dir=tmp_path) in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.out == ""


@pytest.mark.parametrize("as_hex", [False, True])
def test_empty_capture_is_a_zero_summary_not_an_error(capsys, tmp_path, as_hex):
    empty = tmp_path / "empty.cap"
    empty.write_bytes(b"")
    code, lines, err = run(capsys, "--device", "nonin-df2", *(["--hex"] * as_hex), str(empty))
    assert code == 0 and lines == []
    assert err.strip() == (
        "nonin-df2: 0 frames decoded, 0 checksum errors, 0 resyncs, 0 bytes, 0 lines printed"
    )


def test_bad_hex_file_is_a_user_error(capsys, tmp_path):
    bad = tmp_path / "bad.hex"
    bad.write_text("01 02\n0g\n")
    assert main(["decode", "--device", "nonin-df8", "--hex", str(bad)]) == 2
    assert "line 2: not hex" in capsys.readouterr().err


def test_live_port_sends_start_command_and_decodes(capsys):
    master, slave = os.openpty()
    tty.setraw(slave)
    received = bytearray()

    def device():  # answers the start command with one real-time packet, like the oximeter
        while len(received) < 9 and select.select([master], [], [], 5.0)[0]:
            received.extend(os.read(master, 100))
        os.write(master, bytes.fromhex("01 E0 85 D5 9A BD E3 FF FF"))

    thread = threading.Thread(target=device, daemon=True)
    thread.start()
    try:
        code, lines, err = run(
            capsys, "--device", "cms50-v7", "--port", os.ttyname(slave), "--duration", "0.5"
        )
        thread.join(5)
        assert code == 0
        assert ("hr", 61) in numerics(lines)
        assert "115200 8-N-1" in err
        assert bytes(received[:9]) == cms50_v7.start_stream()
        assert os.read(master, 100).endswith(cms50_v7.stop_stream())
    finally:
        os.close(master)
        os.close(slave)


def test_decode_prints_every_frame_by_default_and_thins_on_request(capsys):
    capture = str(CAPTURES / "cms50-legacy.hex")
    _, thinned, _ = run(capsys, "--device", "cms50-legacy", "--hex", capture, "--thin")
    _, full, _ = run(capsys, "--device", "cms50-legacy", "--hex", capture)
    _, old_flag, _ = run(capsys, "--device", "cms50-legacy", "--hex", capture, "--every-frame")
    assert old_flag == full
    assert len([o for o in thinned if o["kind"] == "hr"]) == 3  # one per second of values
    assert len([o for o in full if o["kind"] == "hr"]) == 180  # 3 s x 60 frames
    assert len([o for o in full if o["kind"] == "pleth"]) == 300


@pytest.mark.parametrize(
    ("device", "capture", "looks_like"),
    [
        ("nonin-df2", "cms50-v7", "it looks like cms50-v7 (301 frames decoded cleanly)"),
        ("cms50-v7", "suntech", "it looks like suntech (12 frames decoded cleanly)"),
        ("suntech", "cms50-legacy", "it looks like cms50-legacy (300 frames decoded cleanly)"),
        ("nonin-df7", "nonin-ascii", "it looks like masimo-ascii or nonin-ascii"),
    ],
)
def test_the_wrong_device_type_says_what_the_stream_looks_like(capsys, device, capture, looks_like):
    path = Path(__file__).parent / "captures" / f"{capture}.hex"
    code = main(["decode", "--device", device, "--hex", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert err[0].startswith(f"{device}: 0 frames decoded")  # the summary, as before
    assert err[1].startswith(f"sessionmon: the stream does not look like {device} (0 frames")
    assert looks_like in err[1]


def test_bytes_that_look_like_no_protocol_say_so(capsys, tmp_path):
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes([0x55, 0x00]) * 300)
    assert main(["decode", "--device", "nonin-df2", str(noise)]) == 3
    assert "does not look like any supported protocol either (check the baud rate)" in (
        capsys.readouterr().err
    )


class QuickModule:
    """A SunTech module on a pty that inflates to 160, deflates over a few polls, then finishes.

    With ``finish=False`` it keeps measuring (decode then aborts at the end of --duration).
    """

    def __init__(self, port, finish: bool = True) -> None:
        from sessionmon.devices.protocols import suntech

        self.module = suntech.SuntechModuleEmulator()
        self.port, self.finish = port, finish
        self.host = bytearray()
        self.cuff = [160, 120, 80]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.port.read_available(0.01)
            if not data:
                continue
            self.host += data
            if self.module.measuring and self.cuff:
                self.module.set_cuff_pressure(self.cuff.pop(0))
            self.port.write(self.module.feed(data))
            if self.module.measuring and not self.cuff and self.finish:
                self.module.set_cuff_pressure(0)
                self.port.write(self.module.finish(118, 76, 90, 64))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2)


def test_live_suntech_port_measures_once_through_the_driver(capsys, tmp_path):
    from sessionmon.devices.protocols import suntech
    from sessionmon.devices.pty_port import PtyPort

    with PtyPort(link=tmp_path / "ttyUSB1") as port, QuickModule(port) as module:
        code, lines, err = run(capsys, "--device", "suntech", "--port", port.path)
    assert code == 0, err
    assert ("cuff_pressure", 160) in numerics(lines)
    assert [n for n in numerics(lines) if n[0] in ("nibp_sys", "nibp_dia")] == [
        ("nibp_sys", 118),
        ("nibp_dia", 76),
    ]
    assert bytes(module.host).startswith(suntech.start_adult())
    assert suntech.get_bp_data() in module.host
    assert "measurement not finished" not in err


def test_live_suntech_port_aborts_a_measurement_still_running_at_the_end(capsys, tmp_path):
    from sessionmon.devices.protocols import suntech
    from sessionmon.devices.pty_port import PtyPort

    with PtyPort(link=tmp_path / "ttyUSB1") as port, QuickModule(port, finish=False) as module:
        code, _, err = run(capsys, "--device", "suntech", "--port", port.path, "--duration", "1")
        assert wait_for(lambda: suntech.abort() in module.host)
    assert code == 0
    assert "measurement not finished: sent abort" in err


def wait_for(predicate) -> bool:
    from pty_helpers import wait_until

    return wait_until(predicate, 2.0)
