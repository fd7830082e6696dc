"""A treatment course out: JSON (importable, every session's whole record), research CSV (one row
per measure per session) and a FHIR R4 Bundle (EpisodeOfCare, QuestionnaireResponse per
questionnaire, Observation per total with its LOINC code)."""

from __future__ import annotations

import csv
import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sessionmon.course.measures import MEASURES
from sessionmon.course.model import Course
from sessionmon.course.summary import CourseSummary
from sessionmon.errors import UserError
from sessionmon.export.codes import LOINC
from sessionmon.export.course_document import COURSE_FORMAT, CourseDocument
from sessionmon.export.course_document import COURSE_SCHEMA_VERSION as COURSE_SCHEMA_VERSION
from sessionmon.export.json_export import build_document, import_document
from sessionmon.export.record import load_record


def export_course_json(
    store: Any,
    course: Course,
    path: Path,
    exported_at: datetime,
    deidentified: bool = False,
    offset: Any = None,
) -> Path:
    """Write ``course`` with every session's whole record (no waveform) to ``path``
    (``deidentified``: see :mod:`sessionmon.export.course_deidentify`)."""
    if deidentified:
        from sessionmon.export.course_deidentify import deidentified_course_document

        document = deidentified_course_document(store, course, exported_at, offset)
        Path(path).write_text(document.model_dump_json(indent=1, warnings=False) + "\n", "utf-8")
        return Path(path)
    sessions = [
        build_document(load_record(store, s.id), exported_at, deidentified=False)
        for s in store.course_sessions(course)
    ]
    document = CourseDocument(
        exported_at=exported_at,
        patient=store.get_patient(course.pseudonym),
        course=course,
        responses=store.course_responses(course.id),
        sessions=sessions,
    )
    Path(path).write_text(document.model_dump_json(indent=1, warnings=False) + "\n", "utf-8")
    return Path(path)


def read_course_document(path: Path) -> CourseDocument:
    """Read and validate a course export.

    Raises
    ------
    UserError
        If the file cannot be read, is not a course export, or does not match its schema.
    """
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError(f"{path} is not a JSON course export") from None
    if not isinstance(raw, dict) or raw.get("format") != COURSE_FORMAT:
        raise UserError(f"{path} is not a sessionmon course export")
    if not isinstance(raw.get("schema_version"), int) or raw["schema_version"] > 1:
        raise UserError(f"{path} has a newer course schema version: please update sessionmon")
    try:
        return CourseDocument.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UserError(
            f"{path} does not match the course schema at {where}: {first['msg']}"
        ) from None


def import_course_json(path: Path, store: Any) -> Course:
    """Restore a course export into ``store`` (same ids); the whole file is checked first.

    Raises
    ------
    UserError
        If the file is not a valid course export or the course or any session already exists.
    """
    document = read_course_document(path)
    course = document.course
    if any(c.id == course.id for c in store.courses_for(course.pseudonym)):
        raise UserError(f"course {course.id} is already in {store.path}; nothing was imported")
    known = {s.id for s in store.list_sessions()}
    for session_doc in document.sessions:
        if session_doc.record.session.id in known:
            sid = session_doc.record.session.id
            raise UserError(f"session {sid} is already in {store.path}; nothing was imported")
    if document.patient is not None and store.get_patient(course.pseudonym) is None:
        store.save_patient(document.patient)
    store.save_course(course, action="course.import")
    store.add_course_responses(document.responses)
    for session_doc in document.sessions:
        import_document(session_doc, store, source=path)
    return course


# --------------------------------------------------------------------------- research CSV

CSV_COLUMNS = (
    "patient",
    "course_id",
    "indication",
    "session_number",
    "session_id",
    "session_start",
    "treatment",
    "measure",
    "loinc",
    "total",
    "band",
    "change_from_baseline_pct",
    "context",
    "item9",
    "peak_bp_rise_mmhg",
    "highest_cadss",
    "lowest_spo2",
    "minutes_to_ready",
)


def export_course_csv(summary: CourseSummary, path: Path) -> Path:
    """One row per measure per session (follow-ups have no session number); pseudonym only."""
    course = summary.course
    figures = {f.session_id: (n, f) for n, f in enumerate(summary.sessions, start=1)}
    baselines = {m.scale: m.baseline for m in summary.measures}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for r in summary.responses:
            measure = MEASURES.get(r.scale)
            if measure is None or measure.context != "outcome":
                continue
            number, fig = figures.get(r.session_id, (None, None)) if r.session_id else (None, None)
            base = baselines.get(r.scale)
            change = "" if not base else round((r.total - base) / base * 100, 1)
            writer.writerow(
                [
                    course.pseudonym,
                    course.id,
                    course.indication.value,
                    number or "",
                    r.session_id or "",
                    fig.start.isoformat() if fig else "",
                    fig.treatment if fig else course.treatment.value,
                    r.scale,
                    measure.loinc or "",
                    r.total,
                    r.interpretation,
                    change,
                    r.context.value,
                    r.items.get(9, "") if r.scale == "phq9" else "",
                    "" if fig is None or fig.peak_bp_rise is None else fig.peak_bp_rise,
                    "" if fig is None or fig.highest_cadss is None else fig.highest_cadss,
                    "" if fig is None or fig.lowest_spo2 is None else fig.lowest_spo2,
                    ""
                    if fig is None or fig.minutes_to_ready is None
                    else round(fig.minutes_to_ready, 1),
                ]
            )
    return Path(path)


# --------------------------------------------------------------------------- FHIR R4

_SNOMED = "http://snomed.info/sct"
#: Indication codes (SNOMED CT): depressive disorder, GAD, social phobia, PTSD.
_INDICATION_SNOMED = {
    "depression": ("35489007", "Depressive disorder"),
    "gad": ("21897009", "Generalized anxiety disorder"),
    "social_anxiety": ("25501002", "Social phobia"),
    "ptsd": ("47505003", "Posttraumatic stress disorder"),
}


def build_course_bundle(summary: CourseSummary, timestamp: datetime) -> dict[str, Any]:
    """A FHIR R4 collection Bundle of the course (pseudonymous Patient, no name or DOB)."""
    course = summary.course

    def rid(*parts: object) -> str:
        return str(uuid.uuid5(course.id, "/".join(str(p) for p in parts)))

    pid, eoc = rid("patient"), rid("episode")
    patient = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:sessionmon:pseudonym", "value": course.pseudonym}],
    }
    episode: dict[str, Any] = {
        "resourceType": "EpisodeOfCare",
        "id": eoc,
        "identifier": [{"system": "urn:sessionmon:course", "value": str(course.id)}],
        "status": "active" if course.status.value == "open" else "finished",
        "patient": {"reference": f"urn:uuid:{pid}"},
        "period": {"start": course.started_on.isoformat()},
        "type": [{"text": f"{course.treatment.value} treatment course"}],
    }
    if course.closed_on is not None:
        episode["period"]["end"] = course.closed_on.isoformat()
    if course.indication_other:
        episode["type"].append({"text": f"indication: {course.indication_other}"})
    coded = _INDICATION_SNOMED.get(course.indication.value)
    if coded:
        episode["diagnosis"] = [
            {"condition": {"display": coded[1]}, "role": {"text": "indication"}}
        ]
        episode["type"].append({"coding": [{"system": _SNOMED, "code": coded[0]}]})
    resources: list[dict[str, Any]] = [patient, episode]
    for r in summary.responses:
        measure = MEASURES.get(r.scale)
        if measure is None:
            continue
        qr_id = rid("qr", r.id)
        qr: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "id": qr_id,
            "status": "completed",
            "subject": {"reference": f"urn:uuid:{pid}"},
            "authored": r.at.isoformat(),
            "extension": [
                {
                    "url": "urn:sessionmon:episode-of-care",
                    "valueReference": {"reference": f"urn:uuid:{eoc}"},
                }
            ],
            "item": [
                {
                    "linkId": str(number),
                    "text": measure.scale.item(number).label if measure.scale.item(number) else "",
                    "answer": [{"valueInteger": score}],
                }
                for number, score in sorted(r.items.items())
            ],
        }
        if measure.panel_loinc:
            qr["questionnaire"] = f"{LOINC}/{measure.panel_loinc}"
        resources.append(qr)
        code: dict[str, Any] = {"text": f"{measure.short} total score"}
        if measure.loinc:
            code["coding"] = [
                {"system": LOINC, "code": measure.loinc, "display": f"{measure.short} total"}
            ]
        else:
            code["coding"] = [{"system": "urn:sessionmon:scale", "code": r.scale}]
        resources.append(
            {
                "resourceType": "Observation",
                "id": rid("obs", r.id),
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "observation-category",
                                "code": "survey",
                            }
                        ]
                    }
                ],
                "code": code,
                "subject": {"reference": f"urn:uuid:{pid}"},
                "effectiveDateTime": r.at.isoformat(),
                "valueInteger": r.total,
                "interpretation": [{"text": r.interpretation}],
                "derivedFrom": [{"reference": f"urn:uuid:{qr_id}"}],
                "extension": [
                    {
                        "url": "urn:sessionmon:episode-of-care",
                        "valueReference": {"reference": f"urn:uuid:{eoc}"},
                    }
                ],
            }
        )
    return {
        "resourceType": "Bundle",
        "id": rid("bundle", timestamp.isoformat()),
        "type": "collection",
        "timestamp": timestamp.isoformat(),
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }


def export_course_fhir(summary: CourseSummary, path: Path, timestamp: datetime) -> Path:
    """Write the course's FHIR Bundle to ``path`` once it validates (``fhir.resources`` R4B)."""
    from fhir.resources.R4B.bundle import Bundle

    bundle = build_course_bundle(summary, timestamp)
    Bundle.model_validate(bundle)  # a bug if it fails: nothing is written
    Path(path).write_text(json.dumps(bundle, indent=1) + "\n", encoding="utf-8")
    return Path(path)
