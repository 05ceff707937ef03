"""The jobs a data engineer runs, and the hook that reports their failures.

``daily_pipeline``    everything: loads of the export dates → dbt (staging, identity) → quality
                      gate → marts → audience exports → site
``load_exports``      the raw loads and the privacy purge (what the sensor starts when a
                      folder lands)
``reload_<source>``   one source's loads for the chosen dates, and everything downstream
``rebuild_identity``  identity resolution and everything after it, from the staged data
``rebuild_docs``      the documentation site from the recorded results
"""

import dagster as dg

from cdp.config import Settings
from cdp.ops.reports import RunReport, StepFailure, now_text, send, write_report
from cdp.sources import SOURCE_FILES
from orchestration.defs.ingest.partitions import export_dates


@dg.failure_hook(name="run_report")
def run_report(context: dg.HookContext) -> None:
    """Write a report of the failed step (and send it where configured)."""
    settings = Settings.from_env()
    error = context.op_exception
    message = f"{type(error).__name__}: {error}" if error else "failed"
    run = context.instance.get_run_by_id(context.run_id)
    tags = run.tags if run else {}
    report = RunReport(
        run_id=context.run_id,
        job=context.job_name,
        failed_at=now_text(),
        failures=[
            StepFailure(
                step=context.step_key or context.op.name,
                assets=[key.to_user_string() for key in _asset_keys(context, run)],
                error=message,
            )
        ],
        partitions=tags.get("dagster/partition") or _range(tags),
    )
    path = write_report(report, settings.reports_dir)
    context.log.error(f"run report: {path}")
    send(report, settings, log=context.log.warning)


def _asset_keys(context: dg.HookContext, run: dg.DagsterRun | None) -> list[dg.AssetKey]:
    """The assets of the failed step, when the run named its assets."""
    if not run or not run.asset_selection:
        return []
    return sorted(k for k in run.asset_selection if "__".join(k.path) == context.op.name)


def _range(tags) -> str | None:
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    return f"{start}...{end}" if start else None


RAW = dg.AssetSelection.groups("raw")
# Retention and the removal of re-delivered exports of erased people follow every load, so
# such an export never stays in raw; the warehouse rewrite after an erasure comes with them.
# New erasure requests are not resolved here: privacy/erasure_completed needs the identity
# that dbt builds in the same run, so the daily pipeline completes them.
PRIVACY = dg.AssetSelection.groups("privacy", "maintenance") - dg.AssetSelection.assets(
    dg.AssetKey(["privacy", "erasure_completed"])
)

daily_pipeline = dg.define_asset_job(
    "daily_pipeline",
    selection=dg.AssetSelection.all(),
    partitions_def=export_dates,
    hooks={run_report},
    description="Loads of the chosen export dates, then every model, check, export and page.",
)
load_exports = dg.define_asset_job(
    "load_exports",
    selection=RAW | PRIVACY,
    partitions_def=export_dates,
    hooks={run_report},
    description=(
        "The raw loads of the chosen export dates, then retention and the removal of "
        "re-delivered exports of erased people: what the export-folder sensor starts. New "
        "erasure requests are completed by daily_pipeline, through the identity it builds."
    ),
)
reload_jobs = [
    dg.define_asset_job(
        f"reload_{source}",
        selection=dg.AssetSelection.tag("source", source).required_multi_asset_neighbors() & RAW
        | (dg.AssetSelection.tag("source", source) & RAW).downstream(),
        partitions_def=export_dates,
        hooks={run_report},
        description=f"Reload {source}'s exports of the chosen dates and rebuild what they feed.",
    )
    for source in sorted({spec.source for spec in SOURCE_FILES})
]
rebuild_identity = dg.define_asset_job(
    "rebuild_identity",
    selection=dg.AssetSelection.groups("intermediate").downstream(),
    hooks={run_report},
    description="Identity resolution, the marts, their checks, the exports and the site.",
)
rebuild_docs = dg.define_asset_job(
    "rebuild_docs",
    selection=dg.AssetSelection.assets(dg.AssetKey(["quality", "site"])),
    hooks={run_report},
    description="The documentation site from the recorded quality results.",
)

jobs = [daily_pipeline, load_exports, *reload_jobs, rebuild_identity, rebuild_docs]
