"""The one Dagster entry point: every definition under ``orchestration/defs``, found and merged
by Dagster's ``load_from_defs_folder`` (the project's ``[tool.dg]`` in ``pyproject.toml``): one
folder per integration (ingest, privacy, dbt, activation, quality), the jobs, schedules and
sensors beside them, and the resources in ``defs/resources.py``."""

import dagster as dg

from cdp.config import PROJECT_ROOT

defs = dg.load_from_defs_folder(path_within_project=PROJECT_ROOT)
