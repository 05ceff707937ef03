"""Clusters under per-profile limits: a chain that mixes people is split and logged."""

from __future__ import annotations

from cdp.duckdb_budget import connect
from cdp.identity.clustering import cluster_records


def _cluster(records, identifiers, guards=(), limits=None):
    con = connect()
    con.execute("create table records (record_key varchar, birth_date date)")
    con.executemany("insert into records values (?, ?)", records)
    con.execute(
        "create table identifiers "
        "(record_key varchar, identifier_type varchar, identifier_key varchar)"
    )
    con.executemany("insert into identifiers values (?, ?, ?)", identifiers)
    con.execute("create table guards (identifier_key varchar)")
    for guard in guards:
        con.execute("insert into guards values (?)", [guard])
    con.execute("create table fuzzy (left_record_key varchar, right_record_key varchar)")
    clusters, split = cluster_records(
        con,
        records="records",
        identifiers="identifiers",
        guards="guards",
        fuzzy="fuzzy",
        limits=limits or {"birth_date": 1, "account_id": 3},
    )
    return (
        dict(con.execute(f"select record_key, cluster_key from {clusters}").fetchall()),
        con.execute(f"select identifier_key, breached_limit from {split}").fetchall(),
    )


def test_records_sharing_an_identifier_join():
    clusters, split = _cluster(
        [("crm:1", "1980-01-02"), ("shop_account:7", "1980-01-02"), ("web:a", None)],
        [
            ("crm:1", "email", "email:m@x.it"),
            ("shop_account:7", "email", "email:m@x.it"),
            ("shop_account:7", "account_id", "account_id:7"),
            ("web:a", "account_id", "account_id:7"),
        ],
    )
    assert len(set(clusters.values())) == 1
    assert split == []


def test_a_guarded_identifier_joins_nothing():
    clusters, _ = _cluster(
        [("crm:1", None), ("crm:2", None)],
        [("crm:1", "phone", "phone:+390612345678"), ("crm:2", "phone", "phone:+390612345678")],
        guards=["phone:+390612345678"],
    )
    assert clusters["crm:1"] != clusters["crm:2"]


def test_a_profile_with_two_birth_dates_is_split_at_the_identifier_that_mixed_them():
    clusters, split = _cluster(
        [("crm:1", "1980-01-02"), ("crm:2", "1985-05-05"), ("web:a", None), ("web:b", None)],
        [
            ("crm:1", "email", "email:shared@x.it"),
            ("crm:2", "email", "email:shared@x.it"),
            ("crm:1", "phone", "phone:+393331234567"),
            ("web:a", "phone", "phone:+393331234567"),
            ("crm:2", "account_id", "account_id:8"),
            ("web:b", "account_id", "account_id:8"),
        ],
    )
    assert split == [("email:shared@x.it", "birth_date")]
    assert clusters["crm:1"] == clusters["web:a"] != clusters["crm:2"] == clusters["web:b"]


def test_a_chain_that_mixes_birth_dates_loses_its_shared_contacts_but_not_its_accounts():
    clusters, split = _cluster(
        [("crm:1", "1980-01-02"), ("crm:2", "1985-05-05"), ("support:9", None), ("web:b", None)],
        [
            ("crm:1", "phone", "phone:+393331234567"),
            ("support:9", "phone", "phone:+393331234567"),
            ("support:9", "email", "email:shared@x.it"),
            ("crm:2", "email", "email:shared@x.it"),
            ("crm:2", "account_id", "account_id:8"),
            ("web:b", "account_id", "account_id:8"),
        ],
    )
    assert clusters["crm:1"] != clusters["crm:2"]
    assert clusters["crm:2"] == clusters["web:b"]
    assert sorted(split) == [
        ("email:shared@x.it", "birth_date"),
        ("phone:+393331234567", "birth_date"),
    ]


def test_two_emails_of_one_person_end_in_one_profile():
    clusters, split = _cluster(
        [("crm:1", "1980-01-02"), ("shop_account:7", "1980-01-02"), ("newsletter:n", None)],
        [
            ("crm:1", "email", "email:mario@work.it"),
            ("crm:1", "phone", "phone:+393331234567"),
            ("shop_account:7", "email", "email:mario@gmail.com"),
            ("shop_account:7", "phone", "phone:+393331234567"),
            ("newsletter:n", "email", "email:mario@gmail.com"),
        ],
    )
    assert len(set(clusters.values())) == 1
    assert split == []
