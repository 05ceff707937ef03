"""Two adapters that let Great Expectations 1.24 validate DuckDB tables with pushed-down SQL.

Call ``install()`` before running validations (importing the module registers the metrics of
adapter 2 with GX, as GX's custom metrics are registered); it acts only on the ``duckdb``
SQLAlchemy dialect and leaves every other engine as it is.

1. **Buffered results.** GX executes a query inside ``with engine.connect()`` and reads the
   rows after the block. Closing the connection rolls the DuckDB connection back, which drops
   the unread result, so every metric would come back empty. A SQLAlchemy
   ``after_cursor_execute`` hook reads DuckDB results in full while the connection is open.
   GX's own queries are aggregates or carry a ``limit``; queries of ``UnexpectedRowsExpectation``
   are unlimited, so keep them to a few key columns.
2. **Regular expressions.** GX knows no regex syntax for DuckDB and refuses regex expectations.
   Subclasses of its two regex metrics register, through GX's custom-metric mechanism, a
   DuckDB form (``regexp_matches``, a partial match as GX means it) and defer to GX elsewhere.
3. **One run per custom query.** ``UnexpectedRowsExpectation`` asks for two metrics, the first
   unexpected rows and their count, and GX runs its query once for each: a check that reads a
   large table paid for it twice. On DuckDB both come from one run of the query (the rows with
   ``count(*) over ()``), shared within ``one_run_per_query()``, which the platform opens
   around each suite's validation; outside it each metric still runs the query once.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from great_expectations.constants import MAX_RESULT_RECORDS
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics import column_condition_partial
from great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex import (
    ColumnValuesMatchRegex,
)
from great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex import (  # noqa: E501
    ColumnValuesNotMatchRegex,
)
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.query_metrics.query_row_count.unexpected_rows_query_row_count import (  # noqa: E501
    UnexpectedRowsQueryRowCount,
)
from great_expectations.expectations.metrics.query_metrics.query_table.unexpected_rows_query_table import (  # noqa: E501
    UnexpectedRowsQueryTable,
)
from great_expectations.expectations.metrics.util import get_dialect_regex_expression
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy


def install() -> None:
    """Buffer DuckDB results in full while the connection is open (adapter 1), and remember
    the DuckDB engines GX opens (``engines_on``). Called by the platform's validator when it
    starts; once is enough, and importing this module does not."""
    if not sa.event.contains(sa.engine.Engine, "after_cursor_execute", _buffer_duckdb_result):
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", _buffer_duckdb_result)
    if not sa.event.contains(sa.engine.Engine, "engine_connect", _remember_engine):
        sa.event.listen(sa.engine.Engine, "engine_connect", _remember_engine)


# The DuckDB engines that have connected since install(), as long as something else keeps them.
_ENGINES: weakref.WeakSet = weakref.WeakSet()


def _remember_engine(conn) -> None:
    if conn.dialect.name == "duckdb":
        _ENGINES.add(conn.engine)


def engines_on(database: str) -> list[sa.engine.Engine]:
    """The live DuckDB engines that connected to the file ``database`` (an absolute path)."""
    return [engine for engine in list(_ENGINES) if engine.url.database == database]


def _buffer_duckdb_result(conn, cursor, statement, parameters, context, executemany) -> None:
    if (
        conn.dialect.name == "duckdb"
        and cursor.description is not None
        and not isinstance(context.cursor_fetch_strategy, FullyBufferedCursorFetchStrategy)
    ):
        context.cursor_fetch_strategy = FullyBufferedCursorFetchStrategy(cursor)


def _regex(column, regex: str, dialect, positive: bool):
    if getattr(dialect, "name", None) == "duckdb":
        matches = sa.func.regexp_matches(column, sa.literal(regex))
        return matches if positive else sa.not_(matches)
    expression = get_dialect_regex_expression(column, regex, dialect, positive=positive)
    if expression is None:
        raise NotImplementedError(f"regular expressions are not supported for dialect {dialect}")
    return expression


# Registering a metric provider again is how GX takes a custom one; it logs that it did.
_registry_log = logging.getLogger("great_expectations.expectations.registry")
_level = _registry_log.level
_registry_log.setLevel(logging.ERROR)


class DuckDBColumnValuesMatchRegex(ColumnValuesMatchRegex):
    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column, regex, _dialect, **kwargs):
        return _regex(column, regex, _dialect, positive=True)


class DuckDBColumnValuesNotMatchRegex(ColumnValuesNotMatchRegex):
    @column_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column, regex, _dialect, **kwargs):
        return _regex(column, regex, _dialect, positive=False)


# The unexpected rows of a query and their count, from one run, by (engine, query): set while
# a suite validates, none otherwise.
_query_runs: ContextVar[dict[tuple[int, str], tuple[list[dict], int, bool]] | None] = ContextVar(
    "cdp_unexpected_rows_runs", default=None
)
_ROW_COUNT = "cdp_unexpected_row_count"


@contextmanager
def one_run_per_query() -> Iterator[None]:
    """Within this block, the two metrics of an ``UnexpectedRowsExpectation`` on DuckDB share
    one run of its query (the data must not change inside it: one suite's validation)."""
    token = _query_runs.set({})
    try:
        yield
    finally:
        _query_runs.reset(token)


def _unexpected_rows(
    cls, execution_engine, metric_domain_kwargs: dict, metric_value_kwargs: dict, fetch_all: bool
) -> tuple[list[dict], int]:
    """The unexpected rows of the query (the first ``MAX_RESULT_RECORDS`` unless
    ``fetch_all``) and how many there are, in one run of the query."""
    batch_selectable, _, _ = execution_engine.get_compute_domain(
        metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE
    )
    query = cls._get_substituted_batch_subquery_from_query_and_batch_selectable(
        query=cls._get_query_from_metric_value_kwargs(metric_value_kwargs),
        batch_selectable=batch_selectable,
        execution_engine=execution_engine,
    )
    runs = _query_runs.get()
    key = (id(execution_engine), query)
    if runs is not None and key in runs:
        rows, count, complete = runs[key]
        if complete or not fetch_all:
            return rows if complete and fetch_all else rows[:MAX_RESULT_RECORDS], count
    limit = "" if fetch_all else f" limit {MAX_RESULT_RECORDS}"
    result = execution_engine.execute_query(
        sa.text(
            f"select *, count(*) over () as {_ROW_COUNT} from ({query}) as unexpected_rows{limit}"
        )
    ).fetchall()
    count = int(result[0]._mapping[_ROW_COUNT]) if result else 0
    rows = [{k: v for k, v in row._asdict().items() if k != _ROW_COUNT} for row in result]
    if runs is not None:
        runs[key] = (rows, count, fetch_all)
    return rows, count


def _as_gx_does(
    parent, cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, kwargs
) -> object:
    """The metric as GX's own ``parent`` computes it (another engine than DuckDB)."""
    return parent._sqlalchemy(
        cls=cls,
        execution_engine=execution_engine,
        metric_domain_kwargs=metric_domain_kwargs,
        metric_value_kwargs=metric_value_kwargs,
        **kwargs,
    )


class DuckDBUnexpectedRowsQueryTable(UnexpectedRowsQueryTable):
    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, **kwargs):
        fetch_all = bool(metric_value_kwargs.get("fetch_all", False))
        if execution_engine.dialect_name != "duckdb":
            return _as_gx_does(
                UnexpectedRowsQueryTable,
                cls,
                execution_engine,
                metric_domain_kwargs,
                metric_value_kwargs,
                kwargs,
            )
        rows, _count = _unexpected_rows(
            cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, fetch_all
        )
        return rows


class DuckDBUnexpectedRowsQueryRowCount(UnexpectedRowsQueryRowCount):
    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, **kwargs):
        if execution_engine.dialect_name != "duckdb":
            return _as_gx_does(
                UnexpectedRowsQueryRowCount,
                cls,
                execution_engine,
                metric_domain_kwargs,
                metric_value_kwargs,
                kwargs,
            )
        _rows, count = _unexpected_rows(
            cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, fetch_all=False
        )
        return count


_registry_log.setLevel(_level)
