"""Connected components of the identity graph.

The graph's nodes are records and identifier values; an edge joins a record to an identifier
it carries (or two records a fuzzy match joined). DuckDB gives every node a dense integer id
and turns the edges into pairs of ids; SciPy's ``connected_components`` (a linear-time graph
search on a sparse matrix) labels the ids; DuckDB joins the labels back to the keys and names
each component by its smallest node key, so that a component's name does not depend on the
order of the edges.

The text keys never leave DuckDB: only two integer arrays cross into Python. The earlier label
propagation in SQL rewrote the whole label table once per pass and needed up to 27 passes on a
million-record graph; this is one pass over the edges (``cdp-bench components``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import duckdb
import numpy as np
import pyarrow as pa
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components as sparse_components

#: Labels the nodes ``0 .. nodes - 1`` joined by the integer edges ``left[i]``-``right[i]``
#: with their component: returns the number of components and one label per node (equal
#: labels, one component). SciPy's graph search here; on Spark, ``cdp.spark.identity``'s
#: distributed search.
Labeler: TypeAlias = Callable[[np.ndarray, np.ndarray, int], tuple[int, np.ndarray]]


def sparse_labels(left: np.ndarray, right: np.ndarray, nodes: int) -> tuple[int, np.ndarray]:
    """The components of the edges by one search of a sparse matrix (SciPy)."""
    graph = coo_matrix(
        (np.ones(len(left), dtype=np.int8), (left, right)), shape=(nodes, nodes)
    ).tocsr()
    count, labels = sparse_components(graph, directed=False)
    return int(count), labels


def connected_components(
    con: duckdb.DuckDBPyConnection,
    edges_sql: str,
    *,
    labeler: Labeler = sparse_labels,
    log: Callable[[str], None] = lambda _message: None,
) -> tuple[str, int]:
    """Label every node of the edges ``edges_sql`` selects (columns ``left_node``,
    ``right_node``, both text) with its component: the smallest node key in it.

    Returns the name of a temporary table ``(node, component)`` and the number of graph
    searches it took (always one).
    """
    # The edges query runs once.
    con.execute(
        f"""
        create or replace temp table _cc_pairs as
        select distinct left_node, right_node
        from ({edges_sql}) where left_node is not null and right_node is not null
        """
    )
    con.execute(
        """
        create or replace temp table _cc_nodes as
        select node, (row_number() over (order by node) - 1)::integer as node_id
        from (select left_node as node from _cc_pairs union select right_node from _cc_pairs)
        """
    )
    con.execute(
        """
        create or replace temp table _cc_edges as
        select lefts.node_id as left_id, rights.node_id as right_id
        from _cc_pairs as pairs
        inner join _cc_nodes as lefts on pairs.left_node = lefts.node
        inner join _cc_nodes as rights on pairs.right_node = rights.node
        """
    )
    con.execute("drop table _cc_pairs")
    nodes = con.execute("select count(*) from _cc_nodes").fetchall()[0][0]
    label_components(
        con,
        "select left_id, right_id from _cc_edges",
        nodes,
        "_cc_labels",
        labeler=labeler,
        log=log,
    )
    con.execute("drop table _cc_edges")
    con.execute(
        """
        create or replace temp table _cc_components as
        select nodes.node, min(nodes.node) over (partition by labels.label) as component
        from _cc_nodes as nodes
        inner join _cc_labels as labels on nodes.node_id = labels.node_id
        """
    )
    con.execute("drop table _cc_labels")
    con.execute("drop table _cc_nodes")
    return "_cc_components", 1


def label_components(
    con: duckdb.DuckDBPyConnection,
    edges_sql: str,
    nodes: int,
    labels_table: str,
    *,
    labeler: Labeler = sparse_labels,
    log: Callable[[str], None] = lambda _message: None,
) -> int:
    """Label the nodes ``0 .. nodes - 1`` of the integer edges ``edges_sql`` selects
    (``left_id``, ``right_id``) with their component; writes the temporary table
    ``labels_table`` (``node_id``, ``label``) on ``con`` and returns the number of components.
    Only the two integer arrays cross into Python: callers that search one graph several
    times, with edges taken away, code its nodes once. ``labeler`` searches the graph."""
    edges = con.execute(edges_sql).fetchnumpy()
    left, right = np.asarray(edges["left_id"]), np.asarray(edges["right_id"])
    count, labels = labeler(left, right, nodes)
    # the components the edges make; the other nodes are alone (in a search of part of a graph,
    # those outside the part)
    sizes = np.bincount(labels, minlength=1)
    joined = sizes[sizes > 1]
    log(
        f"connected components: {len(left):,} edges join {int(joined.sum()):,} of {nodes:,} "
        f"nodes into {len(joined):,} components"
    )
    con.register(
        "_labels_arrow",
        pa.table({"node_id": np.arange(nodes, dtype=np.int32), "label": labels.astype(np.int32)}),
    )
    con.execute(f"create or replace temp table {labels_table} as select * from _labels_arrow")
    con.unregister("_labels_arrow")
    return int(count)
