"""Write a session's FHIR Bundle as JSON one entry at a time, each entry validated on its own.

``fhir.resources`` validates and serializes a whole ``Bundle`` at once, so the whole Bundle (a
24-hour session holds thousands of Observations) would be in memory twice before one byte is
written. Here the Bundle's own elements (id, type, timestamp) are validated as a ``Bundle``, every
entry (its ``fullUrl`` and resource) as a ``BundleEntry``, and the text of each is written as
``fhir.resources`` writes it inside the Bundle: the same serializer, with the entry's lines
indented to where they sit in the Bundle. The bytes are those of
``Bundle.model_dump_json(indent=1, exclude_none=True)`` of the whole Bundle.

The Bundle's validation in ``fhir.resources`` checks only the elements of each model (required
``type``, the patterns of ``id``, ``instant`` and ``uri``, and each entry's resource); it has no
rule across entries (unique ``fullUrl``, references that resolve; those are checked by
``tests/test_export_fhir_stream.py``), so checking the parts checks what checking the whole did.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle, BundleEntry

from sessionmon.export.fhir import bundle_elements, bundle_resources
from sessionmon.export.record import Progress, SessionRecord, report

#: Indent of ``model_dump_json`` (one space a level).
INDENT = 1
#: An entry sits two levels deep: Bundle object, then its ``entry`` array.
_ENTRY_DEPTH = 2
#: The ``fullUrl`` of the placeholder entries the Bundle's frame is cut around.
_PLACEHOLDER = "urn:uuid:00000000-0000-0000-0000-000000000000"


def _entry_text(entry: dict[str, Any]) -> str:
    """The validated entry's JSON as it reads inside the Bundle (after its own indent)."""
    text = BundleEntry.model_validate(entry).model_dump_json(indent=INDENT, exclude_none=True)
    return text.replace("\n", "\n" + " " * (INDENT * _ENTRY_DEPTH))


def _frame(bundle: dict[str, Any]) -> tuple[str, str, str]:
    """The Bundle's text before the first entry, between two entries, and after the last."""
    placeholder = {"fullUrl": _PLACEHOLDER}
    whole = Bundle.model_validate({**bundle, "entry": [placeholder, placeholder]})
    parts = whole.model_dump_json(indent=INDENT, exclude_none=True).split(_entry_text(placeholder))
    if len(parts) != 3:  # the serializer no longer writes an entry as its own text
        raise ValueError("cannot cut the Bundle's JSON around its entries")
    head, between, tail = parts
    return head, between, tail


def write_bundle(path: Path, bundle: dict[str, Any], resources: Iterable[dict[str, Any]]) -> Path:
    """Write a Bundle of ``resources`` to ``path``, validating each as it is written.

    Parameters
    ----------
    path : Path
        The file to write (UTF-8).
    bundle : dict
        The Bundle's own elements (``resourceType``, ``id``, ``type``, ``timestamp``...), without
        ``entry``.
    resources : iterable of dict
        The resources, read once, in order; each becomes an entry whose ``fullUrl`` is
        ``urn:uuid:`` and its ``id``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    pydantic.ValidationError
        If the Bundle's elements or a resource do not validate (a bug: the caller discards the
        half-written file; see :func:`sessionmon.export.run.export_session`).
    """
    head, between, tail = _frame(bundle)
    with open(path, "w", encoding="utf-8") as out:
        written = 0
        for resource in resources:
            text = _entry_text({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
            out.write(between if written else head)
            out.write(text)
            written += 1
        if written:
            out.write(tail)
        else:  # FHIR leaves an empty list out
            out.write(
                Bundle.model_validate(bundle).model_dump_json(indent=INDENT, exclude_none=True)
            )
    return Path(path)


def build_bundle(record: SessionRecord, timestamp: datetime) -> Bundle:
    """Build and validate the whole Bundle of a record in memory (what the export did before it
    wrote entry by entry; its JSON is the export's bytes).

    Raises
    ------
    pydantic.ValidationError
        If a resource does not validate.
    """
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in bundle_resources(record)]
    return Bundle.model_validate({**bundle_elements(record, timestamp), "entry": entries})


def export_fhir(
    record: SessionRecord, path: Path, *, exported_at: datetime, progress: Progress | None = None
) -> Path:
    """Write the FHIR Bundle of a record as JSON to ``path`` and return ``path``.

    Each resource is made, validated and written in turn, so memory does not grow with the
    session; the bytes are those of ``build_bundle(...).model_dump_json(indent=1,
    exclude_none=True)``.

    Raises
    ------
    pydantic.ValidationError
        If a resource does not validate (a bug: the export refuses to finish the file).
    """
    write_bundle(
        Path(path), bundle_elements(record, exported_at), bundle_resources(record, progress)
    )
    report(progress, 1.0)
    return Path(path)
