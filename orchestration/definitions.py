"""The one Dagster entry point: every integration's definitions, merged."""

import dagster as dg

from orchestration.defs import activation, dbt, ingest, privacy, quality
from orchestration.defs.jobs import jobs
from orchestration.defs.schedules import schedules
from orchestration.defs.sensors import sensors
from orchestration.resources import default_resources

defs = dg.Definitions.merge(
    ingest.defs,
    privacy.defs,
    dbt.defs,
    activation.defs,
    quality.defs,
    dg.Definitions(
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        resources=default_resources(),
        # One DuckDB file takes one writer process at a time: run steps in one process.
        executor=dg.in_process_executor,
    ),
)
