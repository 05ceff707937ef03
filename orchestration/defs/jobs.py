"""The jobs a data engineer runs (a failed run of any job is reported by the run-failure
sensor in ``reports.py``).

``daily_pipeline``    everything: loads of the export dates → dbt (staging, identity) → quality
                      gate → marts → audience exports → site
``load_exports``      the raw loads and the privacy purge (what the sensor starts when a
                      folder lands)
``reload_<source>``   one source's loads for the chosen dates, and everything downstream
``rebuild_identity``  identity resolution and everything after it, from the staged data
``rebuild_docs``      the documentation site from the recorded results
"""

import dagster as dg

from cdp.sources import SOURCE_FILES
from orchestration.defs.ingest.partitions import export_dates

RAW = dg.AssetSelection.groups("raw")
# Retention and the removal of re-delivered exports of erased people follow every load, so
# such an export never stays in raw; the warehouse rewrite, when one is due, comes with them.
# New erasure requests are not resolved here: privacy/erasure_completed needs the identity
# that dbt builds in the same run, so the daily pipeline completes them.
PRIVACY = dg.AssetSelection.groups("privacy", "maintenance") - dg.AssetSelection.assets(
    dg.AssetKey(["privacy", "erasure_completed"])
)

daily_pipeline = dg.define_asset_job(
    "daily_pipeline",
    selection=dg.AssetSelection.all(),
    partitions_def=export_dates,
    description="Loads of the chosen export dates, then every model, check, export and page.",
)
load_exports = dg.define_asset_job(
    "load_exports",
    selection=RAW | PRIVACY,
    partitions_def=export_dates,
    description=(
        "The raw loads of the chosen export dates, then retention and the removal of "
        "re-delivered exports of erased people: what the export-folder sensor starts. New "
        "erasure requests are completed by daily_pipeline, through the identity it builds."
    ),
)
reload_jobs = [
    dg.define_asset_job(
        f"reload_{source}",
        selection=dg.AssetSelection.tag("source", source).required_multi_asset_neighbors() & RAW
        | (dg.AssetSelection.tag("source", source) & RAW).downstream(),
        partitions_def=export_dates,
        description=f"Reload {source}'s exports of the chosen dates and rebuild what they feed.",
    )
    for source in sorted({spec.source for spec in SOURCE_FILES})
]
rebuild_identity = dg.define_asset_job(
    "rebuild_identity",
    selection=dg.AssetSelection.groups("intermediate").downstream(),
    description="Identity resolution, the marts, their checks, the exports and the site.",
)
rebuild_docs = dg.define_asset_job(
    "rebuild_docs",
    selection=dg.AssetSelection.assets(dg.AssetKey(["quality", "site"])),
    description="The documentation site from the recorded quality results.",
)

jobs = [daily_pipeline, load_exports, *reload_jobs, rebuild_identity, rebuild_docs]
