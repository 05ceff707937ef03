"""One row per source record with the cluster (connected component) it belongs to.

Records join when they share an identifier that is not guarded (see
int_identity__identifier_guards) or when the fuzzy matcher paired them
(int_identity__fuzzy_matches). Components come from label propagation in DuckDB SQL
(cdp.identity.components); the cluster key is the smallest node key in the component.
"""

from cdp.identity.components import connected_components


def model(dbt, session):
    dbt.config(materialized="table")
    dbt.ref("int_identity__records").create_view("_clusters_records")
    dbt.ref("int_identity__identifiers").create_view("_clusters_identifiers")
    dbt.ref("int_identity__identifier_guards").create_view("_clusters_guards")
    dbt.ref("int_identity__fuzzy_matches").create_view("_clusters_fuzzy")
    edges = """
        select identifiers.record_key as left_node, identifiers.identifier_key as right_node
        from _clusters_identifiers as identifiers
        anti join _clusters_guards as guards using (identifier_key)
        union all
        select left_record_key, right_record_key from _clusters_fuzzy
    """
    components, _passes = connected_components(session, edges)
    return session.sql(
        f"""
        select
            records.record_key,
            coalesce(components.component, records.record_key) as cluster_key
        from _clusters_records as records
        left join {components} as components on records.record_key = components.node
        """
    )
