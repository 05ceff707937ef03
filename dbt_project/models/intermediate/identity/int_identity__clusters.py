"""One row per source record with the cluster (connected component) it belongs to.

Records join when they share an identifier that is not guarded (see
int_identity__identifier_guards) or when the fuzzy matcher paired them (the pairs of
int_identity__fuzzy_matches that nothing refused). Components come from one sparse-graph
search (SciPy; on Spark, Spark's large-star/small-star rounds, cdp.spark.identity); a
cluster that holds more distinct values of an attribute than one person has (meta
max_values_per_profile in _identity__models.yml) is split (cdp.identity.clustering).
The cluster key is the smallest record key in the component.

Each row carries `edges_digest`, a digest of what its record brings to the graph. A run
clusters again only the components that a new, changed or removed record touches and keeps
every other row of its previous contents; `--vars '{identity_from_scratch: true}'` (passed
by `make full-refresh`) clusters every record.
"""

from cdp.identity.clustering import clustered_records
from cdp.identity.engine import identity_session


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    ids = identity_session(dbt, session)
    ids.view(dbt.ref("int_identity__records"), "_clusters_records")
    ids.view(dbt.ref("int_identity__identifiers"), "_clusters_identifiers")
    ids.view(dbt.ref("int_identity__identifier_guards"), "_clusters_guards")
    ids.view(dbt.ref("int_identity__fuzzy_matches"), "_clusters_fuzzy_judged")
    ids.con.execute(
        "create or replace temp view _clusters_fuzzy as "
        "select * from _clusters_fuzzy_judged where refused_by is null"
    )
    # the previous contents, with their digests (dbt writes the result to a table of its own
    # and only then replaces this one)
    kept = None if ids.from_scratch else ids.previous("_clusters_previous", "edges_digest")
    return ids.result(
        clustered_records(
            ids.con,
            records="_clusters_records",
            identifiers="_clusters_identifiers",
            guards="_clusters_guards",
            fuzzy="_clusters_fuzzy",
            limits=dict(meta["max_values_per_profile"]),
            kept=kept,
            labeler=ids.labeler,
        )
    )
