"""Stable customer ids: one row per source record with its customer_id.

A profile keeps its id from run to run while it persists; when profiles merge, the oldest id
survives; records split off get an id of their own (cdp.identity.ids). The previous run's
assignments are this model's own previous contents; int_identity__customer_id_changes keeps
the history of every id that changed.
"""

from cdp.identity.engine import identity_session
from cdp.identity.ids import assign_customer_ids


def model(dbt, session):
    dbt.config(materialized="table")
    ids = identity_session(dbt, session)
    ids.view(dbt.ref("int_identity__clusters"), "_ids_clusters")
    previous = ids.previous("_ids_previous_contents")
    if previous is not None:
        ids.con.execute(
            f"create or replace temp table _ids_previous_run as select * from {previous}"
        )
        previous = "_ids_previous_run"
    assignments = assign_customer_ids(ids.con, "_ids_clusters", previous)
    return ids.result(f"select * from {assignments}")
