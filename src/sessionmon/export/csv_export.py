"""Tidy CSV exports: one row per numeric value, and (on request) one row per waveform sample.

Numerics columns: ``utc_time`` (ISO 8601, UTC, microseconds), ``seconds_since_dose`` (blank when
no dose was given; negative before it), ``kind``, ``value``, ``unit`` (UCUM), ``source_device``,
``flags`` (``;``-separated). Waveform columns: ``utc_time``, ``seconds_since_dose``, ``sample``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from sessionmon.export.record import Progress, SessionRecord, report

NUMERIC_COLUMNS = (
    "utc_time",
    "seconds_since_dose",
    "kind",
    "value",
    "unit",
    "source_device",
    "flags",
)
WAVEFORM_COLUMNS = ("utc_time", "seconds_since_dose", "sample")


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def _iso(moment) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else repr(float(value))


def write_numerics_csv(record: SessionRecord, path: Path, progress: Progress | None = None) -> Path:
    """Write the tidy numerics CSV of a record to ``path`` and return it."""
    dose = record.dose_at
    total = max(1, len(record.measurements))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(NUMERIC_COLUMNS)
        for index, m in enumerate(record.measurements):
            writer.writerow(
                (
                    _iso(m.received_at),
                    _seconds(None if dose is None else (m.received_at - dose).total_seconds()),
                    m.kind.value,
                    _number(m.value),
                    m.unit,
                    m.source,
                    ";".join(m.flags),
                )
            )
            if index % 20_000 == 0:
                report(progress, index / total)
    report(progress, 1.0)
    return path


def write_waveform_csv(record: SessionRecord, path: Path, progress: Progress | None = None) -> Path:
    """Write every pleth sample (time computed from its chunk's start and rate) to ``path``.

    Raises
    ------
    ValueError
        If the record was loaded without its waveform.
    """
    if record.waveform is None:
        raise ValueError("the record was loaded without its waveform")
    dose = record.dose_at
    total = max(1, len(record.waveform))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(WAVEFORM_COLUMNS) + "\n")
        for index, chunk in enumerate(record.waveform):
            count = len(chunk.samples)
            if not count:
                continue
            offsets_us = np.round(np.arange(count) * (1e6 / chunk.sample_rate_hz)).astype(np.int64)
            start = np.datetime64(chunk.start.replace(tzinfo=None), "us")
            stamps = np.datetime_as_string(start + offsets_us.astype("timedelta64[us]"), unit="us")
            if dose is None:
                since = [""] * count
            else:
                base_us = round((chunk.start - dose).total_seconds() * 1e6)
                since = [f"{(base_us + o) / 1e6:.6f}" for o in offsets_us.tolist()]
            samples = [_number(v) for v in chunk.samples]
            handle.writelines(
                f"{t}Z,{s},{v}\n" for t, s, v in zip(stamps.tolist(), since, samples, strict=True)
            )
            if index % 200 == 0:
                report(progress, index / total)
    report(progress, 1.0)
    return path


def waveform_path_for(numerics_path: Path) -> Path:
    """Where the waveform CSV goes next to a numerics CSV: ``<stem>-pleth.csv``."""
    return numerics_path.with_name(f"{numerics_path.stem}-pleth.csv")


def export_csv(
    record: SessionRecord,
    path: Path,
    *,
    waveform: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the numerics CSV (and the waveform CSV beside it when asked); return the paths."""
    share = 0.5 if waveform else 1.0
    written = [
        write_numerics_csv(record, path, lambda f: report(progress, f * share)),
    ]
    if waveform:
        written.append(
            write_waveform_csv(
                record, waveform_path_for(path), lambda f: report(progress, 0.5 + f * 0.5)
            )
        )
    return written
