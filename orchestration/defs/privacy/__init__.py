"""Privacy: retention and the removal of re-delivered rows before dbt reads raw; erasure
requests after this run's identity, before the marts; the warehouse rewrite, when due, last."""

import dagster as dg

from orchestration.defs.privacy.assets import (
    ERASURE_KEY,
    PURGE_KEY,
    erasure_completed,
    privacy_purge,
    warehouse_compacted,
)

__all__ = ["ERASURE_KEY", "PURGE_KEY"]

defs = dg.Definitions(assets=[privacy_purge, erasure_completed, warehouse_compacted])
