"""Writing rows from Python into the warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from cdp.warehouse import insert_records, insert_rows


def test_rows_go_in_whole_with_their_nulls_and_types_in_the_columns_named():
    con = duckdb.connect()
    con.execute(
        "create table results (run_id varchar, checked_at timestamptz, failures bigint, "
        "share double, passed boolean, note varchar default 'none')"
    )
    at = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    rows = [
        ("r1", at, 3, 0.5, True),
        ("r1", at, None, 1, False),  # an int where the column holds doubles
        ("r2", None, 0, None, None),
    ]
    columns = ["run_id", "checked_at", "failures", "share", "passed"]
    assert insert_rows(con, "results", rows, columns) == 3
    assert con.execute("select * from results order by run_id, failures nulls last").fetchall() == [
        ("r1", at, 3, 0.5, True, "none"),
        ("r1", at, None, 1.0, False, "none"),
        ("r2", None, 0, None, None, "none"),
    ]
    # a column that is null in every row, and the table's own column order
    assert insert_rows(con, "results", [("r3", None, None, None, None, None)]) == 1
    assert con.execute("select count(*) from results where run_id = 'r3'").fetchall() == [(1,)]
    assert insert_rows(con, "results", []) == 0
    assert con.execute("select count(*) from results").fetchall() == [(4,)]


@dataclass
class Result:
    passed: bool
    run_id: str
    failures: int | None


def test_records_go_in_by_field_name_whatever_the_table_order():
    con = duckdb.connect()
    con.execute("create table results (run_id varchar, failures bigint, passed boolean)")
    records = [Result(True, "r1", 0), Result(False, "r1", None)]
    assert insert_records(con, "results", records) == 2
    assert con.execute("select * from results order by passed").fetchall() == [
        ("r1", None, False),
        ("r1", 0, True),
    ]
    assert insert_records(con, "results", []) == 0
