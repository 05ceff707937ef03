"""The pipeline built on local Spark gives the customers the DuckDB build gives.

One small generated landing zone, built on each engine by the same steps (``cdp.spark.build``:
the loads, on Spark their publication, dbt's seeds, models and data tests, the audience
exports), then the customer marts compared customer by customer (``cdp.spark.compare``): the
same source records grouped into each customer, and the same profile, consent and segment rows
for it; and the same members exported to each channel. Customer ids are chosen per build and
are not compared; everything else is, column by column.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cdp.spark.build import build
from cdp.spark.compare import CUSTOMER_MARTS, SOURCE_RECORDS, compare_customers, compare_exports

pytestmark = [pytest.mark.integration, pytest.mark.spark]

BUILT_AT = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def builds(generated: Path, tmp_path_factory):
    work = tmp_path_factory.mktemp("engines")
    spark_home = work / "spark"
    # one shuffle partition: the data set is small, and each partition is a task to schedule
    env = {"CDP_SPARK_WAREHOUSE": str(spark_home), "CDP_SPARK_PARTITIONS": "1"}
    done = {
        engine: build(
            engine,
            generated / "landing",
            work / f"{engine}.duckdb",
            work / f"target-{engine}",
            env=env,
            log=lambda _line: None,
            exports=work / f"exports-{engine}",
            built_at=BUILT_AT,
        )
        for engine in ("duckdb", "spark")
    }
    return work, spark_home, done


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
    assert list(done["duckdb"].stages) == ["load", "dbt", "exports"]
    assert list(done["spark"].stages) == ["load", "publish", "dbt", "exports"]


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
