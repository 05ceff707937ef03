"""Small questions about the warehouse's catalog, asked the same way everywhere."""

from __future__ import annotations

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
