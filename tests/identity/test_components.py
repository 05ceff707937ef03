"""Connected components: chains, stars, separate graphs, and agreement with a plain union-find."""

from __future__ import annotations

import random

import pytest

from cdp.duckdb_budget import connect
from cdp.identity.components import connected_components, label_components


def _components(edges: list[tuple[str, str]]) -> dict[str, str]:
    con = connect()
    con.execute("create table edges (left_node varchar, right_node varchar)")
    if edges:
        con.executemany("insert into edges values (?, ?)", edges)
    table, _passes = connected_components(con, "select * from edges")
    return dict(con.execute(f"select node, component from {table}").fetchall())


def test_a_long_chain_is_one_component_labelled_by_its_smallest_node():
    chain = [(f"n{i:03d}", f"n{i + 1:03d}") for i in range(200)]
    labels = _components(list(reversed(chain)))
    assert set(labels.values()) == {"n000"}
    assert len(labels) == 201


def test_separate_graphs_stay_separate():
    labels = _components([("a", "x"), ("b", "x"), ("c", "y"), ("d", "y"), ("d", "z")])
    assert labels["a"] == labels["b"] == labels["x"] == "a"
    assert labels["c"] == labels["d"] == labels["y"] == labels["z"] == "c"


def _union_find(edges: list[tuple[str, str]]) -> dict[str, str]:
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in edges:
        a, b = find(left), find(right)
        if a != b:
            parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for node in list(parent):
        members.setdefault(find(node), []).append(node)
    return {node: min(group) for group in members.values() for node in group}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_graphs_agree_with_a_union_find(seed):
    rng = random.Random(seed)
    nodes = [f"k{i:04d}" for i in range(600)]
    edges = [(rng.choice(nodes), rng.choice(nodes)) for _ in range(450)]
    edges += [(f"k{i:04d}", f"k{i + 1:04d}") for i in range(100, 400, 2)]  # long chains
    assert _components(edges) == _union_find(edges)


def test_a_long_chain_takes_one_graph_search():
    con = connect()
    chain = ", ".join(f"('n{i:05d}', 'n{i + 1:05d}')" for i in range(5000))
    con.execute(f"create table edges as select * from (values {chain}) as t(left_node, right_node)")
    table, searches = connected_components(con, "select * from edges")
    # Label propagation needed a pass per halving of the chain; the graph search needs one.
    assert searches == 1
    assert con.execute(f"select count(distinct component) from {table}").fetchall() == [(1,)]


def test_no_edges_gives_no_nodes():
    assert _components([]) == {}


def test_the_log_counts_the_components_the_edges_make():
    # a search of part of a graph (a later clustering round) leaves the other nodes alone:
    # they are not counted as components
    con = connect()
    con.execute(
        "create table edges as "
        "select * from (values (0, 1), (1, 2), (3, 4)) as t(left_id, right_id)"
    )
    lines: list[str] = []
    count = label_components(con, "select * from edges", 8, "labels", log=lines.append)
    assert count == 5  # two components and three nodes alone
    assert lines == ["connected components: 3 edges join 5 of 8 nodes into 2 components"]
