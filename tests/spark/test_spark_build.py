"""The pipeline built on local Spark gives the customers the DuckDB build gives.

One small generated landing zone, built on each engine by the same steps (``cdp.spark.build``:
the loads, the purge before dbt, on Spark their publication, dbt's seeds, staging and identity,
the erasure of the data set's requests, the layers after identity, the quality suites, the
audience exports), then the customer marts compared customer by customer
(``cdp.spark.compare``): the same source records grouped into each customer, and the same
profile, consent and segment rows for it; the same members exported to each channel; the same
outcome of every quality check; nothing of the erased person left on Spark. Customer ids are
chosen per build and are not compared; everything else is, column by column.
"""

import csv
from pathlib import Path

import duckdb
import pytest

from cdp.spark.compare import (
    CUSTOMER_MARTS,
    SOURCE_RECORDS,
    compare_customers,
    compare_exports,
    compare_quality,
)

pytestmark = [pytest.mark.integration, pytest.mark.spark]


@pytest.fixture(scope="module")
def spark(builds):
    _work, spark_home, _done = builds
    mp = pytest.MonkeyPatch()
    mp.setenv("CDP_SPARK_WAREHOUSE", str(spark_home))
    from cdp.spark.session import get_session

    session = get_session()
    yield session
    session.stop()
    mp.undo()


@pytest.fixture(scope="module")
def comparison(builds, spark):
    work, _home, _done = builds
    return compare_customers(work / "duckdb.duckdb", spark)


def test_both_builds_ran_every_stage(builds):
    _work, _home, done = builds
    stages = ["load", "privacy", "publish", "dbt", "erasure", "quality", "exports"]
    assert list(done["duckdb"].stages) == stages
    assert list(done["spark"].stages) == stages


def test_spark_groups_the_same_records_into_each_customer(comparison):
    assert comparison.duckdb_customers > 100
    assert comparison.spark_customers == comparison.duckdb_customers
    assert not comparison.groups_only_duckdb, comparison.summary()
    assert not comparison.groups_only_spark, comparison.summary()


@pytest.mark.parametrize("mart", [SOURCE_RECORDS, *CUSTOMER_MARTS])
def test_each_customer_mart_is_the_same_on_spark(comparison, mart):
    table = next(t for t in comparison.tables if t.table == mart)
    assert table.duckdb_rows > 0
    assert table.equal, table.summary()


def test_the_audience_exports_from_spark_are_the_same(builds):
    """The same members exported to each channel, with the same consent and contact counts:
    the platform's one export code, reading Spark's marts."""
    work, _home, _done = builds
    manifests = list((work / "exports-spark" / "audiences").glob("*.json"))
    assert len(manifests) >= 3
    assert compare_exports(work / "exports-duckdb", work / "exports-spark") == []


def test_the_quality_suites_on_spark_have_the_same_outcomes(builds):
    """Every suite ran on Spark through GX's Spark data source, recorded beside the loads, and
    each check passed or failed as on DuckDB, with the same rows read and found unexpected."""
    work, _home, _done = builds
    con = duckdb.connect(str(work / "spark.duckdb"), read_only=True)
    try:
        suites, checks, unevaluated = con.execute(
            "select count(distinct suite), count(*), count(evaluation_error) "
            "from audit.quality_results"
        ).fetchall()[0]
        layers = {
            row[0] for row in con.execute("select layer from audit.quality_results").fetchall()
        }
    finally:
        con.close()
    assert suites >= 40 and checks >= 300
    assert layers >= {"raw", "staging", "intermediate", "marts"}
    assert unevaluated == 0
    assert (work / "quality-spark" / "site" / "index.html").exists()
    assert compare_quality(work / "duckdb.duckdb", work / "spark.duckdb") == []


def _erased_person(generated: Path) -> tuple[str, set[str]]:
    """The email of the data set's erasure request and the record ids of its person (truth)."""
    requests = [
        row
        for path in sorted((generated / "landing" / "privacy").glob("*/erasure_requests.csv"))
        for row in csv.DictReader(path.open(encoding="utf-8"))
        if row["email"]
    ]
    email = requests[0]["email"].strip().lower()
    truth = generated / "truth"
    person = next(
        row["person_id"]
        for row in csv.DictReader((truth / "persons.csv").open(encoding="utf-8"))
        if row["email"].lower() == email
    )
    records = {
        row["record_id"]
        for row in csv.DictReader((truth / "record_person.csv").open(encoding="utf-8"))
        if row["person_id"] == person
    }
    return email, records


def test_the_erasure_reaches_sparks_tables(builds, spark, generated):
    """The request was resolved through Spark's identity: the same raw rows removed as on
    DuckDB; the person's email is in none of Spark's raw tables nor its profiles, and the
    records of the person that remain are those the DuckDB build keeps too (a browser that
    never signed in cannot be tied to anyone, on either engine)."""
    work, _home, _done = builds
    removed = {}
    for engine in ("duckdb", "spark"):
        con = duckdb.connect(str(work / f"{engine}.duckdb"), read_only=True)
        try:
            removed[engine] = dict(
                con.execute(
                    "select relation, sum(rows_removed) from privacy.erasure_log "
                    "where layer = 'raw' group by relation"
                ).fetchall()
            )
            if engine == "duckdb":
                duckdb_left = {
                    record_id
                    for (record_id,) in con.execute(
                        "select record_id from marts.customer_source_records"
                    ).fetchall()
                }
        finally:
            con.close()
    assert sum(removed["spark"].values()) > 0
    assert removed["spark"] == removed["duckdb"]

    email, records = _erased_person(generated)
    spark_left = {
        row.record_id
        for row in spark.sql("select record_id from marts.customer_source_records").collect()
    }
    assert records & spark_left == records & duckdb_left
    assert records - spark_left, "nothing of the person was erased"
    emails = {
        row.email
        for row in spark.sql(
            "select lower(trim(email)) as email from marts.customer_profiles "
            "where email is not null"
        ).collect()
    }
    assert emails and email not in emails
    for table in spark.catalog.listTables("raw"):
        columns = {column.name for column in spark.catalog.listColumns(f"raw.{table.name}")}
        if "email" in columns:
            found = (
                spark.sql(
                    f"select count(*) as n from raw.{table.name} "
                    f"where lower(trim(email)) = '{email}'"
                )
                .collect()[0]
                .n
            )
            assert found == 0, f"raw.{table.name}"
