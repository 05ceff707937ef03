"""The privacy purge as assets: after every raw load, before staging reads raw (re-deliveries
of erased people, retention); and after this run's identity, before the marts (erasure
requests, resolved through that identity until nothing of the person is left)."""

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from cdp.privacy.compaction import compact_if_due
from cdp.privacy.erasure import (
    ERASURE_READS,
    REBUILT_SELECTION,
    ErasureIncomplete,
    complete_erasure,
    purge_before_dbt,
    removed_by_layer,
)
from cdp.privacy.keys import PrivacyKeyMissing, require_key
from cdp.privacy.retention import RetentionPolicy
from cdp.sources import SOURCE_FILES
from orchestration.dbt_console import dbt_console
from orchestration.dbt_parses import invoke, succeeded
from orchestration.resources import DuckDBWarehouse, PrivacyPolicy

PURGE_KEY = dg.AssetKey(["privacy", "purge"])
ERASURE_KEY = dg.AssetKey(["privacy", "erasure_completed"])
COMPACTED_KEY = dg.AssetKey(["privacy", "warehouse_compacted"])
# The identity tables that erasure requests are resolved through, built by dbt in the run.
IDENTITY_KEYS = [dg.AssetKey(name.split(".")) for name in ERASURE_READS]


@dg.asset(
    key=PURGE_KEY,
    group_name="privacy",
    kinds={"duckdb", "python"},
    owners=["team:data-platform"],
    deps=[dg.AssetKey(spec.asset_key) for spec in SOURCE_FILES],
    # Runs once for any range of export dates loaded upstream.
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "Before dbt reads raw (docs/privacy.md): rows loaded since the previous purge that name "
        "an identifier on the suppression list of erased people (an old export delivered "
        "again) are removed, and raw data older than the retention periods is purged. New "
        "erasure requests wait for privacy/erasure_completed, which resolves them through the "
        "identity built in this run. Logs: privacy.erasure_log and privacy.retention_log "
        "(counts only)."
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
        report, retained = purge_before_dbt(
            con,
            key,
            context.run.run_id,
            RetentionPolicy(privacy.retention_raw_days, privacy.retention_events_days),
            exports_dir=Path(privacy.exports_dir),
            doc_dirs=tuple(Path(d) for d in privacy.doc_dirs),
            log=context.log.debug,
        )
        suppressed = con.execute("select count(*) from privacy.suppression_list").fetchall()
    # raw as dbt will read it (on Spark, the changed raw tables published)
    warehouse.get_engine().publish_raw(Path(warehouse.path))
    by_layer = report.by_layer()
    context.log.info(
        f"erasure of re-delivered rows: rows removed by layer: {by_layer or 'none'}; "
        f"retention: {sum(retained.values())} raw row(s) purged; new requests are resolved "
        "after identity (privacy/erasure_completed)"
    )
    metadata: dict[str, dg.MetadataValue] = {
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
    key=ERASURE_KEY,
    group_name="privacy",
    kinds={"duckdb", "python", "dbt"},
    owners=["team:data-platform"],
    # After this run's identity; every model of the marts, audit and pseudonymized layers
    # waits for it (orchestration/defs/dbt/assets.py).
    deps=IDENTITY_KEYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "Erasure requests completed in the run that receives them (docs/privacy.md): each "
        "request is resolved through the identity built in this run to every record of the "
        "person; their raw rows, rejected lines, identity history, audience exports and "
        "documentation files go, and keyed hashes of their identifiers join the suppression "
        "list. When raw changed, staging and identity are rebuilt with dbt and the purge "
        "repeats through the rebuilt identity until a round removes nothing, so the marts "
        "are built without the person. Log: privacy.erasure_log (counts only)."
    ),
)
def erasure_completed(
    context: dg.AssetExecutionContext,
    warehouse: DuckDBWarehouse,
    privacy: PrivacyPolicy,
    dbt: DbtCliResource,
) -> dg.MaterializeResult:
    try:
        key = require_key()
    except PrivacyKeyMissing as err:
        raise dg.Failure(description=str(err), allow_retries=False) from err

    engine = warehouse.get_engine()

    def rebuild() -> None:
        """dbt rebuilds staging and identity from raw; no connection of ours is open."""
        engine.publish_raw(Path(warehouse.path))
        args = ["run", "--select", REBUILT_SELECTION, *warehouse.dbt_args()]
        invocation = invoke(dbt, args, raise_on_error=False)
        with dbt_console(context.log.debug):
            invocation.wait()
        error = invocation.get_error()
        if error is None:
            succeeded(invocation, args)
        else:
            raise dg.Failure(
                description=(
                    "the erasure removed raw rows but dbt could not rebuild staging and "
                    f"identity from raw: {error}"
                )
            )

    try:
        rounds = complete_erasure(
            lambda: engine.erasure_connection(Path(warehouse.path)),
            rebuild,
            key,
            run_id=context.run.run_id,
            exports_dir=Path(privacy.exports_dir),
            doc_dirs=tuple(Path(d) for d in privacy.doc_dirs),
            log=context.log.info,
            progress=context.log.debug,
        )
    except ErasureIncomplete as err:
        raise dg.Failure(description=str(err)) from err
    by_layer = removed_by_layer(rounds)
    with warehouse.connect() as con:
        suppressed = con.execute("select count(*) from privacy.suppression_list").fetchall()
    context.log.info(
        f"erasure complete after {len(rounds)} round(s): "
        f"{rounds[0].report.requests} new request(s), rows removed by layer: "
        f"{by_layer or 'none'}"
    )
    metadata: dict[str, dg.MetadataValue] = {
        "requests_processed": dg.MetadataValue.int(rounds[0].report.requests),
        "customers_erased": dg.MetadataValue.int(sum(r.report.customers for r in rounds)),
        "records_erased": dg.MetadataValue.int(sum(r.report.records for r in rounds)),
        "rounds": dg.MetadataValue.int(len(rounds)),
        "raw_rows_removed_per_round": dg.MetadataValue.json([r.raw_rows for r in rounds]),
        "seconds_per_round": dg.MetadataValue.json([round(r.report.seconds, 2) for r in rounds]),
        "rebuild_seconds_per_round": dg.MetadataValue.json(
            [round(r.rebuild_seconds, 2) for r in rounds if r.rebuild_seconds is not None]
        ),
        "suppression_list_size": dg.MetadataValue.int(suppressed[0][0]),
        # The rows this step removed from the warehouse.
        "dagster/row_count": dg.MetadataValue.int(
            by_layer.get("raw", 0) + by_layer.get("rejects", 0)
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
    deps=[PURGE_KEY, ERASURE_KEY, dg.AssetKey(["quality", "site"])],
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "The warehouse file rewritten with live data only, so that no freed block still holds "
        "the bytes of an erased person (docs/privacy.md), when it is due: the oldest erasure "
        "not yet compacted would otherwise stay in the file longer than CDP_COMPACTION_DAYS "
        "(default 7; 1 rewrites it in the run that erased). Runs last; rows held back at their "
        "load (never written) need no rewrite."
    ),
)
def warehouse_compacted(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, privacy: PrivacyPolicy
) -> dg.MaterializeResult:
    within = privacy.compaction_days
    pending, result = compact_if_due(Path(warehouse.path), within, run_id=context.run.run_id)
    metadata: dict = {
        "pending_erasure_entries": dg.MetadataValue.int(pending.entries),
        "compaction_days": dg.MetadataValue.int(within),
    }
    if pending.oldest is not None:
        metadata["oldest_pending"] = dg.MetadataValue.text(f"{pending.oldest:%Y-%m-%d %H:%M} UTC")
        metadata["due_by"] = dg.MetadataValue.text(str(pending.due_by(within)))
    if result is None:
        context.log.info(f"warehouse file left as it is: {pending.describe(within)}")
        return dg.MaterializeResult(
            metadata={**metadata, "compacted": False, "dagster/row_count": dg.MetadataValue.int(0)}
        )
    context.log.info(
        f"warehouse rewritten with live data only ({pending.describe(within)}): "
        f"{result.bytes_before:,} → {result.bytes_after:,} bytes"
    )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "compacted": True,
            "bytes_before": dg.MetadataValue.int(result.bytes_before),
            "bytes_after": dg.MetadataValue.int(result.bytes_after),
            # The erasure log rows whose freed bytes it removed.
            "dagster/row_count": dg.MetadataValue.int(pending.entries),
        }
    )
