"""Raw loads of the landing zone into DuckDB schema ``raw``, and the reconciliation of the
landing zone with the load manifest at the end of every run."""

import dagster as dg

from orchestration.defs.ingest.assets import landing_reconciled, raw_load_assets

defs = dg.Definitions(assets=[*raw_load_assets, landing_reconciled])
