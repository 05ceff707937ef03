"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check.

dbt sources ``<source>.<entity>`` map to the asset keys ``[source, entity]`` of the raw loads,
so lineage from raw to staging joins by itself.
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROJECT_ROOT)
# Under `dagster dev` the manifest is rebuilt at start-up; elsewhere `make` runs `dbt parse`.
dbt_project.prepare_if_dev()

LAYERS = ("staging", "intermediate", "marts", "audit")


class LayeredTranslator(DagsterDbtTranslator):
    """Groups models by their layer folder (staging, intermediate, marts, audit), and the
    seeds (country names, exchange rates, answer vocabularies) as reference data."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        layer = next((part for part in fqn if part in LAYERS), None)
        return layer or super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        """A model's `meta.owner` when it names one, else the data platform team."""
        owner = (dbt_resource_props.get("meta") or {}).get("owner")
        return [owner] if owner else ["team:data-platform"]


# The marts (and the audits that read them) build in a step of their own, after the quality
# checks of staging and identity: a failed error-level check there stops them (see
# orchestration/defs/quality/checks.py).
MARTS_SELECTION = "marts audit"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    name="dbt_transform",
    exclude=MARTS_SELECTION,
    dagster_dbt_translator=LayeredTranslator(),
    # Runs once for any range of export dates loaded upstream.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_transform(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Seeds, staging and intermediate (identity and customer traits), with their tests."""
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    name="dbt_marts",
    select=MARTS_SELECTION,
    dagster_dbt_translator=LayeredTranslator(),
    # Runs once for any range of export dates loaded upstream.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The marts and the audit tables, with their tests."""
    yield from dbt.cli(["build"], context=context).stream()
