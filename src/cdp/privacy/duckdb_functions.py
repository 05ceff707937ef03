"""A dbt-duckdb plugin that gives dbt's connections ``pseudonymize(value)``: the keyed hash of a
value under the pseudonym key derived from the privacy key (``cdp.privacy.keys``).

It is a temporary macro created from Python on each connection, so the key never appears in a
model's compiled SQL, in ``target/`` or in dbt's logs. Like the standardization functions, it
exists only on dbt's connections: a model that calls it must be a table. Without a privacy key
the macro raises an error that says how to set one.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from cdp.privacy.keys import PSEUDONYM, derive, hmac_sql, key_file, load_key


def register(conn: DuckDBPyConnection) -> None:
    key = load_key()
    if key is None:
        message = (
            "pseudonymize(): no privacy key; set CDP_PRIVACY_KEY or run "
            f"`python -m cdp.privacy ensure-key` to create {key_file()}"
        ).replace("'", "''")
        # typed as the pseudonym is, so that a model's contract check passes and the build
        # itself stops with this message (an untyped error() reads as a contract mismatch)
        body = f"cast(error('{message}') as varchar)"
    else:
        body = f"case when value is not null then {hmac_sql('value', derive(key, PSEUDONYM))} end"
    conn.execute(f"create or replace temp macro pseudonymize(value) as {body}")


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        register(conn)

    def configure_cursor(self, cursor: DuckDBPyConnection) -> None:
        # dbt-duckdb runs models on cursors, which do not see the connection's temporary
        # macros: each cursor gets its own.
        register(cursor)
