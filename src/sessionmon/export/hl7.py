"""HL7 v2.6 ORU^R01 export following IHE PCD-01 (device to enterprise communication).

One message per session: MSH (MSH-21 the IHE PCD-01 profile), PID, PV1, one OBR covering the
monitoring period, NTE segments for the annotations, then one OBX per metric value:

* OBX-3 ``code^MDC_NAME^MDC``; OBX-4 the device-tree position ``MDS.VMD.CHAN.METRIC`` plus a
  fifth level numbering the values of that metric (unique within the message, as IHE PCD TF-2
  Appendix A allows "a further level"): the oximeter is MDS 1 (SpO2 ``1.1.1.1.n``, pulse rate
  ``1.1.1.2.n``, respiratory rate ``1.1.1.3.n``, etCO2 ``1.1.1.4.n``; a separate capnograph
  is a further device of that group, MDS 3), the NIBP monitor MDS 2 (systolic ``2.1.1.1.n``,
  diastolic ``2.1.1.2.n``, mean ``2.1.1.3.n``, pulse ``2.1.1.4.n``), a second device of a role
  MDS 3 / 4; OBX-5 the value; OBX-6 the unit as ``code^MDC_DIM_...^MDC``; OBX-7 the alarm
  limits in force at the start of the session as ``lower-upper``, ``>lower`` or ``<upper``
  (:mod:`sessionmon.export.limits`); OBX-11
  the result status, the same as OBR-25 (``F`` for a closed session, else ``R``); OBX-14 the
  observation time; OBX-18 the equipment as ``name^^EUI-64^EUI-64``.
* MSH-3 ``SESSIONMON^<EUI-64>^EUI-64`` and OBR-3 ``<session>^SESSIONMON^<EUI-64>^EUI-64`` (the
  gateway's identifier); MSH-15/16 ``AL|NE``; SNOMED CT codes with coding system ``SCT``.
  Serial devices have no EUI-64 of their own: :func:`eui64` derives a stable, locally
  administered one from the device name.
* HR and SpO2 (and respiratory rate and etCO2) are one OBX per minute, the median of that
  minute's 1 Hz values stamped at the minute start (see :mod:`sessionmon.export.downsample`);
  every NIBP reading is exported.

Free text is escaped (``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``); segments end with a carriage return.
MDS/VMD/channel OBX rows are not sent (their containment codes are not in the reference).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

from sessionmon.export.codes import METRICS
from sessionmon.export.downsample import per_interval
from sessionmon.export.limits import limits_in_force
from sessionmon.export.record import Progress, SessionRecord, report
from sessionmon.lifecycle import describe_ending
from sessionmon.model import Kind, SessionPhase

PROFILE = "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"
SEGMENT_END = "\r"
#: Device-tree positions of each kind (MDS.VMD.CHAN.METRIC).
POSITIONS: dict[Kind, str] = {
    Kind.SPO2: "1.1.1.1",
    Kind.HR: "1.1.1.2",
    Kind.RESP_RATE: "1.1.1.3",
    Kind.ETCO2: "1.1.1.4",
    Kind.NIBP_SYS: "2.1.1.1",
    Kind.NIBP_DIA: "2.1.1.2",
    Kind.NIBP_MAP: "2.1.1.3",
    Kind.NIBP_HR: "2.1.1.4",
}
CONTINUOUS = (Kind.SPO2, Kind.HR, Kind.RESP_RATE, Kind.ETCO2)
SEXES = {"female": "F", "male": "M", "other": "O", "unknown": "U"}
_ESCAPES = {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "&": "\\T\\", "~": "\\R\\"}
_ESCAPE_RE = re.compile(r"[\\|^&~]")
_CONTROL_RE = re.compile(r"\r\n|\r|\n")


def escape(text: str | None) -> str:
    """Escape HL7 delimiters in free text; line breaks become ``\\.br\\``."""
    if not text:
        return ""
    escaped = _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)
    return _CONTROL_RE.sub(r"\\.br\\", escaped)


def ts(moment: datetime) -> str:
    """HL7 DTM in UTC with seconds precision and zone, e.g. ``20260105090000+0000``."""
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def eui64(name: str) -> str:
    """A stable EUI-64 style identifier (16 hex digits) for a device or gateway name.

    Serial oximeters and NIBP modules report no EUI-64 of their own, so the identifier is the
    first 8 bytes of the SHA-256 of the name with the IEEE "locally administered" bit set and the
    "group" bit cleared: the same device name always gives the same identifier.
    """
    digest = bytearray(hashlib.sha256(name.encode("utf-8")).digest()[:8])
    digest[0] = (digest[0] | 0x02) & 0xFE
    return digest.hex().upper()


def equipment_id(device: str) -> str:
    """OBX-18 (EI): the device's own name, then its EUI-64 as universal id of type EUI-64."""
    return f"{escape(device)}^^{eui64(device)}^EUI-64"


def _obx(
    set_id: int,
    kind: Kind,
    value: float,
    at: datetime,
    device: str,
    limits: str,
    *,
    sub_id: str,
    status: str,
) -> str:
    code = METRICS[kind]
    fields = [
        "OBX",
        str(set_id),
        "NM",
        f"{code.mdc_code}^{code.mdc_name}^MDC",
        sub_id,
        _number(value),
        f"{code.mdc_unit_code}^{code.mdc_unit_name}^MDC",
        limits,
        "",
        "",
        "",
        status,
        "",
        "",
        ts(at),
        "",
        "",
        "",
        equipment_id(device),
    ]
    return "|".join(fields)


def _mds_numbers(record: SessionRecord) -> dict[tuple[str, str], int]:
    """MDS number per (role MDS, device): the first device of a role keeps the role's MDS
    (oximeter 1, NIBP 2); a further device of the same role (a re-plugged or swapped one) gets
    the next free pair (3, 4, ...), so its values have their own containment."""
    numbers: dict[tuple[str, str], int] = {}
    for mds in ("1", "2"):
        kinds = [k for k, pos in POSITIONS.items() if pos.split(".")[0] == mds]
        seen: list[str] = []
        for kind in kinds:
            for source in record.sources(kind):
                if source not in seen:
                    seen.append(source)
        for index, source in enumerate(seen):
            numbers[(mds, source)] = int(mds) + 2 * index
    return numbers


def build_message(
    record: SessionRecord, created_at: datetime, control_id: str | None = None
) -> str:
    """Return the ORU^R01 message of a record (segments separated by carriage returns)."""
    s = record.session
    patient = s.patient
    control_id = control_id or s.id.hex[:20]
    facility = escape(s.clinic) or "SESSIONMON"
    gateway = eui64(f"sessionmon:{s.clinic or ''}")
    segments = [
        "|".join(
            [
                "MSH",
                "^~\\&",
                f"SESSIONMON^{gateway}^EUI-64",
                facility,
                "",
                "",
                ts(created_at),
                "",
                "ORU^R01^ORU_R01",
                control_id,
                "T" if s.simulated else "P",
                "2.6",
                "",
                "",
                "AL",
                "NE",
                "",
                "UNICODE UTF-8",
                "",
                "",
                PROFILE,
            ]
        )
    ]
    name = "^^^^^^U"  # PID-5 is required: name type U (unspecified) when no name is given
    if patient.name:
        parts = patient.name.rsplit(" ", 1)
        name = escape(parts[-1]) + ("^" + escape(parts[0]) if len(parts) == 2 else "")
    dob = patient.date_of_birth.strftime("%Y%m%d") if patient.date_of_birth else ""
    sex = SEXES.get((patient.sex or "").lower(), "")
    segments.append(
        "|".join(
            ["PID", "1", "", f"{escape(patient.pseudonym)}^^^SESSIONMON^PI", "", name, "", dob, sex]
        )
    )
    end = record.end_of_monitoring or s.created_at
    ending = describe_ending(s)
    pv1 = ["PV1", "1", "O", facility]
    if ending is not None:  # PV1-45: discharge date/time, once the session has ended
        pv1 += [""] * (45 - len(pv1)) + [ts(s.ending.at if s.ending else end)]
    segments.append("|".join(pv1))
    status = "F" if s.phase is SessionPhase.CLOSED else "R"
    obr = [
        "OBR",
        "1",
        "",
        f"{s.id.hex}^SESSIONMON^{gateway}^EUI-64",
        "182777000^monitoring of patient^SCT",
        "",
        "",
        ts(s.created_at),
        ts(end),
    ]
    obr += [""] * (25 - len(obr)) + [status]
    segments.append("|".join(obr))
    notes = 0
    for notes, note in enumerate(record.annotations, start=1):
        since = record.seconds_since_dose(note.at)
        when = f"{note.at:%H:%M:%S} UTC" + ("" if since is None else f" ({since / 60:+.0f} min)")
        segments.append("|".join(["NTE", str(notes), "L", escape(f"{when}: {note.text or ''}")]))
    if ending is not None:  # how the session ended, in words (PV1-36's table is the clinic's)
        who = s.ending.by if s.ending else s.signed_by
        text = f"Session ended: {ending}" + (f" (by {who})" if who else "")
        segments.append("|".join(["NTE", str(notes + 1), "L", escape(text)]))
    report(None, 0)
    limits = {kind: limit.obx7() for kind, limit in limits_in_force(record).items()}
    rows: list[tuple[datetime, Kind, float, str]] = []
    origin = record.dose_at or s.created_at
    for kind in CONTINUOUS:
        for minute in per_interval(record.stream(kind), origin):
            rows.append((minute.start, kind, minute.median, minute.source))
    for reading in record.bp_readings:
        for kind, value in (
            (Kind.NIBP_SYS, reading.sys),
            (Kind.NIBP_DIA, reading.dia),
            (Kind.NIBP_MAP, reading.map),
            (Kind.NIBP_HR, reading.pulse),
        ):
            if value is not None:
                rows.append((reading.at, kind, value, reading.source))
    rows.sort(key=lambda r: (r[0], POSITIONS[r[1]]))
    mds_numbers = _mds_numbers(record)
    occurrences: dict[str, int] = {}
    for set_id, (at, kind, value, device) in enumerate(rows, start=1):
        # OBX-4: the metric's containment plus a fifth level, its occurrence in the message,
        # so every value of a series has its own sub-id (unique within the message).
        mds, rest = POSITIONS[kind].split(".", 1)
        position = f"{mds_numbers.get((mds, device), int(mds))}.{rest}"
        occurrences[position] = occurrences.get(position, 0) + 1
        sub_id = f"{position}.{occurrences[position]}"
        segments.append(
            _obx(
                set_id, kind, value, at, device, limits.get(kind, ""), sub_id=sub_id, status=status
            )
        )
    return SEGMENT_END.join(segments) + SEGMENT_END


def export_hl7(
    record: SessionRecord, path: Path, *, exported_at: datetime, progress: Progress | None = None
) -> Path:
    """Write the ORU^R01 message of a record to ``path`` (UTF-8, CR segment ends)."""
    message = build_message(record, exported_at)
    report(progress, 0.9)
    Path(path).write_bytes(message.encode("utf-8"))
    report(progress, 1.0)
    return Path(path)
