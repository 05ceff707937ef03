"""The daily schedule: the whole pipeline every morning, company time."""

import dagster as dg

from cdp.config import TIMEZONE
from orchestration.defs.ingest.partitions import (
    complete_folders,
    partition_keys,
    register_export_dates,
)
from orchestration.defs.jobs import daily_pipeline
from orchestration.resources import LandingZone

DAILY_AT = "0 6 * * *"  # 06:00 in TIMEZONE, after the sources' nightly exports


@dg.schedule(
    job=daily_pipeline,
    cron_schedule=DAILY_AT,
    execution_timezone=TIMEZONE,
    description=(
        "Every morning: every complete export date (new ones registered), loaded in one run "
        "(unchanged files are skipped), then dbt, the quality gates, exports and site."
    ),
)
def daily_pipeline_schedule(context: dg.ScheduleEvaluationContext, landing: LandingZone):
    keys = partition_keys(complete_folders(landing.require()))
    if not keys:
        return dg.SkipReason(f"no complete export folder in {landing.path}")
    register_export_dates(context.instance, keys)
    scheduled = context.scheduled_execution_time
    return dg.RunRequest(
        run_key=f"daily-{scheduled:%Y-%m-%d}" if scheduled else None,
        tags={
            "dagster/asset_partition_range_start": keys[0],
            "dagster/asset_partition_range_end": keys[-1],
        },
    )


schedules = [daily_pipeline_schedule]
