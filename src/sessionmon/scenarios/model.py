"""The scripted-scenario format: pydantic models of a scenario TOML file.

A scenario names a treatment, a patient's baseline physiology, how the NIBP cycles, and a list of
``[[step]]`` tables, each happening ``at`` a time from the scenario start and doing exactly one of:
a nurse ``action``, a physiology ``change`` or a device ``fault``. Times are ``"HH:MM:SS"`` strings
and are held as seconds.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from sessionmon.course.enrol import CoursePlan
from sessionmon.course.model import Indication
from sessionmon.model import TreatmentId

_TIME_RE = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d(?:\.\d+)?)$")


def parse_hms(value: Any) -> float:
    """Return the seconds in an ``"HH:MM:SS"`` string (seconds may have a fraction).

    Raises
    ------
    ValueError
        If ``value`` is not such a string.
    """
    if not isinstance(value, str):
        raise ValueError(f'expected a time as "HH:MM:SS", got {value!r}')
    match = _TIME_RE.match(value.strip())
    if match is None:
        raise ValueError(f'expected a time as "HH:MM:SS", got {value!r}')
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def format_hms(seconds: float) -> str:
    """Return ``seconds`` as ``"HH:MM:SS"`` (whole seconds)."""
    total = round(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _parse_interval(value: Any) -> float | None:
    if isinstance(value, str) and value.strip().lower() == "off":
        return None
    seconds = parse_hms(value)
    if seconds <= 0:
        raise ValueError('an NIBP interval must be longer than zero (or "off")')
    return seconds


#: A time or duration written as ``"HH:MM:SS"``, held as seconds.
Seconds = Annotated[float, BeforeValidator(parse_hms)]


class Action(StrEnum):
    """Nurse actions a step can perform."""

    START_BASELINE = "start_baseline"
    MEASURE_BP = "measure_bp"
    DOSE = "dose"
    ACKNOWLEDGE = "acknowledge"
    PAUSE_AUDIO = "pause_audio"
    CHECKLIST = "checklist"
    QUESTIONNAIRE = "questionnaire"
    ANNOTATE = "annotate"
    DISCHARGE = "discharge"
    OVERRIDE_DISCHARGE = "override_discharge"
    SIGN = "sign"


class Fault(StrEnum):
    """Device faults a step can inject."""

    SENSOR_OFF = "sensor_off"
    DISCONNECT = "disconnect"
    RECONNECT = "reconnect"
    NIBP_ERROR = "nibp_error"
    LINE_BLOCKED = "line_blocked"
    APNEA = "apnea"  # the patient stops breathing: no device, ``duration`` how long


class Device(StrEnum):
    """Which simulated device a fault applies to."""

    OXIMETER = "oximeter"
    NIBP = "nibp"
    RESPIRATION = "respiration"


#: The device a fault implies when the step does not name one.
_FAULT_DEVICE = {
    Fault.SENSOR_OFF: Device.OXIMETER,
    Fault.NIBP_ERROR: Device.NIBP,
    Fault.LINE_BLOCKED: Device.RESPIRATION,
}

#: Faults of the patient, not of a device.
PATIENT_FAULTS = frozenset({Fault.APNEA})

#: Step fields that only make sense with a given action.
_ACTION_FIELDS: dict[str, set[Action]] = {
    "scale": {Action.CHECKLIST, Action.QUESTIONNAIRE},
    "score": {Action.CHECKLIST, Action.QUESTIONNAIRE},
    "items": {Action.CHECKLIST, Action.QUESTIONNAIRE},
    "text": {
        Action.ANNOTATE,
        Action.DOSE,
        Action.DISCHARGE,
        Action.OVERRIDE_DISCHARGE,
        Action.SIGN,
    },
    "condition": {Action.ACKNOWLEDGE},
    "weight_kg": {Action.DOSE},
    "mg_per_kg": {Action.DOSE},
}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Baseline(_Strict):
    """The patient's physiology at the scenario start."""

    hr: float = Field(default=74, ge=20, le=250)
    spo2: float = Field(default=98, ge=50, le=100)
    sys: float = Field(default=126, ge=50, le=260)
    dia: float = Field(default=80, ge=20, le=180)
    resp_rate: float = Field(default=14, ge=2, le=60)
    etco2: float = Field(default=38, ge=5, le=120)

    @model_validator(mode="after")
    def _dia_below_sys(self) -> Baseline:
        if self.dia >= self.sys:
            raise ValueError(f"dia ({self.dia:g}) must be below sys ({self.sys:g})")
        return self


class NibpSettings(_Strict):
    """How the NIBP cycles.

    ``interval`` is the auto-cycle in seconds. ``interval = "off"`` means on request only: no
    cycle and no measurements started by the protocol, so every BP is a ``measure_bp`` step.
    Without an ``interval`` the protocol's own schedule starts measurements (IV ketamine every
    10-15 min, the esketamine 40-minute BP); ``protocol_requests`` overrides either default.
    """

    interval: Annotated[float | None, BeforeValidator(_parse_interval)] = None
    protocol_requests: bool = True

    @model_validator(mode="before")
    @classmethod
    def _off_means_on_request_only(cls, data: Any) -> Any:
        if isinstance(data, dict) and "protocol_requests" not in data:
            raw = data.get("interval")
            if isinstance(raw, str) and raw.strip().lower() == "off":
                data = {**data, "protocol_requests": False}
        return data


class PatientInfo(_Strict):
    """The (simulated) patient."""

    pseudonym: str = Field(default="SIM-0001", min_length=1, max_length=64)


class CourseInfo(_Strict):
    """How the patient's course is opened when the run starts one (``[course]``; with
    ``[patient]``): indication, its free text for ``other``, planned schedule (``8x3.5, 4x7``;
    omitted: the treatment's usual one). A course already open keeps its own."""

    indication: Indication = Indication.DEPRESSION
    other: str | None = Field(default=None, min_length=1, max_length=200)
    schedule: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _check(self) -> CourseInfo:
        from sessionmon.course.plan import check_other, parse_schedule
        from sessionmon.errors import UserError

        try:
            check_other(self.indication, self.other)
            if self.schedule is not None:
                parse_schedule(self.schedule)
        except UserError as exc:
            raise ValueError(str(exc).replace(" (--other TEXT)", ' (other = "...")')) from None
        return self

    def plan(self) -> CoursePlan:
        """The plan a new course is opened with."""
        from sessionmon.course.plan import parse_schedule

        schedule = None if self.schedule is None else parse_schedule(self.schedule)
        return CoursePlan(
            indication=self.indication, indication_other=self.other, schedule=schedule
        )


class PhysiologyChange(_Strict):
    """New physiology targets, reached over the step's ``over`` duration."""

    hr: float | None = Field(default=None, ge=20, le=250)
    spo2: float | None = Field(default=None, ge=50, le=100)
    sys: float | None = Field(default=None, ge=40, le=280)
    dia: float | None = Field(default=None, ge=20, le=200)
    resp_rate: float | None = Field(default=None, ge=0, le=60)
    etco2: float | None = Field(default=None, ge=5, le=120)

    @model_validator(mode="after")
    def _not_empty(self) -> PhysiologyChange:
        if not self.targets():
            raise ValueError("a change needs at least one of hr, spo2, sys, dia, resp_rate, etco2")
        return self

    def targets(self) -> dict[str, float]:
        """Return the targets that are set, by name."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Step(_Strict):
    """One scripted thing that happens ``at`` seconds from the scenario start."""

    at: Seconds = Field(ge=0)
    action: Action | None = None
    change: PhysiologyChange | None = None
    fault: Fault | None = None
    over: Seconds = Field(default=0.0, ge=0)
    device: Device | None = None
    duration: Seconds | None = Field(default=None, gt=0)
    scale: str | None = None
    score: int | None = None
    items: list[int] | dict[str, int] | None = None
    text: str | None = Field(default=None, max_length=2000)
    by: str = Field(default="nurse", min_length=1, max_length=200)
    condition: str | None = None
    weight_kg: float | None = Field(default=None, gt=0, description="IV dose: patient weight")
    mg_per_kg: float | None = Field(default=None, gt=0, description="IV dose: mg per kg")

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        chosen = [n for n in ("action", "change", "fault") if getattr(self, n) is not None]
        if len(chosen) != 1:
            given = ", ".join(chosen) if chosen else "none"
            raise ValueError(
                f"a step needs exactly one of action, change or fault (given: {given})"
            )
        if self.change is None and "over" in self.model_fields_set:
            raise ValueError("'over' goes only with a change")
        if self.fault is None and ("device" in self.model_fields_set or self.duration):
            raise ValueError("'device' and 'duration' go only with a fault")
        for name, actions in _ACTION_FIELDS.items():
            if name in self.model_fields_set and self.action not in actions:
                allowed = ", ".join(sorted(a.value for a in actions))
                raise ValueError(f"'{name}' goes only with action {allowed}")
        if self.action in (Action.CHECKLIST, Action.QUESTIONNAIRE):
            if not self.scale:
                raise ValueError(f"a {self.action.value} step needs scale = ...")
            if self.score is None and self.items is None:
                raise ValueError(f"a {self.action.value} step needs score = N or items = [...]")
        if self.action is Action.ANNOTATE and not self.text:
            raise ValueError("an annotate step needs text = ...")
        if self.action is Action.OVERRIDE_DISCHARGE and not self.text:
            raise ValueError("an override_discharge step needs the reason as text = ...")
        if self.fault in PATIENT_FAULTS:
            if self.device is not None:
                raise ValueError(f"fault {self.fault.value} is the patient's: it takes no device")
        elif self.fault is not None:
            implied = _FAULT_DEVICE.get(self.fault)
            if self.device is None and implied is None:
                raise ValueError(
                    f"fault {self.fault.value} needs device = oximeter, nibp or respiration"
                )
            if implied is not None and self.device not in (None, implied):
                raise ValueError(f"fault {self.fault.value} applies only to the {implied.value}")
        return self

    @property
    def target_device(self) -> Device | None:
        """The device a fault applies to (named or implied); None for a patient fault."""
        if self.fault is None or self.fault in PATIENT_FAULTS:
            return None
        return self.device or _FAULT_DEVICE[self.fault]


class DeviceSet(_Strict):
    """Which simulated devices measure the patient: an oximeter and an NIBP always, and a
    capnograph (``respiration``) unless the scenario models a chair without one."""

    respiration: bool = True


class Scenario(_Strict):
    """A scripted session, as read from a scenario TOML file."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    treatment: TreatmentId
    duration: Seconds = Field(gt=0)
    seed: int = Field(default=0, ge=0, le=2**32 - 3, description="0 to 4294967293")
    patient: PatientInfo = Field(default_factory=PatientInfo)
    course: CourseInfo = Field(default_factory=CourseInfo)
    baseline: Baseline = Field(default_factory=Baseline)
    nibp: NibpSettings = Field(default_factory=NibpSettings)
    devices: DeviceSet = Field(default_factory=DeviceSet)
    steps: tuple[Step, ...] = Field(default=(), alias="step")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _steps_within_duration(self) -> Scenario:
        for index, step in enumerate(self.steps):
            if step.at > self.duration:
                raise ValueError(
                    f"step {index + 1} is at {format_hms(step.at)}, after the scenario ends "
                    f"({format_hms(self.duration)})"
                )
            if step.target_device is Device.RESPIRATION and not self.devices.respiration:
                raise ValueError(
                    f"step {index + 1}: fault {step.fault} needs the respiration device, "
                    "which [devices] respiration = false leaves out"
                )
        return self

    def ordered_steps(self) -> list[Step]:
        """Return the steps by time (stable for steps at the same time)."""
        return sorted(self.steps, key=lambda s: s.at)
