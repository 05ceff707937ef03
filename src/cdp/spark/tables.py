"""Spark tables read into an embedded DuckDB through Arrow, so that code written for the DuckDB
warehouse (the audience exports, the quality site's key numbers) runs unchanged on what Spark
built: one implementation of each rule for both engines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def copy_into_duckdb(
    spark: SparkSession, con: duckdb.DuckDBPyConnection, tables: Iterable[str]
) -> list[str]:
    """Copy each ``schema.table`` of Spark's catalog into the same name of ``con``; returns
    those copied. A table Spark does not have is left out: the code that reads it says what
    is missing, as it does on DuckDB."""
    copied = []
    for name in tables:
        if not spark.catalog.tableExists(name):
            continue
        schema, _ = name.split(".", 1)
        con.execute(f"create schema if not exists {schema}")
        con.register("_spark_table", spark.table(name).toArrow())
        try:
            con.execute(f"create or replace table {name} as select * from _spark_table")
        finally:
            con.unregister("_spark_table")
        copied.append(name)
    return copied
