"""The live console raises and draws an alarm when the reading arrives (issue 12 item 1).

The nurse's console reads a real CMS50 v7 driver on a pty. Its acquisition timer is set to an
hour, so only the reader thread's wake-up can bring a desaturating reading to the alarm engine
and the alarm bar within the test's wait.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pty_helpers import wait_until
from sessionmon.devices.protocols.cms50_v7 import encode_packet
from sessionmon.devices.pty_port import PtyPort
from sessionmon.devices.source import LinkState
from sessionmon.ui.forms import NewSessionForm
from sessionmon.ui.settings import DeviceChoice

pytestmark = pytest.mark.usefixtures("no_serial_reader_left")

NO_DELAY = {"spo2_low": {"medium": {"delay_s": 0.0}, "high": {"delay_s": 0.0}}}


@pytest.fixture
def port(tmp_path) -> Iterator[PtyPort]:
    with PtyPort(link=tmp_path / "ttyUSB0") as opened:
        yield opened


def _start(console, port: PtyPort) -> None:
    controller = console.controller
    controller.settings.devices = {"oximeter": DeviceChoice("cms50-v7", port.path)}
    controller.settings.alarm_limits = NO_DELAY
    form = NewSessionForm(
        pseudonym="ARRIVE-01",
        date_of_birth="1980-01-01",
        sex="female",
        lot_number="L1",
        monitoring_provider="Dr. K. Example",
    )
    assert controller.new_session(form) is not None, console.window.message.text()
    assert wait_until(lambda: controller.runtime._oximeter.state is LinkState.STREAMING)


def _spo2_alarm_shown(window) -> bool:
    return any(
        label.alarm is not None and label.alarm.condition == "spo2_low"
        for label in window.alarm_bar.labels
    )


def test_a_desaturation_reaches_the_alarm_bar_without_waiting_for_the_timer(qtbot, console, port):
    controller, window = console.controller, console.window
    _start(console, port)
    controller.acquisition_timer.start(3_600_000)  # the timer will not fire during the test
    port.write(encode_packet(72, 97, 60.0, 2.0))
    qtbot.waitUntil(lambda: controller.refresh() and window.spo2_tile.value.text() == "97")
    assert not _spo2_alarm_shown(window)
    port.write(encode_packet(72, 88, 60.0, 2.0))
    qtbot.waitUntil(lambda: _spo2_alarm_shown(window), timeout=2000)
    assert "88" in window.alarm_bar.labels[0].text()
    assert controller.arrival.wakeups >= 2


def test_arrivals_do_not_step_a_console_whose_timers_are_stopped(qtbot, console, port):
    controller, window = console.controller, console.window
    _start(console, port)
    port.write(encode_packet(72, 88, 60.0, 2.0))
    qtbot.waitUntil(lambda: controller.arrival.wakeups >= 1 and port_read(controller) >= 9)
    assert controller.ticks == 0, "tests driving step() keep control of acquisition"
    assert not _spo2_alarm_shown(window)
    assert wait_until(lambda: controller.step() and _spo2_alarm_shown(window))


def port_read(controller) -> int:
    return controller.runtime._oximeter.link.bytes_in


def test_a_reading_that_arrives_shows_in_the_next_frame(qtbot, console, port):
    """The frame timer reuses the last view until the runtime counts a change: a new reading,
    acquired on arrival, is drawn by the very next frame (the manual clock stands still, so
    no time-driven change can be what draws it)."""
    controller, window = console.controller, console.window
    _start(console, port)
    controller.acquisition_timer.start(3_600_000)  # only arrivals acquire
    port.write(encode_packet(72, 97, 60.0, 2.0))
    qtbot.waitUntil(lambda: controller.draw_frame() and window.hr_tile.value.text() == "72")
    made = controller._view_made
    assert controller.draw_frame() is not None and controller._view_made is made, "reused"
    version = controller.runtime.view_version
    port.write(encode_packet(90, 97, 60.0, 2.0))
    qtbot.waitUntil(lambda: controller.runtime.view_version != version, timeout=2000)
    assert window.hr_tile.value.text() == "72", "not drawn before the next frame"
    controller.draw_frame()
    assert window.hr_tile.value.text() == "90"
