"""Small questions about the warehouse's catalog, and a way to write rows from Python, done
the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import duckdb


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """True when ``schema.name`` is a table or view of the connection's catalog."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )


def column_names(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> set[str]:
    """The columns of ``schema.name``."""
    return {
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[Sequence[object]],
    columns: Sequence[str] | None = None,
) -> int:
    """Insert ``rows`` into ``table`` (into ``columns`` when given, else in the table's column
    order) in one statement that unnests a list per column; returns the rows inserted.
    ``executemany`` runs one statement a row, about 1.3 ms each, so a few hundred results
    cost a second and a backlog of tens of thousands minutes."""
    if not rows:
        return 0
    values = [list(column) for column in zip(*rows, strict=True)]
    into = f" ({', '.join(columns)})" if columns else ""
    unnested = ", ".join("unnest(?)" for _ in values)
    con.execute(f"insert into {table}{into} select {unnested}", values)
    return len(rows)


def insert_records(con: duckdb.DuckDBPyConnection, table: str, records: Sequence[object]) -> int:
    """Insert dataclass instances ``records`` into ``table``, each field into the column of its
    name (``insert_rows``); returns the rows inserted."""
    if not records:
        return 0
    columns = [field.name for field in fields(records[0])]
    rows = [[getattr(record, column) for column in columns] for record in records]
    return insert_rows(con, table, rows, columns)
