"""What identity's dbt Python models keep from their last run.

Fuzzy matching, clusters and golden records are tables that read their own previous contents
and redo only what changed. Each asks the same two questions, answered here once: was it asked
to start from scratch (`--vars '{identity_from_scratch: true}'`, which `make full-refresh`
passes, as the model's `from_scratch` config), and does its previous table carry what the
current code keeps (a table built by an older version is built again in full).
"""

from __future__ import annotations

from typing import Any

from cdp.warehouse import column_names


def from_scratch(dbt: Any) -> bool:
    """True when the model's ``from_scratch`` config (a dbt variable, rendered as text) is set."""
    return str(dbt.config.get("from_scratch")).strip().lower() in ("true", "1", "yes")


def kept_contents(dbt: Any, session: Any, marker: str) -> str | None:
    """The model's previous table to keep rows from, or None when it is asked to start from
    scratch or its table lacks the column ``marker`` (none yet, or one built without it)."""
    if from_scratch(dbt) or marker not in column_names(
        session, dbt.this.schema, dbt.this.identifier
    ):
        return None
    return str(dbt.this)
