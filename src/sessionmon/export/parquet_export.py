"""Parquet export for research: the tidy numerics table and, on request, the pleth waveform.

The columns are those of the CSV export (:mod:`sessionmon.export.csv_export`) with their own
types: ``utc_time`` is a UTC timestamp in microseconds, ``seconds_since_dose`` float seconds
(null without a dose), ``value`` float64, ``sample`` float32. Each file carries the session's
identity in its schema metadata under ``sessionmon``: session id, pseudonym, treatment, dose time
and whether the export is de-identified (a de-identified record has no name and shifted times, so
its metadata has neither). The waveform is written in row groups of about ten minutes, so a long
session never has to be held in memory as one table.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sessionmon.export.columnar import (
    CHUNKS_PER_BATCH,
    numerics_table,
    seconds_float,
    waveform_batches,
)
from sessionmon.export.csv_export import co2_chunks, waveform_path_for
from sessionmon.export.record import Progress, SessionRecord, report

#: Compression of both files (widely readable, fast).
COMPRESSION = "zstd"


def _metadata(record: SessionRecord, deidentified: bool) -> dict[bytes, bytes]:
    session = record.session
    dose = record.dose_at
    facts = {
        "format": "sessionmon-parquet",
        "version": 1,
        "session_id": str(session.id),
        "pseudonym": session.patient.pseudonym,
        "treatment": session.treatment.protocol.value,
        "dose_at": None if dose is None else dose.isoformat(),
        "deidentified": deidentified,
    }
    return {b"sessionmon": json.dumps(facts).encode()}


def _with_seconds(table: pa.Table | pa.RecordBatch) -> pa.Table:
    """Replace the microseconds-since-dose column with float seconds."""
    index = table.schema.get_field_index("seconds_since_dose")
    seconds = seconds_float(table.column(index))
    table = pa.Table.from_batches([table]) if isinstance(table, pa.RecordBatch) else table
    return table.set_column(index, pa.field("seconds_since_dose", pa.float64()), seconds)


def export_parquet(
    record: SessionRecord,
    path: Path,
    *,
    waveform: bool = False,
    deidentified: bool = False,
    progress: Progress | None = None,
) -> list[Path]:
    """Write the numerics Parquet file (and ``<stem>-pleth.parquet`` when asked).

    Parameters
    ----------
    record : SessionRecord
        The record (already de-identified when ``deidentified``).
    path : Path
        The numerics file to write.
    waveform : bool
        Also write every pleth sample beside it.
    deidentified : bool
        Say so in the files' metadata.
    progress : callable, optional
        Called with the fraction done.

    Returns
    -------
    list of Path
        The files written, numerics first.
    """
    metadata = _metadata(record, deidentified)
    numerics = _with_seconds(numerics_table(record))
    numerics = numerics.replace_schema_metadata(metadata)
    pq.write_table(numerics, path, compression=COMPRESSION)
    written = [path]
    report(progress, 0.2 if waveform else 1.0)
    if waveform:
        pleth_path = waveform_path_for(path, ".parquet")
        total = max(1, len(record.waveform or ()))
        schema = pa.schema(
            [
                ("utc_time", pa.timestamp("us", tz="UTC")),
                ("seconds_since_dose", pa.float64()),
                ("sample", pa.float32()),
            ],
            metadata=metadata,
        )
        done = 0
        with pq.ParquetWriter(pleth_path, schema, compression=COMPRESSION) as writer:
            for batch in waveform_batches(record, CHUNKS_PER_BATCH):
                writer.write_table(_with_seconds(batch).replace_schema_metadata(metadata))
                done += CHUNKS_PER_BATCH
                report(progress, 0.2 + 0.8 * min(1.0, done / total))
        written.append(pleth_path)
        co2 = co2_chunks(record)
        if co2 is not None:  # the capnogram beside the pleth, same columns
            co2_path = waveform_path_for(path, ".parquet", "co2")
            with pq.ParquetWriter(co2_path, schema, compression=COMPRESSION) as writer:
                for batch in waveform_batches(record, CHUNKS_PER_BATCH, co2):
                    writer.write_table(_with_seconds(batch).replace_schema_metadata(metadata))
            written.append(co2_path)
    report(progress, 1.0)
    return written
