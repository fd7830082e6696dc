"""Doses as given: esketamine nasal devices one by one, IV ketamine by weight, the drug log.

Pure functions over plain values and recorded events: the runtime checks each dose with them
before recording it, and the exporters (FHIR, JSON, PDF) read the administrations and the
controlled-substance log back from the events with :func:`administrations` and
:func:`controlled_substance_log`. The numbers (28 mg per device, the device-gap window, the
mg/kg warning band) are settings of :class:`~sessionmon.protocol.config.ProtocolConfig`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sessionmon.errors import UserError
from sessionmon.protocol.config import ProtocolConfig

#: FDA NDC package codes of the Spravato kits by total dose (mg): 2 or 3 blisters of one
#: 28 mg device (openFDA NDC directory, product 50458-028).
KIT_NDC: dict[int, str] = {56: "50458-028-02", 84: "50458-028-03"}
#: The FHIR code system of US National Drug Codes.
NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
#: Patient weights the console accepts for an IV dose (kg).
WEIGHT_RANGE_KG = (20.0, 300.0)


class DoseRefusedError(UserError):
    """A dose cannot be recorded as asked (the message says why, in one line)."""


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s"


@dataclass(frozen=True)
class DeviceCheck:
    """The result of checking one nasal device before it is recorded."""

    number: int
    planned: int
    gap_s: float | None
    warning: str | None


def planned_devices(dose_mg: float, devices_count: int | None, config: ProtocolConfig) -> int:
    """How many nasal devices the treatment plans (``devices_count``, else dose / device)."""
    if devices_count:
        return int(devices_count)
    return max(1, round(dose_mg / config.nasal_device_mg))


def check_nasal_device(
    given: Sequence[datetime], now: datetime, planned: int, config: ProtocolConfig
) -> DeviceCheck:
    """Check a further esketamine device given at ``now`` after the devices ``given``.

    Raises
    ------
    DoseRefusedError
        Every planned device is already given, or the last one is longer ago than
        ``nasal_device_accept_max_min``.
    """
    number = len(given) + 1
    if number > planned:
        raise DoseRefusedError(
            f"all {planned} devices ({planned * config.nasal_device_mg:g} mg) are already "
            "recorded; correct the treatment first if more was given"
        )
    if not given:
        return DeviceCheck(number, planned, None, None)
    gap_s = (now - max(given)).total_seconds()
    if gap_s > config.nasal_device_accept_max_min * 60:
        raise DoseRefusedError(
            f"device {number} would be {_minutes(gap_s)} after device {number - 1}; a device "
            f"is accepted up to {config.nasal_device_accept_max_min:g} min after the previous one"
        )
    low, high = config.nasal_device_gap_warn_below_min, config.nasal_device_gap_warn_above_min
    warning = None
    if not low * 60 <= gap_s <= high * 60:
        warning = (
            f"device {number} given {_minutes(gap_s)} after device {number - 1} "
            f"(expected {low:g}-{high:g} min)"
        )
    return DeviceCheck(number, planned, gap_s, warning)


@dataclass(frozen=True)
class InfusionPlan:
    """An IV ketamine infusion as entered: weight, dose by weight and in mg, rate."""

    weight_kg: float
    mg_per_kg: float
    dose_mg: float
    rate_mg_per_h: float
    duration_min: float
    warning: str | None


def plan_infusion(
    config: ProtocolConfig,
    weight_kg: float | None,
    mg_per_kg: float | None = None,
    dose_mg: float | None = None,
    rate_mg_per_h: float | None = None,
) -> InfusionPlan:
    """Work out an IV dose from the weight and the dose in mg/kg or mg (or both, if they agree).

    The rate defaults to the dose over the protocol's ``infusion_min``.

    Raises
    ------
    DoseRefusedError
        No or an impossible weight, no dose, mg and mg/kg that disagree, or a rate <= 0.
    """
    low_kg, high_kg = WEIGHT_RANGE_KG
    if weight_kg is None:
        raise DoseRefusedError("an IV ketamine dose needs the patient's weight (kg)")
    if not low_kg <= weight_kg <= high_kg:
        raise DoseRefusedError(
            f"a weight of {weight_kg:g} kg is not possible (need {low_kg:g}-{high_kg:g} kg)"
        )
    if mg_per_kg is None and dose_mg is None:
        raise DoseRefusedError("enter the dose in mg/kg or in mg")
    if (mg_per_kg is not None and mg_per_kg <= 0) or (dose_mg is not None and dose_mg <= 0):
        raise DoseRefusedError("a dose must be more than 0")
    if mg_per_kg is None:
        mg_per_kg = dose_mg / weight_kg  # type: ignore[operator]
    if dose_mg is None:
        dose_mg = round(mg_per_kg * weight_kg, 1)
    elif abs(dose_mg - mg_per_kg * weight_kg) > max(0.5, 0.01 * dose_mg):
        raise DoseRefusedError(
            f"{dose_mg:g} mg is not {mg_per_kg:g} mg/kg x {weight_kg:g} kg "
            f"(= {mg_per_kg * weight_kg:.1f} mg); correct one of them"
        )
    if rate_mg_per_h is None:
        minutes = config.infusion_min or 40.0
        rate_mg_per_h = round(dose_mg / minutes * 60.0, 1)
    if rate_mg_per_h <= 0:
        raise DoseRefusedError("the infusion rate must be more than 0 mg/h")
    duration_min = dose_mg / rate_mg_per_h * 60.0
    warning = None
    low, high = config.iv_dose_low_mg_per_kg, config.iv_dose_high_mg_per_kg
    if not low - 1e-9 <= mg_per_kg <= high + 1e-9:
        warning = f"dose {mg_per_kg:.2f} mg/kg is outside {low:g}-{high:g} mg/kg"
    return InfusionPlan(
        weight_kg=float(weight_kg),
        mg_per_kg=round(float(mg_per_kg), 3),
        dose_mg=float(dose_mg),
        rate_mg_per_h=float(rate_mg_per_h),
        duration_min=round(duration_min, 2),
        warning=warning,
    )


# --------------------------------------------------------------------------- reading it back


@dataclass(frozen=True)
class Administration:
    """One administration as recorded: a nasal device, an infusion or another dose."""

    event_id: uuid.UUID
    at: datetime
    drug: str
    route: str
    dose_mg: float
    lot_number: str | None
    by: str | None
    device: int | None = None
    devices_planned: int | None = None
    weight_kg: float | None = None
    mg_per_kg: float | None = None
    rate_mg_per_h: float | None = None
    end: datetime | None = None
    warning: str | None = None

    @property
    def is_infusion(self) -> bool:
        """Whether this is an infusion (has a rate)."""
        return self.rate_mg_per_h is not None


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def administrations(
    events: Iterable[Any], default_mg: float, default_lot: str | None = None
) -> list[Administration]:
    """The administrations of a record, from its ``dose_given`` events in time order.

    An infusion ends at its ``stop_infusion`` nurse action (else its planned end). A dose event
    without ``dose_mg`` takes ``default_mg``.
    """
    events = sorted(events, key=lambda e: e.at)
    stops = [
        e
        for e in events
        if e.kind.value == "nurse_action" and e.payload.get("action") == "stop_infusion"
    ]
    result = []
    for event in events:
        if event.kind.value != "dose_given":
            continue
        p = event.payload
        rate = _float(p.get("rate_mg_per_h"))
        end = None
        if rate is not None:
            stop = next((s for s in stops if s.at >= event.at), None)
            if stop is not None:
                end = stop.at
            elif _float(p.get("planned_min")) is not None:
                end = event.at + timedelta(minutes=float(p["planned_min"]))
        mg = _float(p.get("dose_mg"))
        result.append(
            Administration(
                event_id=event.id,
                at=event.at,
                drug=str(p.get("drug") or ""),
                route=str(p.get("route") or ""),
                dose_mg=mg if mg is not None else float(default_mg),
                lot_number=p.get("lot_number") or default_lot,
                by=event.by,
                device=p.get("device"),
                devices_planned=p.get("devices_planned"),
                weight_kg=_float(p.get("weight_kg")),
                mg_per_kg=_float(p.get("mg_per_kg")),
                rate_mg_per_h=rate,
                end=end,
                warning=p.get("warning"),
            )
        )
    return result


def total_mg(given: Iterable[Administration]) -> float:
    """The session total: the sum of the administrations."""
    return float(sum(a.dose_mg for a in given))


def kit_ndc(drug: str, total: float) -> str | None:
    """The NDC of the esketamine kit for a total dose (56 or 84 mg), else None."""
    if drug != "esketamine":
        return None
    return KIT_NDC.get(round(total))


@dataclass(frozen=True)
class DrugLogRow:
    """One line of the controlled-substance log: given or wasted, with lot and witness."""

    at: datetime
    action: str  # "given" or "wasted"
    drug: str
    amount_mg: float
    lot_number: str | None
    by: str | None
    witness: str | None
    detail: str


def controlled_substance_log(
    events: Iterable[Any], default_mg: float, default_lot: str | None = None
) -> list[DrugLogRow]:
    """Every amount given and wasted, in time order (the record's controlled-substance log)."""
    events = list(events)
    rows = []
    for a in administrations(events, default_mg, default_lot):
        if a.device is not None:
            detail = f"device {a.device} of {a.devices_planned or '?'}"
        elif a.is_infusion:
            detail = f"{a.mg_per_kg:g} mg/kg x {a.weight_kg:g} kg, {a.rate_mg_per_h:g} mg/h"
        else:
            detail = a.route
        rows.append(DrugLogRow(a.at, "given", a.drug, a.dose_mg, a.lot_number, a.by, None, detail))
    for event in events:
        p = event.payload
        if event.kind.value != "nurse_action" or p.get("action") != "waste":
            continue
        rows.append(
            DrugLogRow(
                event.at,
                "wasted",
                str(p.get("drug") or ""),
                float(p.get("amount_mg") or 0.0),
                p.get("lot_number") or default_lot,
                event.by,
                p.get("witness"),
                event.text or "",
            )
        )
    return sorted(rows, key=lambda r: r.at)
