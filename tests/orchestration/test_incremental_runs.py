"""A day's delivery processed on top of the warehouse gives what a full rebuild gives.

The session's next day (tests/next_day.py) takes the first build one more export day; another
warehouse is built from scratch from every day at once. The new day holds late events, a
browser that ties two existing profiles together (a merge), a new version of a CRM contact
whose only tie to its profile was its email (a split), and an erasure request for a third
profile (beside the erasure tests' request and re-delivered exports). Every mart must then
hold the same rows in both warehouses, table by table. Customer ids differ between the two by
design (the incremental warehouse keeps the ids it issued: the survivor of a merge is the
older id) and so do the times they were first issued (`customer_since`): each customer is
compared by its source records."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from cdp.duckdb_budget import connect
from tests.conftest import (
    pipeline_resources,
    progress,
    query,
    run_daily_pipeline,
)

pytestmark = pytest.mark.e2e

# The key a customer is compared by in both warehouses: its smallest source record.
CANONICAL = """
    create temp table canonical_{db} as
    select customer_id, min(source || ':' || record_id) as canonical_id
    from {db}.marts.customer_source_records
    group by customer_id
"""
# Columns about the id rather than the customer: when this warehouse first issued it.
ID_HISTORY = {"customer_since"}


def _days(landing: Path) -> list[str]:
    return sorted({p.parent.name for p in landing.glob("*/*/_SUCCESS")})


def _kept_fuzzy_model(warehouse: Path, path: Path) -> Path:
    """The row of int_identity__fuzzy_model, as the JSON file ``CDP_FUZZY_MODEL`` reads."""
    con = connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute("select * from intermediate.int_identity__fuzzy_model")
        (row,) = cursor.fetchall()
        names = [column[0] for column in cursor.description]
    finally:
        con.close()
    kept = dict(zip(names, row, strict=True))
    kept["settings"] = json.loads(kept["settings"])
    path.write_text(json.dumps(kept), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def builds(next_day, tmp_path_factory) -> dict:
    """The incremental warehouse (the session's first build of the sample, then the next
    day: tests/next_day.py) and the full rebuild of every day at once."""
    tmp = tmp_path_factory.mktemp("incremental_runs")
    warehouses = {"incremental": next_day.warehouse, "full": tmp / "full.duckdb"}
    seen: dict = {"chosen": next_day.chosen}
    with pytest.MonkeyPatch.context() as mp:
        # the full build scores with the matching model the daily runs kept (it trains its
        # own when the records change by a tenth, as a new warehouse does on its first run)
        seen["fuzzy_model"] = _kept_fuzzy_model(warehouses["incremental"], tmp / "fuzzy_model.json")
        mp.setenv("CDP_FUZZY_MODEL", str(seen["fuzzy_model"]))
        progress("incremental: every day at once in a new warehouse")
        full = tmp / "full"
        (full / "dagster").mkdir(parents=True)
        # Dagster's events in memory: no test reads them, and its on-disk log costs about 11 s
        # a run here (a SQLite connection and commit per event)
        with dg.DagsterInstance.ephemeral() as instance:
            resources = pipeline_resources(full, warehouses["full"], next_day.landing)
            run_daily_pipeline(instance, resources, _days(next_day.landing))
    seen["warehouses"] = warehouses
    return seen


def test_the_new_day_merges_splits_and_erases(builds):
    """The day does what it was made for in the incremental warehouse."""
    chosen, warehouse = builds["chosen"], builds["warehouses"]["incremental"]
    changes = query(
        warehouse,
        "select change_reason, previous_customer_id, customer_id "
        "from intermediate.int_identity__customer_id_changes",
    )
    # the older id lives on, holding both profiles' records
    assert ("merged", chosen["retiring"], chosen["survivor"]) in changes
    assert query(
        warehouse,
        "select customer_id from marts.customer_source_records "
        "where customer_id in (?, ?) group by all",
        [chosen["survivor"], chosen["retiring"]],
    ) == [(chosen["survivor"],)]
    # the contact keeps its profile's id; the record it no longer shares an email with leaves
    assert [c for c in changes if c[0] == "split" and c[1] == chosen["split_customer"]]
    assert query(
        warehouse,
        "select count(*) from marts.customer_source_records where customer_id = ?",
        [chosen["erased"][0]],
    ) == [(0,)]
    late = query(
        warehouse,
        "select count(*) from staging.stg_web__events "
        "where event_id = '0f0f0f0f-0000-4000-8000-00000000000c' and is_late_arrival",
    )[0][0]
    assert late == 1


def test_the_daily_runs_keep_one_matching_model(builds):
    """The new day is scored with the model the first run trained (or one trained again
    because the records changed by a tenth); the full build read that same model."""
    from cdp.identity.fuzzy import model_fingerprint

    sql = "select fingerprint, trained_because from intermediate.int_identity__fuzzy_model"
    incremental = query(builds["warehouses"]["incremental"], sql)
    assert [fingerprint for fingerprint, _ in incremental] == [model_fingerprint()]
    assert incremental[0][1] in ("no model kept", "the named records changed by more than 10%")
    (full,) = query(builds["warehouses"]["full"], sql)
    assert full == (model_fingerprint(), f"read from {builds['fuzzy_model']}")


def test_every_mart_equals_a_full_rebuild(builds):
    incremental, full = builds["warehouses"]["incremental"], builds["warehouses"]["full"]
    con = connect(":memory:")
    try:
        con.execute(f"attach '{incremental}' as incremental (read_only)")
        con.execute(f"attach '{full}' as full_build (read_only)")
        marts = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'incremental' and table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        assert len(marts) >= 8
        differences = {}
        for db in ("incremental", "full_build"):
            con.execute(CANONICAL.format(db=db))
        for table in marts:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns where table_catalog = "
                    "'incremental' and table_schema = 'marts' and table_name = ? "
                    "order by ordinal_position",
                    [table],
                ).fetchall()
            ]

            def rows(db: str, columns=columns, table=table) -> str:
                if "customer_id" not in columns:
                    return f"select * from {db}.marts.{table}"
                history = ", ".join(sorted(ID_HISTORY & set(columns)))
                return (
                    f"select t.* {f'exclude ({history})' if history else ''}"
                    f" replace (c.canonical_id as customer_id) "
                    f"from {db}.marts.{table} as t "
                    f"left join canonical_{db} as c on t.customer_id = c.customer_id"
                )

            count, differ = con.execute(
                f"""
                select (select count(*) from incremental.marts.{table}), count(*) from (
                    ({rows("incremental")} except all {rows("full_build")})
                    union all
                    ({rows("full_build")} except all {rows("incremental")})
                )
                """
            ).fetchall()[0]
            if differ:
                differences[table] = (count, differ)
        assert differences == {}
    finally:
        con.close()


def test_the_standardization_counts_equal_a_full_rebuild(builds):
    """The report counts only the files whose staged rows changed: after the day (new files,
    newer versions replacing staged rows of older files, an erasure) its counts are a full
    rebuild's, file by file (the checksums apart: they read the rows' load times, which differ
    between the two warehouses)."""
    incremental, full = builds["warehouses"]["incremental"], builds["warehouses"]["full"]
    con = connect(":memory:")
    try:
        con.execute(f"attach '{incremental}' as incremental (read_only)")
        con.execute(f"attach '{full}' as full_build (read_only)")
        for table, columns in (
            ("standardization_report", "*"),
            ("standardization_counts_by_file", "* exclude (staged_checksum)"),
        ):
            count, differ = con.execute(
                f"""
                select (select count(*) from incremental.audit.{table}), count(*) from (
                    (select {columns} from incremental.audit.{table}
                     except all select {columns} from full_build.audit.{table})
                    union all
                    (select {columns} from full_build.audit.{table}
                     except all select {columns} from incremental.audit.{table})
                )
                """
            ).fetchall()[0]
            assert count > 0
            assert differ == 0, table
    finally:
        con.close()
