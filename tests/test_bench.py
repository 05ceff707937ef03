"""The benchmark's own mechanics (holding a day back, the floor, the warehouse it leaves); its
figures are not tested."""

from __future__ import annotations

import argparse
import json
import shutil

import pytest

from cdp.bench import (
    _dbt,
    _deliver,
    _hold_back_last_day,
    _step_floor,
    _step_load,
    _table_rows,
)
from cdp.duckdb_budget import connect
from cdp.ingest.loader import load_landing_zone
from cdp.sources import SOURCE_FILES


def test_the_last_complete_day_is_held_back_and_delivered_again(generated, tmp_path):
    landing, held = tmp_path / "landing", tmp_path / "held"
    shutil.copytree(generated / "landing", landing)
    complete = sorted({marker.parent.name for marker in landing.glob("*/*/_SUCCESS")})
    before = sorted(str(path.relative_to(landing)) for path in landing.rglob("*"))

    day = _hold_back_last_day(landing, held)

    assert day == complete[-1]
    assert not list(landing.glob(f"*/{day}"))
    assert {folder.parent.name for folder in held.glob("*/*")} == {
        folder.parent.name for folder in (generated / "landing").glob(f"*/{day}")
    }
    # the folder still being written, after the last complete day, stays where it was
    later = [f for f in (generated / "landing").glob("*/*") if f.name > day]
    assert later and all((landing / f.parent.name / f.name).exists() for f in later)
    _deliver(held, landing)
    assert sorted(str(path.relative_to(landing)) for path in landing.rglob("*")) == before


def test_the_floor_reads_every_export_file(generated, tmp_path, capsys):
    landing = generated / "landing"
    _step_floor(argparse.Namespace(landing=str(landing), warehouse=str(tmp_path / "f.duckdb")))
    floor_rows = json.loads(capsys.readouterr().out)["rows"]
    con = connect(tmp_path / "w.duckdb")
    reports = load_landing_zone(con, landing, SOURCE_FILES, log=lambda _m: None)
    con.close()
    loaded = sum(r.rows_loaded for r in reports)
    # DuckDB alone skips the broken lines the loader sets aside, and reads what the loader
    # does not take (a folder still being written, a re-sent copy)
    assert loaded * 0.98 < floor_rows < loaded * 1.1
    assert not (tmp_path / "f.duckdb").exists()


def test_exports_without_a_complete_folder_are_refused_with_the_reason(tmp_path, capsys):
    from cdp.bench import main

    (tmp_path / "landing" / "crm" / "2026-11-28").mkdir(parents=True)  # no _SUCCESS
    work = tmp_path / "bench"
    code = main(["--persons", "10", "--landing", str(tmp_path), "--dir", str(work)])
    assert code == 2
    assert "no complete export folder" in capsys.readouterr().err
    assert not work.exists()  # refused before anything was set up


def test_the_load_step_refuses_a_folder_without_exports(generated, tmp_path):
    # the folder cdp-generate was given, not its landing zone
    namespace = argparse.Namespace(landing=str(generated), warehouse=str(tmp_path / "w.duckdb"))
    with pytest.raises(SystemExit, match="no source folder"):
        _step_load(namespace)
    assert not (tmp_path / "w.duckdb").exists()


def test_the_days_load_reads_only_the_files_a_pipeline_run_would_load(
    generated, tmp_path, monkeypatch, capsys
):
    import os

    import cdp.ingest.loader as loader

    landing, held = tmp_path / "landing", tmp_path / "held"
    shutil.copytree(generated / "landing", landing)
    day = _hold_back_last_day(landing, held)
    namespace = argparse.Namespace(
        landing=str(landing), warehouse=str(tmp_path / "w.duckdb"), run_id="bench-test"
    )
    _step_load(namespace)
    first = json.loads(capsys.readouterr().out)
    assert first["rows"] > 0 and first["failed"] == 0

    # one more day, and a file of an earlier day written again (same bytes, a later time)
    _deliver(held, landing)
    earlier = sorted(landing.glob("crm/*/contacts.csv"))[0]
    stat = earlier.stat()
    os.utime(earlier, ns=(stat.st_atime_ns, stat.st_mtime_ns + 3_600 * 10**9))
    read = []

    def recorded(path, *args, **kwargs):
        read.append(path.relative_to(landing).parts[1])
        return checksum(path, *args, **kwargs)

    checksum = loader.file_checksum
    monkeypatch.setattr(loader, "file_checksum", recorded)
    _step_load(namespace)
    second = json.loads(capsys.readouterr().out)

    # the export dates with a new or changed file, as the pipeline's plan_loads finds them;
    # the files of every other night are not read again
    assert sorted(set(read)) == sorted({earlier.parent.name, day})
    con = connect(tmp_path / "w.duckdb")
    by_day = dict(
        con.execute(
            "select cast(export_date as varchar), count(*) from raw._load_manifest group by 1"
        ).fetchall()
    )
    con.close()
    assert second["files"] == by_day[day] + by_day[earlier.parent.name]
    # the rewritten file holds the rows it held: only the new day adds rows
    fresh = connect(tmp_path / "all.duckdb")
    everything = load_landing_zone(fresh, landing, SOURCE_FILES, log=lambda _m: None)
    fresh.close()
    assert first["rows"] + second["rows"] == sum(r.rows_loaded for r in everything)


def test_the_dbt_step_leaves_every_table_in_the_warehouse_file(
    warehouse_copy, tmp_path, monkeypatch
):
    # dbt's database stays open in this process after the step, as it does in `cdp-bench dbt`
    monkeypatch.setenv("CDP_WAREHOUSE", str(warehouse_copy))
    con = connect(warehouse_copy)
    schema = con.execute(
        "select schema_name from duckdb_tables() where table_name = 'stg_marketing__campaigns'"
    ).fetchall()[0][0]
    rows = con.execute(f"select count(*) from {schema}.stg_marketing__campaigns").fetchall()
    con.execute(f"drop table {schema}.stg_marketing__campaigns")
    con.close()

    _dbt(str(warehouse_copy), str(tmp_path / "target"), [["run", "-s", "stg_marketing__campaigns"]])

    # the file alone, copied while dbt still holds the database, has the table dbt built
    shutil.copy(warehouse_copy, tmp_path / "alone.duckdb")
    alone = connect(tmp_path / "alone.duckdb")
    try:
        assert (
            alone.execute(f"select count(*) from {schema}.stg_marketing__campaigns").fetchall()
            == rows
        )
    finally:
        alone.close()


def test_the_checks_read_the_manifest_of_the_benchmarks_own_dbt_steps(tmp_path):
    from cdp import registry
    from cdp.bench import _quality_run

    def namespace(target):
        return argparse.Namespace(
            step="checks",
            warehouse=str(tmp_path / "w.duckdb"),
            quality=str(tmp_path / "quality"),
            docs=str(tmp_path / "docs"),
            target=str(target),
        )

    # without a manifest the staging suites and SLAs would be left out in silence
    with pytest.raises(SystemExit, match="no dbt manifest at .*manifest.json"):
        _quality_run(namespace(tmp_path / "empty_target"))

    target = tmp_path / "dbt_target"
    target.mkdir()
    shutil.copy(registry.MANIFEST, target / "manifest.json")
    run = _quality_run(namespace(target))
    assert run.manifest == target / "manifest.json"
    staging = [key for key in run.suites() if key[0] == "staging"]
    assert len(staging) >= 10  # a suite per staged model that has GX rules


def test_the_rows_of_a_stage_are_counted_not_estimated(tmp_path):
    """DuckDB's estimate counts rows deleted and not yet compacted, as an incremental model's
    delete+insert leaves them; the benchmark reports the rows the tables hold."""
    path = tmp_path / "w.duckdb"
    con = connect(path)
    con.execute("create schema staging")
    con.execute("create table staging.events as select range as id from range(300000)")
    con.execute("checkpoint")
    con.execute("delete from staging.events where id % 3 = 0")
    con.execute("create view staging.some_events as select * from staging.events")
    estimated = con.execute(
        "select estimated_size from duckdb_tables() where table_name = 'events'"
    ).fetchall()[0][0]
    assert estimated != 200000  # so the estimate would not give the count below
    try:  # open, as dbt's database stays open when the benchmark counts
        rows = _table_rows(str(path), [("staging", "events"), ("staging", "some_events")])
    finally:
        con.close()
    assert rows == 200000


def test_the_privacy_stages_erase_the_pending_requests_and_rewrite_the_file(
    warehouse_copy, tmp_path, capsys, monkeypatch
):
    """The benchmark runs the erasure as the pipeline does: the built sample's pending requests
    resolved through identity, raw purged, staging and identity rebuilt by a dbt child step
    until a round removes nothing; then the file is rewritten when that is due."""
    from cdp.bench import _step_compaction, _step_erasure

    con = connect(warehouse_copy)
    requests = con.execute("select count(*) from raw.privacy__erasure_requests").fetchall()[0][0]
    con.close()
    assert requests > 0  # the sample carries erasure requests, none of them done yet

    def namespace(run_id):
        return argparse.Namespace(
            warehouse=str(warehouse_copy),
            target=str(tmp_path / "target"),
            exports=str(tmp_path / "exports"),
            doc_dirs=[],
            run_id=run_id,
        )

    _step_erasure(namespace("bench-full"))
    erased = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert erased["requests"] == requests
    assert erased["rows"] > 0
    # the last round removed nothing from raw after the rebuild before it
    assert erased["rounds"] >= 2 and len(erased["rebuild_seconds"]) == erased["rounds"] - 1
    assert (tmp_path / "target" / "run_results.json").exists()  # the rebuild's dbt ran
    con = connect(warehouse_copy)
    removed = con.execute(
        "select sum(rows_removed) from raw._removed_rows where reason = 'erasure'"
    ).fetchall()[0][0]
    logged = con.execute(
        "select count(distinct request_id) from privacy.erasure_log where run_id = 'bench-full'"
    ).fetchall()[0][0]
    con.close()
    assert removed > 0 and logged == requests

    # within CDP_COMPACTION_DAYS (7 by default) of the erasure: left as it is
    monkeypatch.delenv("CDP_COMPACTION_DAYS", raising=False)
    _step_compaction(namespace("bench-full"))
    left = json.loads(capsys.readouterr().out)
    assert left["compacted"] is False and left["pending"] > 0
    # due in the run that erased
    monkeypatch.setenv("CDP_COMPACTION_DAYS", "1")
    _step_compaction(namespace("bench-full"))
    compacted = json.loads(capsys.readouterr().out)
    assert compacted["compacted"] and compacted["mb_after"] > 0
    assert compacted["pending"] == left["pending"]
    _step_compaction(namespace("another-run"))  # nothing erased since: left as it is
    assert json.loads(capsys.readouterr().out) == {"rows": 0, "compacted": False, "pending": 0}
