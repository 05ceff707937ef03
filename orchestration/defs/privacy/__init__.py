"""Privacy: erasure with a suppression list, and retention, before dbt reads raw."""

import dagster as dg

from orchestration.defs.privacy.assets import PURGE_KEY, privacy_purge, warehouse_compacted

__all__ = ["PURGE_KEY"]

defs = dg.Definitions(assets=[privacy_purge, warehouse_compacted])
