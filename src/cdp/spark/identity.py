"""Identity's two steps that grow with the data, run on Spark: the fuzzy matcher's scoring of
candidate pairs (Splink's Spark backend) and the connected components of the identity graph
(alternating large-star and small-star rounds, Kiveris et al. 2014).

Everything else of identity (preparation, training on bounded samples, refusals, guards,
splits, ids, survivorship) is the one implementation in ``cdp.identity``, run on the Spark
driver's DuckDB (``cdp.identity.engine``). These two steps are handed to it as functions:
``SparkPrediction`` for ``cdp.identity.fuzzy.fuzzy_matches`` and ``SparkComponents`` for
``cdp.identity.components.label_components``. Both give what their DuckDB counterparts give:
the same pairs with the same weights, the same partition of the graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import sqlglot
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from sqlglot import exp


def _spark_function(node: exp.Expression) -> exp.Expression:
    """DuckDB functions sqlglot writes under names Spark does not know, by Spark's name (or
    the name the session registers DuckDB's own under, ``SIMILARITIES``)."""
    if isinstance(node, exp.ArrayOverlaps):  # list_has_any, written ``&&``
        return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
    if isinstance(node, exp.JarowinklerSimilarity):
        return exp.Anonymous(
            this="jaro_winkler_similarity", expressions=[node.this, node.expression]
        )
    return node


def spark_sql(condition: str) -> str:
    """A condition written for DuckDB, as Spark SQL."""
    return sqlglot.parse_one(condition, read="duckdb").transform(_spark_function).sql("spark")


def spark_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A trained Splink model (settings of the DuckDB dialect) for Splink's Spark backend:
    the same parameters, its comparison levels and blocking rules in Spark SQL."""
    converted = dict(settings, sql_dialect="spark")
    converted["comparisons"] = [
        {
            **comparison,
            "comparison_levels": [
                {
                    **level,
                    "sql_condition": level["sql_condition"]
                    if level["sql_condition"].strip().upper() == "ELSE"
                    else spark_sql(level["sql_condition"]),
                }
                for level in comparison["comparison_levels"]
            ],
        }
        for comparison in settings["comparisons"]
    ]
    converted["blocking_rules_to_generate_predictions"] = [
        {**rule, "blocking_rule": spark_sql(rule["blocking_rule"]), "sql_dialect": "spark"}
        for rule in settings["blocking_rules_to_generate_predictions"]
    ]
    return converted


class SparkPrediction:
    """Scores the candidate pairs on Spark: the prepared records are handed to Splink's Spark
    backend with the trained model, and the pairs over the threshold come back to ``work``.
    The similarities Spark lacks are DuckDB's own (``cdp.spark.session.SIMILARITIES``)."""

    table = "spark_predictions"

    def __init__(self, session: SparkSession, log: Callable[[str], None] = print) -> None:
        self.session = session
        self.log = log

    def __call__(
        self,
        work: duckdb.DuckDBPyConnection,
        settings: Mapping[str, Any],
        threshold: float,
        warn: bool,
    ) -> str:
        from splink import Linker
        from splink.backends.spark import SparkAPI

        started = time.perf_counter()
        records = self.session.createDataFrame(work.sql("select * from prepared").to_arrow_table())
        api = SparkAPI(
            spark_session=self.session,
            register_udfs_automatically=False,  # the session has the functions it needs
            break_lineage_method="persist",
        )
        linker = Linker(api.register(records), spark_settings(settings), log_level=None)
        predictions = linker.inference.predict(
            threshold_match_probability=threshold, warning_mode="auto" if warn else "never"
        )
        pairs = predictions.as_spark_dataframe().toArrow()
        predictions.drop_table_from_database_and_remove_from_cache()
        work.register("_spark_pairs", pairs)
        work.execute(f"create or replace table {self.table} as select * from _spark_pairs")
        work.unregister("_spark_pairs")
        self.log(
            f"fuzzy matching on Spark: {pairs.num_rows:,} pairs over the threshold "
            f"in {time.perf_counter() - started:.1f} s"
        )
        return self.table


class SparkComponents:
    """Connected components on Spark by alternating large-star and small-star rounds
    (Kiveris, Lattanzi, Mirrokni, Rastogi, Vassilvitskii: "Connected Components in MapReduce
    and Beyond", 2014): the edges converge to one star per component around its smallest node
    in O(log² n) rounds, each a few joins and aggregations of the edge list; no round depends
    on the diameter. Each round's edges are checkpointed, so the plan stays one round long.
    ``rounds`` is the number of rounds of the last search."""

    def __init__(self, session: SparkSession, log: Callable[[str], None] = print) -> None:
        self.session = session
        self.log = log
        self.rounds = 0

    def __call__(self, left: np.ndarray, right: np.ndarray, nodes: int) -> tuple[int, np.ndarray]:
        """Labels of the nodes ``0 .. nodes - 1`` joined by the edges ``left[i]``-``right[i]``:
        each node's label is the smallest node of its component. Returns the number of
        components and the labels."""
        edges = self.session.createDataFrame(
            pa.table({"a": pa.array(left, pa.int64()), "b": pa.array(right, pa.int64())})
        )
        stars = _oriented(edges).localCheckpoint()
        self.rounds = 0
        while not _is_stars(stars):
            self.rounds += 1
            stars = _small_star(_large_star(stars)).localCheckpoint()
        pointers = stars.toArrow()
        labels = np.arange(nodes, dtype=np.int64)
        labels[np.asarray(pointers.column("u"))] = np.asarray(pointers.column("v"))
        count = int(nodes - pointers.num_rows)
        self.log(
            f"connected components on Spark: {nodes:,} nodes, {len(left):,} edges, "
            f"{count:,} components in {self.rounds} rounds"
        )
        return count, labels


def _oriented(edges: DataFrame) -> DataFrame:
    """Edges ``(u, v)`` with ``u > v``: each once, no loops."""
    return (
        edges.select(F.greatest("a", "b").alias("u"), F.least("a", "b").alias("v"))
        .where("u <> v")
        .distinct()
    )


def _is_stars(edges: DataFrame) -> bool:
    """Every node points to one node that points nowhere: one star per component, around its
    smallest node."""
    counts = edges.agg(F.count("*").alias("edges"), F.countDistinct("u").alias("sources"))
    row = counts.collect()[0]
    if row["edges"] != row["sources"]:
        return False
    centers = edges.select(F.col("v").alias("u")).distinct()
    return centers.join(edges.select("u"), "u", "left_semi").isEmpty()


def _large_star(edges: DataFrame) -> DataFrame:
    """Every node's larger neighbours point to the smallest node of its neighbourhood."""
    both = edges.unionByName(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    smallest = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return (
        both.where("v > u")
        .join(smallest, "u")
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
        .distinct()
    )


def _small_star(edges: DataFrame) -> DataFrame:
    """Every node and its smaller neighbours point to the smallest of them."""
    smallest = edges.groupBy("u").agg(F.min("v").alias("m"))
    neighbours = (
        edges.join(smallest, "u")
        .where("v <> m")
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
    )
    return neighbours.unionByName(smallest.select("u", F.col("m").alias("v"))).distinct()
