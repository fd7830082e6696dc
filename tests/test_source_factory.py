"""The one source factory: device settings -> started drivers; the connection probe; identify."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pty_helpers import LiveDevice, wait_until
from sessionmon.clock import ManualClock, SystemClock
from sessionmon.devices import identify
from sessionmon.devices.factory import (
    build_source,
    parse_device,
    start_checked,
    start_sources,
)
from sessionmon.devices.probe import check_connection
from sessionmon.devices.protocols import PROTOCOLS
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.readings import Reading
from sessionmon.devices.serial_device import SerialOximeter
from sessionmon.devices.source import DeviceRole, LinkState
from sessionmon.devices.suntech_driver import SuntechNibp
from sessionmon.errors import UserError
from sessionmon.sim.wire_sim import WireSimulator

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")


@pytest.fixture
def port(tmp_path) -> Iterator[PtyPort]:
    pty = PtyPort(link=tmp_path / "ttyUSB0")
    yield pty
    pty.close()


def test_device_arguments_parse_with_port_overrides():
    config = parse_device("cms50-legacy:/dev/ttyUSB0,parity=o,xonxoff=yes,baud=19200")
    assert config.protocol == "cms50-legacy" and config.port == "/dev/ttyUSB0"
    assert config.settings().describe() == "19200 8-O-1 xon/xoff"
    assert parse_device("suntech:COM3").port == "COM3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cms50-v7", "write DRIVER:PORT"),
        ("cms60:/dev/ttyUSB0", "unknown device protocol 'cms60'"),
        ("cms50-v7:/dev/ttyUSB0,speed=9600", "unknown option 'speed=9600'"),
        ("cms50-v7:/dev/ttyUSB0,baud=fast", "baud must be a number"),
        ("cms50-v7:/dev/ttyUSB0,baud=0", "bad baud"),
        ("cms50-v7:/dev/ttyUSB0,parity=X", "bad parity"),
    ],
)
def test_bad_device_arguments_are_one_line(text, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(")) as raised:
        parse_device(text)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_every_protocol_builds_its_driver_with_its_overrides(protocol, port):
    config = parse_device(f"{protocol}:{port.path},baud=4800")
    source = build_source(config, ManualClock())
    expected = SuntechNibp if PROTOCOLS[protocol].role is DeviceRole.NIBP else SerialOximeter
    if protocol == "intellivue":
        from sessionmon.devices.intellivue_driver import IntelliVueMonitor

        expected = IntelliVueMonitor  # one monitor, several roles
    assert type(source) is expected
    assert source.link.settings.baud == 4800
    assert source.profile.name == protocol


def test_a_driver_of_the_other_role_is_refused(port):
    with pytest.raises(UserError, match="suntech is an NIBP driver; choose an oximeter driver"):
        start_sources(parse_device(f"suntech:{port.path}"), None, ManualClock())
    with pytest.raises(UserError, match="nonin-df8 is an oximeter driver; choose an NIBP"):
        start_sources(
            parse_device(f"cms50-v7:{port.path}"),
            parse_device(f"nonin-df8:{port.path}"),
            ManualClock(),
        )


def test_a_port_that_does_not_open_is_refused_in_words_a_clinic_can_act_on(tmp_path):
    config = parse_device(f"cms50-v7:{tmp_path}/ttyUSB9")
    with pytest.raises(UserError) as raised:
        start_checked(config, ManualClock(), timeout_s=2.0)
    assert str(raised.value) == (
        f"cannot open {tmp_path}/ttyUSB9 (115200 8-N-1): no such port; "
        "`sessionmon ports` lists the serial ports of this computer"
    )


@pytest.mark.parametrize("protocol", ["cms50-v7", "nonin-df8", "suntech"])
def test_started_sources_read_the_device(protocol, port):
    clock = SystemClock()
    sim = WireSimulator(protocol, port, clock, seed=1)
    source = start_checked(parse_device(f"{protocol}:{port.path}"), clock)
    try:
        readings: list[Reading] = []

        def arrived() -> bool:
            sim.receive(port.read_available(0.0))
            sim.step()
            readings.extend(o.item for o in source.poll() if isinstance(o.item, Reading))
            return bool(readings)

        assert wait_until(arrived, 5.0), f"nothing read from {protocol}"
        assert source.state is LinkState.STREAMING
    finally:
        source.stop()


def test_connection_test_of_the_suntech_module_answers_without_inflating(port):
    with LiveDevice("suntech", port) as device:
        result = check_connection(parse_device(f"suntech:{port.path}"), SystemClock(), "nibp")
    assert result.ok, result.message
    assert result.message == (
        f"suntech on {port.path} (9600 8-N-1): the module answers (cuff pressure 0 mmHg)"
    )
    assert not device.sim.encoder.measuring


def test_connection_test_names_the_protocol_the_bytes_look_like(port):
    with LiveDevice("cms50-v7", port):
        result = check_connection(
            parse_device(f"nonin-df2:{port.path}"), SystemClock(), timeout_s=1.0
        )
    assert not result.ok
    assert "the stream does not look like nonin-df2" in result.message
    assert "it looks like cms50-v7" in result.message


def test_connection_test_of_a_missing_port_says_so(tmp_path):
    result = check_connection(parse_device(f"cms50-v7:{tmp_path}/none"), SystemClock())
    assert not result.ok and "no such port" in result.message


def _capture(protocol: str, seconds: float = 3.0) -> bytes:
    from sessionmon.devices.protocols import suntech

    out = bytearray()
    clock = ManualClock()
    sim = WireSimulator(protocol, out.extend, clock, seed=4)
    if protocol == "suntech":
        sim.receive(suntech.start_adult())
        for _ in range(50):
            clock.advance(1.0)
            sim.step()
            sim.receive(suntech.get_cuff_pressure())
        sim.receive(suntech.get_bp_data())
    elif protocol == "intellivue":  # a monitor answers the Data Export dialog only
        from sessionmon.devices.protocols import intellivue as iv
        from sessionmon.devices.protocols.intellivue_frame import frame

        sim.receive(frame(iv.association_request()) + frame(iv.mds_create_result()))
        for n in range(int(seconds * 10)):
            clock.advance(0.1)
            sim.receive(frame(iv.ext_poll_request(n, 1, 6)) + frame(iv.ext_poll_request(n, 1, 9)))
    else:
        for _ in range(int(seconds * 10)):
            clock.advance(0.1)
            sim.step()
    return bytes(out)


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_every_stream_is_recognised_and_not_taken_for_another(protocol):
    data = _capture(protocol)
    assert identify.try_protocol(protocol, data).fits
    for other in PROTOCOLS:
        if other == protocol or {other, protocol} == {"nonin-ascii", "masimo-ascii"}:
            continue  # the two ASCII formats share SPO2= tokens: each reads the other
        fit = identify.try_protocol(other, data)
        message = identify.wrong_protocol(fit, len(data), data)
        assert message is not None, f"{protocol} bytes taken for {other}: {fit}"
        looks_like = message.split("; it looks like ", 1)[1].split(" (")[0].split(" or ")
        assert protocol in looks_like, message


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_device_argument_is_a_setting_or_one_line(text):
    try:
        config = parse_device(text)
    except UserError as exc:
        assert "\n" not in str(exc)
    else:
        assert config.protocol in PROTOCOLS and config.port


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(sorted(PROTOCOLS)))
def test_identifying_any_bytes_never_fails(data, protocol):
    fit = identify.try_protocol(protocol, data)
    message = identify.wrong_protocol(fit, len(data), data)
    assert message is None or message.startswith(f"the stream does not look like {protocol}")
