"""The dbt project as Dagster assets: every model an asset, every dbt test an asset check.

dbt sources ``<source>.<entity>`` map to the asset keys ``[source, entity]`` of the raw loads,
so lineage from raw to staging joins by itself.
"""

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
from cdp.duckdb_budget import connect
from cdp.quality.dbt_results import record_invocation
from orchestration.dbt_console import dbt_console
from orchestration.dbt_parses import invoke, succeeded
from orchestration.defs.privacy.assets import ERASURE_KEY, PURGE_KEY
from orchestration.resources import DuckDBWarehouse

# The manifest is written by `make dbt-parse`, which every make target that loads the
# definitions runs first (`make run`, `make ui`, `make test`): loading them parses nothing.
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROJECT_ROOT)

LAYERS = ("staging", "intermediate", "marts", "audit", "pseudonymized")
# The models built after the erasure of this run's requests (privacy/erasure_completed), as
# dbt selectors of folders: the customer traits and every layer after them. The models before
# them (staging and identity) are what the erasure's rounds rebuild (REBUILT_SELECTION).
AFTER_ERASURE = ("intermediate.customers", "marts", "audit", "pseudonymized")


def after_erasure(fqn: list[str]) -> bool:
    """Whether the model of dbt name path ``fqn`` (project, folders, name) is built after the
    erasure: its folders start with one of ``AFTER_ERASURE``."""
    folders = fqn[1:-1]
    return any(folders[: len(parts)] == parts for parts in (f.split(".") for f in AFTER_ERASURE))


class LayeredTranslator(DagsterDbtTranslator):
    """Groups models by their layer folder (staging, intermediate, marts, audit), and the
    seeds (country names, exchange rates, answer vocabularies) as reference data."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        layer = next((part for part in fqn if part in LAYERS), None)
        return layer or super().get_group_name(dbt_resource_props)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        """Models that read raw sources also wait for the privacy purge, so no re-delivered
        row of an erased person and no row past retention reaches staging; the customer
        traits and the models of the marts, audit and pseudonymized layers wait for the
        erasure of this run's requests, which resolves them through this run's identity and
        rebuilds staging and identity without the person."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        upstream = (props.get("depends_on") or {}).get("nodes", [])
        if props.get("resource_type") == "model" and any(
            node.startswith("source.") for node in upstream
        ):
            spec = spec.merge_attributes(deps=[PURGE_KEY])
        if props.get("resource_type") == "model" and after_erasure(props.get("fqn", [])):
            spec = spec.merge_attributes(deps=[ERASURE_KEY])
        return spec

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        """A model's `meta.owner` when it names one, else the data platform team."""
        owner = (dbt_resource_props.get("meta") or {}).get("owner")
        return [owner] if owner else ["team:data-platform"]


def relation_row_counts(warehouse: Path, relations: Iterable[tuple[str, str]]) -> dict:
    """Rows of each ``(schema, name)`` relation that exists in the warehouse, read-only.

    Read after dbt has finished: DuckDB takes one writer process at a time, so the counts
    cannot be taken while the dbt subprocess holds the file."""
    wanted = set(relations)
    if not wanted or not warehouse.exists():
        return {}
    counts: dict[tuple[str, str], int] = {}
    con = connect(str(warehouse), read_only=True)
    try:
        existing = {
            (schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        for schema, name in sorted(wanted & existing):
            counts[(schema, name)] = con.execute(
                f'select count(*) from "{schema}"."{name}"'
            ).fetchall()[0][0]
    finally:
        con.close()
    return counts


def with_row_counts(
    context: dg.AssetExecutionContext,
    events: Iterable[Any],
    manifest: Mapping[str, Any],
    warehouse: Path,
) -> Iterator[Any]:
    """Pass dbt's events through with ``dagster/row_count`` on every materialized model and seed.

    The events are held until dbt exits (dbt's progress lines go to DEBUG: ``DbtConsole``),
    then the counts are read and added. When dbt fails, what it built is still reported, then
    the error raised.

    Why not dagster-dbt's ``fetch_row_counts()``: it too waits for dbt to exit on DuckDB, then
    counts through dbt's adapter in this process, which keeps the warehouse open with dbt's
    settings; the next step's connection (``cdp.duckdb_budget``, other settings) then fails
    with "Can't open a connection to same database file with a different configuration than
    existing connections" (tried with dagster-dbt 0.29: the quality gate after dbt failed)."""
    held: list[Any] = []
    error: BaseException | None = None
    try:
        with dbt_console(context.log.debug):
            for event in events:
                held.append(event)
                if isinstance(event, dg.Output | dg.AssetMaterialization):
                    context.log.debug(f"dbt built {event.metadata['unique_id'].value}")
    except Exception as exc:  # reported after the events dbt produced before it
        error = exc
    nodes = manifest["nodes"]

    def relation(event: Any) -> tuple[str, str] | None:
        """The warehouse relation a model's or seed's event reports, else None."""
        if not isinstance(event, dg.Output | dg.AssetMaterialization):
            return None
        unique_id = event.metadata.get("unique_id")
        node = nodes.get(unique_id.value) if unique_id is not None else None
        return (node["schema"], node.get("alias") or node["name"]) if node else None

    relations = [relation(event) for event in held]
    try:
        counts = relation_row_counts(warehouse, filter(None, relations))
    except duckdb.Error as exc:
        context.log.warning(f"row counts not read from the warehouse: {exc}")
        counts = {}
    for event, rel in zip(held, relations, strict=True):
        if rel in counts:
            event = event.with_metadata(
                {**event.metadata, "dagster/row_count": dg.MetadataValue.int(counts[rel])}
            )
        yield event
    if error is not None:
        raise error


class DbtBuildConfig(dg.Config):
    """Run configuration of the dbt steps."""

    full_refresh: bool = False
    """Rebuild the incremental models from all of raw (``dbt build --full-refresh``), score
    every pair of records and choose every golden record again, instead of processing what
    arrived since the last run (``make full-refresh``)."""


def build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    config: DbtBuildConfig,
    warehouse: DuckDBWarehouse,
) -> Iterator[Any]:
    """``dbt build`` of the step's selection with its data tests, its events with row counts.

    Unit tests are left to ``make test`` (CI): their inputs are fixed rows, so a scheduled run
    would only repeat them (42 unit tests, 8 s at any size). The data tests' results go to
    ``audit.dbt_test_results`` for the stakeholder page (``cdp.quality.dbt_results``)."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        # identity's kept results (fuzzy pairs, golden records) are tables that read their own
        # previous contents, not incremental models: they are asked by a variable
        args += ["--full-refresh", *warehouse.dbt_args(identity_from_scratch=True)]
    else:
        args += warehouse.dbt_args()
    invocation = invoke(dbt, args, context)
    try:
        yield from with_row_counts(
            context, invocation.stream(), invocation.manifest, Path(warehouse.path)
        )
    finally:
        # dbt has exited and let the warehouse go: its data tests' results, failed ones too,
        # are kept for the stakeholder page. Not recorded is a warning, never a failed step.
        try:
            recorded = record_invocation(
                Path(invocation.target_path),
                Path(warehouse.path),
                context.run_id,
                invocation.manifest,
            )
            context.log.debug(f"dbt test results recorded: {recorded}")
        except Exception as exc:  # noqa: BLE001 - the step's outcome is dbt's, not this
            context.log.warning(f"dbt test results not recorded: {type(exc).__name__}: {exc}")
    succeeded(invocation, args)  # reached only when dbt succeeded


# The customer traits, the marts and the audits that read them build in a step of their own,
# after the erasure and the quality checks of staging and identity: a failed error-level
# check there stops them (see orchestration/defs/quality/checks.py).
MARTS_SELECTION = " ".join(AFTER_ERASURE)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    name="dbt_transform",
    exclude=MARTS_SELECTION,
    dagster_dbt_translator=LayeredTranslator(),
    # Runs once for any range of export dates loaded upstream.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_transform(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: DuckDBWarehouse,
    config: DbtBuildConfig,
):
    """Seeds, staging and identity, with their tests."""
    yield from build(context, dbt, config, warehouse)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    name="dbt_marts",
    select=MARTS_SELECTION,
    dagster_dbt_translator=LayeredTranslator(),
    # Runs once for any range of export dates loaded upstream.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_marts(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: DuckDBWarehouse,
    config: DbtBuildConfig,
):
    """The customer traits, the marts, the audit tables and the pseudonymized copies, with
    their tests."""
    yield from build(context, dbt, config, warehouse)
