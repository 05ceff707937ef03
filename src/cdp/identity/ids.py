"""Stable customer ids: a profile keeps its ``customer_id`` from run to run while it persists.

Given this run's clusters (record → cluster) and the previous run's assignments (record →
customer id), in DuckDB SQL:

- each previous id stays with the cluster that holds most of its records (ties: the smallest
  cluster key);
- a cluster that keeps several previous ids (profiles that merged) takes the oldest one, the
  one first issued; the others are retired: ``merged`` into it;
- records of a previous id that now sit in another cluster were split off: that cluster keeps an
  id of its own, or gets a new one, and the change is recorded as ``split``;
- a cluster with no previous id gets a new one.

New ids are ``CUS-`` and 12 hex digits of a hash of the cluster key and a random salt drawn
per run, so a retired id comes back only by a 48-bit hash collision.
"""

from __future__ import annotations

import uuid

import duckdb


def assign_customer_ids(
    con: duckdb.DuckDBPyConnection,
    clusters: str,
    previous: str | None,
    *,
    salt: str | None = None,
) -> str:
    """Assign ids to the clusters in table ``clusters`` (``record_key``, ``cluster_key``),
    keeping those of table ``previous`` (``record_key``, ``customer_id``,
    ``customer_first_issued_at``), or none on a first run.

    Returns the name of a temporary table of assignments (``record_key``, ``customer_id``,
    ``customer_first_issued_at``, ``previous_customer_id``); the model
    int_identity__customer_id_changes records the ids that changed, and why.
    """
    salt = salt or uuid.uuid4().hex
    previous_sql = (
        f"select record_key, customer_id, customer_first_issued_at from {previous}"
        if previous
        else "select null::varchar as record_key, null::varchar as customer_id, "
        "null::timestamptz as customer_first_issued_at where false"
    )
    con.execute(f"create or replace temp view _ids_previous as {previous_sql}")
    con.execute(
        f"""
        create or replace temp table _ids_votes as
        select clusters.cluster_key, previous.customer_id,
            min(previous.customer_first_issued_at) as first_issued_at, count(*) as records
        from {clusters} as clusters
        inner join _ids_previous as previous using (record_key)
        group by all
        """
    )
    con.execute(
        """
        create or replace temp table _ids_keepers as
        select customer_id, cluster_key, first_issued_at
        from _ids_votes
        qualify row_number() over (
            partition by customer_id order by records desc, cluster_key
        ) = 1
        """
    )
    con.execute(
        f"""
        create or replace temp table _ids_cluster_ids as
        with kept as (
            select cluster_key, customer_id, first_issued_at
            from _ids_keepers
            qualify row_number() over (
                partition by cluster_key order by first_issued_at, customer_id
            ) = 1
        ),
        clusters as (select distinct cluster_key from {clusters})
        select
            clusters.cluster_key,
            coalesce(
                kept.customer_id,
                'CUS-' || upper(substr(md5(clusters.cluster_key || ':{salt}'), 1, 12))
            ) as customer_id,
            coalesce(kept.first_issued_at, current_timestamp) as customer_first_issued_at
        from clusters
        left join kept using (cluster_key)
        """
    )
    con.execute(
        f"""
        create or replace temp table _ids_assignments as
        select
            clusters.record_key,
            cluster_ids.customer_id,
            cluster_ids.customer_first_issued_at,
            previous.customer_id as previous_customer_id
        from {clusters} as clusters
        inner join _ids_cluster_ids as cluster_ids using (cluster_key)
        left join _ids_previous as previous using (record_key)
        """
    )
    return "_ids_assignments"
