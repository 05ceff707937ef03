"""Two adapters that let Great Expectations 1.24 validate DuckDB tables with pushed-down SQL.

Import this module before running validations; it acts only on the ``duckdb`` SQLAlchemy
dialect and leaves every other engine as it is.

1. **Buffered results.** GX executes a query inside ``with engine.connect()`` and reads the
   rows after the block. Closing the connection rolls the DuckDB connection back, which drops
   the unread result, so every metric would come back empty. A SQLAlchemy
   ``after_cursor_execute`` hook reads DuckDB results in full while the connection is open.
   GX's own queries are aggregates or carry a ``limit``; queries of ``UnexpectedRowsExpectation``
   are unlimited, so keep them to a few key columns.
2. **Regular expressions.** GX knows no regex syntax for DuckDB and refuses regex expectations.
   Subclasses of its two regex metrics register, through GX's custom-metric mechanism, a
   DuckDB form (``regexp_matches``, a partial match as GX means it) and defer to GX elsewhere.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics import column_condition_partial
from great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex import (
    ColumnValuesMatchRegex,
)
from great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex import (  # noqa: E501
    ColumnValuesNotMatchRegex,
)
from great_expectations.expectations.metrics.util import get_dialect_regex_expression
from sqlalchemy.engine.cursor import FullyBufferedCursorFetchStrategy


@sa.event.listens_for(sa.engine.Engine, "after_cursor_execute")
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


_registry_log.setLevel(_level)
