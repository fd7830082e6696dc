"""Tidy CSV exports: one row per numeric value, and (on request) one row per waveform sample.

Numerics columns: ``utc_time`` (ISO 8601, UTC, microseconds), ``seconds_since_dose`` (blank when
no dose was given; negative before it; six decimals), ``kind``, ``value``, ``unit`` (UCUM),
``source_device``, ``flags`` (``;``-separated). Waveform columns: ``utc_time``,
``seconds_since_dose``, ``sample``. Lines end with ``\\n``; a value is quoted only when it holds a
comma, a quote or a line break.

The tables come from :mod:`sessionmon.export.columnar` and are formatted and written by Arrow's
CSV writer, so the waveform of a long session is written in batches at compiled-code speed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from sessionmon.export.columnar import (
    CHUNKS_PER_BATCH,
    flags_text,
    iso_text,
    numerics_batches,
    seconds_text,
    waveform_batches,
)
from sessionmon.export.record import Progress, SessionRecord, StoredMeasurements, report

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

#: A text value holding one of these must be quoted.
_QUOTED = re.compile(r'[,"\r\n]')


def _as_text(table: pa.Table | pa.RecordBatch) -> pa.Table:
    """The CSV text of each column: ISO times, six-decimal seconds, shortest numbers."""
    columns = []
    for name in table.column_names:
        column = table.column(name)
        if name == "utc_time":
            column = iso_text(column)
        elif name == "seconds_since_dose":
            column = seconds_text(column)
        elif not pa.types.is_string(column.type):
            column = pc.cast(column, pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _needs_quotes(texts: Any) -> bool:
    """Whether any of the text values holds a comma, a quote or a line break."""
    return any(_QUOTED.search(text) for text in texts if text)


def _write_options(record: SessionRecord, header: bool) -> pa_csv.WriteOptions:
    """Quote nothing unless some text value needs it (then quote as RFC 4180 asks).

    The question is asked of the distinct kinds, units, sources and flags (a few values), so
    the numerics can then be written a page at a time.
    """
    measurements = record.measurements
    if isinstance(measurements, StoredMeasurements):
        values = measurements.text_values()
        texts = [text for kind, unit, source, _ in values for text in (kind, unit, source)]
        texts += [flags_text(flags) for *_, flags in values]
    else:
        texts = [t for m in measurements for t in (m.kind.value, m.unit, m.source)]
        texts += [";".join(m.flags) for m in measurements]
    return pa_csv.WriteOptions(
        include_header=header,
        quoting_style="needed" if _needs_quotes(texts) else "none",
        quoting_header="none",
    )


def write_numerics_csv(record: SessionRecord, path: Path, progress: Progress | None = None) -> Path:
    """Write the tidy numerics CSV of a record to ``path`` (a page of rows at a time) and
    return it."""
    options = _write_options(record, header=True)
    schema_text = pa.schema([(name, pa.string()) for name in NUMERIC_COLUMNS])
    with pa_csv.CSVWriter(str(path), schema_text, write_options=options) as writer:
        for batch in numerics_batches(record):
            writer.write_table(_as_text(batch))
    report(progress, 1.0)
    return path


def write_waveform_csv(
    record: SessionRecord, path: Path, progress: Progress | None = None, chunks: Any = None
) -> Path:
    """Write every pleth sample (or every sample of ``chunks``, e.g. the CO2 wave; time
    computed from its chunk's start and rate) to ``path``.

    Raises
    ------
    ValueError
        If the record was loaded without its waveform.
    """
    batches = waveform_batches(record, CHUNKS_PER_BATCH, chunks)
    total = max(1, len(record.waveform if chunks is None else chunks) or 1)
    schema_text = pa.schema([(name, pa.string()) for name in WAVEFORM_COLUMNS])
    options = pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
    done = 0
    with pa_csv.CSVWriter(str(path), schema_text, write_options=options) as writer:
        for batch in batches:
            writer.write_table(_as_text(batch))
            done += CHUNKS_PER_BATCH
            report(progress, done / total)
    report(progress, 1.0)
    return path


def waveform_path_for(numerics_path: Path, suffix: str = ".csv", wave: str = "pleth") -> Path:
    """Where a waveform file goes next to a numerics file: ``<stem>-pleth.csv`` (``wave``
    ``co2``: ``<stem>-co2.csv``)."""
    return numerics_path.with_name(f"{numerics_path.stem}-{wave}{suffix}")


def co2_chunks(record: SessionRecord) -> Any:
    """The record's CO2 wave chunks, or None when it has none (no capnography)."""
    chunks = record.co2_waveform
    return chunks if chunks is not None and len(chunks) else None


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
        co2 = co2_chunks(record)
        if co2 is not None:
            written.append(
                write_waveform_csv(record, waveform_path_for(path, wave="co2"), None, co2)
            )
    return written
