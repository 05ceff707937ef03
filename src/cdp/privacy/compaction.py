"""Copies of the warehouse file: compaction, and the file analysts without PII access receive.

Compaction: a copy of the warehouse without the space freed by deletes and rebuilds.

DuckDB reuses the blocks that deletes and dropped tables free, but does not overwrite them
at once: until reused, the bytes of an erased person's rows can stay in the file (and a
deleted row's values stay in a row group that still holds live rows until DuckDB rewrites
it). The run that receives an erasure request removes the person from every table; the
compaction then copies the warehouse into a new file (``COPY FROM DATABASE``: schemas,
tables, views, constraints) that holds only live data, and the new file replaces the old one.

The copy costs as much as the rest of a night's run at a million customers, so it runs when
it is due rather than after every erasure: ``CDP_COMPACTION_DAYS`` (default 7) is the longest
time, in days, that freed bytes of erased people may stay in the file. A run rewrites the file
when the oldest erasure not yet compacted was logged that many calendar days before, less
one, so that a nightly schedule never exceeds it; ``CDP_COMPACTION_DAYS=1`` rewrites the file
in the run that erased. Each compaction is recorded in ``privacy.compactions``; erasures
logged after the last one's start are pending (``pending_compaction``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from cdp.duckdb_budget import connect
from cdp.privacy.erasure import SCHEMA, ensure_schema


@dataclass(frozen=True)
class Compaction:
    bytes_before: int
    bytes_after: int


@dataclass(frozen=True)
class Pending:
    """Erasure-log entries of data removed after it was written (layer ``load`` excluded: rows
    held back at their load were never written) since the last compaction began."""

    entries: int
    oldest: datetime | None

    def due_by(self, within_days: int) -> date | None:
        """The last date on which the file may still hold the oldest entry's freed bytes."""
        if self.oldest is None:
            return None
        return self.oldest.astimezone(UTC).date() + timedelta(days=within_days)

    def is_due(self, within_days: int, now: datetime | None = None) -> bool:
        """Whether this run must rewrite the file: the next nightly run would be too late."""
        if not self.entries or self.oldest is None:
            return False
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        return (today - self.oldest.astimezone(UTC).date()).days >= within_days - 1

    def describe(self, within_days: int) -> str:
        if not self.entries:
            return "no erasure since the last compaction"
        return (
            f"{self.entries:,} erasure-log entries since the last compaction, the oldest "
            f"logged {self.oldest:%Y-%m-%d %H:%M} UTC; their freed bytes leave the file by "
            f"{self.due_by(within_days)} (CDP_COMPACTION_DAYS={within_days})"
        )


def pending_compaction(con: duckdb.DuckDBPyConnection) -> Pending:
    """What the next compaction will remove the freed bytes of (see :class:`Pending`)."""
    ensure_schema(con)
    entries, oldest = con.execute(
        f"""select count(*), min(logged_at)
        from {SCHEMA}.erasure_log
        where layer <> 'load'
          and logged_at >= coalesce(
              (select max(started_at) from {SCHEMA}.compactions), '-infinity'::timestamptz)"""
    ).fetchall()[0]
    return Pending(entries, oldest)


def compact(path: Path, run_id: str | None = None) -> Compaction:
    """Rewrite the warehouse at ``path`` with live data only, and record it in
    ``privacy.compactions`` of the new file. No other process may hold the file; a compaction
    that fails leaves the old file, still pending, in place."""
    path = Path(path)
    staging = path.with_name(f"{path.stem}.compacting{path.suffix}")
    for leftover in (staging, Path(f"{staging}.wal")):
        leftover.unlink(missing_ok=True)
    started = datetime.now(UTC)
    con = connect(str(path))
    try:
        pending = pending_compaction(con)
        con.execute("checkpoint")
        before = path.stat().st_size
        database = con.execute("select current_database()").fetchall()[0][0]
        con.execute(f"attach '{staging}' as cdp_compacting")
        con.execute(f'copy from database "{database}" to cdp_compacting')
        con.execute("detach cdp_compacting")
    finally:
        con.close()
    after = staging.stat().st_size
    # Recorded in the new file only: a copy that fails leaves the erasures pending.
    with connect(str(staging)) as copy:
        copy.execute(
            f"insert into {SCHEMA}.compactions values (?, ?, ?, ?, ?, ?)",
            [run_id, started, datetime.now(UTC), pending.entries, before, after],
        )
    os.replace(staging, path)
    Path(f"{path}.wal").unlink(missing_ok=True)
    return Compaction(before, path.stat().st_size)


def compact_if_due(
    path: Path, within_days: int, run_id: str | None = None
) -> tuple[Pending, Compaction | None]:
    """The rule of every run (the pipeline's last asset, the benchmark, the Spark build): what
    is pending, and the compaction of the warehouse at ``path`` when it is due under
    ``within_days`` (``CDP_COMPACTION_DAYS``), else None."""
    with connect(str(path)) as con:
        pending = pending_compaction(con)
    if not pending.is_due(within_days):
        return pending, None
    return pending, compact(path, run_id=run_id)


# What an analyst without access to personal data receives: the pseudonymized schema and the
# marts that hold no customer at all.
SHAREABLE = (
    ("pseudonymized", None),
    ("marts", "activity_daily_totals"),
    ("marts", "campaign_performance"),
)


def copy_shareable(warehouse: Path, out: Path) -> dict[str, int]:
    """Write the tables of ``SHAREABLE`` into a DuckDB file of their own at ``out`` (replaced),
    which can be handed to analysts without PII access: DuckDB grants access per file."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    copied: dict[str, int] = {}
    con = connect()
    try:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        con.execute(f"attach '{out}' as shareable")
        for schema, name in SHAREABLE:
            tables = con.execute(
                "select table_name from information_schema.tables where table_schema = ? "
                "and table_catalog = 'warehouse'" + (" and table_name = ?" if name else ""),
                [schema, name] if name else [schema],
            ).fetchall()
            con.execute(f'create schema if not exists shareable."{schema}"')
            for (table,) in tables:
                con.execute(
                    f'create table shareable."{schema}"."{table}" as '
                    f'select * from warehouse."{schema}"."{table}"'
                )
                copied[f"{schema}.{table}"] = con.execute(
                    f'select count(*) from shareable."{schema}"."{table}"'
                ).fetchall()[0][0]
        con.execute("detach shareable")
    finally:
        con.close()
    return copied
