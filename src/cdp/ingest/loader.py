"""Raw loads: each export file of a complete folder into schema ``raw``, once, with lineage.

For every file type (``crm.contacts``, ``web.events`` ...) there is one raw table
``raw.<source>__<entity>`` with the contract's columns plus lineage:

``_source_file``   the file, relative to the landing zone (``crm/2026-11-03/contacts.csv``)
``_export_date``   the export folder's date
``_row_number``    the record's number in the file (the header is record 1 of a CSV file)
``_loaded_at``     when the load ran (UTC)

Three control tables sit beside them:

``raw._load_manifest``   one row per delivered file: size, SHA-256, rows, status, load time
``raw._rejects``         one row per record that could not be loaded, with its raw text and reason
``raw._schema_changes``  columns that appeared in, or vanished from, an export

Column names in a file are data, never SQL: a column the contract does not declare is added
under a safe name (lower-case letters, digits and ``_``; see :func:`safe_column_name`), and
``_schema_changes`` keeps the name as the file wrote it.

A file is loaded in one transaction: its rows, its rejects and its manifest row land together or
not at all. The same file delivered again with the same bytes changes nothing; delivered again at
the same path with new bytes it replaces its earlier rows; a delta file whose bytes equal a file
already loaded under another folder (a re-sent export) is recorded as a duplicate and adds no
rows. Parsing is DuckDB's own (``read_csv``, ``read_json``); only a CSV whose rows and rejects
do not add up to its lines is split into records in Python (``cdp.ingest.csv_records``) so that
an unbalanced quote costs its own line alone. The lines of NDJSON exports are read one file
ahead, on a second connection, while the file before loads (``_LineReader``).

A load can be given a ``HoldBack`` (``cdp.privacy.holdback``): the rows and rejected lines of a
file that name an erased person are then held back inside the file's transaction, so that an
export that delivers them again never writes them into the warehouse file. They count as
loaded and removed (``raw._removed_rows``), so the file still reconciles with its manifest.
"""

from __future__ import annotations

import csv
import functools
import os
import re
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb

from cdp.ingest.csv_records import as_text, count_lines, split_file
from cdp.ingest.landing import Delivery, Discovery, discover, file_checksum
from cdp.sources import Column, SourceFile

RAW_SCHEMA = "raw"
LINEAGE_COLUMNS = (
    Column("_source_file", "VARCHAR", description="export file, relative to the landing zone"),
    Column("_export_date", "DATE", description="date of the export folder"),
    Column("_row_number", "BIGINT", description="record number in the file"),
    Column("_loaded_at", "TIMESTAMPTZ", description="when the row was loaded"),
)

CONTROL_TABLES_DDL = f"""
create schema if not exists {RAW_SCHEMA};
create table if not exists {RAW_SCHEMA}._load_manifest (
    source_file varchar,
    source varchar,
    entity varchar,
    export_date date,
    size_bytes bigint,
    sha256 varchar,
    status varchar,
    duplicate_of varchar,
    rows_loaded bigint,
    rows_rejected bigint,
    error varchar,
    loaded_at timestamptz
);
-- The data records the file held (CSV: header and blank lines not counted; NDJSON: lines
-- that are not blank; JSON array: elements): rows_loaded + rows_rejected must equal it.
alter table {RAW_SCHEMA}._load_manifest add column if not exists records_in_file bigint;
create table if not exists {RAW_SCHEMA}._rejects (
    source varchar,
    entity varchar,
    source_file varchar,
    export_date date,
    row_number bigint,
    error_type varchar,
    column_name varchar,
    reason varchar,
    raw_text varchar,
    loaded_at timestamptz
);
-- Rows taken out of raw after their load by erasure or retention (counts only), so that a
-- file's loaded rows still reconcile with the manifest.
create table if not exists {RAW_SCHEMA}._removed_rows (
    source_file varchar,
    export_date date,
    relation varchar,
    reason varchar,
    rows_removed bigint,
    removed_at timestamptz
);
create table if not exists {RAW_SCHEMA}._schema_changes (
    source varchar,
    entity varchar,
    source_file varchar,
    export_date date,
    column_name varchar,
    change varchar,
    detected_at timestamptz
);
alter table {RAW_SCHEMA}._schema_changes add column if not exists original_name varchar;
"""

#: DuckDB writes its write-ahead log into the database file (a checkpoint) once the log
#: outgrows this. A load commits once per file, and DuckDB's default (16 MB) had it checkpoint
#: after most of them. While a file type loads the threshold is this one; afterwards it is set
#: back and the load checkpoints once, so that no step after a load inherits its log.
LOAD_CHECKPOINT_THRESHOLD = "1GB"

# ASCII unit separator: JSON text cannot hold it unescaped, so one NDJSON line is one field.
_LINE_DELIMITER = "\x1f"
_MAX_LINE_BYTES = 8 * 1024 * 1024  # DuckDB reads in buffers of 16 lines this size


class UnreadableFile(Exception):
    """A file that cannot be read at all (empty, not the declared format, not UTF-8 ...)."""


@dataclass
class FileResult:
    relative_path: str
    status: str  # loaded | replaced | duplicate | unchanged | failed
    rows_loaded: int = 0
    rows_rejected: int = 0
    new_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(default_factory=list)
    # new columns whose name in the file was not a safe name: safe name -> name as written
    renamed: dict[str, str] = field(default_factory=dict)
    duplicate_of: str | None = None
    error: str | None = None
    seconds: float = 0.0
    records_in_file: int | None = None  # data records (not header or blank lines)
    # rows (and rejected lines) that named an erased person, held back from the warehouse;
    # counted in rows_loaded (and rows_rejected) and logged as removed
    rows_held_back: int = 0


@dataclass
class LoadReport:
    """What one load of one file type saw and did."""

    spec: SourceFile
    discovery: Discovery
    files: list[FileResult] = field(default_factory=list)
    table_rows: int = 0
    table_rejects: int = 0

    def count(self, *statuses: str) -> int:
        return sum(1 for f in self.files if f.status in statuses)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_held_back(self) -> int:
        return sum(f.rows_held_back for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def new_columns(self) -> dict[str, list[str]]:
        return {f.relative_path: f.new_columns for f in self.files if f.new_columns}

    @property
    def missing_columns(self) -> dict[str, list[str]]:
        return {f.relative_path: f.missing_columns for f in self.files if f.missing_columns}

    def summary(self) -> str:
        return (
            f"{self.spec.name}: {len(self.discovery.deliveries)} files seen, "
            f"{self.count('loaded', 'replaced')} loaded, {self.count('unchanged')} unchanged, "
            f"{self.count('duplicate')} duplicate, {self.count('failed')} failed; "
            f"{self.rows_loaded} rows loaded, {self.rows_rejected} rejected"
            + (
                f", {self.rows_held_back} held back (they name erased people)"
                if self.rows_held_back
                else ""
            )
        )


class HoldBack(Protocol):
    """What a load holds back from the warehouse (``cdp.privacy.holdback.LoadSuppression``)."""

    def hold_back(
        self, con: duckdb.DuckDBPyConnection, delivery: Delivery, loaded_at: datetime
    ) -> int:
        """Name in the temporary table ``_held`` (``_row_number``) the rows of the temporary
        view ``_candidate`` (the file's good rows, in the raw table's columns) that must not be
        written, take such lines out of ``_batch_rejects``, log them, and return how many rows
        and lines that was."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def raw_table(spec: SourceFile) -> str:
    return f"{RAW_SCHEMA}.{quote_ident(spec.table)}"


_SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@functools.cache
def _reserved_words() -> frozenset[str]:
    con = duckdb.connect()
    try:
        return frozenset(
            row[0].lower()
            for row in con.execute(
                "select keyword_name from duckdb_keywords() where keyword_category <> 'unreserved'"
            ).fetchall()
        )
    finally:
        con.close()


def safe_column_name(name: str, taken: Collection[str] = ()) -> str:
    """A column name from a file made safe for any SQL that later names it unquoted: lower
    case, letters, digits and ``_``, starting with a letter, no SQL keyword, not a lineage
    column, and not one of ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_") or "column"
    if not base[0].isalpha():
        base = f"col_{base}"
    if base in _reserved_words():
        base = f"{base}_col"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}_{suffix}", suffix + 1
    return candidate


def is_safe_column_name(name: str) -> bool:
    return bool(_SAFE_NAME.match(name)) and name not in _reserved_words()


def _repair_column_names(con: duckdb.DuckDBPyConnection, spec: SourceFile) -> None:
    """Columns added under unsafe names by an earlier version of the loader take a safe one."""
    declared = {c.name for c in (*spec.columns, *LINEAGE_COLUMNS)}
    existing = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [RAW_SCHEMA, spec.table],
        ).fetchall()
    ]
    taken = set(existing)
    for name in existing:
        if name in declared or is_safe_column_name(name):
            continue
        safe = safe_column_name(name, taken)
        taken.add(safe)
        con.execute(f"alter table {raw_table(spec)} rename column {quote_ident(name)} to {safe}")
        con.execute(
            f"update {RAW_SCHEMA}._schema_changes set original_name = column_name, "
            "column_name = ? where source = ? and entity = ? and column_name = ?",
            [safe, spec.source, spec.entity, name],
        )


def ensure_tables(con: duckdb.DuckDBPyConnection, spec: SourceFile | None = None) -> None:
    """Create schema ``raw``, the control tables and (given ``spec``) its raw table.

    A source that has delivered nothing yet still gets its table, empty, so that everything
    downstream can be built and its freshness check can say that nothing has arrived.
    """
    con.execute(CONTROL_TABLES_DDL)
    if spec is not None:
        columns = ",\n    ".join(
            f"{quote_ident(c.name)} {c.type}" for c in (*spec.columns, *LINEAGE_COLUMNS)
        )
        con.execute(f"create table if not exists {raw_table(spec)} (\n    {columns}\n)")
        _repair_column_names(con, spec)


def load_file_type(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    spec: SourceFile,
    log: Callable[[str], None] = print,
    export_dates: Collection[date] | None = None,
    hold_back: HoldBack | None = None,
) -> LoadReport:
    """Load every new or changed delivery of ``spec`` found in complete folders (of
    ``export_dates`` only, when given), holding back what ``hold_back`` says must not be
    written.

    A file that cannot be read is recorded as failed in the manifest (and retried next run);
    the other files still load. The caller decides how to surface failures.
    """
    ensure_tables(con, spec)
    discovery = discover(landing_dir, spec)
    if export_dates is not None:
        wanted = set(export_dates)
        discovery.deliveries = [d for d in discovery.deliveries if d.export_date in wanted]
    report = LoadReport(spec, discovery)
    for folder in report.discovery.incomplete_folders:
        log(f"{spec.name}: skipping {folder}: no _SUCCESS marker yet (export still being written)")
    for folder in report.discovery.unrecognised_folders:
        log(f"{spec.name}: ignoring {folder}: folder name is not an export date (YYYY-MM-DD)")
    deliveries = report.discovery.deliveries
    reader = _LineReader(con) if spec.format == "ndjson" else None
    checksum = functools.cache(file_checksum)  # each file read once, read ahead or not
    threshold = con.execute("select current_setting('checkpoint_threshold')").fetchall()[0][0]
    con.execute(f"set checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
    try:
        for index, delivery in enumerate(deliveries, start=1):
            if reader is not None and index < len(deliveries):
                # the next file's lines are read while this one is typed and inserted
                upcoming = deliveries[index]
                if not _unchanged(_manifest_entry(con, upcoming), checksum(upcoming.path)):
                    reader.read_ahead(upcoming)
            result = _load_delivery(con, delivery, checksum(delivery.path), reader, hold_back)
            if reader is not None:
                reader.release(delivery)
            report.files.append(result)
            if result.status != "unchanged":
                log(f"{spec.name} [{index}/{len(deliveries)}] {_describe(result)}")
    finally:
        if reader is not None:
            reader.close()
        con.execute(f"set checkpoint_threshold = '{threshold}'")
    _checkpoint(con, log)
    report.table_rows = con.execute(f"select count(*) from {raw_table(spec)}").fetchall()[0][0]
    report.table_rejects = con.execute(
        f"select count(*) from {RAW_SCHEMA}._rejects where source = ? and entity = ?",
        [spec.source, spec.entity],
    ).fetchall()[0][0]
    return report


def _checkpoint(con: duckdb.DuckDBPyConnection, log: Callable[[str], None]) -> None:
    """Write the load's log into the database file. Another open transaction on the file
    makes DuckDB refuse; the log is then written at a later commit, as DuckDB would anyway."""
    try:
        con.execute("checkpoint")
    except duckdb.Error as err:
        log(f"checkpoint after the load deferred: {err}")


def _describe(result: FileResult) -> str:
    if result.status == "failed":
        return f"{result.relative_path}: FAILED: {result.error}"
    if result.status == "duplicate":
        return f"{result.relative_path}: same bytes as {result.duplicate_of}, recorded as duplicate"
    text = (
        f"{result.relative_path}: {result.status}, {result.rows_loaded} rows, "
        f"{result.rows_rejected} rejected ({result.seconds:.1f}s)"
    )
    if result.new_columns:
        text += f"; new columns {result.new_columns}"
    if result.missing_columns:
        text += f"; missing columns {result.missing_columns}"
    if result.rows_held_back:
        text += f"; {result.rows_held_back} held back (they name erased people)"
    return text


def _manifest_entry(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> list[tuple]:
    """The manifest's (sha256, status) of ``delivery``: one row, or none when never delivered."""
    return con.execute(
        f"select sha256, status from {RAW_SCHEMA}._load_manifest where source_file = ?",
        [delivery.relative_path],
    ).fetchall()


def loaded_files(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, datetime]]:
    """``source_file -> (size_bytes, loaded_at)`` of every file the manifest holds as loaded (or
    as a duplicate): what ``cdp.ingest.landing.pending_deliveries`` compares the landing zone
    with. Empty before the first load."""
    exists = con.execute(
        "select count(*) from information_schema.tables "
        f"where table_schema = '{RAW_SCHEMA}' and table_name = '_load_manifest'"
    ).fetchall()[0][0]
    if not exists:
        return {}
    rows = con.execute(
        f"select source_file, size_bytes, loaded_at from {RAW_SCHEMA}._load_manifest "
        "where status <> 'failed'"
    ).fetchall()
    return {path: (size, loaded_at) for path, size, loaded_at in rows}


def _unchanged(previous: list[tuple], checksum: str) -> bool:
    """Whether a delivery with ``checksum`` was loaded before with these bytes."""
    return bool(previous) and previous[0][0] == checksum and previous[0][1] != "failed"


def _load_delivery(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    checksum: str,
    reader: _LineReader | None = None,
    hold_back: HoldBack | None = None,
) -> FileResult:
    """Load one delivery whose file has ``checksum``; NDJSON lines come from ``reader``
    (which the caller releases afterwards)."""
    started = time.perf_counter()
    spec, rel = delivery.spec, delivery.relative_path
    size = delivery.path.stat().st_size
    previous = _manifest_entry(con, delivery)
    if _unchanged(previous, checksum):
        return FileResult(rel, "unchanged")
    loaded_at = datetime.now(UTC)
    manifest_row = [rel, spec.source, spec.entity, delivery.export_date, size, checksum]

    # Two empty deltas are alike by nature; only a file with records can be a re-send. A file
    # whose earlier delivery failed has no rows loaded, so it can be a re-send too.
    if spec.kind == "delta" and (not previous or previous[0][1] == "failed"):
        twin = con.execute(
            f"""select source_file from {RAW_SCHEMA}._load_manifest
                where source = ? and entity = ? and sha256 = ? and status = 'loaded'
                  and rows_loaded + rows_rejected > 0
                order by export_date limit 1""",
            [spec.source, spec.entity, checksum],
        ).fetchall()
        if twin:
            con.execute(f"delete from {RAW_SCHEMA}._load_manifest where source_file = ?", [rel])
            con.execute(
                f"insert into {RAW_SCHEMA}._load_manifest values "
                "(?, ?, ?, ?, ?, ?, 'duplicate', ?, 0, 0, null, ?, null)",
                [*manifest_row, twin[0][0], loaded_at],
            )
            return FileResult(rel, "duplicate", duplicate_of=twin[0][0])

    status = "replaced" if previous and previous[0][1] != "failed" else "loaded"
    in_transaction = False
    try:
        # NDJSON lines are read by another connection: waited for before the transaction
        # begins, which sees only what was committed before it
        lines = reader.take(delivery) if reader is not None else None
        con.execute("begin transaction")
        in_transaction = True
        _forget_file(con, spec, rel)
        if spec.format == "csv":
            result = _load_csv(con, delivery, loaded_at, hold_back)
        else:
            result = _load_json(con, delivery, loaded_at, lines, hold_back)
        _record_schema_changes(con, delivery, result, loaded_at)
        con.execute(
            f"insert into {RAW_SCHEMA}._load_manifest values "
            "(?, ?, ?, ?, ?, ?, 'loaded', null, ?, ?, null, ?, ?)",
            [
                *manifest_row,
                result.rows_loaded,
                result.rows_rejected,
                loaded_at,
                result.records_in_file,
            ],
        )
        con.execute("commit")
    except (duckdb.Error, UnreadableFile, UnicodeDecodeError, OSError) as err:
        if in_transaction:
            con.execute("rollback")
        _drop_scratch(con)
        message = _first_line(err)
        if previous:
            # The rows of the earlier delivery stay until a readable one replaces them.
            con.execute(
                f"""update {RAW_SCHEMA}._load_manifest set status = 'failed', error = ?,
                    loaded_at = ? where source_file = ?""",
                [message, loaded_at, rel],
            )
        else:
            con.execute(
                f"insert into {RAW_SCHEMA}._load_manifest values "
                "(?, ?, ?, ?, ?, ?, 'failed', null, 0, 0, ?, ?, null)",
                [*manifest_row, message, loaded_at],
            )
        return FileResult(rel, "failed", error=message, seconds=time.perf_counter() - started)
    _drop_scratch(con)
    result.status = status
    result.seconds = time.perf_counter() - started
    return result


_SCRATCH_TABLES = (
    "_lines",
    "_typed",
    "_rejected",
    "_batch",
    "_batch_numbers",
    "_batch_rejects",
    "_skipped",
    "_held",
    "_held_keys",
    "_reached",
    "_listed",
)


def _drop_scratch(con: duckdb.DuckDBPyConnection) -> None:
    """Free the memory of a file's working tables (a day of site events holds hundreds of MB)
    before the next file is read."""
    for table in _SCRATCH_TABLES:
        con.execute(f"drop table if exists temp.{table}")
    con.execute("drop view if exists temp._candidate")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


def _forget_file(con: duckdb.DuckDBPyConnection, spec: SourceFile, rel: str) -> None:
    """Remove what an earlier delivery of this path left, so that a new version replaces it."""
    con.execute(f"delete from {raw_table(spec)} where _source_file = ?", [rel])
    for table in ("_rejects", "_schema_changes", "_removed_rows", "_load_manifest"):
        con.execute(f"delete from {RAW_SCHEMA}.{table} where source_file = ?", [rel])
    # Re-sends recorded as copies of the old bytes are no longer copies of anything loaded:
    # forgetting them makes this run (later folders come later) load them in their own right.
    con.execute(f"delete from {RAW_SCHEMA}._load_manifest where duplicate_of = ?", [rel])


def remove_raw_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    condition: str,
    reason: str,
    at: datetime,
    parameters: Sequence[Any] = (),
    *,
    alias: str = "removed",
) -> int:
    """Delete the rows of raw table ``table`` that match ``condition`` (SQL over the table
    aliased ``alias``, with ``?`` for ``parameters``) and log them per file in
    ``raw._removed_rows`` with ``reason`` and the moment ``at``; returns the number deleted.
    Every removal from raw after a load goes through here: the load reconciliation counts the
    removed rows, and the incremental staging models look again only at the files the log
    names (``forget_rows_gone_from``). The log and the removal are two statements: callers
    run them in a transaction of theirs, with whatever else records the removal."""
    source = f"{RAW_SCHEMA}.{quote_ident(table)} as {alias}"
    con.execute(
        f"""insert into {RAW_SCHEMA}._removed_rows
        select {alias}._source_file, {alias}._export_date, 'raw.{table}', ?, count(*), ?
        from {source} where {condition}
        group by {alias}._source_file, {alias}._export_date""",
        [reason, at, *parameters],
    )
    return con.execute(f"delete from {source} where {condition}", list(parameters)).fetchall()[0][0]


def _add_columns(con: duckdb.DuckDBPyConnection, spec: SourceFile, columns: dict[str, str]):
    for name, column_type in columns.items():
        con.execute(
            f"alter table {raw_table(spec)} add column if not exists {quote_ident(name)} "
            f"{column_type}"
        )


def _record_schema_changes(
    con: duckdb.DuckDBPyConnection, delivery: Delivery, result: FileResult, at: datetime
) -> None:
    spec = delivery.spec
    changes = [(name, "added") for name in result.new_columns] + [
        (name, "missing") for name in result.missing_columns
    ]
    for name, change in changes:
        con.execute(
            f"insert into {RAW_SCHEMA}._schema_changes by name "
            "select ? as source, ? as entity, ? as source_file, ?::date as export_date, "
            "? as column_name, ? as change, ?::timestamptz as detected_at, "
            "? as original_name",
            [
                spec.source,
                spec.entity,
                delivery.relative_path,
                delivery.export_date,
                name,
                change,
                at,
                result.renamed.get(name),
            ],
        )


# --- CSV --------------------------------------------------------------------------------------


def read_csv_header(
    path: Path, delimiter: str, declared: Collection[str] = ()
) -> tuple[list[str], dict[str, str]]:
    """The column names of a CSV export's header, BOM removed: a declared name as it is, any
    other made safe and unique (:func:`safe_column_name`). Also returns ``safe -> as written``
    for the names that changed."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), None)
    if not header or not any(name.strip() for name in header):
        raise UnreadableFile("the file is empty: no header line")
    declared = set(declared)
    taken = declared | {c.name for c in LINEAGE_COLUMNS}
    names: list[str] = []
    renamed: dict[str, str] = {}
    for position, raw_name in enumerate(header, start=1):
        name = raw_name.strip()
        if name in declared and name not in names:
            names.append(name)
            continue
        safe = safe_column_name(name or f"column_{position}", taken | set(names))
        if safe != raw_name:
            renamed[safe] = raw_name
        names.append(safe)
    return names, renamed


def _load_csv(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    loaded_at: datetime,
    hold_back: HoldBack | None = None,
):
    spec = delivery.spec
    header, renamed = read_csv_header(delivery.path, spec.delimiter, spec.column_names)
    declared = {c.name: c for c in spec.columns}
    file_types = {name: declared[name].type if name in declared else "VARCHAR" for name in header}
    result = FileResult(
        delivery.relative_path,
        "loaded",
        new_columns=[n for n in header if n not in declared],
        missing_columns=[n for n in declared if n not in file_types],
        renamed=renamed,
    )
    _add_columns(con, spec, {n: "VARCHAR" for n in result.new_columns})

    options = {
        "header": "true",
        "delim": quote_literal(spec.delimiter),
        "quote": "'\"'",
        "escape": "'\"'",
        "auto_detect": "false",
        "strict_mode": "true",
        "store_rejects": "true",
        "rejects_table": "'_scan_errors'",
        "rejects_scan": "'_scan_info'",
        "max_line_size": str(_MAX_LINE_BYTES),
        "columns": "{"
        + ", ".join(f"{quote_literal(n)}: {quote_literal(t)}" for n, t in file_types.items())
        + "}",
    }
    for option, column_type in (("dateformat", "DATE"), ("timestampformat", "TIMESTAMP")):
        formats = {c.format for c in spec.columns if c.type == column_type and c.format}
        if formats:
            options[option] = quote_literal(formats.pop())
    rendered = ", ".join(f"{k}={v}" for k, v in options.items())
    _scan_csv(con, delivery.path, rendered)
    _number_rows(con, first_record=2)
    result.records_in_file = _account_for_records(
        con, delivery.path, spec.delimiter, header, rendered
    )
    columns = ", ".join(quote_ident(n) for n in header)
    return _insert_batch(con, delivery, result, columns, loaded_at, hold_back=hold_back)


def _scan_csv(con: duckdb.DuckDBPyConnection, path: Path, rendered: str) -> None:
    """DuckDB reads a CSV file (``read_csv`` with the options ``rendered``): its good rows into
    ``_batch``, in file order, and one row per rejected record into ``_batch_rejects``."""
    con.execute("drop table if exists _scan_errors")
    con.execute("drop table if exists _scan_info")
    con.execute(
        "create or replace temp table _batch as "
        "select *, row_number() over () as _ordinal "
        f"from read_csv({quote_literal(str(path))}, {rendered})"
    )
    con.execute(
        # DuckDB reports one error per column; a short row is one error, said once.
        """create or replace temp table _batch_rejects as
           with per_type as (
               select line, error_type::varchar as error_type,
                      string_agg(column_name, ', ' order by column_idx)
                          filter (where error_type = 'CAST') as column_name,
                      case when error_type = 'CAST'
                           then string_agg(error_message, '; ' order by column_idx)
                           else arg_min(error_message, coalesce(column_idx, 0)) end as reason,
                      any_value(csv_line) as raw_text
               from _scan_errors
               group by line, error_type
           )
           select line as row_number,
                  string_agg(error_type, ', ' order by error_type) as error_type,
                  string_agg(column_name, ', ' order by error_type) as column_name,
                  string_agg(reason, '; ' order by error_type) as reason,
                  any_value(raw_text) as raw_text
           from per_type
           group by line"""
    )


def _account_for_records(
    con: duckdb.DuckDBPyConnection, path: Path, delimiter: str, header: list[str], rendered: str
) -> int:
    """The records in a CSV file (header and blank lines not counted), after making sure that
    DuckDB's read (``_batch``, ``_batch_rejects``, ``_batch_numbers``) accounts for each.

    If rows plus rejects equal the file's lines, each record is one line and all is well.
    Otherwise the file is split into records in Python (:mod:`cdp.ingest.csv_records`); if a
    line's quote never closes, or a blank line shifts the numbers, the records are read again
    from a copy without those lines, so that only the unbalanced line is rejected, and every
    number is mapped back to the record's number in the file.
    """
    parsed = con.execute(
        "select (select count(*) from _batch) + (select count(*) from _batch_rejects)"
    ).fetchall()[0][0]
    if count_lines(path) - 1 == parsed:
        return parsed
    handle, name = tempfile.mkstemp(prefix="cdp-records-", suffix=".csv")
    os.close(handle)
    copy = Path(name)
    try:
        split = split_file(path, copy, delimiter, len(header), _MAX_LINE_BYTES)
        if split.regular:
            return split.records
        _scan_csv(con, copy, rendered)
    finally:
        copy.unlink(missing_ok=True)
    _number_rows(con, first_record=2)
    # The copy's record t is the file's record t + (records skipped before it).
    con.execute(
        """create or replace temp table _skipped as
           with skipped as (
               select number, row_number() over (order by number) as skipped_so_far
               from (select unnest(?::bigint[]) as number)
           )
           select number - skipped_so_far + 1 as from_copy_record,
                  max(skipped_so_far) as skipped_before
           from skipped group by all""",
        [split.skipped],
    )
    con.execute(
        """create or replace temp table _batch_numbers as
           select n._row_number + coalesce(s.skipped_before, 0) as _row_number, n._ordinal
           from _batch_numbers as n
           asof left join _skipped as s on n._row_number >= s.from_copy_record"""
    )
    con.execute(
        """create or replace temp table _batch_rejects as
           select r.* replace (r.row_number + coalesce(s.skipped_before, 0) as row_number)
           from _batch_rejects as r
           asof left join _skipped as s on r.row_number >= s.from_copy_record"""
    )
    unbalanced = [
        (
            number,
            column,
            f"unbalanced quote: the quote that opens field {opened_in}"
            + (f" ({column})" if column else "")
            + " never closes; this line was set aside alone and reading went on at the next line",
            as_text(text),
        )
        for number, opened_in, text in split.unbalanced
        for column in [header[opened_in - 1] if opened_in <= len(header) else None]
    ]
    con.execute(
        """insert into _batch_rejects (row_number, error_type, column_name, reason, raw_text)
           select unnest(?::bigint[]), 'UNBALANCED QUOTE', unnest(?::varchar[]),
                  unnest(?::varchar[]), unnest(?::varchar[])""",
        [list(column) for column in zip(*unbalanced, strict=True)] or [[], [], [], []],
    )
    return split.records


def _number_rows(con: duckdb.DuckDBPyConnection, first_record: int, rows: str = "_batch") -> None:
    """Give each row DuckDB read (of ``rows``, by ``_ordinal``) its record number in the file.

    DuckDB numbers the records it rejects; the rows it read, in file order, take the remaining
    numbers in turn. ``_batch_numbers`` maps ``_ordinal`` to that ``_row_number``.
    """
    con.execute(
        f"""create or replace temp table _batch_numbers as
            with counts as (
                select (select count(*) from {rows}) + (select count(*) from _batch_rejects) as n
            ),
            candidates as (
                select range as record
                from range({first_record}, {first_record} + (select n from counts))
                where range not in (select row_number from _batch_rejects)
            )
            select record as _row_number, row_number() over (order by record) as _ordinal
            from candidates"""
    )


def _insert_batch(
    con,
    delivery: Delivery,
    result: FileResult,
    columns: str,
    loaded_at,
    rows: str = "_batch",
    hold_back: HoldBack | None = None,
):
    """Insert the good rows (``rows``, with their ``_ordinal``) into the raw table with their
    lineage, and the rejects into ``raw._rejects``; with ``hold_back``, it first reads the
    rows in the raw table's columns (the temporary view ``_candidate``) and names those not
    to write (the temporary table ``_held``)."""
    spec = delivery.spec
    select = f"""select {columns},
                   {quote_literal(delivery.relative_path)}::varchar as _source_file,
                   {quote_literal(delivery.export_date.isoformat())}::date as _export_date,
                   n._row_number,
                   {quote_literal(loaded_at.isoformat())}::timestamptz as _loaded_at
            from {rows} as b
            inner join _batch_numbers as n on b._ordinal = n._ordinal"""
    result.rows_rejected = con.execute("select count(*) from _batch_rejects").fetchall()[0][0]
    if hold_back is None:
        result.rows_loaded = con.execute(
            f"insert into {raw_table(spec)} by name {select}"
        ).fetchall()[0][0]
    else:
        # A view, not a table: a large insert into a temporary table made in this transaction,
        # read back into the raw table, wrote no row at all (DuckDB 2.0, 680 k rows).
        con.execute(
            f"""create or replace temp view _candidate as
            select * from {raw_table(spec)} where false
            union all by name
            {select}"""
        )
        result.rows_loaded = con.execute("select count(*) from _candidate").fetchall()[0][0]
        result.rows_held_back = hold_back.hold_back(con, delivery, loaded_at)
        written = con.execute(
            f"""insert into {raw_table(spec)} by name
            select * from _candidate where _row_number not in (select _row_number from _held)"""
        ).fetchall()[0][0]
        held = con.execute("select count(*) from _held").fetchall()[0][0]
        if written + held != result.rows_loaded:  # never a row lost without a word
            raise duckdb.InternalException(
                f"{result.rows_loaded} rows read, {written} written and {held} held back"
            )
    con.execute(
        f"""insert into {RAW_SCHEMA}._rejects
            select ?, ?, ?, ?::date, row_number, error_type, column_name, reason, raw_text,
                   ?::timestamptz
            from _batch_rejects""",
        [spec.source, spec.entity, delivery.relative_path, delivery.export_date, loaded_at],
    )
    return result


# --- JSON -------------------------------------------------------------------------------------

# Each line is read once, with whether it is blank and whether it is a JSON object: only objects
# are parsed further. A line is blank when ltrim leaves nothing: trim() scans a long line far
# more slowly (a day of site events at a million persons: 2.6 s against 0.09 s). A valid JSON
# text that opens with a brace is an object: json_valid reads a line faster than json_type (the
# history of site events at a million persons: 2.4 s against 3.4 s).
_LINE_FLAGS = """coalesce(ltrim(raw_line), '') = '' as is_blank,
    coalesce(starts_with(ltrim(raw_line), '{') and json_valid(raw_line), false) as is_object"""

#: The in-memory database the NDJSON lines are read into, attached to the warehouse's
#: connection while a file type loads.
LINES_DATABASE = "_load_lines"


@dataclass(frozen=True)
class ReadLines:
    """An NDJSON file read into two tables of ``LINES_DATABASE``: ``lines`` (``raw_line``,
    ``_ordinal``, ``is_blank``, ``is_object``) and ``rejects``, the lines DuckDB could not
    read (in ``_batch_rejects``' columns); with the keys its objects use and their number
    (``_object_keys``)."""

    lines: str
    rejects: str
    keys: list[str]
    objects: int


def _object_keys(con: duckdb.DuckDBPyConnection, lines_table: str) -> tuple[list[str], int]:
    """The keys that the JSON objects among the lines of ``lines_table`` use, sorted, and the
    number of those objects."""
    keys = [
        row[0]
        for row in con.execute(
            f"""select distinct unnest(json_keys(raw_line)) as key
                from {lines_table} where is_object order by key"""
        ).fetchall()
    ]
    query = f"select count(*) from {lines_table} where is_object"
    return keys, con.execute(query).fetchall()[0][0]


def _read_lines(con: duckdb.DuckDBPyConnection, path: Path, number: int) -> ReadLines:
    """Read the NDJSON file ``path`` into the tables of ``ReadLines`` numbered ``number``, and
    the keys of its objects. Runs on a connection of its own (a cursor of the warehouse's):
    the rejected lines DuckDB notes go to that connection's temporary tables, then to the
    attached database."""
    lines, rejects = f"{LINES_DATABASE}.lines_{number}", f"{LINES_DATABASE}.rejects_{number}"
    con.execute("drop table if exists _scan_errors")
    con.execute("drop table if exists _scan_info")
    con.execute(
        f"""create or replace table {lines} as
            select raw_line, _ordinal, {_LINE_FLAGS}
            from (
                select raw_line, row_number() over () as _ordinal
                from read_csv({quote_literal(str(path))}, columns={{'raw_line': 'VARCHAR'}},
                    header=false, delim={quote_literal(_LINE_DELIMITER)}, quote='', escape='',
                    auto_detect=false, max_line_size={_MAX_LINE_BYTES}, store_rejects=true,
                    rejects_table='_scan_errors', rejects_scan='_scan_info')
            )"""
    )
    con.execute(
        f"""create or replace table {rejects} as
            select line as row_number, 'UNREADABLE LINE' as error_type,
                   null::varchar as column_name, string_agg(error_message, '; ') as reason,
                   any_value(csv_line) as raw_text
            from _scan_errors group by line"""
    )
    return ReadLines(lines, rejects, *_object_keys(con, lines))


class _LineReader:
    """Reads a file type's NDJSON exports one file ahead of the load. DuckDB reads a
    compressed file on one thread; while the loader types and inserts one file's records (on
    every thread), a second connection reads the next file's lines, so both processors work
    (30 days of site events at a million persons, 26.7 M lines: 114 s → 97 s).

    ``read_ahead`` starts reading a file; ``take`` waits for its lines (reading them then if
    nobody asked before); ``release`` drops them. At most one file is read ahead, so at most
    two files' lines are held. Each file is read by the same code either way."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        con.execute(f"attach if not exists ':memory:' as {LINES_DATABASE}")
        self._cursor = con.cursor()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdp-lines")
        self._reads: dict[Path, Future[ReadLines]] = {}
        self._numbers = 0

    def read_ahead(self, delivery: Delivery) -> None:
        if delivery.path not in self._reads:
            self._numbers += 1
            self._reads[delivery.path] = self._pool.submit(
                _read_lines, self._cursor, delivery.path, self._numbers
            )

    def take(self, delivery: Delivery) -> ReadLines:
        self.read_ahead(delivery)
        return self._reads[delivery.path].result()

    def release(self, delivery: Delivery) -> None:
        read = self._reads.pop(delivery.path, None)
        if read is None:
            return
        try:
            lines = read.result()
        except Exception:  # noqa: BLE001 - the read's failure was the file's, reported there
            return
        for table in (lines.lines, lines.rejects):
            self._con.execute(f"drop table if exists {table}")

    def close(self) -> None:
        for path in list(self._reads):
            self._reads[path].cancel()
        self._pool.shutdown(wait=True)
        self._cursor.close()
        self._reads.clear()
        self._con.execute(f"detach database if exists {LINES_DATABASE}")


def _load_json(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    loaded_at: datetime,
    lines: ReadLines | None = None,
    hold_back: HoldBack | None = None,
) -> FileResult:
    """Load a JSON file: NDJSON from the lines ``_LineReader`` read (``lines``), an array
    here."""
    spec = delivery.spec
    if spec.format == "ndjson":
        if lines is None:
            raise ValueError("an NDJSON file is loaded from the lines a _LineReader read")
        lines_table = lines.lines
        con.execute(f"create or replace temp table _batch_rejects as from {lines.rejects}")
    else:
        # One JSON array: a malformed file cannot be split into records, so it fails whole.
        _require_closed_array(delivery.path)
        lines_table = "_lines"
        con.execute(
            f"""create or replace temp table _lines as
                select raw_line, _ordinal, {_LINE_FLAGS}
                from (
                    select json::varchar as raw_line, row_number() over () as _ordinal
                    from read_json_objects({quote_literal(str(delivery.path))}, format='array')
                )"""
        )
        con.execute(
            "create or replace temp table _batch_rejects as "
            "select null::bigint as row_number, null::varchar as error_type, "
            "null::varchar as column_name, null::varchar as reason, null::varchar as raw_text "
            "where false"
        )
    _number_rows(con, first_record=1, rows=lines_table)
    declared = {c.name: c for c in spec.columns}
    keys, has_objects = (lines.keys, lines.objects) if lines else _object_keys(con, lines_table)
    # A key the contract does not declare becomes a column under a safe name.
    taken = set(declared) | {c.name for c in LINEAGE_COLUMNS}
    json_keys: dict[str, str] = {}  # column -> key as written
    for key in keys:
        if key not in declared:
            safe = safe_column_name(key, taken)
            taken.add(safe)
            json_keys[safe] = key
    result = FileResult(
        delivery.relative_path,
        "loaded",
        new_columns=list(json_keys),
        missing_columns=[n for n in declared if n not in keys] if has_objects else [],
        renamed={safe: key for safe, key in json_keys.items() if safe != key},
    )
    _add_columns(con, spec, {k: "JSON" for k in result.new_columns})

    # Parse each line once: one multi-path extraction for the text of every field, one for
    # the JSON-typed fields; the typed columns and the checks then read those lists.
    fields = (*spec.columns, *(Column(k, "JSON") for k in result.new_columns))
    text_fields = [c for c in fields if c.type != "JSON"]
    json_fields = [c for c in fields if c.type == "JSON"]

    def paths(columns: list[Column]) -> str:
        return (
            "["
            + ", ".join(
                quote_literal("$." + _json_path_key(json_keys.get(c.name, c.name))) for c in columns
            )
            + "]"
        )

    # The fields are extracted and typed in one pass over the objects; the line itself stays
    # in the lines table, for the rejects only.
    extracted = ["_ordinal"]
    if text_fields:
        extracted.append(f"json_extract_string(raw_line, {paths(text_fields)}) as _text")
    if json_fields:
        extracted.append(f"json_extract(raw_line, {paths(json_fields)}) as _json")
    select_list, checks = [], []
    for position, column in enumerate(json_fields, start=1):
        select_list.append(f"nullif(_json[{position}], 'null'::json) as {quote_ident(column.name)}")
    for position, column in enumerate(text_fields, start=1):
        text = f"_text[{position}]"
        typed = f"try_cast({text} as {column.type})"
        select_list.append(f"{typed} as {quote_ident(column.name)}")
        checks.append(
            f"case when {text} is not null and {typed} is null then "
            f"{quote_literal(column.name + ': ')} || {text} || "
            f"{quote_literal(' is not a ' + column.type)} end"
        )
    reason = f"concat_ws('; ', {', '.join(checks)})" if checks else "''"
    con.execute(
        f"""create or replace temp table _typed as
            select _ordinal, {", ".join(select_list)}, {reason} as _reason
            from (select {", ".join(extracted)} from {lines_table} where is_object)"""
    )
    # The rejected lines are found on the flags and reasons first; only their text is then
    # read from the lines (a join that read every line's text took 1.2 s a file of site events).
    con.execute(
        f"""create or replace temp table _rejected as
           select _ordinal, 'NOT A JSON OBJECT' as error_type,
                  'line is not a valid JSON object' as reason
           from {lines_table}
           where not is_blank and not is_object
           union all
           select _ordinal, 'CAST', _reason from _typed where _reason <> ''"""
    )
    con.execute(
        f"""insert into _batch_rejects
           select n._row_number, r.error_type, null, r.reason, l.raw_line
           from _rejected as r
           inner join _batch_numbers as n on r._ordinal = n._ordinal
           inner join {lines_table} as l on r._ordinal = l._ordinal"""
    )
    columns = ", ".join(quote_ident(c) for c in (*declared, *result.new_columns))
    result = _insert_batch(
        con,
        delivery,
        result,
        columns,
        loaded_at,
        rows="(select * from _typed where _reason = '')",
        hold_back=hold_back,
    )
    result.records_in_file = _json_records_in_file(con, lines_table)
    return result


def _json_path_key(key: str) -> str:
    """A JSON object key as one step of a JSON path, whatever characters it holds."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _require_closed_array(path: Path) -> None:
    """DuckDB reads the elements of a truncated array without complaint: refuse such a file."""
    with path.open("rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        handle.seek(max(0, path.stat().st_size - 64))
        tail = handle.read().rstrip(b" \t\r\n")
    if not head.startswith(b"[") or not tail.endswith(b"]"):
        raise UnreadableFile(
            "not a complete JSON array (it must start with '[' and end with ']'): "
            "the file looks truncated or is not the declared format"
        )


def _json_records_in_file(con: duckdb.DuckDBPyConnection, lines_table: str) -> int:
    """The records of the JSON file just read: the lines that are not blank (NDJSON) or the
    elements (an array), those DuckDB's line reader could not read included. Unlike a CSV
    file's, a line of NDJSON cannot run into the next, so DuckDB's own line count is sound."""
    return con.execute(
        f"""select (select count(*) from {lines_table} where not is_blank)
                  + (select count(*) from _batch_rejects where error_type = 'UNREADABLE LINE')"""
    ).fetchall()[0][0]


def load_landing_zone(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    specs: tuple[SourceFile, ...],
    log: Callable[[str], None] = print,
    hold_back: HoldBack | None = None,
) -> list[LoadReport]:
    """Load every file type in turn (what the Dagster assets do one by one)."""
    return [load_file_type(con, landing_dir, spec, log, hold_back=hold_back) for spec in specs]
