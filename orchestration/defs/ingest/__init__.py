"""Raw loads of the landing zone into DuckDB schema ``raw``."""

import dagster as dg

from orchestration.defs.ingest.assets import raw_load_assets

defs = dg.Definitions(assets=raw_load_assets)
