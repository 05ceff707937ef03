"""The daily schedule: the whole pipeline every morning, company time."""

from pathlib import Path

import dagster as dg

from cdp.config import TIMEZONE
from orchestration.defs.ingest.partitions import plan_loads
from orchestration.defs.jobs import daily_pipeline
from orchestration.resources import DuckDBWarehouse, LandingZone

DAILY_AT = "0 6 * * *"  # 06:00 in TIMEZONE, after the sources' nightly exports


@dg.schedule(
    job=daily_pipeline,
    cron_schedule=DAILY_AT,
    execution_timezone=TIMEZONE,
    description=(
        "Every morning: the export dates of every new, changed or failed file (new dates "
        "registered), loaded in one run, then dbt, the quality gates, exports and site."
    ),
)
def daily_pipeline_schedule(
    context: dg.ScheduleEvaluationContext, landing: LandingZone, warehouse: DuckDBWarehouse
):
    plan = plan_loads(context.instance, landing.require(), Path(warehouse.path))
    if not plan.dates:
        return dg.SkipReason(f"no complete export folder in {landing.path}")
    for line in plan.describe():
        context.log.info(line)
    scheduled = context.scheduled_execution_time
    return dg.RunRequest(
        run_key=f"daily-{scheduled:%Y-%m-%d}" if scheduled else None, tags=plan.tags
    )


schedules = [daily_pipeline_schedule]
