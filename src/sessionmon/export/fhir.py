"""The resources of a session's FHIR R4 Bundle (written by :mod:`sessionmon.export.fhir_bundle`,
which validates each with ``fhir.resources``).

``fhir.resources`` 7+ defaults to FHIR R5; the R4B models (``fhir.resources.R4B``) are used here
because R4B is wire-compatible with R4 for every resource in this bundle.

The bundle (type ``collection``) holds: Patient; Encounter (the session); one
MedicationAdministration per nasal device (28 mg each), or one per infusion with an
``effectivePeriod``, ``rateQuantity`` and the body weight it was dosed by (a contained
Medication carries the kit's NDC where known and the lot as its batch);
vital-sign Observations (category ``vital-signs``, LOINC code plus the IEEE 11073 MDC code as a
second coding, UCUM ``valueQuantity``): HR and SpO2 (and respiratory rate and etCO2 if
recorded) as one Observation per minute holding the median of that minute's 1 Hz values over an
``effectivePeriod``, every NIBP reading as one blood-pressure panel Observation (85354-9) with
systolic, diastolic and mean components plus one NIBP pulse Observation; each checklist in force
as a scored Observation (category ``survey``, ``valueInteger``); each alarm as a Flag. Simulated
sessions carry the ``HTEST`` (test health data) meta tag. Resource ids are UUIDs derived from the
session id, so exporting a session twice gives the same ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sessionmon.export.codes import BP_PANEL_LOINC, BP_PANEL_MDC, LOINC, MDC_SYSTEM, METRICS, UCUM
from sessionmon.export.downsample import per_interval
from sessionmon.export.limits import LimitRange, limits_in_force
from sessionmon.export.record import BpReading, Progress, SessionRecord, report, scale_label
from sessionmon.lifecycle import describe_ending, ending_of
from sessionmon.model import Kind, Route, SessionEnding, SessionPhase
from sessionmon.protocol.dosing import NDC_SYSTEM, Administration, kit_ndc

OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LOCAL = "urn:sessionmon"
SNOMED = "http://snomed.info/sct"
#: LOINC body weight (the weight an IV dose was worked out from).
BODY_WEIGHT_LOINC = "29463-7"
#: SNOMED CT route codes.
ROUTES = {
    Route.INTRANASAL: ("46713006", "Nasal route"),
    Route.INTRAVENOUS: ("47625008", "Intravenous route"),
    Route.INTRAMUSCULAR: ("78421000", "Intramuscular route"),
    Route.ORAL: ("26643006", "Oral route"),
}
GENDERS = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
#: Kinds summarised per minute.
CONTINUOUS = (Kind.HR, Kind.SPO2, Kind.RESP_RATE, Kind.ETCO2)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class _Ids:
    """Stable resource ids: UUID5 of the session id and a name."""

    def __init__(self, session_id: uuid.UUID) -> None:
        self._ns = session_id

    def __call__(self, *parts: object) -> str:
        return str(uuid.uuid5(self._ns, "/".join(str(p) for p in parts)))


def _ref(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def _metric_coding(kind: Kind) -> list[dict[str, str]]:
    code = METRICS[kind]
    coding = [{"system": LOINC, "code": c, "display": d} for c, d in code.loinc]
    coding.append({"system": MDC_SYSTEM, "code": str(code.mdc_code), "display": code.mdc_name})
    return coding


def _quantity(kind: Kind, value: float) -> dict[str, Any]:
    unit = METRICS[kind].ucum
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


_VITALS = [{"coding": [{"system": OBS_CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}]


def _patient(record: SessionRecord, pid: str, meta: dict) -> dict[str, Any]:
    patient = record.session.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": pid,
        **meta,
        "identifier": [{"system": f"{LOCAL}:pseudonym", "value": patient.pseudonym}],
    }
    if patient.name:
        resource["name"] = [{"text": patient.name}]
    if patient.date_of_birth:
        resource["birthDate"] = patient.date_of_birth.isoformat()
    if patient.sex:
        resource["gender"] = GENDERS.get(patient.sex.lower(), "unknown")
    return resource


def _encounter(record: SessionRecord, ids: _Ids, pid: str, meta: dict) -> dict[str, Any]:
    s = record.session
    status = {
        SessionPhase.CLOSED: "finished",
        SessionPhase.PLANNED: "planned",
        SessionPhase.INTERRUPTED: "unknown",
    }.get(s.phase, "in-progress")
    period = {"start": _iso(s.created_at)}
    if s.ended_at:
        period["end"] = _iso(s.ended_at)
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": ids("encounter"),
        **meta,
        "identifier": [{"system": f"{LOCAL}:session", "value": str(s.id)}],
        "status": status,
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
            "display": "ambulatory",
        },
        "type": [{"text": f"supervised {s.treatment.drug.value} session ({s.treatment.protocol})"}],
        "subject": _ref(pid),
        "period": period,
    }
    people = [*s.staff, *([s.monitoring_provider] if s.monitoring_provider else [])]
    if people:
        resource["participant"] = [{"individual": {"display": p}} for p in people]
    if s.clinic:
        resource["serviceProvider"] = {"display": s.clinic}
    disposition = _discharge_disposition(s)
    if disposition is not None:
        resource["hospitalization"] = {"dischargeDisposition": disposition}
    return resource


# Only the endings whose meaning the record knows get a code of
# http://terminology.hl7.org/CodeSystem/discharge-disposition: "home" would claim where the
# patient went, which the record does not ask; the text always says how the session ended.
DISCHARGE_DISPOSITION_SYSTEM = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
_DISPOSITION_CODES = {
    SessionEnding.TRANSFERRED: ("other-hcf", "Other healthcare facility"),
    SessionEnding.LEFT_AGAINST_ADVICE: ("aadvice", "Left against advice"),
}


def _discharge_disposition(session) -> dict[str, Any] | None:
    """Encounter.hospitalization.dischargeDisposition of a closed session (None while open)."""
    found = ending_of(session)
    if found is None:
        return None
    concept: dict[str, Any] = {"text": describe_ending(session)}
    code = _DISPOSITION_CODES.get(found[0])
    if code is not None:
        concept["coding"] = [
            {"system": DISCHARGE_DISPOSITION_SYSTEM, "code": code[0], "display": code[1]}
        ]
    return concept


def _medication(record: SessionRecord, lot: str | None) -> dict[str, Any]:
    """The contained Medication: the kit's NDC where known, the lot as its batch."""
    treatment = record.session.treatment
    drug = treatment.drug.value
    medication: dict[str, Any] = {"resourceType": "Medication", "id": "med"}
    ndc = kit_ndc(drug, treatment.dose_mg)
    if ndc is not None:
        medication["code"] = {
            "coding": [
                {
                    "system": NDC_SYSTEM,
                    "code": ndc,
                    "display": f"Spravato {treatment.dose_mg:g} mg kit (28 mg nasal devices)",
                }
            ],
            "text": drug,
        }
    else:
        medication["code"] = {"text": drug}
    if lot:
        medication["batch"] = {"lotNumber": str(lot)}
    return medication


def _mg(value: float) -> dict[str, Any]:
    return {"value": float(value), "unit": "mg", "system": UCUM, "code": "mg"}


def _administrations(record: SessionRecord, ids: _Ids, pid: str, eid: str, meta: dict) -> list:
    """One MedicationAdministration per nasal device, or one with a period and rate per
    infusion (plus the body weight it was dosed by)."""
    treatment = record.session.treatment
    given = record.administrations
    if not given and record.dose_at is None:
        return []
    route_code, route_name = ROUTES[treatment.route]
    result = []
    if not given:  # a session with a dose time but no dose event (older records)
        assert record.dose_at is not None
        given = [
            Administration(
                event_id=record.session.id,
                at=record.dose_at,
                drug=treatment.drug.value,
                route=treatment.route.value,
                dose_mg=treatment.dose_mg,
                lot_number=treatment.lot_number,
                by=None,
            )
        ]
    for index, a in enumerate(given):
        dosage: dict[str, Any] = {
            "route": {"coding": [{"system": SNOMED, "code": route_code, "display": route_name}]},
            "dose": _mg(a.dose_mg),
        }
        resource: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "id": ids("dose", index),
            **meta,
            "contained": [_medication(record, a.lot_number)],
            "status": "completed",
            "medicationReference": {"reference": "#med", "display": treatment.drug.value},
            "subject": _ref(pid),
            "context": _ref(eid),
        }
        if a.is_infusion:
            period = {"start": _iso(a.at)}
            if a.end is not None:
                period["end"] = _iso(a.end)
            else:
                resource["status"] = "in-progress"
            resource["effectivePeriod"] = period
            dosage["rateQuantity"] = {
                "value": float(a.rate_mg_per_h or 0.0),
                "unit": "mg/h",
                "system": UCUM,
                "code": "mg/h",
            }
            dosage["text"] = f"{a.mg_per_kg:g} mg/kg x {a.weight_kg:g} kg"
            weight_id = ids("weight", index)
            result.append(_body_weight(weight_id, a, pid, eid, meta))
            resource["supportingInformation"] = [_ref(weight_id)]
        else:
            resource["effectiveDateTime"] = _iso(a.at)
            if a.device is not None:
                dosage["text"] = f"nasal device {a.device} of {a.devices_planned}"
        resource["dosage"] = dosage
        if a.warning:
            resource["note"] = [{"text": a.warning}]
        if a.by:
            resource["performer"] = [{"actor": {"display": a.by}}]
        result.append(resource)
    return result


def _body_weight(rid: str, a: Administration, pid: str, eid: str, meta: dict) -> dict:
    return {
        "resourceType": "Observation",
        "id": rid,
        **meta,
        "status": "final",
        "category": _VITALS,
        "code": {
            "coding": [{"system": LOINC, "code": BODY_WEIGHT_LOINC, "display": "Body weight"}],
            "text": "Body weight",
        },
        "subject": _ref(pid),
        "encounter": _ref(eid),
        "effectiveDateTime": _iso(a.at),
        "valueQuantity": {
            "value": float(a.weight_kg or 0.0),
            "unit": "kg",
            "system": UCUM,
            "code": "kg",
        },
    }


def _reference_range(kind: Kind, limits: dict[Kind, LimitRange]) -> dict[str, Any]:
    """``referenceRange`` from the alarm limits in force at the session start (empty if none)."""
    limit = limits.get(kind)
    if limit is None or (limit.low is None and limit.high is None):
        return {}
    entry: dict[str, Any] = {"text": "alarm limits in force at the start of the session"}
    if limit.low is not None:
        entry["low"] = _quantity(kind, limit.low)
    if limit.high is not None:
        entry["high"] = _quantity(kind, limit.high)
    return {"referenceRange": [entry]}


def _continuous(
    record: SessionRecord, ids: _Ids, pid: str, eid: str, meta: dict, progress: Progress | None
) -> Iterator[dict[str, Any]]:
    """One Observation per minute of each continuous kind, made as they are read."""
    origin = record.dose_at or record.session.created_at
    limits = limits_in_force(record)
    for done, kind in enumerate(CONTINUOUS, 1):
        for minute in per_interval(record.stream(kind), origin):
            yield (
                {
                    "resourceType": "Observation",
                    "id": ids(kind.value, minute.start.isoformat()),
                    **meta,
                    "status": "final",
                    "category": _VITALS,
                    "code": {"coding": _metric_coding(kind), "text": METRICS[kind].display},
                    "subject": _ref(pid),
                    "encounter": _ref(eid),
                    "effectivePeriod": {"start": _iso(minute.start), "end": _iso(minute.end)},
                    "valueQuantity": _quantity(kind, minute.median),
                    **_reference_range(kind, limits),
                    "method": {
                        "text": f"median of {minute.count} values in 1 min "
                        f"(range {minute.low:g}-{minute.high:g})"
                    },
                    "device": {"display": minute.source},
                }
            )
        report(progress, 0.1 + 0.7 * done / len(CONTINUOUS))


def _bp(
    reading: BpReading,
    ids: _Ids,
    pid: str,
    eid: str,
    meta: dict,
    limits: dict[Kind, LimitRange] | None = None,
) -> list:
    limits = limits or {}
    components = [
        {
            "code": {"coding": _metric_coding(kind)},
            "valueQuantity": _quantity(kind, value),
            **_reference_range(kind, limits),
        }
        for kind, value in (
            (Kind.NIBP_SYS, reading.sys),
            (Kind.NIBP_DIA, reading.dia),
            (Kind.NIBP_MAP, reading.map),
        )
        if value is not None
    ]
    panel = {
        "resourceType": "Observation",
        "id": ids("bp", reading.at.isoformat()),
        **meta,
        "status": "final",
        "category": _VITALS,
        "code": {
            "coding": [
                {"system": LOINC, "code": BP_PANEL_LOINC[0], "display": BP_PANEL_LOINC[1]},
                {"system": MDC_SYSTEM, "code": str(BP_PANEL_MDC[0]), "display": BP_PANEL_MDC[1]},
            ],
            "text": "Blood pressure (non-invasive)",
        },
        "subject": _ref(pid),
        "encounter": _ref(eid),
        "effectiveDateTime": _iso(reading.at),
        "component": components,
        "device": {"display": reading.source},
    }
    result = [panel]
    if reading.pulse is not None:
        result.append(
            {
                "resourceType": "Observation",
                "id": ids("nibp_hr", reading.at.isoformat()),
                **meta,
                "status": "final",
                "category": _VITALS,
                "code": {"coding": _metric_coding(Kind.NIBP_HR), "text": "Pulse rate (NIBP)"},
                "subject": _ref(pid),
                "encounter": _ref(eid),
                "effectiveDateTime": _iso(reading.at),
                "valueQuantity": _quantity(Kind.NIBP_HR, reading.pulse),
                "device": {"display": reading.source},
            }
        )
    return result


def _scales(record: SessionRecord, pid: str, eid: str, meta: dict) -> list:
    result = []
    for row in record.checklists:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": str(row.event_id),
            **meta,
            "status": "final",
            "category": [{"coding": [{"system": OBS_CATEGORY, "code": "survey"}]}],
            "code": {
                "coding": [{"system": f"{LOCAL}:scale", "code": row.scale}],
                "text": scale_label(row.scale),
            },
            "subject": _ref(pid),
            "encounter": _ref(eid),
            "effectiveDateTime": _iso(row.at),
            "valueInteger": row.total,
        }
        if row.interpretation:
            resource["interpretation"] = [{"text": row.interpretation}]
        if row.by:
            resource["performer"] = [{"display": row.by}]
        result.append(resource)
    return result


def _flags(record: SessionRecord, pid: str, eid: str, meta: dict) -> list:
    result = []
    for alarm in record.alarms:
        period = {"start": _iso(alarm.start)}
        if alarm.end:
            period["end"] = _iso(alarm.end)
        result.append(
            {
                "resourceType": "Flag",
                "id": str(alarm.id),
                **meta,
                "status": "inactive" if alarm.end else "active",
                "category": [
                    {
                        "coding": [
                            {"system": f"{LOCAL}:alarm-category", "code": alarm.category.value},
                            {"system": f"{LOCAL}:alarm-priority", "code": alarm.priority.value},
                        ],
                        "text": f"{alarm.priority.value} priority {alarm.category.value} alarm",
                    }
                ],
                "code": {
                    "coding": [{"system": f"{LOCAL}:alarm-condition", "code": alarm.condition}],
                    "text": alarm.message or alarm.condition,
                },
                "subject": _ref(pid),
                "encounter": _ref(eid),
                "period": period,
            }
        )
    return result


def _meta(record: SessionRecord) -> dict[str, Any]:
    """The ``meta`` of every resource: the ``HTEST`` tag of a simulated session, else nothing."""
    if not record.session.simulated:
        return {}
    return {
        "meta": {
            "tag": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                    "code": "HTEST",
                    "display": "test health data",
                }
            ]
        }
    }


def bundle_resources(
    record: SessionRecord, progress: Progress | None = None
) -> Iterator[dict[str, Any]]:
    """The resources of a record's bundle, in order, each made when it is asked for."""
    ids = _Ids(record.session.id)
    meta = _meta(record)
    pid, eid = ids("patient"), ids("encounter")
    yield _patient(record, pid, meta)
    yield _encounter(record, ids, pid, meta)
    yield from _administrations(record, ids, pid, eid, meta)
    report(progress, 0.1)
    yield from _continuous(record, ids, pid, eid, meta, progress)
    limits = limits_in_force(record)
    for reading in record.bp_readings:
        yield from _bp(reading, ids, pid, eid, meta, limits)
    yield from _scales(record, pid, eid, meta)
    yield from _flags(record, pid, eid, meta)
    report(progress, 0.9)


def bundle_elements(record: SessionRecord, timestamp: datetime) -> dict[str, Any]:
    """The Bundle's own elements (all but ``entry``)."""
    return {
        "resourceType": "Bundle",
        "id": _Ids(record.session.id)("bundle"),
        "type": "collection",
        "timestamp": _iso(timestamp),
    }
