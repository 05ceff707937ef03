"""Identity's steps that run on Spark (cdp.spark.identity) give what their DuckDB
counterparts give: the graph's partition, each comparison level, the judged pairs."""

from datetime import date

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cdp.duckdb_budget import connect
from cdp.identity.fuzzy import (
    FuzzyConfig,
    _prepare,
    _private_connection,
    comparison_levels,
    fuzzy_matches,
)
from tests.identity.test_fuzzy import PRESET, _filler, _synthetic, _table

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    """The platform's Spark session, on a warehouse folder of its own."""
    from cdp.spark import session as spark_session

    patch = pytest.MonkeyPatch()
    patch.setenv("CDP_SPARK_WAREHOUSE", str(tmp_path_factory.mktemp("spark")))
    patch.setenv("CDP_SPARK_PARTITIONS", "2")
    session = spark_session.get_session()
    yield session
    session.stop()
    spark_session._session = None
    patch.undo()


def _same_partition(labels: np.ndarray, other: np.ndarray) -> bool:
    """Two labellings name the same components (a one-to-one map between their labels)."""
    pairs = set(zip(labels.tolist(), other.tolist(), strict=True))
    return len(pairs) == len(set(labels.tolist())) == len(set(other.tolist()))


def _graphs():
    rng = np.random.default_rng(7)
    path = rng.permutation(3000)  # one component whose diameter is 2,999
    star_of_paths = np.concatenate([np.arange(1, 400), np.arange(400, 800)])
    return {
        "random": (rng.integers(0, 5000, 3500), rng.integers(0, 5000, 3500), 5000),
        "long path": (path[:-1], path[1:], 3000),
        "paths from one node": (np.zeros(799, dtype=np.int64), star_of_paths, 1000),
        "no edges": (np.array([], dtype=np.int64), np.array([], dtype=np.int64), 12),
    }


@pytest.mark.parametrize("graph", list(_graphs()))
def test_spark_components_partition_the_graph_as_scipy_does(spark, graph):
    from cdp.spark.identity import SparkComponents

    left, right, nodes = _graphs()[graph]
    search = SparkComponents(spark, log=lambda _line: None)
    count, labels = search(left, right, nodes)
    expected_count, expected = connected_components(
        coo_matrix((np.ones(len(left)), (left, right)), shape=(nodes, nodes)), directed=False
    )
    assert count == expected_count
    assert _same_partition(labels, expected)
    # each component is labelled by its smallest node
    for label in set(labels.tolist()):
        assert label == np.flatnonzero(labels == label).min()
    # rounds grow with the logarithm of the size, not with the diameter
    assert search.rounds <= 2 * int(np.ceil(np.log2(nodes)))


# pairs that reach the levels a small synthetic world may not
_LEVEL_CASES = [
    {"record_key": f"case:{index}", **fields}
    for index, fields in enumerate(
        [
            {"first_name": "Robert", "last_name": "Hale", "birth_date": date(1980, 3, 7)},
            {"first_name": "Bob", "last_name": "Hale", "birth_date": date(1980, 7, 3)},
            {"first_name": "Roberta", "last_name": "Hale", "birth_date": date(1980, 3, 8)},
            {"first_name": "R", "last_name": "Hale", "birth_date": date(1918, 3, 7)},
            {"first_name": "Robert", "last_name": "Hale", "birth_date": date(1980, 1, 1)},
            {"last_name": "Hale", "email": "rhale77@gmail.com"},
            {"first_name": "Rob", "email": "rhale77@libero.it"},
            {"first_name": "Giusepe", "last_name": "Hale Duque", "birth_date": date(1918, 3, 7)},
            {"first_name": "Guiseppe", "last_name": "Hale", "birth_date": date(1981, 3, 7)},
        ]
    )
]


def test_every_comparison_level_holds_on_spark_where_it_holds_on_duckdb(spark):
    """Each level's condition, as Spark SQL, on pairs of prepared records: true, false or
    null for the same pairs as on DuckDB (the similarities are DuckDB's own on Spark)."""
    from cdp.spark.identity import spark_sql

    rows, _same_person, _households = _synthetic(150, seed=11)
    con = connect()
    records = _table(con, rows + _LEVEL_CASES)
    with _private_connection(con) as work:
        _prepare(con, work, records, FuzzyConfig(), ("prepared",))
        prepared = work.sql("select * from prepared").to_arrow_table()
        columns = [name for name in prepared.column_names if name != "record_key"]
        sides = ", ".join(
            f"{side}.{column} as {column}_{suffix}"
            for side, suffix in (("l", "l"), ("r", "r"))
            for column in columns
        )
        pairs_sql = (
            f"select l.record_key as left_key, r.record_key as right_key, {sides} "
            "from prepared as l inner join prepared as r on l.record_key < r.record_key"
        )
        conditions = {
            f"{name}__{level.name}": level.sql
            for name, levels in comparison_levels().items()
            for level in levels
            if level.sql != "else"
        }
        on_duckdb = work.sql(
            "select left_key, right_key, "
            + ", ".join(f"({sql}) as {key}" for key, sql in conditions.items())
            + f" from ({pairs_sql}) order by left_key, right_key"
        ).fetchall()
        spark.createDataFrame(work.sql(pairs_sql).to_arrow_table()).createOrReplaceTempView("pairs")
    on_spark = spark.sql(
        "select left_key, right_key, "
        + ", ".join(f"({spark_sql(sql)}) as {key}" for key, sql in conditions.items())
        + " from pairs order by left_key, right_key"
    ).collect()
    assert len(on_duckdb) > 20_000
    assert [tuple(row) for row in on_spark] == on_duckdb
    # every level is reached by some pair, so each condition was put to the test
    reached = {key for index, key in enumerate(conditions) if any(r[index + 2] for r in on_duckdb)}
    assert set(conditions) - reached == set()


def test_pairs_scored_on_spark_are_judged_as_on_duckdb(spark):
    from cdp.spark.identity import SparkPrediction

    rows, same_person, _households = _synthetic(300, seed=5)
    con = connect()
    records = _table(con, rows + _filler(500))
    config = FuzzyConfig(preset=PRESET, keep_refused=True)
    judged = {}
    for engine, predict in (
        ("duckdb", None),
        ("spark", SparkPrediction(spark, log=lambda _line: None)),
    ):
        table, _model = fuzzy_matches(con, records, config, predict=predict)
        judged[engine] = con.execute(f"select * from {table} order by all").fetchall()
    assert judged["spark"] == judged["duckdb"]
    accepted = {(row[0], row[1]) for row in judged["spark"] if row[-1] is None}
    assert len(accepted & same_person) > 50
