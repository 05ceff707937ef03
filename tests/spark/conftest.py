"""The builds the Spark tests compare: one small generated landing zone built on each engine by
the same steps (``cdp.spark.build``), once per test session."""

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_END

# the morning after the data set's last export day, as a nightly run
BUILT_AT = datetime.combine(SAMPLE_END + timedelta(days=1), time(4, 0), tzinfo=UTC)
# one shuffle partition: the data set is small, and each partition is a task to schedule
PARTITIONS = "1"


@pytest.fixture(scope="session")
def builds(generated: Path, tmp_path_factory):
    """``(work folder, Spark's warehouse folder, {engine: Build})``."""
    from cdp.spark.build import build

    work = tmp_path_factory.mktemp("engines")
    spark_home = work / "spark"
    env = {"CDP_SPARK_WAREHOUSE": str(spark_home), "CDP_SPARK_PARTITIONS": PARTITIONS}
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
            quality=work / f"quality-{engine}",
        )
        for engine in ("duckdb", "spark")
    }
    return work, spark_home, done
