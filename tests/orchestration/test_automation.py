"""Jobs, the daily schedule, the export-folder sensor, partitioned loads and a whole run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest

from cdp.duckdb_budget import connect
from cdp.ops.reports import RunReport, StepFailure, write_report
from orchestration.defs.ingest.assets import landing_reconciled, raw_load_assets
from orchestration.defs.ingest.partitions import export_dates
from orchestration.defs.jobs import jobs
from orchestration.defs.schedules import daily_pipeline_schedule
from orchestration.defs.sensors import new_export_folders
from orchestration.resources import DuckDBWarehouse, LandingZone, RunReports
from tests.conftest import write_export

CRM = "contact_id;first_name\nC-1;Ada\n"
ORDERS = "order_id,account_id\nO-1,7\n"


def test_definitions_load_with_jobs_schedule_and_sensor():
    from orchestration.definitions import defs

    names = {job.name for job in jobs}
    assert {"daily_pipeline", "load_exports", "rebuild_identity", "rebuild_docs"} <= names
    assert {"reload_crm", "reload_web", "reload_marketing"} <= names
    for name in names:
        defs.resolve_job_def(name)
    schedule = defs.resolve_schedule_def("daily_pipeline_schedule")
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "Europe/Rome"
    assert defs.resolve_sensor_def("new_export_folders").job_name == "load_exports"


def _sensor(landing, instance, cursor=None):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"landing": LandingZone(path=str(landing))}
    )
    return new_export_folders(context), context


def test_the_sensor_asks_for_complete_folders_once(landing):
    instance = dg.DagsterInstance.ephemeral()
    write_export(landing, "crm", "2026-11-27", "contacts.csv", CRM)
    write_export(landing, "shop", "2026-11-27", "orders.csv", ORDERS)
    write_export(landing, "crm", "2026-11-28", "contacts.csv", CRM)
    write_export(landing, "shop", "2026-11-28", "orders.csv", ORDERS, complete=False)

    result, _ = _sensor(landing, instance)
    requests = {r.partition_key: r for r in result.run_requests}
    assert set(requests) == {"2026-11-27", "2026-11-28"}
    assert {k.to_user_string() for k in requests["2026-11-28"].asset_selection} == {
        "crm/contacts",
        "privacy/purge",
    }, "the incomplete shop folder must wait"
    assert "shop/orders" in {k.to_user_string() for k in requests["2026-11-27"].asset_selection}
    (add,) = result.dynamic_partitions_requests
    assert add.partitions_def_name == export_dates.name
    assert list(add.partition_keys) == ["2026-11-27", "2026-11-28"]

    # Already requested: the next tick asks for nothing.
    again, _ = _sensor(landing, instance, cursor=result.cursor)
    assert isinstance(again, dg.SkipReason)

    # The shop folder completes: only it is asked for.
    (landing / "shop" / "2026-11-28" / "_SUCCESS").touch()
    completed, _ = _sensor(landing, instance, cursor=result.cursor)
    (request,) = completed.run_requests
    assert request.partition_key == "2026-11-28"
    assert [k.to_user_string() for k in request.asset_selection] == [
        "shop/accounts",
        "shop/orders",
        "shop/order_items",
        "privacy/purge",
    ]

    # A day delivered again with other bytes is asked for again, under a new run key.
    write_export(landing, "crm", "2026-11-27", "contacts.csv", CRM + "C-2;Bea\n")
    redelivered, _ = _sensor(landing, instance, cursor=completed.cursor)
    (request,) = redelivered.run_requests
    assert request.partition_key == "2026-11-27"
    assert request.run_key != requests["2026-11-27"].run_key


def test_the_daily_schedule_runs_every_export_date_in_one_run(landing, tmp_path):
    for day in ("2026-11-26", "2026-11-27", "2026-11-28"):
        write_export(landing, "crm", day, "contacts.csv", CRM)
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 11, 29, 5, tzinfo=UTC),
            resources={
                "landing": LandingZone(path=str(landing)),
                "warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb")),
            },
        )
        request = daily_pipeline_schedule(context)
        registered = instance.get_dynamic_partitions(export_dates.name)
    assert request.tags["dagster/asset_partition_range_start"] == "2026-11-26"
    assert request.tags["dagster/asset_partition_range_end"] == "2026-11-28"
    assert request.run_key == "daily-2026-11-29"
    assert registered == ["2026-11-26", "2026-11-27", "2026-11-28"]


@pytest.mark.integration
def test_a_backfill_of_two_days_loads_those_days_only(landing, tmp_path):
    days = ["2026-11-25", "2026-11-26", "2026-11-27"]
    for index, day in enumerate(days):
        write_export(landing, "crm", day, "contacts.csv", f"contact_id;first_name\nC-{index};A\n")
    warehouse = tmp_path / "wh.duckdb"
    crm = next(a for a in raw_load_assets if a.key == dg.AssetKey(["crm", "contacts"]))
    job = dg.Definitions(
        assets=[crm],
        jobs=[dg.define_asset_job("load", partitions_def=export_dates)],
        resources={
            "warehouse": DuckDBWarehouse(path=str(warehouse)),
            "landing": LandingZone(path=str(landing)),
        },
    ).resolve_job_def("load")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(export_dates.name, days)
        result = job.execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": "2026-11-26",
                "dagster/asset_partition_range_end": "2026-11-27",
            },
        )
    assert result.success
    con = connect(str(warehouse))
    loaded = con.execute(
        "select distinct _export_date::varchar from raw.crm__contacts order by 1"
    ).fetchall()
    con.close()
    assert [row[0] for row in loaded] == ["2026-11-26", "2026-11-27"]


def test_a_failed_run_leaves_a_report_that_names_the_step_and_the_error(tmp_path):
    report = RunReport(
        run_id="abc123",
        job="load_exports",
        failed_at="2026-11-29T06:00:00+00:00",
        failures=[StepFailure("crm__contacts", ["crm/contacts"], "Failure: crm.contacts: bad")],
        partitions="2026-11-28",
    )
    path = write_report(report, tmp_path)
    text = path.read_text()
    assert "crm__contacts" in text and "crm.contacts: bad" in text and "2026-11-28" in text
    assert json.loads((tmp_path / "abc123.json").read_text())["job"] == "load_exports"


def _failed_load(landing: Path, tmp_path: Path, run):
    """A run of the loads over an unreadable subscriptions export: (instance, result)."""
    write_export(landing, "subscriptions", "2026-11-28", "subscriptions.json", '[{"id": "sub_a"')
    resources = {
        "warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb")),
        "landing": LandingZone(path=str(landing)),
    }
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(export_dates.name, ["2026-11-28"])
        result = run(instance, resources)
        assert not result.success
        yield instance, result


# the named job runs every load of the day (a pipeline job): an integration test
@pytest.mark.parametrize(
    "selection", [pytest.param("load_exports", marks=pytest.mark.integration), "assets"]
)
def test_every_failed_run_gets_a_report_naming_the_step_and_the_file(selection, landing, tmp_path):
    """The run-failure sensor reports a failed run of a named job, and of the asset job that
    the UI starts for a selection of assets, which no job hook would see."""
    from orchestration.definitions import defs
    from orchestration.defs.reports import run_failure_reports

    def run(instance, resources):
        if selection == "load_exports":
            return defs.resolve_job_def("load_exports").execute_in_process(
                instance=instance, partition_key="2026-11-28", resources=resources,
                raise_on_error=False,
            )  # fmt: skip
        subscriptions = dg.AssetKey(["subscriptions", "subscriptions"])
        return dg.materialize(
            [*(a for a in raw_load_assets if a.key == subscriptions), landing_reconciled],
            instance=instance, partition_key="2026-11-28", resources=resources,
            raise_on_error=False,
        )  # fmt: skip

    reports = RunReports(folder=str(tmp_path / "reports"))
    for instance, result in _failed_load(landing, tmp_path, run):
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_reports",
            dagster_event=result.get_run_failure_event(),
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        run_failure_reports(context, reports=reports)
    (report,) = (tmp_path / "reports").glob("*.md")
    text = report.read_text()
    # the loads set the file aside; the run fails at the reconciliation of the landing zone
    assert "## Step `maintenance__landing_reconciled` (maintenance/landing_reconciled)" in text
    assert "subscriptions/2026-11-28/subscriptions.json" in text
    assert "raw.subscriptions__subscriptions" in text
    assert "- export dates: 2026-11-28" in text


def test_the_report_sensor_runs_from_the_start():
    from orchestration.definitions import defs

    sensor = next(s for s in defs.sensors if s.name == "run_failure_reports")
    assert isinstance(sensor, dg.RunStatusSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


@pytest.mark.e2e
def test_the_headless_run_builds_everything_and_ends_with_its_summary(first_build, tmp_path):
    """``python -m orchestration.run`` (what ``make run`` runs) over a small generated sample
    (the session's first build): every asset and check of the daily job in one run (loads,
    dbt, quality gates, exports, site), a console log a person reads through (at most 200
    lines), and a closing summary that agrees with the warehouse."""
    from orchestration.summary import RULE, summarize

    build = first_build.succeeded()
    built = build.root
    # read from a copy: other tests copy the build while this one reads it
    first_build.copy_to(tmp_path)
    warehouse, home = tmp_path / "warehouse.duckdb", tmp_path / "dagster"
    log = (build.stdout + build.stderr).splitlines()
    assert len(log) <= 200, f"{len(log)} lines:\n" + "\n".join(log)
    assert not [line for line in log if " - DEBUG - " in line or "\x1b[" in line]
    assert not [line for line in log if "Warning:" in line and "dbt" not in line]
    closing = build.stdout.rstrip().splitlines()
    assert closing[-1] == RULE and RULE in closing[:-1]
    summary_text = closing[len(closing) - 1 - closing[::-1].index(RULE, 1) :]
    assert summary_text[1].startswith("daily_pipeline success in ")

    con = connect(str(warehouse))
    profiles = con.execute("select count(*) from marts.customer_profiles").fetchall()[0][0]
    rows_loaded = con.execute(
        "select sum(rows_loaded) from raw._load_manifest where status in ('loaded', 'replaced')"
    ).fetchall()[0][0]
    con.close()
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        (record,) = instance.get_run_records()
        assert record.dagster_run.job_name == "daily_pipeline"
        run_id = record.dagster_run.run_id
        materializations = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
        row_counts = {
            r.asset_key: r.asset_materialization.metadata.get("dagster/row_count")
            for r in materializations
        }
        summary = summarize(instance, run_id)
    assert dg.AssetKey(["marts", "customer_profiles"]) in row_counts
    assert dg.AssetKey(["quality", "site"]) in row_counts
    without_count = [key.to_user_string() for key, count in row_counts.items() if count is None]
    assert not without_count, f"materialized without a row count: {without_count}"
    assert profiles > 0 and summary.profiles == profiles
    assert summary.rows_loaded == rows_loaded > 0
    assert summary.status == "SUCCESS" and not summary.failed_steps
    assert summary.dbt_tests.passed > 100 and summary.expectations.passed > 100
    assert summary.site == str(built / "docs" / "index.html")
    assert f"{profiles:,} customer profiles" in build.stdout
    assert (built / "exports" / "audiences" / "champions.json").exists()
    assert (built / "docs" / "quality" / "index.html").exists()
    assert not (built / "reports").exists(), "a successful run writes no failure report"
