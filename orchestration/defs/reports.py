"""Reports of failed runs. A run-failure sensor sees every run of the code location, the named
jobs and the asset job the UI starts for a selection alike, and writes the run's report
(``cdp.ops.reports``): which steps failed, with their assets and errors. ``make run`` runs
without the daemon that evaluates sensors, so its supervisor writes the same report itself
(``orchestration.run``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dagster as dg

from cdp.ops.reports import RunReport, StepFailure, now_text
from orchestration.resources import RunReports


def failed_run_report(instance: dg.DagsterInstance, run: dg.DagsterRun) -> RunReport:
    """The report of a failed ``run``, from its events: each failed step, the assets it was to
    materialize, and its error (a run that failed outside any step says why)."""
    records = instance.get_records_for_run(
        run.run_id,
        of_type={
            dg.DagsterEventType.STEP_FAILURE,
            dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
            dg.DagsterEventType.RUN_FAILURE,
        },
    ).records
    planned: dict[str, set[str]] = {}
    failed_steps: list[tuple[str, str]] = []  # (step, error)
    run_failure = None
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.is_asset_materialization_planned and event.step_key and event.asset_key:
            planned.setdefault(event.step_key, set()).add(event.asset_key.to_user_string())
        elif event.is_step_failure:
            error = event.step_failure_data.error
            failed_steps.append(
                (event.step_key or "?", f"{error.cls_name}: {error.message}" if error else "failed")
            )
        elif event.event_type == dg.DagsterEventType.RUN_FAILURE:
            run_failure = record.event_log_entry.message or event.message
    failures = [
        StepFailure(step, sorted(planned.get(step, ())), error) for step, error in failed_steps
    ] or [StepFailure(step="(run)", assets=[], error=run_failure or "the run failed")]
    tags = run.tags
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    return RunReport(
        run_id=run.run_id,
        job=run.job_name,
        failed_at=now_text(),
        failures=failures,
        partitions=tags.get("dagster/partition") or (f"{start}...{end}" if start else None),
    )


def report_failed_run(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    reports: RunReports,
    log: Callable[[str], None],
) -> Path:
    """Write (and send, where configured) the report of a failed run; returns its file."""
    return reports.deliver(failed_run_report(instance, run), log=log)


@dg.run_failure_sensor(
    name="run_failure_reports",
    description="Writes the report of every failed run (reports folder, webhook, mail).",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def run_failure_reports(context: dg.RunFailureSensorContext, reports: RunReports) -> None:
    path = report_failed_run(context.instance, context.dagster_run, reports, context.log.warning)
    context.log.info(f"run report: {path}")
