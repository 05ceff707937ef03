"""dbt models and tests: dbt-duckdb, or dbt-spark on the Spark engine (CDP_ENGINE)."""

import dagster as dg
from dagster_dbt import DbtCliResource

from cdp.engine import get_engine
from orchestration.defs.dbt.assets import dbt_marts, dbt_project, dbt_transform

defs = dg.Definitions(
    assets=[dbt_transform, dbt_marts],
    resources={
        # The engine's dbt (CDP_ENGINE), installed beside this Python, whether or not the
        # virtualenv is activated: dbt-duckdb's, or cdp-dbt-spark on Spark.
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=get_engine().dbt_executable())
    },
)
