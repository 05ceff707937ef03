"""A DuckDB build and a Spark build compared: their customers and their audience exports.

Tables are read through Arrow and each value is brought to one form (times in UTC without a
zone, decimals and floats rounded alike, arrays as tuples, structs as sorted items), then a
table of each build is compared as a multiset of rows: what one holds more often than the other
is reported, so an engine's difference shows as the rows it touches.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdp.activation.exports import AUDIENCES_FOLDER
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
        differences = (self.only_duckdb, self.only_spark)
        columns = (self.columns_only_duckdb, self.columns_only_spark)
        return not any(differences) and not any(columns)

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


# The marts compared customer by customer, and their columns that say when the build ran
# rather than what it found.
CUSTOMER_MARTS = (
    "marts.customer_profiles",
    "marts.customer_consent",
    "marts.segment_members",
)
SOURCE_RECORDS = "marts.customer_source_records"
# When the build first issued the customer's id: the time of the build, not of the data.
BUILD_TIME_COLUMNS = ("customer_since",)


@dataclass
class CustomerComparison:
    """Two builds' customers: the same when each engine groups the same source records into
    one customer, and each customer's rows agree once its id (chosen per build) is replaced by
    its records."""

    duckdb_customers: int
    spark_customers: int
    groups_only_duckdb: list[tuple] = field(default_factory=list)
    groups_only_spark: list[tuple] = field(default_factory=list)
    tables: list[Comparison] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        same_groups = not (self.groups_only_duckdb or self.groups_only_spark)
        return same_groups and all(table.equal for table in self.tables)

    def summary(self) -> str:
        only_duckdb, only_spark = len(self.groups_only_duckdb), len(self.groups_only_spark)
        verdict = "equal" if not (only_duckdb or only_spark) else "differ"
        lines = [
            f"customers: {self.duckdb_customers} on DuckDB, {self.spark_customers} on Spark; "
            f"groupings {verdict} ({only_duckdb} only on DuckDB, {only_spark} only on Spark)"
        ]
        lines += [f"  DuckDB groups: {group}" for group in self.groups_only_duckdb[:3]]
        lines += [f"  Spark groups:  {group}" for group in self.groups_only_spark[:3]]
        lines += [table.summary() for table in self.tables]
        return "\n".join(lines)


def _groups(table: Any) -> dict[str, tuple]:
    """customer_id → its (source, record_id) pairs, sorted."""
    groups: dict[str, list] = {}
    for row in table.select(["customer_id", "source", "record_id"]).to_pylist():
        groups.setdefault(row["customer_id"], []).append((row["source"], row["record_id"]))
    return {customer: tuple(sorted(records)) for customer, records in groups.items()}


def _by_records(table: Any, groups: dict[str, tuple]) -> Any:
    """``table`` with each customer_id replaced by the customer's records."""
    import pyarrow as pa

    keys = [repr(groups.get(customer)) for customer in table.column("customer_id").to_pylist()]
    index = table.column_names.index("customer_id")
    return table.set_column(index, "customer_id", pa.array(keys, pa.string()))


def compare_customers(
    warehouse: Path, spark: SparkSession, ignore: tuple[str, ...] = BUILD_TIME_COLUMNS
) -> CustomerComparison:
    """The customer marts of the DuckDB ``warehouse`` against those on ``spark``."""
    con = connect(str(warehouse), read_only=True)
    try:
        duck = {
            name: con.sql(f"select * from {name}").to_arrow_table()
            for name in (SOURCE_RECORDS, *CUSTOMER_MARTS)
        }
    finally:
        con.close()
    sparked = {name: spark.table(name).toArrow() for name in (SOURCE_RECORDS, *CUSTOMER_MARTS)}
    return compare_customer_tables(duck, sparked, ignore)


def compare_customer_tables(
    duck: dict[str, Any], sparked: dict[str, Any], ignore: tuple[str, ...] = ()
) -> CustomerComparison:
    """The customer marts of two builds as Arrow tables by name (source records first)."""
    duck_groups, spark_groups = _groups(duck[SOURCE_RECORDS]), _groups(sparked[SOURCE_RECORDS])
    left, right = Counter(duck_groups.values()), Counter(spark_groups.values())
    result = CustomerComparison(
        duckdb_customers=len(duck_groups),
        spark_customers=len(spark_groups),
        groups_only_duckdb=sorted((left - right).elements()),
        groups_only_spark=sorted((right - left).elements()),
    )
    for name in duck:
        result.tables.append(
            _compare_arrow(
                name,
                _by_records(duck[name], duck_groups),
                _by_records(sparked[name], spark_groups),
                ignore,
            )
        )
    return result


def _compare_arrow(name: str, duck: Any, sparked: Any, ignore: tuple[str, ...]) -> Comparison:
    duck_columns = [c for c in duck.column_names if c not in ignore]
    spark_columns = [c for c in sparked.column_names if c not in ignore]
    shared = [c for c in duck_columns if c in spark_columns]
    left, right = _rows(duck, shared), _rows(sparked, shared)
    return Comparison(
        table=name,
        duckdb_rows=duck.num_rows,
        spark_rows=sparked.num_rows,
        only_duckdb=sorted((left - right).elements(), key=repr),
        only_spark=sorted((right - left).elements(), key=repr),
        columns_only_duckdb=[c for c in duck_columns if c not in spark_columns],
        columns_only_spark=[c for c in spark_columns if c not in duck_columns],
    )


def compare_exports(duck_dir: Path, spark_dir: Path) -> list[str]:
    """What differs between two builds' audience exports (``<exports>/audiences``): for each
    manifest, its counts and columns, and its CSV rows without the customer id (issued per
    build). An empty list when they agree."""
    import csv
    import json

    differences: list[str] = []
    duck_manifests = sorted((duck_dir / AUDIENCES_FOLDER).glob("*.json"))
    spark_names = sorted(p.name for p in (spark_dir / AUDIENCES_FOLDER).glob("*.json"))
    if [p.name for p in duck_manifests] != spark_names:
        return [f"manifests {[p.name for p in duck_manifests]} against {spark_names}"]
    kept = ("segment", "channel", "columns", "members_in_segment", "rows_exported")
    kept += ("excluded_without_consent", "excluded_without_contact", "required_purposes")
    for manifest in duck_manifests:
        left = json.loads(manifest.read_text(encoding="utf-8"))
        right = json.loads(
            (spark_dir / AUDIENCES_FOLDER / manifest.name).read_text(encoding="utf-8")
        )
        for key in kept:
            if left.get(key) != right.get(key):
                differences.append(f"{manifest.stem}: {key} {left.get(key)} != {right.get(key)}")
        rows = []
        for folder in (duck_dir, spark_dir):
            with (folder / AUDIENCES_FOLDER / f"{manifest.stem}.csv").open(
                encoding="utf-8"
            ) as file:
                rows.append(Counter(tuple(r[1:]) for r in list(csv.reader(file))[1:]))
        if rows[0] != rows[1]:
            differences.append(
                f"{manifest.stem}: {sum((rows[0] - rows[1]).values())} rows only on DuckDB, "
                f"{sum((rows[1] - rows[0]).values())} only on Spark"
            )
    return differences


# What a check's outcome is, in the results both builds record (``audit.quality_results``).
QUALITY_OUTCOME = ("success", "evaluation_error", "element_count", "unexpected_count")


def compare_quality(duck_loads: Path, spark_loads: Path) -> list[str]:
    """What differs between the quality results the two builds recorded in their loads' DuckDB
    files (each build's newest run): per suite and check, whether it passed, why it could not
    be evaluated, and the rows it read and found unexpected. An empty list when they agree."""
    outcomes = []
    for path in (duck_loads, spark_loads):
        with connect(str(path), read_only=True) as con:
            rows = con.execute(
                f"""
                select suite, description, severity, {", ".join(QUALITY_OUTCOME)}
                from audit.quality_results
                where run_id = (
                    select max_by(run_id, checked_at) from audit.quality_results
                )
                """
            ).fetchall()
        outcomes.append({tuple(row[:3]): row[3:] for row in rows})
    duck, sparked = outcomes
    if not duck:
        return ["no quality results recorded by the DuckDB build"]
    differences = [f"{key}: only on DuckDB" for key in duck.keys() - sparked.keys()]
    differences += [f"{key}: only on Spark" for key in sparked.keys() - duck.keys()]
    for key in sorted(duck.keys() & sparked.keys()):
        if duck[key] != sparked[key]:
            shown = ", ".join(
                f"{name} {left!r} != {right!r}"
                for name, left, right in zip(QUALITY_OUTCOME, duck[key], sparked[key], strict=True)
                if left != right
            )
            differences.append(f"{key[0]}: {key[1]!r} ({key[2]}): {shown}")
    return sorted(differences)
