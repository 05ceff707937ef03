"""Clusters of records under per-profile limits.

Records join through the identifiers they share (and fuzzy matches); connected components
give the clusters. A cluster that holds more distinct values of a limited attribute than one
person has (say two birth dates, or more accounts than the limit) was joined through a chain
that mixes people. Such a cluster is split: the identifiers inside it that tie together
records with different values of the breached attribute stop joining, and the components are
computed again, until no cluster breaks a limit (or the round limit is reached). The
identifiers set aside this way are in the table this returns, for the audit of skipped joins.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from cdp.identity.components import label_components


def cluster_records(
    con: duckdb.DuckDBPyConnection,
    *,
    records: str,
    identifiers: str,
    guards: str,
    fuzzy: str,
    limits: dict[str, int],
    max_rounds: int = 5,
    log: Callable[[str], None] = lambda _message: None,
) -> tuple[str, str]:
    """Cluster ``records`` (``record_key``, ``birth_date``) joined by ``identifiers``
    (``record_key``, ``identifier_type``, ``identifier_key``) not in ``guards``
    (``identifier_key``) and by ``fuzzy`` pairs (``left_record_key``, ``right_record_key``).

    ``limits`` maps an identifier type, or ``birth_date``, to the most distinct values one
    profile may hold. Returns the names of two temporary tables: ``(record_key, cluster_key)``
    and the identifiers split off by limits ``(identifier_key, breached_limit, round)``.
    """
    con.execute(
        "create or replace temp table _cl_split "
        "(identifier_key varchar, breached_limit varchar, round integer)"
    )
    con.execute(
        f"""
        create or replace temp view _cl_values as
        select record_key, identifier_type as value_type, identifier_key as value
        from {identifiers}
        union all
        select record_key, 'birth_date', cast(birth_date as varchar)
        from {records} where birth_date is not null
        """
    )
    limit_rows = ", ".join(f"('{kind}', {int(n)})" for kind, n in limits.items()) or "(null, 0)"
    con.execute(
        f"create or replace temp table _cl_limits as "
        f"select * from (values {limit_rows}) as limits(value_type, max_values)"
    )
    # The graph is coded once: every identifier that two or more records share, and every
    # record that holds one or a fuzzy match, a dense integer id (in no order: a cluster is
    # named by its smallest record key), every edge a pair of ids with the identifier it goes
    # through (none for a fuzzy match). An identifier of one record joins nothing, and a
    # record joined to nothing is a cluster of its own: neither enters the graph. A round
    # drops the edges of the identifiers split off so far and searches again.
    con.execute(
        f"""
        create or replace temp table _cl_edge_keys as
        with shared as (
            select identifier_key
            from {identifiers}
            anti join {guards} as guards using (identifier_key)
            group by identifier_key
            having count(distinct record_key) > 1
        )
        select identifiers.record_key as left_node, identifiers.identifier_key as right_node,
            identifiers.identifier_key as via
        from {identifiers} as identifiers
        semi join shared using (identifier_key)
        union all
        select left_record_key, right_record_key, null from {fuzzy}
        """
    )
    con.execute(
        """
        create or replace temp table _cl_nodes as
        select node, is_record, (row_number() over () - 1)::integer as node_id
        from (
            select left_node as node, true as is_record from _cl_edge_keys
            union select right_node, via is null from _cl_edge_keys
        )
        """
    )
    con.execute(
        """
        create or replace temp table _cl_edges as
        select distinct lefts.node_id as left_id, rights.node_id as right_id, keys.via
        from _cl_edge_keys as keys
        inner join _cl_nodes as lefts on keys.left_node = lefts.node
        inner join _cl_nodes as rights on keys.right_node = rights.node
        """
    )
    con.execute("drop table _cl_edge_keys")
    nodes = con.execute("select count(*) from _cl_nodes").fetchall()[0][0]
    for round_number in range(1, max_rounds + 1):
        label_components(
            con,
            "select left_id, right_id from _cl_edges "
            "anti join _cl_split as split on _cl_edges.via = split.identifier_key",
            nodes,
            "_cl_labels",
            log=log,
        )
        con.execute(
            f"""
            create or replace temp table _cl_clusters as
            with labelled as (
                select nodes.node as record_key, labels.label
                from _cl_nodes as nodes
                inner join _cl_labels as labels using (node_id)
                where nodes.is_record
            ),
            names as (
                select label, min(record_key) as cluster_key from labelled group by label
            )
            select records.record_key, coalesce(names.cluster_key, records.record_key)
                as cluster_key
            from {records} as records
            left join labelled using (record_key)
            left join names using (label)
            """
        )
        breaches = con.execute(
            """
            create or replace temp table _cl_breaches as
            select clusters.cluster_key, values_.value_type
            from _cl_values as values_
            inner join _cl_clusters as clusters using (record_key)
            inner join _cl_limits as limits using (value_type)
            group by clusters.cluster_key, values_.value_type, limits.max_values
            having count(distinct values_.value) > limits.max_values;
            select count(*) from _cl_breaches
            """
        ).fetchall()[0][0]
        log(f"clustering round {round_number}: {breaches:,} limits breached")
        if breaches == 0 or round_number == max_rounds:
            break
        already_split = con.execute("select count(*) from _cl_split").fetchall()[0][0]
        # In each breaching cluster, the joining identifiers (of another type) whose own
        # records carry different values of the breached attribute stop joining. Where no
        # single identifier does (the values meet only through a chain), the shared contact
        # identifiers of the cluster (email, phone, handle) stop joining: accounts, cards and
        # devices, which one person holds, still do.
        con.execute(
            f"""
            insert into _cl_split
            with candidates as (
                select
                    breaches.cluster_key,
                    breaches.value_type,
                    identifiers.identifier_key,
                    any_value(identifiers.identifier_type) as identifier_type,
                    count(distinct identifiers.record_key) as records,
                    count(distinct values_.value) as values_tied
                from _cl_breaches as breaches
                inner join _cl_clusters as clusters using (cluster_key)
                inner join {identifiers} as identifiers using (record_key)
                left join _cl_values as values_
                    on values_.record_key = identifiers.record_key
                    and values_.value_type = breaches.value_type
                anti join {guards} as guards using (identifier_key)
                anti join _cl_split as split using (identifier_key)
                where identifiers.identifier_type <> breaches.value_type
                group by breaches.cluster_key, breaches.value_type, identifiers.identifier_key
            ),
            precise as (
                select cluster_key from candidates group by cluster_key
                having max(values_tied) > 1
            )
            select distinct candidates.identifier_key, candidates.value_type, {round_number}
            from candidates
            left join precise using (cluster_key)
            where candidates.values_tied > 1
                or (
                    precise.cluster_key is null
                    and candidates.records > 1
                    and candidates.identifier_type in ('email', 'phone', 'social_handle')
                )
            """
        )
        if con.execute("select count(*) from _cl_split").fetchall()[0][0] == already_split:
            log(f"clustering round {round_number}: nothing more to split")
            break
    return "_cl_clusters", "_cl_split"
