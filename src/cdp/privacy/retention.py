"""Retention: raw exports and events older than a configured period leave the warehouse.

Periods come from the environment (``cdp.config``), counted back from the newest export date
loaded (the data's own "today", so a rebuild purges the same rows):

``CDP_RETENTION_RAW_DAYS``     raw versions of records and snapshot exports (default 730)
``CDP_RETENTION_EVENTS_DAYS``  behavioural events: site and app tracking, newsletter activity
                               (default 395)

What goes:

- **events** (``web.events``, ``newsletter.activity``) exported before the events cutoff;
- **superseded versions** of delta records (CRM contacts, accounts, orders, tickets, ...)
  exported before the raw cutoff, when a newer version of the same record exists, so the
  record itself lives on in its newest version;
- **snapshot exports** (newsletter subscribers, subscriptions, campaigns) older than the raw
  cutoff, except the newest snapshot;
- **rejected lines** of exports older than the raw cutoff.

Consent events and erasure requests are kept whatever their age: they are the evidence of
consent given and of erasure done. Each relation's purge is written to
``privacy.retention_log`` in the transaction that removes its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb

from cdp.config import DEFAULT_RETENTION_EVENTS_DAYS, DEFAULT_RETENTION_RAW_DAYS
from cdp.ingest.loader import ensure_tables, remove_raw_rows
from cdp.sources import SOURCE_FILES, SourceFile
from cdp.warehouse import table_exists

EVENT_TABLES = ("web__events", "newsletter__activity")
KEPT_TABLES = ("consent__consent_events", "privacy__erasure_requests")

DDL = """
create schema if not exists privacy;
create table if not exists privacy.retention_log (
    run_id varchar,
    logged_at timestamptz,
    relation varchar,
    rule varchar,
    cutoff date,
    rows_removed bigint
);
"""


@dataclass(frozen=True)
class RetentionPolicy:
    raw_days: int = DEFAULT_RETENTION_RAW_DAYS
    events_days: int = DEFAULT_RETENTION_EVENTS_DAYS


def _rule(spec: SourceFile) -> str | None:
    if spec.table in KEPT_TABLES:
        return None
    if spec.table in EVENT_TABLES:
        return "events"
    if spec.kind == "snapshot":
        return "old snapshots"
    if spec.key:
        return "superseded versions"
    return None


def _expired(spec: SourceFile, rule: str, cutoff: date) -> str:
    """The condition (over ``spec``'s raw table aliased ``old``) of the rows the rule no
    longer keeps."""
    table = f"raw.{spec.table}"
    condition = f"old._export_date < '{cutoff}'"
    if rule == "old snapshots":
        condition += f" and old._export_date < (select max(_export_date) from {table})"
    elif rule == "superseded versions":
        key = " and ".join(f"newer.{k} is not distinct from old.{k}" for k in spec.key)
        condition += f""" and exists (
            select 1 from {table} as newer
            where {key} and newer._export_date > old._export_date
        )"""
    return condition


def apply_retention(
    con: duckdb.DuckDBPyConnection,
    policy: RetentionPolicy,
    run_id: str,
    log: Callable[[str], None] = lambda _message: None,
) -> dict[str, int]:
    """Purge what the policy no longer keeps; returns rows removed per raw relation."""
    con.execute(DDL)
    ensure_tables(con)  # the load manifest, the rejects and the removed-rows counts
    as_of = con.execute("select max(export_date) from raw._load_manifest").fetchall()[0][0]
    if as_of is None:
        return {}
    cutoffs = {
        "events": as_of - timedelta(days=policy.events_days),
        "raw": as_of - timedelta(days=policy.raw_days),
    }
    now = datetime.now(UTC)
    removed: dict[str, int] = {}
    for spec in SOURCE_FILES:
        rule = _rule(spec)
        if rule is None or not table_exists(con, "raw", spec.table):
            continue
        cutoff = cutoffs["events" if rule == "events" else "raw"]
        relation = f"raw.{spec.table}"
        with _purge(con, run_id, now, relation, rule, cutoff) as purge:
            purge.count = remove_raw_rows(
                con, spec.table, _expired(spec, rule, cutoff), "retention", now, alias="old"
            )
        log(f"retention: {relation} ({rule} before {cutoff}): {purge.count} row(s)")
        if purge.count:
            removed[relation] = purge.count
    with _purge(con, run_id, now, "raw._rejects", "rejected lines", cutoffs["raw"]) as purge:
        purge.count = con.execute(
            "delete from raw._rejects where export_date < ?", [cutoffs["raw"]]
        ).fetchall()[0][0]
    if purge.count:
        removed["raw._rejects"] = purge.count
    return removed


@dataclass
class _Purge:
    count: int = 0


@contextmanager
def _purge(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    now: datetime,
    relation: str,
    rule: str,
    cutoff: date,
) -> Iterator[_Purge]:
    """One relation's purge as one transaction: the rows the block removes (it sets the
    yielded ``count``), the counts ``remove_raw_rows`` logs per file and the entry of
    ``privacy.retention_log`` commit together, or none of them does. A purge that stops
    half-way leaves every relation either purged and logged or untouched, and the next one
    finishes the work."""
    purge = _Purge()
    con.execute("begin transaction")
    try:
        yield purge
        if purge.count:
            con.execute(
                "insert into privacy.retention_log values (?, ?, ?, ?, ?, ?)",
                [run_id, now, relation, rule, cutoff, purge.count],
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
