"""The raw loads as Spark tables: every table of the loads' ``raw`` schema (the records with
their lineage columns, the load manifest, the rejects with their reasons) published to Spark's
catalog as a Parquet table of the same name and columns.

One loader for both engines: the loads (``cdp.ingest``) read the landing zone, keep what is
complete and new, and set bad rows aside with DuckDB (embedded, beside the step); on the Spark
engine that load file is the loads' working store, published here before Spark reads raw. A
table is replaced whole (Parquet has no row-level replace), and only when it changed: each
Spark table carries the fingerprint of the rows it was written from (their count and a hash of
every row, ``cdp.fingerprint``), so publishing again with nothing new writes nothing.

DuckDB types Parquet or Spark do not share are written as the nearest that both read: UUID and
JSON as text, HUGEINT as DECIMAL(38, 0), unsigned integers one size up.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from cdp.duckdb_budget import connect
from cdp.ingest.loader import quote_ident
from cdp.spark.session import warehouse_dir

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SCHEMA = "raw"

_CASTS = {
    "UUID": "varchar",
    "JSON": "varchar",
    "HUGEINT": "decimal(38, 0)",
    "UHUGEINT": "decimal(38, 0)",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "decimal(20, 0)",
    # Spark reads Parquet's local timestamps as TIMESTAMP_NTZ; the platform's times are UTC
    "TIMESTAMP": "timestamptz",
}


def _select(con, schema: str, table: str) -> str:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    parts = []
    for name, data_type in columns:
        quoted = quote_ident(name)
        cast = _CASTS.get(data_type.upper())
        parts.append(f"cast({quoted} as {cast}) as {quoted}" if cast else quoted)
    return f"select {', '.join(parts)} from {quote_ident(schema)}.{quote_ident(table)}"


# The Spark table property that holds the fingerprint of the rows a table was written from.
FINGERPRINT = "cdp.fingerprint"


def fingerprint(con, schema: str, table: str) -> str:
    """The rows of a DuckDB table in a few bytes: their count and the sum of their hashes
    (order does not matter; any changed, added or removed row changes it)."""
    relation = f"{quote_ident(schema)}.{quote_ident(table)}"
    count, hashes = con.execute(
        f"select count(*), coalesce(sum(hash(rows)::hugeint), 0) from {relation} as rows"
    ).fetchall()[0]
    return f"{count}:{hashes}"


def _published(session: SparkSession, table: str) -> str | None:
    """The fingerprint Spark's copy of ``raw.<table>`` was written from, if it has one."""
    name = f"{SCHEMA}.{table}"
    if not session.catalog.tableExists(name):
        return None
    for row in session.sql(f"show tblproperties {name}").collect():
        if row.key == FINGERPRINT:
            return row.value
    return None


def publish(loads: Path, session: SparkSession) -> dict[str, int]:
    """Publish every table of the loads' raw schema that changed since Spark's copy was
    written; returns the rows of each table written (as DuckDB wrote them to Parquet)."""
    staging = warehouse_dir() / "raw_parquet"
    con = connect(str(loads), read_only=True)
    try:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? and table_type = 'BASE TABLE' order by 1",
                [SCHEMA],
            ).fetchall()
        ]
        if not session.catalog.databaseExists(SCHEMA):  # asked again, the catalog logs an error
            session.sql(f"create schema {SCHEMA}")
        changed = {}
        for table in tables:
            current = fingerprint(con, SCHEMA, table)
            if current != _published(session, table):
                changed[table] = current
        counts: dict[str, int] = {}
        for table in changed:
            folder = staging / table
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            copied = con.execute(
                f"copy ({_select(con, SCHEMA, table)}) to '{folder / 'part-0.parquet'}' "
                "(format parquet)"
            ).fetchall()
            counts[table] = copied[0][0]
    finally:
        con.close()
    for table, current in changed.items():
        frame = session.read.parquet(str(staging / table))
        frame.write.mode("overwrite").format("parquet").saveAsTable(f"{SCHEMA}.{table}")
        session.sql(
            f"alter table {SCHEMA}.{table} set tblproperties ('{FINGERPRINT}' = '{current}')"
        )
    shutil.rmtree(staging, ignore_errors=True)
    return counts
