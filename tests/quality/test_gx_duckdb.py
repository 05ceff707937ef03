"""The Great Expectations adapters for DuckDB: a custom-SQL check runs its query once."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from cdp.duckdb_budget import connect
from cdp.quality.checks import Suite, no_rows_from
from cdp.quality.validate import Validator

MARKER = "gx_adapter_marker"


def _suite(limit: int) -> Suite:
    query = f"select id as {MARKER} from {{batch}} where id <= {limit}"
    return Suite(
        "marts",
        "test",
        "main",
        "numbers",
        ("numbers",),
        (no_rows_from(query, "validity", f"ids up to {limit}"),),
    )


def test_a_custom_sql_check_counts_every_row_in_one_run_of_its_query(tmp_path: Path):
    warehouse = tmp_path / "numbers.duckdb"
    con = connect(warehouse)
    con.execute("create table numbers as select range as id from range(1, 1001)")
    con.close()
    runs: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if MARKER in statement:
            runs.append(statement)

    validator = Validator(warehouse, tmp_path / "quality", tmp_path / "docs")
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", seen)
    try:
        # more unexpected rows than GX keeps (200): the count is still every one of them
        many = validator.run(_suite(700))
        after_many = len(runs)
        none = validator.run(_suite(0))
    finally:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", seen)
        validator.close()
    (result,) = many.results
    assert not result.success and result.evaluation_error is None
    assert result.unexpected_count == 700
    assert after_many == 1  # the rows and their count from one run
    (clean,) = none.results
    assert clean.success and clean.unexpected_count == 0
    assert len(runs) == 2
