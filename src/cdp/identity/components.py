"""Connected components of the identity graph, by label propagation in DuckDB SQL.

The graph's nodes are records and identifier values; an edge joins a record to an identifier
it carries (or two records a fuzzy match joined). Every node starts with its own key as label
and repeatedly takes the smallest label among itself and its neighbours; after each pass every
node also takes its label's label (pointer jumping), so long chains shrink fast. It stops when
a pass changes nothing: a handful of passes on identity graphs, whose paths are short.

All work is set-based SQL on the connection given, so it scales with DuckDB, not Python.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def connected_components(
    con: duckdb.DuckDBPyConnection,
    edges_sql: str,
    *,
    max_passes: int = 100,
    log: Callable[[str], None] = lambda _message: None,
) -> tuple[str, int]:
    """Label every node of the edges ``edges_sql`` selects (columns ``left_node``,
    ``right_node``, both text) with its component: the smallest node key in it.

    Returns the name of a temporary table ``(node, component)`` and the passes it took.
    """
    # The edges query runs once; each edge is then stored in both directions.
    con.execute(
        f"""
        create or replace temp table _cc_pairs as
        select distinct left_node, right_node
        from ({edges_sql}) where left_node is not null and right_node is not null
        """
    )
    con.execute(
        """
        create or replace temp table _cc_edges as
        select left_node as node, right_node as neighbour from _cc_pairs
        union
        select right_node, left_node from _cc_pairs
        """
    )
    con.execute("drop table _cc_pairs")
    con.execute(
        "create or replace temp table _cc_labels as "
        "select node, node as label from (select distinct node from _cc_edges)"
    )
    for passes in range(1, max_passes + 1):
        con.execute(
            """
            create or replace temp table _cc_next as
            with neighbour_min as (
                select edges.node, min(labels.label) as label
                from _cc_edges as edges
                inner join _cc_labels as labels on edges.neighbour = labels.node
                group by edges.node
            ),
            propagated as (
                select labels.node, least(labels.label, coalesce(neighbour_min.label, labels.label))
                    as label
                from _cc_labels as labels
                left join neighbour_min on labels.node = neighbour_min.node
            )
            -- pointer jumping: take the label of the node named by the label
            select propagated.node, least(propagated.label, jumped.label) as label
            from propagated
            inner join propagated as jumped on propagated.label = jumped.node
            """
        )
        changed = con.execute(
            "select count(*) from _cc_next inner join _cc_labels using (node) "
            "where _cc_next.label <> _cc_labels.label"
        ).fetchall()[0][0]
        con.execute("create or replace temp table _cc_labels as select * from _cc_next")
        log(f"label propagation pass {passes}: {changed:,} labels changed")
        if changed == 0:
            break
    else:
        raise RuntimeError(f"label propagation did not converge in {max_passes} passes")
    con.execute("drop table if exists _cc_next")
    con.execute(
        "create or replace temp table _cc_components as "
        "select node, label as component from _cc_labels"
    )
    return "_cc_components", passes
