"""A dbt-duckdb plugin that registers the Python standardization rules as DuckDB functions.

Declared in ``profiles.yml`` (``plugins: [{module: cdp.standardize.duckdb_udfs}]``), so every
connection dbt opens can call them in SQL:

- ``phone_to_e164(phone, country_code)`` → ``VARCHAR`` (``cdp.standardize.phones``)
- ``phone_kind(e164)`` → ``VARCHAR``: ``mobile``, ``fixed_line``, ... (``cdp.standardize.phones``)
- ``clean_name(name)`` → ``VARCHAR`` (``cdp.standardize.names``)
- ``split_full_name(name)`` → ``STRUCT(first_name VARCHAR, last_name VARCHAR)``

A model that calls one must be a table: the functions exist only on connections that
registered them, so a view calling one cannot be read anywhere else.
"""

from __future__ import annotations

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from cdp.standardize.names import clean_name, split_full_name
from cdp.standardize.phones import phone_kind, to_e164

_VARCHAR = duckdb.sqltype("VARCHAR")
_FULL_NAME = duckdb.struct_type({"first_name": _VARCHAR, "last_name": _VARCHAR})


FUNCTIONS = {
    "phone_to_e164": (to_e164, [_VARCHAR, _VARCHAR], _VARCHAR),
    "phone_kind": (phone_kind, [_VARCHAR], _VARCHAR),
    "clean_name": (clean_name, [_VARCHAR], _VARCHAR),
    "split_full_name": (split_full_name, [_VARCHAR], _FULL_NAME),
}


def register(conn: DuckDBPyConnection) -> None:
    """Register the functions on ``conn`` (also used by tests and Python assets). Connections
    to one database file in one process share its functions, so those already there are kept."""
    present = {
        name
        for (name,) in conn.execute(
            "select function_name from duckdb_functions() where function_name in ?",
            [list(FUNCTIONS)],
        ).fetchall()
    }
    for name, (function, parameters, returns) in FUNCTIONS.items():
        if name not in present:
            conn.create_function(
                name, function, parameters, returns, null_handling="special", side_effects=False
            )


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register(conn)
