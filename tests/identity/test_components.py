"""Connected components by label propagation: chains, stars and singletons."""

from __future__ import annotations

import duckdb

from cdp.identity.components import connected_components


def _components(edges: list[tuple[str, str]]) -> dict[str, str]:
    con = duckdb.connect()
    con.execute("create table edges (left_node varchar, right_node varchar)")
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


def test_pointer_jumping_converges_in_few_passes():
    con = duckdb.connect()
    chain = ", ".join(f"('n{i:05d}', 'n{i + 1:05d}')" for i in range(5000))
    con.execute(f"create table edges as select * from (values {chain}) as t(left_node, right_node)")
    _table, passes = connected_components(con, "select * from edges")
    assert passes <= 20  # a 5,000-node chain: plain propagation would need 5,000 passes
