"""Erasure end to end, over three daily runs that continue from one another (a run takes a
minute or more, so the runs are shared by the tests through one module fixture):

1. the first build (the session's, by `python -m orchestration.run`: tests/first_build.py),
   whose delivery holds a request for person A beside A's records: A is gone from every
   layer and file when that run ends, with identity built on A's complete data;
2. the same run again with nothing new (on a copy of the first build): no row of any table
   changes, nothing is erased;
3. the next day (the session's, on another copy: tests/next_day.py), with a request for
   person B, who appears in every source under several identifiers and has been in the
   warehouse since run 1, delivered with old exports that name A: after that run no layer
   and no file the platform wrote names B, and the re-delivered exports do not bring A back.
   The same day holds the incremental tests' changes to other profiles."""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from cdp.config import DBT_PROJECT_DIR
from cdp.duckdb_budget import connect
from tests.conftest import pipeline_resources, progress, query, run_daily_pipeline
from tests.first_build import (
    FIRST_BUILD_REQUEST,
    SOURCES,
    already_requested,
    chosen_persons,
    read_truth,
)
from tests.next_day import LATER_REQUEST, REDELIVERY_DAY, Needles, needles_of

pytestmark = pytest.mark.e2e


def search_warehouse(warehouse: Path, needles: Needles) -> dict[str, list[str]]:
    """Every column of every table and view, as text."""
    hits: dict[str, list[str]] = {}
    con = connect(str(warehouse), read_only=True)
    try:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema <> 'main' order by all"
        ).fetchall()
        for schema, name in relations:
            columns = con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
            text = " || chr(31) || ".join(
                f"coalesce(cast(\"{c}\" as varchar), '')" for (c,) in columns
            )
            rows = con.execute(f'select {text} from "{schema}"."{name}"').fetchall()
            found = sorted({n for (row,) in rows for n in needles.find(row or "")})
            if found:
                hits[f"{schema}.{name}"] = found
    finally:
        con.close()
    return hits


def search_files(roots: list[Path], needles: Needles, since: float) -> dict[str, list[str]]:
    """Every file under the roots written since ``since``; Parquet read as data, gzip
    uncompressed, everything else as bytes. A file that goes while it is searched (a dbt step
    of another test worker clears its folder) holds nothing any more."""
    hits: dict[str, list[str]] = {}
    for path in _files(roots):
        try:
            if path.stat().st_mtime < since or path.suffix == ".duckdb":
                continue
            if path.suffix == ".parquet":
                con = connect()
                rows = con.execute("select * from read_parquet(?)", [str(path)]).fetchall()
                con.close()
                text = "\n".join(" ".join(map(str, row)) for row in rows)
            elif path.suffix == ".gz":
                text = gzip.decompress(path.read_bytes()).decode("utf-8", "replace")
            else:
                text = path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            continue
        found = needles.find(text)
        if found:
            hits[str(path)] = found
    return hits


def _files(roots: list[Path]):
    """Every file under ``roots``; folders that go while they are walked are passed over."""
    for root in roots:
        for folder, _dirs, names in os.walk(root):
            for name in names:
                yield Path(folder) / name


def search_warehouse_bytes(warehouse: Path, needles: Needles) -> list[str]:
    """The warehouse file and its write-ahead log as bytes: blocks that deletes freed but did
    not overwrite would still show an erased person there."""
    found = set()
    for path in (warehouse, Path(f"{warehouse}.wal")):
        if path.exists():
            found.update(needles.find(path.read_bytes().decode("latin-1")))
    return sorted(found)


# The schemas whose tables a run with nothing new must leave as they are.
SCHEMAS = ["raw", "staging", "intermediate", "marts", "audit", "pseudonymized", "privacy"]
# Logs that grow in every run by design, even with nothing new: one row per pass of the purge
# (the purge before dbt, and each round of the erasure after identity), and one row per
# expectation suite and quality-gate run, and the history behind the stakeholder page (the key
# numbers and the dbt test results of each run). Nothing else may change.
PER_RUN_LOGS = {
    "privacy.purge_runs",
    "audit.quality_results",
    "audit.key_numbers",
    "audit.dbt_test_results",
}


def run_pipeline(landing: Path, tmp: Path, instance: dg.DagsterInstance, days: list[str]):
    """The daily pipeline over ``days``: its result and its seconds."""
    started = time.monotonic()
    result = run_daily_pipeline(
        instance, pipeline_resources(tmp, tmp / "warehouse.duckdb", landing), days
    )
    return result, round(time.monotonic() - started)


def row_counts(warehouse: Path) -> dict[str, int]:
    """Rows of every table and view of ``SCHEMAS`` but the per-run logs."""
    con = connect(str(warehouse), read_only=True)
    try:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in (select unnest(?)) order by all",
            [SCHEMAS],
        ).fetchall()
        return {
            f"{schema}.{name}": con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[
                0
            ][0]
            for schema, name in relations
            if f"{schema}.{name}" not in PER_RUN_LOGS
        }
    finally:
        con.close()


def erased_layers(warehouse: Path, request_id: str) -> set[str]:
    return {
        layer
        for (layer,) in query(
            warehouse,
            "select distinct layer from privacy.erasure_log where request_id = ?",
            [request_id],
        )
    }


# Where each source's record ids are in raw, as the truth writes them.
RECORD_IDS = {
    "crm": ("crm__contacts", "contact_id"),
    "shop_account": ("shop__accounts", "account_id"),
    "shop_order": ("shop__orders", "order_id"),
    "web": ("web__events", "anonymous_id"),
    "newsletter": ("newsletter__subscribers", "subscriber_id"),
    "subscriptions": ("subscriptions__subscriptions", "id"),
    "surveys_nps": ("surveys__nps", "response_id"),
    "surveys_preferences": ("surveys__preferences", "response_id"),
    "support": ("support__tickets", "ticket_id"),
    "social": ("social__mentions", "platform || ':' || ltrim(handle, '@')"),
}


def persons_who_lost_records(warehouse: Path, generated: Path) -> set[str]:
    """Persons of the truth with a record that is neither in raw nor set aside at load."""
    _, records = read_truth(generated / "truth")
    con = connect(str(warehouse), read_only=True)
    try:
        present = {
            source: {
                str(v).lower()
                for (v,) in con.execute(
                    f"select distinct cast({c} as varchar) from raw.{t}"
                ).fetchall()
            }
            for source, (t, c) in RECORD_IDS.items()
        }
        rejected = " ".join(
            text for (text,) in con.execute("select raw_text from raw._rejects").fetchall() if text
        ).lower()
    finally:
        con.close()
    return {
        person
        for person, person_records in records.items()
        for source, record_id in person_records
        if source in present
        and record_id.lower() not in present[source]
        and record_id.lower() not in rejected
    }


def requested_persons(generated: Path, *persons: dict) -> set[str]:
    """The persons whom an erasure request of the sample names, and ``persons``."""
    everyone, _ = read_truth(generated / "truth")
    requested = already_requested(generated / "landing")
    return {
        pid for pid, p in everyone.items() if p["email"] and p["email"].lower() in requested
    } | {p["person_id"] for p in persons}


@pytest.fixture(scope="module")
def erasure_runs(first_build, tmp_path_factory, request) -> dict:
    """What was seen after each run of the module's description: the first build is the
    session's (tests/first_build.py), the rerun runs on a copy of it, the later request is
    the session's next day (tests/next_day.py)."""
    build = first_build.succeeded()
    generated = build.generated
    tmp = build.copy_to(tmp_path_factory.mktemp("erasure"))
    started = build.started
    landing = tmp / "landing"
    (person_a, records_a), (person_b, records_b) = chosen_persons(generated)
    a, b = needles_of(generated, landing)
    warehouse = tmp / "warehouse.duckdb"
    days = sorted(p.name for p in (generated / "landing" / "crm").iterdir())
    dbt_files = [DBT_PROJECT_DIR / "target", DBT_PROJECT_DIR / "logs"]  # dbt's artifacts, log
    roots = [tmp / d for d in ("exports", "docs", "quality", "reports", "dagster")] + dbt_files
    seen: dict = {
        "sources_a": {source for source, _ in records_a} & SOURCES,
        "sources_b": {source for source, _ in records_b} & SOURCES,
        "seconds": {"first build": build.seconds},
    }
    # 1. The first build.
    seen["first"] = {
        "a_warehouse": search_warehouse(warehouse, a),
        "a_files": search_files(roots, a, started),
        "a_bytes": search_warehouse_bytes(warehouse, a),
        "a_layers": erased_layers(warehouse, FIRST_BUILD_REQUEST),
        "b_warehouse": search_warehouse(warehouse, b),
        "b_bytes": search_warehouse_bytes(warehouse, b),
        "counts": row_counts(warehouse),
        "customer_ids": set(
            query(warehouse, "select * from intermediate.int_identity__customer_ids")
        ),
    }

    # 2. The same run again, nothing new delivered. The pipeline's resources name every
    #    path: the runs read no setting from the environment. Dagster's events stay in
    #    memory: no test reads them, and the on-disk log costs about 11 s a run here (a
    #    SQLite connection and commit per event).
    with dg.DagsterInstance.ephemeral() as instance:
        progress("erasure: the run again with nothing new")
        result, seen["seconds"]["rerun"] = run_pipeline(landing, tmp, instance, days)
        seen["rerun"] = {
            "a_warehouse": search_warehouse(warehouse, a),
            "counts": row_counts(warehouse),
            "customer_ids": set(
                query(warehouse, "select * from intermediate.int_identity__customer_ids")
            ),
            "erasure_log": query(
                warehouse,
                "select layer, relation, rows_removed from privacy.erasure_log where run_id = ?",
                [result.run_id],
            ),
        }

    # 3. The next day: a request for B (email written in capitals, national phone),
    #    delivered with old exports that name A (and the incremental tests' changes). Asked
    #    for now, not before the rerun: another worker may be making it meanwhile.
    next_day = request.getfixturevalue("next_day")
    seen["seconds"]["next day"] = next_day.seconds
    later = next_day.warehouse
    roots = [next_day.root / d for d in ("exports", "docs", "quality", "reports", "dagster")]
    roots += dbt_files
    seen["redelivered"] = next_day.redelivered
    seen["later"] = {
        name: {
            "warehouse": search_warehouse(later, needles),
            "files": search_files(roots, needles, started),
            "bytes": search_warehouse_bytes(later, needles),
        }
        for name, needles in (("a", a), ("b", b))
    }
    seen["later"]["b_layers"] = erased_layers(later, LATER_REQUEST)
    seen["later"]["b_hashes"] = query(
        later,
        "select count(*) from privacy.suppression_list where request_id = ?",
        [LATER_REQUEST],
    )[0][0]
    seen["later"]["b_request"] = query(
        later,
        "select email_hash, phone_hash from privacy.erasure_requests where request_id = ?",
        [LATER_REQUEST],
    )
    # A's re-delivered rows, held back by the loads (never written) or removed before dbt
    # (B's request waits for identity): rows logged for A's request in this run, by the
    # loads and the purge before dbt, and by the purge after identity (which starts after the
    # run's first purge).
    seen["later"]["a_logged"] = dict(
        query(
            later,
            """select case when logged_at > (select min(started_at) from privacy.purge_runs
                                             where run_id = ?)
                      then 'after identity' else layer end,
                sum(rows_removed)
            from privacy.erasure_log
            where request_id = ? and layer in ('load', 'raw') and run_id = ?
            group by all""",
            [next_day.run_id, FIRST_BUILD_REQUEST, next_day.run_id],
        )
    )
    seen["later"]["loaded"] = query(
        later,
        "select count(*) from raw._load_manifest where export_date = ? and status = 'loaded'",
        [REDELIVERY_DAY],
    )[0][0]
    seen["later"]["lost"] = persons_who_lost_records(later, generated)
    # the incremental tests' request of the same day erases a third profile's persons
    seen["later"]["requested"] = requested_persons(generated, person_a, person_b) | set(
        next_day.incremental_erased_persons
    )
    print(f"daily pipeline runs, seconds: {seen['seconds']}")
    return seen


def test_erasure_on_a_first_build_is_complete_when_that_run_ends(erasure_runs):
    first = erasure_runs["first"]
    assert len(erasure_runs["sources_a"]) >= 6, erasure_runs["sources_a"]
    # The searches do find a person who was not erased: B, in the warehouse and its bytes.
    assert {"raw.crm__contacts", "marts.customer_profiles"} <= set(first["b_warehouse"])
    assert first["b_bytes"], "the byte search finds nothing"

    assert first["a_warehouse"] == {}
    assert first["a_files"] == {}
    assert first["a_bytes"] == []
    assert {"raw", "staging", "identity"} <= first["a_layers"], first["a_layers"]


def test_a_rerun_with_nothing_new_changes_no_row(erasure_runs):
    first, rerun = erasure_runs["first"], erasure_runs["rerun"]
    assert rerun["erasure_log"] == []
    changed = {
        relation: (first["counts"].get(relation), rerun["counts"].get(relation))
        for relation in first["counts"].keys() | rerun["counts"].keys()
        if first["counts"].get(relation) != rerun["counts"].get(relation)
    }
    assert changed == {}
    assert rerun["customer_ids"] == first["customer_ids"]
    assert rerun["a_warehouse"] == {}


def test_an_erased_person_leaves_every_layer_and_stays_erased(erasure_runs):
    later = erasure_runs["later"]
    assert len(erasure_runs["sources_b"]) >= 6, erasure_runs["sources_b"]
    for name in ("a", "b"):
        assert later[name] == {"warehouse": {}, "files": {}, "bytes": []}, name

    assert {"raw", "staging", "identity", "marts"} <= later["b_layers"], later["b_layers"]
    assert later["b_hashes"] >= len(erasure_runs["sources_b"])
    assert later["b_request"] and all(len(h) == 64 for h in later["b_request"][0])

    # Old exports that name A, delivered again: held back by the loads, or removed before dbt
    # read them (a line of an order loaded before the order), none by the purge after identity.
    assert len(erasure_runs["redelivered"]) >= 6, erasure_runs["redelivered"]
    assert later["loaded"] >= 1
    assert later["a_logged"].get("load", 0) >= 1, later["a_logged"]
    assert "after identity" not in later["a_logged"], later["a_logged"]


def test_nobody_without_a_request_loses_a_record(erasure_runs):
    """Identifiers the erased shared with others (a family mailbox on their account, a
    family phone) reach no other person's records, within a run or over runs."""
    later = erasure_runs["later"]
    assert later["lost"] - later["requested"] == set()
    assert len(later["lost"]) >= 2  # A and B at least
