"""Incremental staging: a day's delivery processed as a day gives what a full rebuild gives."""

from __future__ import annotations

import shutil
from pathlib import Path

from cdp.duckdb_budget import connect
from cdp.ingest.loader import load_landing_zone
from cdp.sources import SOURCE_FILES
from tests.conftest import invoke_dbt


def _dbt(tmp_path: Path, *args: str) -> None:
    result = invoke_dbt(tmp_path / "dbt_target", "run", "--select", "stg_web__events", *args)
    assert result.success, result.exception


def _load(warehouse: Path, landing: Path) -> None:
    con = connect(warehouse)
    load_landing_zone(con, landing, SOURCE_FILES, log=lambda _m: None)
    con.close()


def test_a_new_day_run_incrementally_equals_a_full_rebuild(generated, tmp_path, monkeypatch):
    landing, held = tmp_path / "landing", tmp_path / "held"
    shutil.copytree(generated / "landing", landing)
    last = max(marker.parent.name for marker in landing.glob("web/*/_SUCCESS"))
    held.mkdir()
    (landing / "web" / last).rename(held / last)
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, landing)
    _dbt(tmp_path)  # the first build

    (held / last).rename(landing / "web" / last)
    _load(warehouse, landing)
    con = connect(warehouse)
    # the new day brings late events and retries of events already staged
    new_rows, late, retried = con.execute(
        f"""
        select count(*),
            count(*) filter (where cast(occurred_at as date) < _export_date - 1),
            count(*) filter (where event_id in (
                select event_id from raw.web__events where _export_date < '{last}'))
        from raw.web__events where _export_date = '{last}'
        """
    ).fetchall()[0]
    assert new_rows > 0 and late > 0 and retried > 0
    # an erasure takes every event of one browser (staged before this day) out of raw, and
    # the retention purge one kept copy of a retried event, whose older copy stays
    erased = con.execute(
        f"""select anonymous_id from raw.web__events where _export_date < '{last}'
        group by all order by count(*) desc, anonymous_id limit 1"""
    ).fetchall()[0][0]
    con.execute("delete from raw.web__events where anonymous_id = ?", [erased])
    kept_copy = con.execute(
        """
        select event_id, max(_export_date) from raw.web__events group by event_id
        having count(distinct _export_date) > 1 order by event_id limit 1
        """
    ).fetchall()[0]
    con.execute(
        "delete from raw.web__events where event_id = ? and _export_date = ?", list(kept_copy)
    )
    con.close()

    _dbt(tmp_path)  # incremental
    con = connect(warehouse)
    con.execute("create table incremental as select * from staging.stg_web__events")
    con.close()
    _dbt(tmp_path, "--full-refresh")
    con = connect(warehouse)
    rows = con.execute("select count(*) from staging.stg_web__events").fetchall()[0][0]
    differ = con.execute(
        """
        select count(*) from (
            (select * from incremental except all select * from staging.stg_web__events)
            union all
            (select * from staging.stg_web__events except all select * from incremental)
        )
        """
    ).fetchall()[0][0]
    erased_left = con.execute(
        "select count(*) from incremental where anonymous_id = lower(trim(?))", [erased]
    ).fetchall()[0][0]
    older_copy = con.execute(
        "select export_date from incremental where event_id = lower(trim(?))", [kept_copy[0]]
    ).fetchall()
    con.close()
    assert rows > new_rows
    assert differ == 0
    assert erased_left == 0
    # the event whose kept copy went is staged again from its older copy
    assert len(older_copy) == 1 and older_copy[0][0] < kept_copy[1]


def test_a_second_run_with_nothing_new_changes_nothing(generated, tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, generated / "landing")
    _dbt(tmp_path)
    con = connect(warehouse)
    before = con.execute("select count(*), sum(hash(t)) from staging.stg_web__events t").fetchall()
    con.close()
    _dbt(tmp_path)
    con = connect(warehouse)
    after = con.execute("select count(*), sum(hash(t)) from staging.stg_web__events t").fetchall()
    con.close()
    assert after == before


def test_a_table_built_without_a_documented_column_is_rebuilt(generated, tmp_path, monkeypatch):
    # a warehouse built by an older version of the model: the table lacks a lineage column
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse))
    _load(warehouse, generated / "landing")
    _dbt(tmp_path)
    con = connect(warehouse)
    expected = con.execute(
        "select count(*), sum(hash(t)) from staging.stg_web__events t"
    ).fetchall()
    con.execute("alter table staging.stg_web__events drop column source_row_number")
    con.execute(
        """delete from staging.stg_web__events
        where event_id in (select event_id from staging.stg_web__events limit 5)"""
    )
    con.close()
    _dbt(tmp_path)  # an ordinary run, no --full-refresh
    con = connect(warehouse)
    rebuilt = con.execute("select count(*), sum(hash(t)) from staging.stg_web__events t").fetchall()
    con.close()
    assert rebuilt == expected
