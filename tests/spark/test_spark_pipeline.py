"""The scheduled pipeline (``make run``: Dagster's ``daily_pipeline``) on Spark.

``python -m orchestration.run`` with ``CDP_ENGINE=spark`` over the small generated landing
zone: the loads, the purge, the raw tables published to Spark, dbt on Spark (``cdp-dbt-spark``),
the quality gates through GX's Spark data source, the erasure through Spark's identity, the
audience exports from Spark's marts and the site. Its customers and exports are compared with
the DuckDB build of the same landing zone (``builds``, tests/spark/conftest.py) in a process of
its own (``python -m cdp.spark compare``: Spark's catalog takes one process at a time). Then a
second run with nothing new: it loads nothing and every record keeps its customer id.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.first_build import pipeline_env
from tests.spark.conftest import PARTITIONS

pytestmark = [pytest.mark.integration, pytest.mark.spark]


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=2400,
    )


def _customer_ids(env: dict[str, str], into: Path) -> set[tuple]:
    """Each source record's customer id in Spark's marts, copied out by the platform's own
    command into a DuckDB file of the test's."""
    subprocess.run(
        [sys.executable, "-m", "cdp.spark", "pull", "--loads", str(into)]
        + ["--tables", "marts.customer_source_records"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    con = duckdb.connect(str(into), read_only=True)
    try:
        return set(
            con.execute(
                "select source, record_id, customer_id from marts.customer_source_records"
            ).fetchall()
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def spark_run(generated: Path, tmp_path_factory):
    """Two runs of the daily pipeline on Spark over the same exports: ``(folder, environment,
    first run, second run, customer ids after each)``."""
    root = tmp_path_factory.mktemp("spark_pipeline")
    shutil.copytree(generated / "landing", root / "landing")
    (root / "dagster").mkdir()
    env = {
        **pipeline_env(root),
        "CDP_ENGINE": "spark",
        "CDP_SPARK_WAREHOUSE": str(root / "spark"),
        "CDP_SPARK_PARTITIONS": PARTITIONS,
    }
    first = _run(env)
    ids_first = _customer_ids(env, root / "ids-first.duckdb") if first.returncode == 0 else set()
    second = _run(env)
    ids_second = _customer_ids(env, root / "ids-second.duckdb") if second.returncode == 0 else set()
    return root, env, first, second, (ids_first, ids_second)


def test_the_daily_pipeline_succeeds_on_spark(spark_run):
    root, _env, done, _second, _ids = spark_run
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-60:])
    assert done.returncode == 0, tail
    assert "daily_pipeline success" in done.stdout
    # the gates ran on Spark's tables and recorded their results beside the loads
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        layers = dict(
            con.execute(
                "select layer, count(*) from audit.quality_results group by layer"
            ).fetchall()
        )
        erased = con.execute(
            "select coalesce(sum(rows_removed), 0) from privacy.erasure_log where layer = 'raw'"
        ).fetchall()[0][0]
        marts = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert set(layers) >= {"raw", "staging", "intermediate", "marts"}
    assert erased > 0
    assert marts == 0, "the marts are Spark's tables, not the loads' file's"
    assert (root / "docs" / "index.html").exists()


def test_the_pipeline_on_spark_gives_the_customers_of_the_duckdb_build(spark_run, builds):
    """Same customers by their source records, same golden values, consent and segments,
    and the same members exported to each channel, as the DuckDB build of the same exports."""
    root, env, _first, _second, _ids = spark_run
    work, _home, _builds = builds
    compared = subprocess.run(
        [sys.executable, "-m", "cdp.spark", "compare", "--duckdb", str(work / "duckdb.duckdb")]
        + ["--duckdb-exports", str(work / "exports-duckdb")]
        + ["--spark-exports", str(root / "exports")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert compared.returncode == 0, compared.stdout + compared.stderr[-3000:]
    assert "groupings equal" in compared.stdout
    assert "audience exports: equal" in compared.stdout


def test_a_second_run_with_nothing_new_keeps_every_customer_id(spark_run):
    """Nothing new arrived: nothing is loaded or published, and every record keeps the
    customer id the first run gave it (identity reads its previous contents on Spark)."""
    _root, _env, _first, second, (ids_first, ids_second) = spark_run
    output = second.stdout + second.stderr
    assert second.returncode == 0, "\n".join(output.splitlines()[-60:])
    assert "0 new; 0 file(s) to load" in second.stdout
    # the Spark steps' own lines (their processes share the run's console)
    assert "published 0 changed raw table(s)" in output
    assert len(ids_first) > 500
    assert ids_second == ids_first
