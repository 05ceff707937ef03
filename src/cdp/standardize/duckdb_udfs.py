"""A dbt-duckdb plugin that registers the Python standardization rules as DuckDB functions.

Declared in ``profiles.yml`` (``plugins: [{module: cdp.standardize.duckdb_udfs}]``), so every
connection dbt opens can call ``phone_to_e164(phone, country_code)`` in SQL.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from cdp.standardize.phones import to_e164


def register(conn: DuckDBPyConnection) -> None:
    """Register the functions on ``conn`` (also used by tests and Python assets)."""
    conn.create_function(
        "phone_to_e164",
        to_e164,
        ["VARCHAR", "VARCHAR"],
        "VARCHAR",
        null_handling="special",
        side_effects=False,
    )


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register(conn)
