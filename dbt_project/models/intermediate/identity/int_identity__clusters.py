"""One row per source record with the cluster (connected component) it belongs to.

Records join when they share an identifier that is not guarded (see
int_identity__identifier_guards) or when the fuzzy matcher paired them (the pairs of
int_identity__fuzzy_matches that nothing refused). Components come from one sparse-graph
search (SciPy); a cluster that holds more distinct values of an attribute than one person has
(meta max_values_per_profile in _identity__models.yml) is split (cdp.identity.clustering).
The cluster key is the smallest record key in the component.
"""

from cdp.identity.clustering import cluster_records


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta")
    dbt.ref("int_identity__records").create_view("_clusters_records")
    dbt.ref("int_identity__identifiers").create_view("_clusters_identifiers")
    dbt.ref("int_identity__identifier_guards").create_view("_clusters_guards")
    dbt.ref("int_identity__fuzzy_matches").create_view("_clusters_fuzzy_judged")
    session.execute(
        "create or replace temp view _clusters_fuzzy as "
        "select * from _clusters_fuzzy_judged where refused_by is null"
    )
    clusters, split = cluster_records(
        session,
        records="_clusters_records",
        identifiers="_clusters_identifiers",
        guards="_clusters_guards",
        fuzzy="_clusters_fuzzy",
        limits=dict(meta["max_values_per_profile"]),
    )
    return session.sql(
        f"""
        select clusters.record_key, clusters.cluster_key, split.identifier_key as split_off_by
        from {clusters} as clusters
        left join (
            select identifiers.record_key, min(split.identifier_key) as identifier_key
            from _clusters_identifiers as identifiers
            inner join {split} as split using (identifier_key)
            group by identifiers.record_key
        ) as split using (record_key)
        """
    )
