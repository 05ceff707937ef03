"""Stable customer ids across runs: kept, merged (oldest survives), split, new."""

from __future__ import annotations

import pytest

from cdp.duckdb_budget import connect
from cdp.identity.ids import assign_customer_ids


@pytest.fixture
def con():
    return connect()


def _run(con, clusters: dict[str, str], previous: list[tuple[str, str, str]] | None):
    con.execute("create or replace table clusters (record_key varchar, cluster_key varchar)")
    con.executemany("insert into clusters values (?, ?)", list(clusters.items()))
    prev = None
    if previous is not None:
        con.execute(
            "create or replace table prev "
            "(record_key varchar, customer_id varchar, customer_first_issued_at timestamptz)"
        )
        con.executemany("insert into prev values (?, ?, ?)", previous)
        prev = "prev"
    table = assign_customer_ids(con, "clusters", prev, salt="test")
    return {
        key: (customer, previous_id)
        for key, customer, previous_id in con.execute(
            f"select record_key, customer_id, previous_customer_id from {table}"
        ).fetchall()
    }


def test_first_run_issues_one_id_per_cluster(con):
    ids = _run(con, {"r1": "k1", "r2": "k1", "r3": "k3"}, None)
    assert ids["r1"][0] == ids["r2"][0] != ids["r3"][0]
    assert all(customer.startswith("CUS-") and len(customer) == 16 for customer, _ in ids.values())


def test_a_profile_keeps_its_id_when_it_grows(con):
    ids = _run(
        con,
        {"r1": "k9", "r2": "k9", "r4": "k9"},
        [("r1", "CUS-A", "2026-01-01"), ("r2", "CUS-A", "2026-01-01")],
    )
    assert {customer for customer, _ in ids.values()} == {"CUS-A"}


def test_a_merge_keeps_the_older_id(con):
    ids = _run(
        con,
        {"r1": "k1", "r2": "k1", "r3": "k1"},
        [
            ("r1", "CUS-NEW", "2026-06-01"),
            ("r2", "CUS-OLD", "2025-01-01"),
            ("r3", "CUS-OLD", "2025-01-01"),
        ],
    )
    assert {customer for customer, _ in ids.values()} == {"CUS-OLD"}
    assert ids["r1"] == ("CUS-OLD", "CUS-NEW")


def test_a_split_leaves_the_id_with_the_larger_part(con):
    ids = _run(
        con,
        {"r1": "k1", "r2": "k1", "r3": "k3"},
        [(r, "CUS-A", "2026-01-01") for r in ("r1", "r2", "r3")],
    )
    assert ids["r1"][0] == ids["r2"][0] == "CUS-A"
    assert ids["r3"][0] not in ("CUS-A", None)
    assert ids["r3"][1] == "CUS-A"  # the change is visible for the history


def test_a_rerun_on_the_same_clusters_changes_nothing(con):
    first = _run(con, {"r1": "k1", "r2": "k1", "r3": "k3"}, None)
    previous = [(r, customer, "2026-01-01") for r, (customer, _) in first.items()]
    second = _run(con, {"r1": "k1", "r2": "k1", "r3": "k3"}, previous)
    assert {r: c for r, (c, _) in second.items()} == {r: c for r, (c, _) in first.items()}
