"""The privacy purge as an asset: after every raw load, before staging reads raw."""

from pathlib import Path

import dagster as dg

from cdp.privacy.compaction import compact
from cdp.privacy.erasure import Purge
from cdp.privacy.keys import PrivacyKeyMissing, require_key
from cdp.privacy.retention import RetentionPolicy, apply_retention
from cdp.sources import SOURCE_FILES
from orchestration.resources import DuckDBWarehouse, PrivacyPolicy

PURGE_KEY = dg.AssetKey(["privacy", "purge"])
COMPACTED_KEY = dg.AssetKey(["privacy", "warehouse_compacted"])


@dg.asset(
    key=PURGE_KEY,
    group_name="privacy",
    kinds={"duckdb", "python"},
    owners=["team:data-platform"],
    deps=[dg.AssetKey(spec.asset_key) for spec in SOURCE_FILES],
    # Runs once for any range of export dates loaded upstream.
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "Erasure and retention in the warehouse (docs/privacy.md). Erasure requests are "
        "resolved through the identity graph to every record of the person; their raw rows, "
        "rejected lines, identity history, audience exports and documentation files go, and "
        "keyed hashes of their identifiers join the suppression list, so that an old export "
        "delivered again is removed before dbt reads it. Raw data older than the retention "
        "periods is purged. Logs: privacy.erasure_log and privacy.retention_log (counts only)."
    ),
)
def privacy_purge(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, privacy: PrivacyPolicy
) -> dg.MaterializeResult:
    try:
        key = require_key()
    except PrivacyKeyMissing as err:
        raise dg.Failure(description=str(err), allow_retries=False) from err
    with warehouse.connect() as con:
        purge = Purge(
            con,
            key,
            run_id=context.run.run_id,
            exports_dir=Path(privacy.exports_dir),
            doc_dirs=tuple(Path(d) for d in privacy.doc_dirs),
            log=context.log.info,
        )
        report = purge.run()
        retained = apply_retention(
            con,
            RetentionPolicy(privacy.retention_raw_days, privacy.retention_events_days),
            run_id=context.run.run_id,
            log=context.log.info,
        )
        suppressed = con.execute("select count(*) from privacy.suppression_list").fetchall()
    by_layer = report.by_layer()
    context.log.info(
        f"erasure: {report.requests} request(s) with identifiers, {report.customers} "
        f"customer(s) and {report.records} record(s) resolved, rows removed by layer: "
        f"{by_layer or 'none'}; retention: {sum(retained.values())} raw row(s) purged"
    )
    metadata: dict[str, dg.MetadataValue] = {
        "requests_processed": dg.MetadataValue.int(report.requests),
        "customers_erased": dg.MetadataValue.int(report.customers),
        "records_erased": dg.MetadataValue.int(report.records),
        "suppression_list_size": dg.MetadataValue.int(suppressed[0][0]),
        "retention_rows_purged": dg.MetadataValue.int(sum(retained.values())),
        "seconds": round(report.seconds, 2),
        # The rows this step removed from the warehouse.
        "dagster/row_count": dg.MetadataValue.int(
            by_layer.get("raw", 0) + by_layer.get("rejects", 0) + sum(retained.values())
        ),
    }
    for layer, rows in sorted(by_layer.items()):
        metadata[f"erased/{layer}"] = dg.MetadataValue.int(rows)
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=COMPACTED_KEY,
    # Last of all, after the site: a group of its own keeps the layer graph reading left to right.
    group_name="maintenance",
    kinds={"duckdb"},
    owners=["team:data-platform"],
    deps=[PURGE_KEY, dg.AssetKey(["quality", "site"])],
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "After a run that erased someone, the warehouse file is rewritten with live data only, "
        "so that no freed block still holds the bytes of an erased person (docs/privacy.md). "
        "Runs last; a run that erased nobody leaves the file as it is."
    ),
)
def warehouse_compacted(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse
) -> dg.MaterializeResult:
    path = Path(warehouse.path)
    with warehouse.connect() as con:
        erased = con.execute(
            "select count(*) from privacy.erasure_log where run_id = ?", [context.run.run_id]
        ).fetchall()[0][0]
    if not erased:
        context.log.info("nobody was erased in this run: the warehouse file is left as it is")
        return dg.MaterializeResult(
            metadata={"compacted": False, "dagster/row_count": dg.MetadataValue.int(0)}
        )
    result = compact(path)
    context.log.info(
        f"warehouse rewritten with live data only: {result.bytes_before:,} → "
        f"{result.bytes_after:,} bytes"
    )
    return dg.MaterializeResult(
        metadata={
            "compacted": True,
            "bytes_before": dg.MetadataValue.int(result.bytes_before),
            "bytes_after": dg.MetadataValue.int(result.bytes_after),
            # The erasure log rows of this run that made it necessary.
            "dagster/row_count": dg.MetadataValue.int(erased),
        }
    )
