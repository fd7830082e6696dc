"""What an oximeter sends, as one value: the input of every wire encoder of the simulator.

:class:`OximeterValues` holds the values of one stretch of time (numerics, the pleth samples,
the device flags, the device clock); each protocol's encoder turns it into the exact bytes that
protocol's device sends with :meth:`OximeterEncoderBase.encode`.
:meth:`OximeterEncoderBase.frames_for` takes the same fields as arguments, for tests and
benches that write one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class OximeterValues:
    """The values of one stretch of time an oximeter puts on the wire.

    Parameters
    ----------
    hr, spo2 : int or None
        Pulse rate (/min) and SpO2 (%); ``None`` sends the device's "no value" sentinel.
    pleth_samples : sequence of float
        Pleth samples in the protocol's range (streaming protocols send one frame each;
        once-a-second protocols ignore them).
    pi : float or None
        Perfusion index (%), where the protocol carries one.
    sensor_off, searching, artifact, low_perfusion, low_battery : bool
        Device flags; a protocol that cannot express one ignores it.
    device_time : datetime or None
        The device's clock, for protocols that print it.
    """

    hr: int | None
    spo2: int | None
    pleth_samples: Sequence[float] = ()
    pi: float | None = None
    _: KW_ONLY
    sensor_off: bool = False
    searching: bool = False
    artifact: bool = False
    low_perfusion: bool = False
    low_battery: bool = False
    device_time: datetime | None = None


class OximeterEncoderBase:
    """Base of the oximeter wire encoders: :meth:`encode` one :class:`OximeterValues`."""

    def encode(self, values: OximeterValues) -> bytes:
        """Return the wire bytes for ``values`` (subclasses implement this)."""
        raise NotImplementedError

    def frames_for(self, *args: Any, **kwargs: Any) -> bytes:
        """Return the wire bytes for ``OximeterValues(*args, **kwargs)``.

        Parameters
        ----------
        *args, **kwargs
            The fields of :class:`OximeterValues` (``hr, spo2, pleth_samples, pi`` by position,
            the flags and ``device_time`` by name).
        """
        return self.encode(OximeterValues(*args, **kwargs))
