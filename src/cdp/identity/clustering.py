"""Clusters of records under per-profile limits.

Records join through the identifiers they share (and fuzzy matches); connected components
give the clusters. A cluster that holds more distinct values of a limited attribute than one
person has (say two birth dates, or more accounts than the limit) was joined through a chain
that mixes people. Such a cluster is split: the identifiers inside it that tie together
records with different values of the breached attribute stop joining, and the components of
the clusters that broke a limit are computed again (no other can change), until no cluster
breaks one (or the round limit is reached). The identifiers set aside this way are in the
table this returns, for the audit of skipped joins.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from cdp.identity.components import Labeler, label_components, sparse_labels


def cluster_records(
    con: duckdb.DuckDBPyConnection,
    *,
    records: str,
    identifiers: str,
    guards: str,
    fuzzy: str,
    limits: dict[str, int],
    max_rounds: int = 5,
    labeler: Labeler = sparse_labels,
    log: Callable[[str], None] = lambda _message: None,
) -> tuple[str, str]:
    """Cluster ``records`` (``record_key``, ``birth_date``) joined by ``identifiers``
    (``record_key``, ``identifier_type``, ``identifier_key``; one row per record and
    identifier, as int_identity__identifiers holds them) not in ``guards``
    (``identifier_key``) and by ``fuzzy`` pairs (``left_record_key``, ``right_record_key``).

    ``limits`` maps an identifier type, or ``birth_date``, to the most distinct values one
    profile may hold. Returns the names of two temporary tables: ``(record_key, cluster_key)``
    and the identifiers split off by limits ``(identifier_key, breached_limit, round)``; the
    components before any split are left in ``_cl_components`` (``record_key``,
    ``cluster_key``).
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
            -- (a record carries an identifier once: count(*) counts its records)
            having count(*) > 1
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
        # A round after the first searches again only the components that broke a limit
        # (table _cl_scope, their records): the identifiers split off lie in them, and every
        # other component, which broke none, stays as it was.
        again = round_number > 1
        scoped_records = "select record_key from _cl_scope"
        label_components(
            con,
            "select left_id, right_id from _cl_edges "
            "anti join _cl_split as split on _cl_edges.via = split.identifier_key"
            + (
                " semi join _cl_nodes as scoped on _cl_edges.left_id = scoped.node_id "
                f"and scoped.is_record and scoped.node in ({scoped_records})"
                if again
                else ""
            ),
            nodes,
            "_cl_labels",
            labeler=labeler,
            log=log,
        )
        searched = "_cl_scope" if again else records
        in_scope = f"and nodes.node in ({scoped_records})" if again else ""
        rows = f"""
            with labelled as (
                select nodes.node as record_key, labels.label
                from _cl_nodes as nodes
                inner join _cl_labels as labels using (node_id)
                where nodes.is_record {in_scope}
            ),
            names as (
                select label, min(record_key) as cluster_key from labelled group by label
            )
            select searched.record_key, coalesce(names.cluster_key, searched.record_key)
                as cluster_key
            from {searched} as searched
            left join labelled using (record_key)
            left join names using (label)
        """
        if again:
            # the searched records' rows replaced, every other row kept
            con.execute(
                f"delete from _cl_clusters where record_key in ({scoped_records}); "
                f"insert into _cl_clusters {rows}"
            )
        else:
            con.execute(f"create or replace temp table _cl_clusters as {rows}")
        if round_number == 1:
            # the components before any split, for a later run to know what joined
            con.execute("create or replace temp table _cl_components as select * from _cl_clusters")
        breaches = con.execute(
            f"""
            create or replace temp table _cl_breaches as
            select clusters.cluster_key, values_.value_type
            from _cl_values as values_
            inner join _cl_clusters as clusters using (record_key)
            inner join _cl_limits as limits using (value_type)
            {"semi join _cl_scope using (record_key)" if again else ""}
            group by clusters.cluster_key, values_.value_type, limits.max_values
            having count(distinct values_.value) > limits.max_values;
            select count(*) from _cl_breaches
            """
        ).fetchall()[0][0]
        log(f"clustering round {round_number}: {breaches:,} limits breached")
        if breaches == 0 or round_number == max_rounds:
            break
        # the next round's scope: the records of the clusters that broke a limit
        con.execute(
            "create or replace temp table _cl_scope as "
            "select record_key from _cl_clusters "
            "semi join _cl_breaches using (cluster_key)"
        )
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


def clustered_records(
    con: duckdb.DuckDBPyConnection,
    *,
    records: str,
    identifiers: str,
    guards: str,
    fuzzy: str,
    limits: dict[str, int],
    kept: str | None = None,
    labeler: Labeler = sparse_labels,
    log: Callable[[str], None] = lambda _message: None,
) -> str:
    """SQL for every record's cluster: ``record_key``, ``cluster_key``, ``split_off_by`` (an
    identifier a limit set aside among the record's) and ``edges_digest``.

    ``edges_digest`` digests what a record brings to the graph: its birth date, its
    identifiers with whether each is guarded, its fuzzy partners, and the limits (identifiers
    and pairs name only records of ``records``, as they are derived from it). With
    ``kept``, the previous result (with its digests), only the components that a new, changed
    or removed record touches are clustered again (see ``_to_recluster``); every other record
    keeps its row. Clustering is local to a component (its edges, values and splits depend on
    nothing outside it), so this gives the rows that clustering everything would.
    """
    limits_text = ",".join(f"{kind}={int(n)}" for kind, n in sorted(limits.items()))
    con.execute(
        f"""
        create or replace temp table _clk_digests as
        with parts as (
            -- (an identifier key names its type)
            select identifiers.record_key,
                hash(identifiers.identifier_key, guards.identifier_key is not null) as part
            from {identifiers} as identifiers
            left join (select distinct identifier_key from {guards}) as guards
                using (identifier_key)
            union all
            select left_record_key, hash('fuzzy', right_record_key) from {fuzzy}
            union all
            select right_record_key, hash('fuzzy', left_record_key) from {fuzzy}
            union all
            select record_key, hash('birth_date', birth_date) from {records}
        )
        select parts.record_key, hash('{limits_text}', bit_xor(parts.part), count(*))
            as edges_digest
        from parts
        group by parts.record_key
        """
    )
    scoped = {"records": records, "identifiers": identifiers, "fuzzy": fuzzy}
    kept_rows = None
    if kept is not None:
        scope = _to_recluster(con, identifiers, guards, fuzzy, kept, log)
        # the rows of the records outside the changed components, as they were
        kept_rows = f"""
            select kept.record_key, kept.cluster_key, kept.split_off_by, kept.component_key,
                kept.edges_digest
            from {kept} as kept
            semi join _clk_digests as digests using (record_key)
            anti join {scope} as scope using (record_key)
        """
        if not con.execute(f"select count(*) from {scope}").fetchall()[0][0]:
            return kept_rows
        con.execute(
            f"""
            create or replace temp view _clk_records as
            select * from {records} semi join {scope} using (record_key);
            create or replace temp view _clk_identifiers as
            select * from {identifiers} semi join {scope} using (record_key);
            create or replace temp view _clk_fuzzy as
            select fuzzy.* from {fuzzy} as fuzzy
            semi join {scope} on fuzzy.left_record_key = {scope}.record_key;
            """
        )
        scoped = {
            "records": "_clk_records",
            "identifiers": "_clk_identifiers",
            "fuzzy": "_clk_fuzzy",
        }
    clusters, split = cluster_records(
        con, **scoped, guards=guards, limits=limits, labeler=labeler, log=log
    )
    rows = f"""
        select clusters.record_key, clusters.cluster_key,
            split.identifier_key as split_off_by, components.cluster_key as component_key,
            digests.edges_digest
        from {clusters} as clusters
        inner join _cl_components as components using (record_key)
        inner join _clk_digests as digests using (record_key)
        left join (
            select identifiers.record_key, min(split.identifier_key) as identifier_key
            from {scoped["identifiers"]} as identifiers
            inner join {split} as split using (identifier_key)
            group by identifiers.record_key
        ) as split using (record_key)
    """
    return rows if kept_rows is None else f"{rows} union all by name {kept_rows}"


def _to_recluster(
    con: duckdb.DuckDBPyConnection,
    identifiers: str,
    guards: str,
    fuzzy: str,
    kept: str,
    log: Callable[[str], None],
) -> str:
    """The records to cluster again, as a temporary table (``record_key``): every component of
    today's graph (before limits split it) that holds a record whose digest is new or changed,
    or that held a record now gone.

    It starts from those records and the whole kept components (``component_key``: the
    component before splits) they were in, then adds the records they join today (through an
    unguarded identifier or a fuzzy match) with the whole kept components of those, until
    nothing more joins. A component outside this set is a kept component whose records,
    identifiers, guards and matches are all as they were: clustering it again would give the
    rows it has.
    """
    con.execute(
        f"""
        create or replace temp table _clk_scope as
        with changed as (
            select record_key from _clk_digests
            anti join {kept} as kept using (record_key, edges_digest)
        ),
        touched as (
            select kept.component_key from {kept} as kept semi join changed using (record_key)
            union
            select kept.component_key from {kept} as kept anti join _clk_digests using (record_key)
        )
        select record_key from changed
        union
        select kept.record_key from {kept} as kept
        semi join touched using (component_key)
        semi join _clk_digests using (record_key)
        """
    )
    con.execute(
        f"""
        create or replace temp view _clk_joining as
        select identifiers.record_key, identifiers.identifier_key
        from {identifiers} as identifiers
        anti join {guards} as guards using (identifier_key)
        """
    )
    rounds = 0
    while True:
        rounds += 1
        added = con.execute(
            f"""
            create or replace temp table _clk_frontier as
            with reached as (
                select others.record_key
                from _clk_joining as inside
                semi join _clk_scope using (record_key)
                inner join _clk_joining as others using (identifier_key)
                union
                select fuzzy.right_record_key from {fuzzy} as fuzzy
                semi join _clk_scope on fuzzy.left_record_key = _clk_scope.record_key
                union
                select fuzzy.left_record_key from {fuzzy} as fuzzy
                semi join _clk_scope on fuzzy.right_record_key = _clk_scope.record_key
            ),
            outside as (select record_key from reached anti join _clk_scope using (record_key))
            select record_key from outside
            union
            select kept.record_key from {kept} as kept
            semi join (
                select kept.component_key from {kept} as kept semi join outside using (record_key)
            ) as components using (component_key)
            semi join _clk_digests using (record_key)
            anti join _clk_scope using (record_key);
            insert into _clk_scope select record_key from _clk_frontier;
            select count(*) from _clk_frontier
            """
        ).fetchall()[0][0]
        if added == 0:
            break
    total = con.execute("select count(*) from _clk_scope").fetchall()[0][0]
    log(f"clustering again {total:,} records of the components that changed ({rounds} rounds)")
    return "_clk_scope"
