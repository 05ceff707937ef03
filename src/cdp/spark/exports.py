"""The audience exports from Spark's marts, by the same code as on DuckDB (``cdp.activation``).

The three marts an export reads (segment members, consent, profiles) are read from Spark's
tables through Arrow into an embedded DuckDB (``cdp.spark.tables``), where the platform's
export code applies consent and writes the files: one implementation of the consent rule for
both engines.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cdp.activation.exports import MARTS_TABLES, ExportResult, export_declared_audiences
from cdp.duckdb_budget import connect
from cdp.spark.tables import copy_into_duckdb

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def export_from_spark(
    spark: SparkSession, exports_dir: Path, built_at: datetime | None = None, log=print
) -> list[ExportResult]:
    """Every declared audience exported from Spark's marts into ``exports_dir``."""
    con = connect(":memory:")
    try:
        copy_into_duckdb(spark, con, (f"marts.{table}" for table in MARTS_TABLES))
        return export_declared_audiences(con, exports_dir, built_at=built_at, log=log)
    finally:
        con.close()
