"""The commands as typed: ``simulate-device --protocol intellivue`` and ``decode --port``."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from sessionmon.cli import main


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _simulator(*args: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sessionmon", "simulate-device", "--protocol", "intellivue", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.readline()  # printed once the port is open
    assert first.startswith("intellivue (Data Export) on"), first + proc.stderr.read()
    return proc


def _decode(capsys, port: str) -> tuple[list[dict], str]:
    code = main(["decode", "--device", "intellivue", "--port", port, "--duration", "2.5"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return [json.loads(line) for line in captured.out.splitlines()], captured.err


def _check(lines: list[dict], err: str) -> None:
    values = {o["kind"]: o["value"] for o in lines if o["kind"] != "pleth"}
    assert 55 <= values["hr"] <= 90 and 94 <= values["spo2"] <= 100
    assert 30 <= values["etco2"] <= 45 and 10 <= values["resp_rate"] <= 18
    assert any(o["kind"] == "pleth" for o in lines)
    assert "0 checksum errors" in err and "1 MdsCreateEvent" in err


@pytest.mark.parametrize("transport", ["udp", "rs232"])
def test_simulated_monitor_read_by_decode_port(capsys, tmp_path, transport):
    if transport == "udp":
        port = _free_udp_port()
        proc = _simulator("--transport", "udp", "--udp-port", str(port), "--duration", "20")
        where = f"udp:127.0.0.1:{port}"
    else:
        link = tmp_path / "ttyIV"
        proc = _simulator("--link", str(link), "--duration", "20")
        where = str(link)
    try:
        lines, err = _decode(capsys, where)
        _check(lines, err)
        assert f"reading {where} at" in err
    finally:
        proc.terminate()
        proc.wait(5)


def test_monitor_faults_and_udp_only_for_intellivue(capsys):
    assert main(["simulate-device", "--protocol", "cms50-v7", "--transport", "udp"]) != 0
    assert "--transport udp is for intellivue" in capsys.readouterr().err
    assert main(["simulate-device", "--protocol", "intellivue", "--fault", "sensor_off@1"]) != 0
    assert "applies to oximeters" in capsys.readouterr().err
    assert main(["simulate-device", "--protocol", "cms50-v7", "--fault", "refuse@1"]) != 0
    assert "applies to intellivue" in capsys.readouterr().err
