"""Runs that load every complete folder once, whatever order the folders arrive in, and that
finish what they start: a failing source, a warehouse that cannot be written, a killed run."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest

from cdp.duckdb_budget import connect
from orchestration.defs.ingest.assets import landing_reconciled, raw_load_assets
from orchestration.defs.ingest.partitions import export_dates, plan_loads
from orchestration.resources import DuckDBWarehouse, LandingZone
from orchestration.run import (
    JOB,
    _mark_unfinished_runs_failed,
    clean_up_after_killed_run,
    supervise,
)
from tests.conftest import write_export

CRM = "contact_id;first_name\n{id};Ada\n"
SUBSCRIPTIONS = '[{{"id": "{id}"}}]'


def _job(warehouse, landing, *keys: tuple[str, ...]) -> dg.JobDefinition:
    """The loads of ``keys`` and the reconciliation, as one job. Resolve it under a live
    instance: Dagster reads its definitions state from the current instance."""
    assets = [a for a in raw_load_assets if a.key.path in [list(k) for k in keys]]
    return dg.Definitions(
        assets=[*assets, landing_reconciled],
        jobs=[dg.define_asset_job("loads")],
        resources={
            "warehouse": DuckDBWarehouse(path=str(warehouse)),
            "landing": LandingZone(path=str(landing)),
        },
    ).resolve_job_def("loads")


def _run_planned(instance, job, landing, warehouse):
    """What ``make run`` does: plan the loads, then run the job over the planned range."""
    plan = plan_loads(instance, landing, warehouse)
    result = job.execute_in_process(instance=instance, tags=plan.tags, raise_on_error=False)
    return plan, result


def _in_range(instance, start: str, end: str) -> list[str]:
    """The partitions Dagster takes for the range ``start...end`` (as ``make run`` used to
    ask, by first and last date)."""
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        return export_dates.get_partition_keys_in_range(dg.PartitionKeyRange(start, end))


def _loaded(warehouse) -> list[tuple[str, str]]:
    con = connect(str(warehouse))
    try:
        return con.execute(
            "select source_file, status from raw._load_manifest order by 1"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.integration
def test_a_late_folder_and_one_older_than_all_are_loaded(landing, tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with dg.instance_for_test() as instance:
        job = _job(warehouse, landing, ("crm", "contacts"))
        for day in ("2026-11-20", "2026-11-22"):
            write_export(landing, "crm", day, "contacts.csv", CRM.format(id=day))
        plan, result = _run_planned(instance, job, landing, warehouse)
        assert result.success and plan.pending_dates == ["2026-11-20", "2026-11-22"]

        # A complete folder for a day between them arrives late. Dagster keeps partitions in
        # the order they were added: a range "oldest to newest date" would skip it.
        write_export(landing, "crm", "2026-11-21", "contacts.csv", CRM.format(id="late"))
        plan, result = _run_planned(instance, job, landing, warehouse)
        order = instance.get_dynamic_partitions(export_dates.name)
        assert order == ["2026-11-20", "2026-11-22", "2026-11-21"]
        assert _in_range(instance, "2026-11-20", "2026-11-22") == ["2026-11-20", "2026-11-22"]
        assert plan.pending == ["crm/2026-11-21/contacts.csv"]
        assert result.success

        # And a folder dated before the oldest one (it used to fail every load step).
        write_export(landing, "crm", "2026-11-19", "contacts.csv", CRM.format(id="early"))
        plan, result = _run_planned(instance, job, landing, warehouse)
        assert _in_range(instance, "2026-11-19", "2026-11-22") == [], "the range it was given"
        assert plan.pending == ["crm/2026-11-19/contacts.csv"] and result.success

        # Nothing new: nothing pending, the run loads nothing and still succeeds.
        plan, result = _run_planned(instance, job, landing, warehouse)
        assert plan.pending == [] and result.success
    assert _loaded(warehouse) == [
        (f"crm/{day}/contacts.csv", "loaded")
        for day in ("2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22")
    ]


@pytest.mark.integration
def test_a_complete_folder_never_loaded_fails_the_run_loudly(landing, tmp_path):
    """The reconciliation at the end of the run: a complete folder without a manifest row."""
    warehouse = tmp_path / "wh.duckdb"
    write_export(landing, "crm", "2026-11-20", "contacts.csv", CRM.format(id="a"))
    write_export(landing, "crm", "2026-11-21", "contacts.csv", CRM.format(id="b"))
    with dg.instance_for_test() as instance:
        job = _job(warehouse, landing, ("crm", "contacts"))
        instance.add_dynamic_partitions(export_dates.name, ["2026-11-20", "2026-11-21"])
        result = job.execute_in_process(
            instance=instance, partition_key="2026-11-20", raise_on_error=False
        )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "maintenance__landing_reconciled"
    message = failure.event_specific_data.error.message
    assert "crm/2026-11-21/contacts.csv" in message and "never loaded" in message


@pytest.mark.integration
def test_an_unreadable_file_fails_its_source_only_and_the_run_at_the_end(landing, tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    write_export(landing, "crm", "2026-11-20", "contacts.csv", CRM.format(id="a"))
    write_export(landing, "subscriptions", "2026-11-20", "subscriptions.json", '[{"id": "s1"}]')
    write_export(landing, "crm", "2026-11-21", "contacts.csv", CRM.format(id="b"))
    # Latin-1 bytes in a file declared UTF-8, and a truncated array.
    write_export(
        landing,
        "crm",
        "2026-11-22",
        "contacts.csv",
        "contact_id;first_name\nC-3;Jos\xe9\n".encode("latin-1"),
    )
    write_export(landing, "subscriptions", "2026-11-21", "subscriptions.json", '[{"id": "s2"')
    with dg.instance_for_test() as instance:
        job = _job(warehouse, landing, ("crm", "contacts"), ("subscriptions", "subscriptions"))
        _, result = _run_planned(instance, job, landing, warehouse)
    assert not result.success
    failed = [e.step_key for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failed == ["maintenance__landing_reconciled"], "the loads themselves go on"
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert {"crm/contacts", "subscriptions/subscriptions"} <= materialized
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "subscriptions/2026-11-21/subscriptions.json" in message
    assert "raw.subscriptions__subscriptions (newest export loaded: 2026-11-20)" in message
    statuses = dict(_loaded(warehouse))
    assert statuses["crm/2026-11-21/contacts.csv"] == "loaded"
    assert statuses["subscriptions/2026-11-21/subscriptions.json"] == "failed"


@pytest.mark.integration
def test_a_warehouse_that_cannot_be_written_is_not_retried(landing, tmp_path, monkeypatch):
    def read_only(*_args, **_kwargs):
        raise duckdb.IOException('IO Error: Cannot open file "wh.duckdb": Read-only file system')

    monkeypatch.setattr("orchestration.resources.duckdb.connect", read_only)
    write_export(landing, "crm", "2026-11-20", "contacts.csv", CRM.format(id="a"))
    with dg.instance_for_test() as instance:
        job = _job(tmp_path / "wh.duckdb", landing, ("crm", "contacts"))
        instance.add_dynamic_partitions(export_dates.name, ["2026-11-20"])
        started = time.monotonic()
        result = job.execute_in_process(
            instance=instance, partition_key="2026-11-20", raise_on_error=False
        )
    assert not result.success and time.monotonic() - started < 30
    kinds = [e.event_type_value for e in result.all_events]
    assert "STEP_UP_FOR_RETRY" not in kinds
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "cannot be opened for writing" in failure.event_specific_data.error.message


def _processes_in_group(pgid: int) -> int:
    out = subprocess.run(["ps", "-o", "pid=", "-g", str(pgid)], capture_output=True, text=True)
    return len(out.stdout.split())


@pytest.mark.integration
def test_a_killed_pipeline_process_leaves_nothing_running(tmp_path):
    """The pipeline process dies by SIGKILL while a child of its own (dbt, say) runs: the child
    is stopped and the run marked failed."""
    with dg.instance_for_test() as instance:
        # The job's process: starts a long child, records its run as started, then is killed.
        script = (
            "import subprocess, os, signal, time\n"
            "subprocess.Popen(['sleep', '300'])\n"
            "time.sleep(0.5)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n"
        )
        run = instance.create_run_for_job(
            dg.Definitions(jobs=[_noop_job]).resolve_job_def(JOB),
            status=dg.DagsterRunStatus.STARTED,
        )
        code = supervise([sys.executable, "-c", script], instance, tmp_path / "pid.json")
        assert code == 1
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert not (tmp_path / "pid.json").exists()


def test_a_run_left_by_a_killed_supervisor_is_cleaned_up_at_the_next_start(tmp_path):
    pidfile = tmp_path / "pid.json"
    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
    pidfile.write_text(f'{{"pgid": {child.pid}, "started": {time.time() - 5}}}')
    try:
        with dg.instance_for_test() as instance:
            # The group's leader is alive, its supervisor (this test) too: a run in progress.
            assert not clean_up_after_killed_run(instance, pidfile)
            # Now the supervisor is gone: the leader is reparented; simulate by its parent.
            import orchestration.run as run_module

            original = run_module._supervisor_alive
            run_module._supervisor_alive = lambda _pgid: False
            try:
                assert clean_up_after_killed_run(instance, pidfile)
            finally:
                run_module._supervisor_alive = original
        child.wait(timeout=15)
        assert child.returncode is not None
        assert not pidfile.exists()
    finally:
        if child.poll() is None:
            child.kill()


@dg.op
def _noop() -> None:
    pass


@dg.job(name=JOB)
def _noop_job():
    _noop()


@pytest.mark.integration
def test_marking_touches_only_unfinished_runs_of_this_start(tmp_path):
    with dg.instance_for_test() as instance:
        job = dg.Definitions(jobs=[_noop_job]).resolve_job_def(JOB)
        done = job.execute_in_process(instance=instance)
        assert done.success
        assert _mark_unfinished_runs_failed(instance, since=0, why="was killed") == []
        assert instance.get_run_by_id(done.run_id).status == dg.DagsterRunStatus.SUCCESS


def test_the_plan_says_what_it_loads_and_what_it_leaves(landing, tmp_path):
    for day in ("2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06"):
        write_export(landing, "crm", day, "contacts.csv", CRM.format(id=day))
    write_export(landing, "crm", "2026-11-07", "contacts.csv", CRM.format(id="x"), complete=False)
    write_export(landing, "loyalty", "2026-11-01", "points.csv", "a\n1\n")
    with dg.instance_for_test() as instance:
        lines = plan_loads(instance, landing, tmp_path / "wh.duckdb").describe()
    assert lines[0] == (
        "export dates: 6 (2026-11-01 to 2026-11-06), 6 new; 6 file(s) to load "
        "from 6 export dates (2026-11-01 to 2026-11-06)"
    )
    assert "not loaded: unknown source folder(s) loyalty" in lines[1]
    assert lines[2] == "not loaded: no _SUCCESS marker yet (still being written): crm/2026-11-07"


def test_the_run_logs_at_info_unless_told_otherwise(monkeypatch):
    from orchestration.run import run_config

    monkeypatch.delenv("CDP_LOG_LEVEL", raising=False)
    config = run_config(["--config-json", '{"ops": {"x": {"config": {"a": 1}}}}'])
    assert config == {
        "ops": {"x": {"config": {"a": 1}}},
        "loggers": {"console": {"config": {"log_level": "INFO"}}},
    }
    monkeypatch.setenv("CDP_LOG_LEVEL", "debug")
    assert run_config([])["loggers"]["console"]["config"]["log_level"] == "DEBUG"
    # loggers the caller configures are kept as they are
    own = '{"loggers": {"console": {"config": {"log_level": "WARNING"}}}}'
    assert run_config(["--config-json", own]) == json.loads(own)


def test_a_run_started_with_sigint_ignored_can_still_be_stopped():
    """Started from a background job in a script, the pipeline's process has SIGINT ignored;
    Dagster would hand SIGTERM that disposition, and every process of the run would ignore it.
    The job's process restores Python's handler first."""
    import signal

    from orchestration.run import restore_interrupts

    before = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        restore_interrupts()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        signal.signal(signal.SIGINT, lambda *_: None)  # a handler of its own stays
        handler = signal.getsignal(signal.SIGINT)
        restore_interrupts()
        assert signal.getsignal(signal.SIGINT) is handler
    finally:
        signal.signal(signal.SIGINT, before)
