"""What identity's dbt Python models ask of the engine they run on, answered for DuckDB and
Spark alike, so that each rule of identity has one implementation (``cdp.identity``).

A model names its inputs (``view``), may read its own previous contents (``previous``), runs
identity's SQL on ``con`` (a DuckDB connection) and hands back a result (``result``).

Fuzzy matching, clusters and golden records read their previous contents and redo only what
changed, unless asked to start from scratch (``from_scratch``: `--vars
'{identity_from_scratch: true}'`, which `make full-refresh` passes as the models' config) or
their previous table lacks what the current code keeps (one built by an older version).

- **DuckDB** (dbt-duckdb): ``con`` is dbt's own connection to the warehouse; inputs are views
  of dbt's relations, the result is a DuckDB relation dbt writes.
- **Spark** (``CDP_ENGINE=spark``; dbt-spark runs the model on the platform's session,
  ``cdp.spark.dbt``): ``con`` is an embedded DuckDB on the Spark driver; each input is read
  from its Spark table through Arrow, and the result goes back through Arrow as a Spark
  DataFrame that dbt-spark writes as the model's table. The two steps that grow with the data
  run on Spark: the fuzzy matcher scores its candidate pairs with Splink's Spark backend
  (``predict``) and the graph's connected components are searched by Spark (``labeler``),
  both from ``cdp.spark.identity``. The rest of identity (preparation, training on bounded
  samples, refusals, guards, splits, ids, survivorship) is done on the driver, within the
  platform's DuckDB budget, by the same code as on DuckDB.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from cdp.identity.components import Labeler, sparse_labels
from cdp.identity.fuzzy import Predict
from cdp.warehouse import column_names, table_exists


def _is_spark(session: Any) -> bool:
    return type(session).__module__.startswith("pyspark")


@dataclass
class IdentitySession:
    dbt: Any
    session: Any
    con: Any
    on_spark: bool
    #: scores the fuzzy matcher's candidate pairs (None: on ``con``)
    predict: Predict | None = None
    #: searches the identity graph for its connected components
    labeler: Labeler = sparse_labels

    @property
    def from_scratch(self) -> bool:
        """True when the model's ``from_scratch`` config (a dbt variable, as text) is set."""
        value = self.dbt.config.get("from_scratch")
        return str(value).strip().lower() in ("true", "1", "yes")

    def view(self, relation: Any, name: str) -> list[str]:
        """``relation`` (what ``dbt.ref`` returned: written out in the model, so that dbt sees
        the dependency) as the view ``name`` of ``con``; returns its columns."""
        if not self.on_spark:
            relation.create_view(name)
            return list(relation.columns)
        table = relation.toArrow()
        self.con.register(name, table)
        return list(table.column_names)

    def previous(self, name: str, marker: str | None = None) -> str | None:
        """The model's own table from its last run, as ``name`` (DuckDB: the table itself),
        or None when there is none, or none holding the column ``marker``."""
        this = self.dbt.this
        if not self.on_spark:
            if not table_exists(self.con, this.schema, this.identifier):
                return None
            if marker and marker not in column_names(self.con, this.schema, this.identifier):
                return None
            return str(this)
        relation = f"{this.schema}.{this.identifier}"
        if not self.session.catalog.tableExists(relation):
            return None
        previous = self.session.table(relation)
        if marker and marker not in previous.columns:
            return None
        self.con.register(name, previous.toArrow())
        return name

    def result(self, sql: str, params: list | None = None) -> Any:
        """The model's rows: a DuckDB relation, or on Spark a DataFrame of them."""
        if not self.on_spark:
            return self.con.sql(sql, params=params)
        table = _spark_types(self.con.sql(sql, params=params).to_arrow_table())
        frame = self.session.createDataFrame(table)
        self.con.close()
        return frame


def _spark_types(table: Any) -> Any:
    """Arrow columns Spark cannot hold, as the nearest it can: unsigned integers (DuckDB's
    hashes) as DECIMAL(20, 0), smaller ones one size up."""
    import pyarrow as pa

    wider = {
        pa.uint8(): pa.int16(),
        pa.uint16(): pa.int32(),
        pa.uint32(): pa.int64(),
        pa.uint64(): pa.decimal128(20, 0),
    }
    for index, column in enumerate(table.schema):
        if column.type in wider:
            table = table.set_column(
                index, column.name, table.column(index).cast(wider[column.type])
            )
    return table


def identity_session(dbt: Any, session: Any) -> IdentitySession:
    """The engine-neutral session of one identity model run."""
    if not _is_spark(session):
        return IdentitySession(dbt, session, session, on_spark=False)
    from cdp.duckdb_budget import connect
    from cdp.spark.identity import SparkComponents, SparkPrediction

    log = logging.getLogger("cdp.identity").info
    return IdentitySession(
        dbt,
        session,
        connect(":memory:"),
        on_spark=True,
        predict=SparkPrediction(session, log),
        labeler=SparkComponents(session, log),
    )
