"""``sessions verify``: the audit chain, every row covered by it, and its head against the anchor.

Each problem is reported by name on its own line: ``broken chain``, ``altered entry``,
``changed rows``, ``missing session rows`` (from :func:`audit.verify_chain`), and here
``forged row`` (a row no audit entry covers), ``truncated chain`` (the newest entries are gone),
``emptied database``, ``head mismatch`` (the entry at the anchored position is another one),
``unchained entries`` (entries past the anchored head), ``anchor missing``/``anchor
unreadable``, and on an encrypted database ``forged anchor`` (the sidecar has no MAC, or not
the one the database key gives: it was rewritten by someone without the key).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sessionmon.store import audit
from sessionmon.store.anchor import Anchor, Head, chain_head, mac_matches, read_anchor


def uncovered_rows(conn: sqlite3.Connection) -> dict[str, list[int]]:
    """Return, per audited table, the row ids no audit entry covers (ascending)."""
    covered: dict[str, int] = {
        target: int(total)
        for target, total in conn.execute(
            "SELECT target, SUM(last_row - first_row + 1) FROM audit GROUP BY target"
        )
    }
    found: dict[str, list[int]] = {}
    for table, (key, _) in audit.AUDITED_COLUMNS.items():
        count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if count <= covered.get(table, 0):
            continue  # every range was checked row by row, so equal counts mean no extra row
        ranges = conn.execute(
            "SELECT first_row, last_row FROM audit WHERE target = ? ORDER BY first_row", (table,)
        ).fetchall()
        ids = [row[0] for row in conn.execute(f"SELECT {key} FROM {table} ORDER BY {key}")]
        extra, index = [], 0
        for row_id in ids:
            while index < len(ranges) and ranges[index][1] < row_id:
                index += 1
            if index == len(ranges) or ranges[index][0] > row_id:
                extra.append(row_id)
        if extra:
            found[table] = extra
    return found


def _row_count(conn: sqlite3.Connection) -> int:
    return sum(
        conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in audit.AUDITED_COLUMNS
    )


def _head_problem(conn: sqlite3.Connection, anchor: Anchor, path: Path) -> str | None:
    db_head = chain_head(conn)
    if anchor.accepts(db_head):
        return None
    anchored = anchor.head
    if db_head.seq == 0 and _row_count(conn) == 0:
        return (
            f"emptied database: no audit entry and no row is left, but {path.name} anchors "
            f"{anchored.seq} entries"
        )
    if db_head.seq < anchored.seq:
        if anchor.previous is not None and db_head.seq < anchor.previous.seq:
            anchored = anchor.previous
        gone = anchored.seq - db_head.seq
        return (
            f"truncated chain: the newest {gone} audit entr{'y' if gone == 1 else 'ies'} "
            f"(#{db_head.seq + 1}-#{anchored.seq}) were deleted; {path.name} anchors "
            f"#{anchored.seq}, the database ends at #{db_head.seq}"
        )
    row = conn.execute("SELECT entry_sha256 FROM audit WHERE seq = ?", (anchored.seq,)).fetchone()
    if row is None or row[0] != anchored.sha256:
        return (
            f"head mismatch: audit entry #{anchored.seq} is not the one {path.name} anchors "
            "(the chain was rewritten)"
        )
    extra = db_head.seq - anchored.seq
    return (
        f"unchained entries: {extra} audit entr{'y' if extra == 1 else 'ies'} "
        f"(#{anchored.seq + 1}-#{db_head.seq}) were added after the last anchored commit"
    )


def _mac_problem(anchor: Anchor, path: Path, mac_key: bytes) -> str | None:
    if anchor.mac is None:
        return (
            f"forged anchor: {path.name} carries no MAC, but this database is encrypted and "
            "its anchor always does (the sidecar was rewritten without the database key)"
        )
    if not mac_matches(anchor, mac_key):
        return (
            f"forged anchor: the MAC of {path.name} is not the one this database's key gives "
            "(the sidecar was rewritten without the key, or copied from another database)"
        )
    return None


def verify_store(
    conn: sqlite3.Connection, anchor_path: Path, mac_key: bytes | None = None
) -> audit.AuditReport:
    """Check the chain, that every audited row is covered by it, and its head.

    Parameters
    ----------
    conn : sqlite3.Connection
        A read connection (one snapshot: the caller runs this inside ``BEGIN``).
    anchor_path : Path
        The ``<db>.audit-head`` sidecar.
    mac_key : bytes, optional
        The audit-head MAC key of an encrypted database: the sidecar's MAC is checked.

    Returns
    -------
    AuditReport
        ``ok`` only when nothing is wrong; ``message`` has one named line per problem.
    """
    report = audit.verify_chain(conn)
    problems = [] if report.ok else [report.message]
    for table, ids in uncovered_rows(conn).items():
        shown = ", ".join(str(i) for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
        problems.append(
            f"forged row: {len(ids)} row(s) of {table} are covered by no audit entry "
            f"(row ids {shown})"
        )
    try:
        anchor = read_anchor(anchor_path)
    except ValueError as exc:
        problems.append(f"anchor unreadable: {exc}")
    else:
        if anchor is None:
            problems.append(
                f"anchor missing: {anchor_path} does not exist, so deleted newest entries "
                "cannot be detected"
            )
        else:
            if mac_key is not None:
                problem = _mac_problem(anchor, anchor_path, mac_key)
                if problem is not None:
                    problems.append(problem)
            problem = _head_problem(conn, anchor, anchor_path)
            if problem is not None:
                problems.append(problem)
    if problems:
        return audit.AuditReport(
            False, report.entries_checked, report.first_broken_index, "\n".join(problems)
        )
    head = chain_head(conn)
    return audit.AuditReport(
        True,
        report.entries_checked,
        None,
        f"audit trail intact: {report.entries_checked} entries checked, every row covered, "
        f"head #{head.seq} matches {anchor_path.name}"
        + (" (its keyed MAC checked)" if mac_key is not None else ""),
    )


def adopt_unaudited(conn: sqlite3.Connection, at_us: int) -> int:
    """Add audit entries (``anchor.adopt``) for rows written before every row was audited.

    Used once, when a database without a head anchor is first opened: migration 3 copied
    patients and courses into place without audit entries. Returns the rows adopted.
    """
    adopted = 0
    for table, ids in uncovered_rows(conn).items():
        key, columns = audit.AUDITED_COLUMNS[table]
        runs: list[list[int]] = []
        for row_id in ids:
            if runs and runs[-1][1] == row_id - 1:
                runs[-1][1] = row_id
            else:
                runs.append([row_id, row_id])
        for first, last in runs:
            rows = conn.execute(
                f"SELECT {columns} FROM {table} WHERE {key} BETWEEN ? AND ? ORDER BY {key}",
                (first, last),
            ).fetchall()
            audit.append_entry(
                conn,
                at_us=at_us,
                action="anchor.adopt",
                target=table,
                first_row=first,
                last_row=last,
                rows=rows,
            )
            adopted += len(rows)
    return adopted


__all__ = ["Head", "adopt_unaudited", "uncovered_rows", "verify_store"]
