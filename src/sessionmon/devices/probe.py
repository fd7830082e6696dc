"""Test connection: open a device briefly through the source factory and say what arrived.

The device setup dialog's *Test connection* button runs :func:`check_connection` on a worker
thread. It builds the very driver a session would use (:mod:`sessionmon.devices.factory`), so
a test that passes means a session will read the device. An oximeter passes when a reading or
a pleth sample arrives; the SunTech NIBP passes when the module answers the driver's cuff
pressure query (the cuff is never inflated by a test). When bytes arrive but do not decode,
the result says which protocol they look like.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sessionmon.clock import Clock
from sessionmon.devices import identify
from sessionmon.devices.factory import build_source, wait_for_open
from sessionmon.devices.profiles import DeviceConfig
from sessionmon.devices.readings import Reading
from sessionmon.devices.source import ConditionChange, DeviceRole, WaveformBlock
from sessionmon.errors import UserError
from sessionmon.model import Kind

#: Seconds a connection test waits for data (a Nonin #8 gives its first values with its third
#: 1-per-second frame, which must agree with the two before: it has no checksum).
TEST_TIMEOUT_S = 4.0


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    """The outcome of a connection test: whether data arrived, and one sentence saying so."""

    ok: bool
    message: str


class _ByteSample:
    """The first bytes a link received (thread-safe), to identify the protocol."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.data = bytearray()

    def __call__(self, chunk: bytes) -> None:
        with self._lock:
            room = identify.SAMPLE_BYTES - len(self.data)
            if room > 0:
                self.data += chunk[:room]

    def bytes(self) -> bytes:
        with self._lock:
            return bytes(self.data)


def check_connection(
    config: DeviceConfig,
    clock: Clock,
    role: DeviceRole | str | None = None,
    timeout_s: float = TEST_TIMEOUT_S,
    wait: Callable[[float], object] | None = None,
) -> ConnectionResult:
    """Open the device, wait up to ``timeout_s`` real seconds for data, close it again.

    Parameters
    ----------
    config : DeviceConfig
        Driver, port and overrides, as a session would use them.
    clock : Clock
        The driver's clock (``SystemClock`` in the console).
    role : DeviceRole or str, optional
        Refuse a driver of the other role.
    timeout_s : float
        Longest wait for the port to open and for data.
    wait : callable, optional
        ``wait(seconds)`` between two looks (default: a real pause).

    Returns
    -------
    ConnectionResult
        Never raises: every failure is the result's message, in full.
    """
    pause = wait or (lambda s: threading.Event().wait(s))
    where = f"{config.protocol} on {config.port}"
    try:
        source = build_source(config, clock, role)
    except UserError as exc:
        return ConnectionResult(False, str(exc))
    except Exception as exc:  # a driver that cannot be built: say what, in full
        return ConnectionResult(False, f"{where}: cannot build the driver: {exc!r}")
    settings = source.link.settings.describe()
    sample = _ByteSample()
    source.link.add_tap(sample)
    try:
        source.start()
        failure = wait_for_open(source, timeout_s, pause)
        if failure is not None:
            return ConnectionResult(False, f"{where} ({settings}): {failure}")
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            for output in source.poll():
                found = _describe_data(output.item)
                if found:
                    return ConnectionResult(True, f"{where} ({settings}): {found}")
            pause(0.05)
        return ConnectionResult(False, _no_data(where, settings, source, sample.bytes()))
    except Exception as exc:  # reported in full, never lost in a thread
        return ConnectionResult(False, f"{where}: {exc!r}")
    finally:
        source.stop()


def _describe_data(item: object) -> str | None:
    if isinstance(item, Reading):
        if item.kind is Kind.CUFF_PRESSURE:
            return f"the module answers (cuff pressure {item.value:g} mmHg)"
        if item.kind is Kind.NIBP_SYS:
            return f"the module answers (last BP systolic {item.value:g} mmHg)"
        return f"data is arriving ({item.kind.value} {item.value:g} {item.unit})"
    if isinstance(item, WaveformBlock):
        return f"data is arriving ({item.kind.value} at {item.sample_rate_hz:g} samples/s)"
    if (
        isinstance(item, ConditionChange)
        and item.active
        and item.condition.value not in ("no_data", "no_valid_data", "too_fast")
    ):
        if item.condition.value in ("disconnected",):
            return None
        return f"the device answers but reports {item.condition.value.replace('_', ' ')}"
    return None


def _no_data(where: str, settings: str, source: object, data: bytes) -> str:
    parser = getattr(source, "parser", None)
    if data and parser is not None:
        fit = identify.stats_fit(where.split(" ", 1)[0], parser.stats)
        wrong = identify.wrong_protocol(fit, len(data), data)
        if wrong is not None:
            return f"{where} ({settings}): {wrong}"
    if data:
        return f"{where} ({settings}): {len(data)} bytes arrived but no reading yet"
    return (
        f"{where} ({settings}): the port opened but nothing arrived in the test time: "
        "check that the device is on and connected, and its baud rate"
    )
