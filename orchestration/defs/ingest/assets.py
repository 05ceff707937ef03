"""One raw-load asset per source file type, keyed ``[source, entity]`` like its dbt source."""

from datetime import date

import dagster as dg

from cdp.ingest.loader import LINEAGE_COLUMNS, LoadReport, load_file_type
from cdp.ingest.reconcile import reconcile_landing_zone
from cdp.privacy.holdback import LoadSuppression
from cdp.sources import SOURCE_FILES, SourceFile
from orchestration.defs.ingest.partitions import export_dates
from orchestration.resources import DuckDBWarehouse, LandingZone

# Reading a landing zone on a network share can fail for a moment: try again, waiting longer.
LOAD_RETRIES = dg.RetryPolicy(max_retries=3, delay=5, backoff=dg.Backoff.EXPONENTIAL)


def report_metadata(report: LoadReport) -> dict[str, dg.MetadataValue]:
    """What a data engineer wants to see on each materialization."""
    spec = report.spec
    discovery = report.discovery
    return {
        "dagster/row_count": dg.MetadataValue.int(report.table_rows),
        "dagster/table_name": dg.MetadataValue.text(f"raw.{spec.table}"),
        "files_seen": dg.MetadataValue.int(len(discovery.deliveries)),
        "files_loaded": dg.MetadataValue.int(report.count("loaded", "replaced")),
        "files_replaced": dg.MetadataValue.int(report.count("replaced")),
        "files_unchanged": dg.MetadataValue.int(report.count("unchanged")),
        "files_duplicate": dg.MetadataValue.int(report.count("duplicate")),
        "files_failed": dg.MetadataValue.int(report.count("failed")),
        "rows_loaded": dg.MetadataValue.int(report.rows_loaded),
        "rows_rejected": dg.MetadataValue.int(report.rows_rejected),
        # counted in rows_loaded and rows_rejected, and removed before they were written
        "rows_held_back": dg.MetadataValue.int(report.rows_held_back),
        "rejects_in_table": dg.MetadataValue.int(report.table_rejects),
        "incomplete_folders": dg.MetadataValue.json(discovery.incomplete_folders),
        "unrecognised_folders": dg.MetadataValue.json(discovery.unrecognised_folders),
        "folders_without_file": dg.MetadataValue.json(discovery.folders_without_file),
        "new_columns": dg.MetadataValue.json(report.new_columns),
        "missing_columns": dg.MetadataValue.json(report.missing_columns),
        "failed_files": dg.MetadataValue.json({f.relative_path: f.error for f in report.failed}),
        "future_folders": dg.MetadataValue.json(discovery.future_folders),
        "outside_landing_zone": dg.MetadataValue.json(discovery.outside_landing_zone),
    }


def _column_schema(spec: SourceFile) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type, description=c.description or None)
            for c in (*spec.columns, *LINEAGE_COLUMNS)
        ]
    )


def build_raw_load_asset(spec: SourceFile) -> dg.AssetsDefinition:
    @dg.asset(
        key=dg.AssetKey(spec.asset_key),
        group_name="raw",
        kinds={"duckdb", "python"},
        description=(
            f"{spec.description} Loads `{spec.source}/<YYYY-MM-DD>/{spec.filename}` "
            f"({spec.kind} export, {spec.format}) from complete folders into "
            f"`raw.{spec.table}`, one export date (partition) at a time."
        ),
        metadata={
            "dagster/column_schema": _column_schema(spec),
            "dagster/table_name": f"raw.{spec.table}",
            "export_kind": spec.kind,
            "file_format": spec.format,
        },
        tags={"layer": "raw", "source": spec.source},
        owners=["team:data-platform"],
        partitions_def=export_dates,
        # A backfill of many days is one run that loads them in order.
        backfill_policy=dg.BackfillPolicy.single_run(),
        retry_policy=LOAD_RETRIES,
    )
    def _load(
        context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, landing: LandingZone
    ) -> dg.MaterializeResult:
        landing_dir = landing.require()
        days = sorted(date.fromisoformat(key) for key in context.partition_keys)
        if days:
            context.log.debug(f"{spec.name}: loading export dates {days[0]} to {days[-1]}")
        # A line per file at DEBUG (the run's page in the UI keeps them); the console gets
        # the source's summary, what changed shape and what failed.
        with warehouse.connect() as con:
            # rows that name erased people are held back, never written (cdp.privacy.holdback)
            hold_back = LoadSuppression.of_warehouse(con, context.run.run_id)
            report = load_file_type(
                con,
                landing_dir,
                spec,
                log=context.log.debug,
                export_dates=days,
                hold_back=hold_back,
            )
        context.log.info(report.summary())
        for path, columns in report.new_columns.items():
            context.log.warning(
                f"{spec.name}: {path} has columns the contract does not declare, loaded as new "
                f"columns: {', '.join(columns)}"
            )
        for path, columns in report.missing_columns.items():
            context.log.warning(
                f"{spec.name}: {path} lacks declared columns, left empty: {', '.join(columns)}"
            )
        if report.failed:
            # The file is set aside (failed in the manifest, retried next run); this source's
            # other files load, and the rest of the pipeline builds on its last good data.
            # The run still ends failed: see maintenance/landing_reconciled.
            for failed in report.failed:
                context.log.error(
                    f"{spec.name}: {failed.relative_path} could not be read and was not "
                    f"loaded: {failed.error}. Fix or re-deliver the file; the next run retries it."
                )
        return dg.MaterializeResult(metadata=report_metadata(report))

    return _load


raw_load_assets = [build_raw_load_asset(spec) for spec in SOURCE_FILES]


LANDING_RECONCILED_KEY = dg.AssetKey(["maintenance", "landing_reconciled"])


@dg.asset(
    key=LANDING_RECONCILED_KEY,
    group_name="maintenance",
    kinds={"duckdb", "python"},
    owners=["team:data-platform"],
    # Last of all, so that everything else is built (on the last good data of a source whose
    # file failed) before this step fails the run.
    deps=[
        *(dg.AssetKey(spec.asset_key) for spec in SOURCE_FILES),
        dg.AssetKey(["privacy", "warehouse_compacted"]),
    ],
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "Every file of every complete export folder in the landing zone has its row in "
        "`raw._load_manifest`, loaded (or recorded as a re-sent duplicate). Runs last: when a "
        "file could not be read, or a folder was never loaded, the rest of the pipeline has "
        "been built on the last good data of that source, and this step fails the run with the "
        "list (so the run report is written). Folders that are there but not loaded (unknown "
        "source, dated in the future, outside the landing zone, not yet complete) are reported."
    ),
)
def landing_reconciled(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, landing: LandingZone
) -> dg.MaterializeResult:
    landing_dir = landing.require()
    with warehouse.connect() as con:
        reconciliation = reconcile_landing_zone(con, landing_dir)
    for line in reconciliation.notices:
        context.log.warning(line)
    metadata = {
        "files_in_landing_zone": dg.MetadataValue.int(reconciliation.files),
        "files_not_loaded": dg.MetadataValue.json(reconciliation.not_loaded),
        "files_failed": dg.MetadataValue.json(reconciliation.failed),
        "stale_sources": dg.MetadataValue.json(reconciliation.last_good),
        "not_loaded_folders": dg.MetadataValue.json(reconciliation.refused),
        "unknown_sources": dg.MetadataValue.json(reconciliation.unknown_sources),
        "dagster/row_count": dg.MetadataValue.int(reconciliation.files),
    }
    if reconciliation.problems:
        raise dg.Failure(
            description=reconciliation.failure_message(), metadata=metadata, allow_retries=False
        )
    context.log.info(
        f"landing zone reconciled: all {reconciliation.files} files of complete folders loaded"
    )
    return dg.MaterializeResult(metadata=metadata)
