"""What the console shows, as plain data: the widgets draw these and nothing else.

The adapter (:mod:`sessionmon.ui.adapter`) fills them from the runtime snapshot, so the widgets
never depend on the shape of the core's objects and can be tested with hand-made views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from sessionmon.model import AlarmCategory, AlarmPriority

NO_VALUE = "--"


@dataclass(frozen=True)
class NumericView:
    """One big number on a tile."""

    label: str
    value: str = NO_VALUE
    unit: str = ""
    priority: AlarmPriority | None = None
    stale: bool = False
    #: False when every alarm colouring the tile is acknowledged: the colour stays, steady.
    flashing: bool = True


@dataclass(frozen=True)
class Spo2View:
    """The SpO2 tile: saturation, perfusion index, signal quality and the live pleth."""

    spo2: NumericView
    pi_text: str = NO_VALUE
    signal_quality: float = 0.0
    quality_text: str = "no signal"
    pleth: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pleth_rate_hz: float = 75.0
    #: Pleth samples received so far, the last of ``pleth`` included (0: not counted); the
    #: sweep draws only the samples it has not drawn yet.
    pleth_received: int = 0


@dataclass(frozen=True)
class RespirationView:
    """The breathing tiles: respiratory rate, etCO2, FiCO2 and the live capnogram."""

    rr: NumericView = field(default_factory=lambda: NumericView("RR", unit="/min"))
    etco2: NumericView = field(default_factory=lambda: NumericView("etCO2", unit="mmHg"))
    fico2_text: str = NO_VALUE
    co2: np.ndarray = field(default_factory=lambda: np.zeros(0))
    co2_rate_hz: float = 25.0
    #: CO2 samples received so far, the last of ``co2`` included (0: not counted).
    co2_received: int = 0
    #: Whether the capnograph's signal is live (False: it is silent, stalled or unplugged, and
    #: ``co2`` is empty: never a frozen capnogram).
    co2_live: bool = True


@dataclass(frozen=True)
class NibpView:
    """The NIBP tile."""

    systolic: str = NO_VALUE
    diastolic: str = NO_VALUE
    mean: str = NO_VALUE
    last_measured: str = "not measured"
    measuring: bool = False
    cuff_pressure: str = NO_VALUE
    auto_interval_min: int | None = None
    priority: AlarmPriority | None = None
    available: bool = True
    flashing: bool = True
    #: Why the console started the running measurement itself ("40-minute BP"), else "".
    started_by_console: str = ""


@dataclass(frozen=True)
class AlarmItemView:
    """One active alarm as the alarm bar lists it.

    ``short`` is the bar's label (``SpO2 LOW 80``); ``message`` the engine's full sentence, for
    the tooltip.
    """

    condition: str
    message: str
    priority: AlarmPriority
    category: AlarmCategory
    acknowledged: bool = False
    latched: bool = False
    started: str = ""
    short: str = ""
    seen_by: str = ""  # acknowledged at the central station by this user (the chair still alarms)


@dataclass(frozen=True)
class AudioView:
    """The audio state, always on screen."""

    state: str = "on"  # "on", "paused", "unavailable"
    pause_remaining_s: float = 0.0
    sounding: AlarmPriority | None = None

    @property
    def text(self) -> str:
        """What the audio indicator says, e.g. ``AUDIO PAUSED 1:43``."""
        if self.state == "unavailable":
            return "AUDIO UNAVAILABLE"
        if self.state == "paused":
            total = max(0, round(self.pause_remaining_s))
            return f"AUDIO PAUSED {total // 60}:{total % 60:02d}"
        return "AUDIO ON"


@dataclass(frozen=True)
class DeviceView:
    """The link state of one device."""

    role: str
    device_id: str
    state: str  # connected, streaming, stalled, reconnecting, disconnected, opening
    detail: str = ""

    @property
    def healthy(self) -> bool:
        """Whether the device is delivering data."""
        return self.state == "streaming"


@dataclass(frozen=True)
class CheckView:
    """One scheduled check on the header timeline."""

    check_id: str
    label: str
    due: str
    status: str  # upcoming, due, overdue, done, missed


@dataclass(frozen=True)
class HeaderView:
    """The session header."""

    pseudonym: str = "no session"
    treatment: str = ""
    phase: str = ""
    since_dose: str = "not dosed"
    clock: str = ""
    simulated: bool = False
    locked: bool = False


@dataclass(frozen=True)
class TrendMarker:
    """A vertical marker on the trends (seconds from session start)."""

    t_s: float
    kind: str  # dose, check, alarm, annotation
    label: str


@dataclass(frozen=True)
class ConsoleView:
    """Everything the main window shows at one moment."""

    header: HeaderView = field(default_factory=HeaderView)
    hr: NumericView = field(default_factory=lambda: NumericView("HR", unit="/min"))
    spo2: Spo2View = field(default_factory=lambda: Spo2View(NumericView("SpO2", unit="%")))
    nibp: NibpView = field(default_factory=NibpView)
    #: The breathing tiles; None when the session has no respiration source (tiles hidden).
    respiration: RespirationView | None = None
    alarms: tuple[AlarmItemView, ...] = ()
    audio: AudioView = field(default_factory=AudioView)
    devices: tuple[DeviceView, ...] = ()
    checks: tuple[CheckView, ...] = ()
    markers: tuple[TrendMarker, ...] = ()
    session_start: datetime | None = None
    now: datetime | None = None
    has_session: bool = False
    dose_at: datetime | None = None  # the trend axis counts minutes from it

    @property
    def top_priority(self) -> AlarmPriority | None:
        """The highest priority among alarms not yet acknowledged (then among all)."""
        pending = [a for a in self.alarms if not a.acknowledged] or list(self.alarms)
        if not pending:
            return None
        return max(pending, key=lambda a: a.priority.rank).priority


@dataclass(frozen=True)
class DischargeView:
    """The outcome of a discharge attempt."""

    allowed: bool
    blocking: tuple[str, ...] = ()
    criteria: tuple[tuple[bool, str], ...] = ()  # (met, what the protocol says)
