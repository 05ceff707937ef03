"""Copies of the warehouse file: compaction, and the file analysts without PII access receive.

Compaction: a copy of the warehouse without the space freed by deletes and rebuilds.

DuckDB reuses the blocks that deletes and dropped tables free, but does not overwrite them
at once: until reused, the bytes of an erased person's rows can stay in the file. After a run
that erased someone, the warehouse is copied into a new file (``COPY FROM DATABASE``: schemas,
tables, views, constraints) that holds only live data, and the new file replaces the old one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cdp.duckdb_budget import connect


@dataclass(frozen=True)
class Compaction:
    bytes_before: int
    bytes_after: int


def compact(path: Path) -> Compaction:
    """Rewrite the warehouse at ``path`` with live data only. No other process may hold it."""
    path = Path(path)
    staging = path.with_name(f"{path.stem}.compacting{path.suffix}")
    for leftover in (staging, Path(f"{staging}.wal")):
        leftover.unlink(missing_ok=True)
    con = connect(str(path))
    try:
        con.execute("checkpoint")
        before = path.stat().st_size
        database = con.execute("select current_database()").fetchall()[0][0]
        con.execute(f"attach '{staging}' as cdp_compacting")
        con.execute(f'copy from database "{database}" to cdp_compacting')
        con.execute("detach cdp_compacting")
    finally:
        con.close()
    os.replace(staging, path)
    Path(f"{path}.wal").unlink(missing_ok=True)
    return Compaction(before, path.stat().st_size)


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
