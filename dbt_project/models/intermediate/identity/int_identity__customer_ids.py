"""Stable customer ids: one row per source record with its customer_id.

A profile keeps its id from run to run while it persists; when profiles merge, the oldest id
survives; records split off get an id of their own (cdp.identity.ids). The previous run's
assignments are this model's own previous contents; int_identity__customer_id_changes keeps
the history of every id that changed.
"""

from cdp.identity.ids import assign_customer_ids
from cdp.warehouse import table_exists


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("int_identity__clusters").create_view("_ids_clusters")
    previous = None
    if table_exists(session, dbt.this.schema, dbt.this.identifier):
        session.execute(
            f"create or replace temp table _ids_previous_run as select * from {dbt.this}"
        )
        previous = "_ids_previous_run"
    assignments = assign_customer_ids(session, "_ids_clusters", previous)
    return session.sql(f"select * from {assignments}")
