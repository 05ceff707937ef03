"""One table of the DuckDB warehouse against the same table on Spark, row for row.

Both are read through Arrow and each value is brought to one form (times in UTC without a
zone, decimals and floats rounded alike, arrays as tuples, structs as sorted items), then the
two tables are compared as multisets of rows: what one holds more often than the other is
reported, so an engine's difference shows as the rows it touches.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdp.duckdb_budget import connect

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def normalize(value: Any) -> Any:
    """One comparable form of a value read from either engine."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, float | decimal.Decimal):
        return round(float(value), 6)
    if isinstance(value, list | tuple):
        return tuple(normalize(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, normalize(item)) for key, item in value.items()))
    return value


@dataclass
class Comparison:
    table: str
    duckdb_rows: int
    spark_rows: int
    only_duckdb: list[tuple] = field(default_factory=list)
    only_spark: list[tuple] = field(default_factory=list)
    columns_only_duckdb: list[str] = field(default_factory=list)
    columns_only_spark: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (
            self.only_duckdb or self.only_spark or self.columns_only_duckdb or self.columns_only_spark
        )

    def summary(self, examples: int = 3) -> str:
        if self.equal:
            return f"{self.table}: equal ({self.duckdb_rows} rows)"
        lines = [
            f"{self.table}: {self.duckdb_rows} rows on DuckDB, {self.spark_rows} on Spark; "
            f"{len(self.only_duckdb)} only on DuckDB, {len(self.only_spark)} only on Spark"
        ]
        if self.columns_only_duckdb or self.columns_only_spark:
            lines.append(
                f"  columns only on DuckDB {self.columns_only_duckdb}, "
                f"only on Spark {self.columns_only_spark}"
            )
        lines += [f"  DuckDB: {row}" for row in self.only_duckdb[:examples]]
        lines += [f"  Spark:  {row}" for row in self.only_spark[:examples]]
        return "\n".join(lines)


def _rows(table: Any, columns: list[str]) -> Counter:
    data = table.select(columns).to_pylist()
    return Counter(tuple(normalize(row[c]) for c in columns) for row in data)


def compare(
    warehouse: Path,
    spark: SparkSession,
    relation: str,
    ignore: tuple[str, ...] = (),
) -> Comparison:
    """``relation`` (``schema.table``) in the DuckDB ``warehouse`` against Spark's."""
    con = connect(str(warehouse), read_only=True)
    try:
        duck = con.execute(f"select * from {relation}").to_arrow_table()
    finally:
        con.close()
    sparked = spark.table(relation).toArrow()
    duck_columns = [c for c in duck.column_names if c not in ignore]
    spark_columns = [c for c in sparked.column_names if c not in ignore]
    shared = [c for c in duck_columns if c in spark_columns]
    left, right = _rows(duck, shared), _rows(sparked, shared)
    return Comparison(
        table=relation,
        duckdb_rows=duck.num_rows,
        spark_rows=sparked.num_rows,
        only_duckdb=sorted((left - right).elements(), key=repr),
        only_spark=sorted((right - left).elements(), key=repr),
        columns_only_duckdb=[c for c in duck_columns if c not in spark_columns],
        columns_only_spark=[c for c in spark_columns if c not in duck_columns],
    )
