"""dbt (dbt-duckdb) models and tests."""

import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.defs.dbt.assets import dbt_marts, dbt_project, dbt_transform

defs = dg.Definitions(
    assets=[dbt_transform, dbt_marts],
    resources={
        # The dbt installed beside this Python, whether or not the virtualenv is activated.
        "dbt": DbtCliResource(
            project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
        )
    },
)
