"""The audience exports as one asset, downstream of the marts it reads."""

from pathlib import Path

import dagster as dg

from cdp.activation.exports import AUDIENCES_FOLDER, AudienceSourcesMissing, ExportResult
from cdp.activation.segments import SegmentDefinitionError
from orchestration.resources import DuckDBWarehouse, ExportsFolder

# The dbt marts the exports read (dbt model asset keys are [schema, model]).
SEGMENT_MEMBERS = dg.AssetKey(["marts", "segment_members"])
CUSTOMER_CONSENT = dg.AssetKey(["marts", "customer_consent"])
CUSTOMER_PROFILES = dg.AssetKey(["marts", "customer_profiles"])

_COUNTS = (
    "members_in_segment",
    "rows_exported",
    "excluded_without_consent",
    "excluded_without_contact",
)


def export_metadata(results: list[ExportResult], folder: str) -> dict[str, dg.MetadataValue]:
    """Per segment, what went out and what consent or missing contacts held back."""
    metadata: dict[str, dg.MetadataValue] = {
        "exports_dir": dg.MetadataValue.path(folder),
        "segments": dg.MetadataValue.int(len(results)),
        "dagster/row_count": dg.MetadataValue.int(sum(r.rows_exported for r in results)),
        "audiences": dg.MetadataValue.table(
            records=[
                dg.TableRecord(
                    {
                        "segment": r.segment,
                        "channel": r.channel,
                        **{c: getattr(r, c) for c in _COUNTS},
                    }
                )
                for r in results
            ],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn("segment", "string"),
                    dg.TableColumn("channel", "string"),
                    *(dg.TableColumn(c, "int") for c in _COUNTS),
                ]
            ),
        ),
    }
    for result in results:
        for count in _COUNTS[1:]:
            metadata[f"{result.segment}/{count}"] = dg.MetadataValue.int(getattr(result, count))
    return metadata


@dg.asset(
    key=dg.AssetKey(["activation", "audience_exports"]),
    group_name="activation",
    kinds={"duckdb", "parquet", "csv"},
    deps=[SEGMENT_MEMBERS, CUSTOMER_CONSENT, CUSTOMER_PROFILES],
    description=(
        "One CSV, Parquet and JSON manifest per segment of `segments.yml`, in "
        f"`<exports dir>/{AUDIENCES_FOLDER}/`: the members of `marts.segment_members` whose "
        "`marts.customer_consent` is `granted` for every purpose their channel requires, with "
        "the channel's contact columns from `marts.customer_profiles` (SHA-256 digests only "
        "for hashed channels). Exports of segments no longer declared are removed."
    ),
    tags={"layer": "activation"},
    owners=["team:data-platform"],
    # Runs once for any range of export dates loaded upstream.
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def audience_exports(
    context: dg.AssetExecutionContext, warehouse: DuckDBWarehouse, exports: ExportsFolder
) -> dg.MaterializeResult:
    try:
        results = warehouse.get_engine().export_audiences(
            Path(warehouse.path), exports.folder(), log=context.log.info
        )
    except (SegmentDefinitionError, AudienceSourcesMissing) as err:
        raise dg.Failure(description=str(err)) from err
    folder = str(exports.folder() / AUDIENCES_FOLDER)
    return dg.MaterializeResult(metadata=export_metadata(results, folder))
