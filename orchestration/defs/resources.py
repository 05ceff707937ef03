"""Every resource, from the environment's settings (``orchestration.resources``), and the
executor: one DuckDB file takes one writer process at a time, so the steps run in one."""

import dagster as dg

from orchestration.resources import default_resources


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=default_resources(), executor=dg.in_process_executor)
