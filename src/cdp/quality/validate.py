"""Run expectation suites with Great Expectations on the warehouse's engine: on DuckDB as
pushed-down SQL over the warehouse file, on Spark through GX's Spark data source over the
session's tables (the same suites; their custom SQL is written in what both engines read).

Each run of a suite is stored by GX (under ``<quality dir>/gx``) for the Data Docs, and returned
as plain ``CheckResult`` rows: counts and percentages only. Results never carry the values that
failed (``partial_unexpected_count`` is 0), so neither the docs nor the run logs show personal
data. ``record_results`` appends them to ``audit.quality_results`` for the overview's trend.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from cdp.duckdb_budget import Budget
from cdp.quality.checks import GX_SEVERITY, LOADED_AFTER, Check, Suite, worst_status
from cdp.warehouse import insert_records

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# Counts and percentages, never the unexpected values themselves.
RESULT_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
DATASOURCE = "warehouse"
DOCS_SITE = "quality"
# GX prints this for every custom-SQL check whose query does not read the table under test
# through {batch}, each time it builds, stores or renders one (1,530 lines in one run on the
# sample). Ours do so on purpose: a reconciliation reads raw beside the staged table.
GX_BATCH_NOTICE = "unexpected_rows_query should contain the {batch} parameter."


@contextlib.contextmanager
def _without_batch_notice() -> Iterator[None]:
    """Drop GX's printed {batch} notice (see GX_BATCH_NOTICE); anything else printed in the
    block is printed as it was."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            yield
    finally:
        kept = [
            line
            for line in captured.getvalue().splitlines(keepends=True)
            if not line.startswith(GX_BATCH_NOTICE)
        ]
        sys.stdout.write("".join(kept))


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check in one run."""

    run_id: str
    checked_at: datetime
    layer: str
    source: str
    suite: str
    kind: str
    severity: str
    description: str
    expectation: str
    success: bool
    # Why GX could not evaluate the check (a missing column, bad SQL): a failure of its own.
    evaluation_error: str | None
    element_count: int | None
    unexpected_count: int | None
    unexpected_percent: float | None
    observed_value: str | None


@dataclass(frozen=True)
class SuiteResult:
    suite: Suite
    results: tuple[CheckResult, ...]
    seconds: float

    def failed(self, severity: str) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == severity]

    @property
    def status(self) -> str:
        """``error``, ``warn`` or ``pass``: see ``worst_status``."""
        return worst_status((r.success, r.severity) for r in self.results)


class Validator:
    """A GX context over one warehouse, with its stores and Data Docs on disk: the DuckDB file
    ``warehouse``, or, given a ``spark`` session, that session's tables (``warehouse`` is then
    unused by GX)."""

    def __init__(
        self, warehouse: Path, quality_dir: Path, docs_dir: Path, spark: SparkSession | None = None
    ) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            FilesystemStoreBackendDefaults,
            ProgressBarsConfig,
        )

        from cdp.quality import gx_duckdb  # the DuckDB adapters

        gx_duckdb.install()

        self._gx = gx
        self.warehouse = Path(warehouse)
        self.docs_dir = Path(docs_dir)
        quality_dir = Path(quality_dir)
        quality_dir.mkdir(parents=True, exist_ok=True)
        self.context = gx.get_context(
            project_config=DataContextConfig(
                store_backend_defaults=FilesystemStoreBackendDefaults(
                    root_directory=str(quality_dir / "gx")
                ),
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False),
            )
        )
        for name in list(self.context.list_data_docs_sites()):
            self.context.delete_data_docs_site(name)
        self.context.add_data_docs_site(
            site_name=DOCS_SITE,
            site_config={
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(self.docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        # the Data Docs pages not yet rendered: results (and their suites) validated since
        self.unrendered: list[Any] = []
        self.spark = spark
        if spark is not None:
            # GX's Spark engine takes the running session (getOrCreate), with its functions
            self.datasource = self.context.data_sources.add_or_update_spark(name=DATASOURCE)
        else:
            # within the platform's DuckDB budget, the configuration every connection uses
            self.datasource = self.context.data_sources.add_or_update_sql(
                name=DATASOURCE,
                connection_string=f"duckdb:///{self.warehouse.absolute()}",
                kwargs={"connect_args": {"config": Budget.from_env().config()}},
            )

    @_without_batch_notice()
    def run(
        self,
        suite: Suite,
        run_id: str | None = None,
        since: Mapping[tuple[str, str], datetime] | None = None,
    ) -> SuiteResult:
        """Validate one suite now; its result is stored for the Data Docs. ``since`` holds,
        by (description, severity), when a check last ran without an error: a check on
        ``new`` rows then reads only rows loaded after that (all rows when it never has)."""
        gx = self._gx
        started = time.monotonic()
        run_id = run_id or uuid.uuid4().hex
        checked_at = datetime.now(UTC)
        batch = self._batch_definition(suite)
        expectations = [self._expectation(suite, check, since or {}) for check in suite.checks]
        gx_suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(name=suite.name, expectations=expectations)
        )
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
        )
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=suite.name,
                validation_definitions=[definition],
                result_format=RESULT_FORMAT,
                actions=[],
            )
        )
        from cdp.quality.gx_duckdb import one_run_per_query

        batch_parameters = (
            {"dataframe": self.spark.table(f"{suite.schema}.{suite.table}")} if self.spark else None
        )
        with one_run_per_query():
            outcome = checkpoint.run(
                run_id=_gx_run_id(run_id, checked_at), batch_parameters=batch_parameters
            )
        validation = next(iter(outcome.run_results.values()))
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        self.unrendered += [*outcome.run_results, ExpectationSuiteIdentifier(name=suite.name)]
        by_position = list(validation.results)
        results = tuple(
            _check_result(run_id, checked_at, suite, check, gx_result)
            for check, gx_result in zip(
                suite.checks, _in_suite_order(by_position, suite), strict=True
            )
        )
        return SuiteResult(suite, results, time.monotonic() - started)

    def _batch_definition(self, suite: Suite) -> Any:
        """The whole table of ``suite``: a table asset on DuckDB, a DataFrame asset on Spark
        (the table is read when the suite runs)."""
        try:
            asset = self.datasource.get_asset(suite.name)
        except LookupError:
            if self.spark is not None:
                asset = self.datasource.add_dataframe_asset(name=suite.name)
            else:
                asset = self.datasource.add_table_asset(
                    name=suite.name, table_name=suite.table, schema_name=suite.schema
                )
        try:
            return asset.get_batch_definition("whole_table")
        except (KeyError, LookupError):
            if self.spark is not None:
                return asset.add_batch_definition_whole_dataframe("whole_table")
            return asset.add_batch_definition_whole_table("whole_table")

    @_without_batch_notice()
    def build_docs(self, everything: bool = False) -> Path:
        """Render the GX Data Docs pages of the results validated since the last rendering,
        with their suites' pages, and the index of every stored result; returns the index
        page. Every stored result is rendered again with ``everything``, or when there is no
        index yet. Pages rendered once do not change, so a gate renders only its own: the
        whole site took 3 s a gate with two runs kept, and grows with every run kept."""
        index = self.docs_dir / "index.html"
        if everything or not index.exists():
            self.context.build_data_docs(site_names=[DOCS_SITE])
        elif self.unrendered:
            self.context.build_data_docs(
                site_names=[DOCS_SITE], resource_identifiers=self.unrendered
            )
        self.unrendered = []
        return index

    def close(self) -> None:
        """Close GX's connections to the warehouse. GX keeps engines of its own (the data
        source's and its execution engine's); while one holds the file open, DuckDB refuses
        connections made with other settings, such as ours when results are recorded."""
        import gc

        from cdp.quality.gx_duckdb import engines_on

        for engine in engines_on(str(self.warehouse.absolute())):
            engine.dispose()
        gc.collect()

    def _expectation(
        self, suite: Suite, check: Check, since: Mapping[tuple[str, str], datetime]
    ) -> Any:
        cls = getattr(self._gx.expectations, check.expectation)
        kwargs = dict(check.kwargs)
        if self.spark is not None:
            # Spark hands GX its timestamps as naive UTC datetimes (the session's time zone)
            kwargs = {key: _naive_utc(value) for key, value in kwargs.items()}
        if check.rows == "new":
            kwargs.update(
                _on_new_rows(
                    suite,
                    check,
                    since.get((check.description, check.severity)),
                    "spark" if self.spark is not None else "duckdb",
                )
            )
        return cls(
            **kwargs,
            severity=GX_SEVERITY[check.severity],
            meta={"kind": check.kind, "severity": check.severity, "check": check.description},
        )


def _on_new_rows(
    suite: Suite, check: Check, moment: datetime | None, engine: str = "duckdb"
) -> dict[str, Any]:
    """The arguments that restrict ``check`` to rows loaded after ``moment`` (all rows when
    it is None): ``LOADED_AFTER`` in a custom-SQL query, as an instant of ``engine``'s SQL,
    else a row condition on the suite's ``loaded_at`` column."""
    query = check.kwargs.get("unexpected_rows_query")
    if query is not None:
        return {"unexpected_rows_query": query.replace(LOADED_AFTER, _instant(moment, engine))}
    if moment is None or suite.loaded_at is None:
        return {}
    from great_expectations.expectations.row_conditions import Column

    # as text: GX stores the suite as JSON, and DuckDB casts it to the column's type
    return {"row_condition": Column(suite.loaded_at) > moment.isoformat()}


def _naive_utc(value: Any) -> Any:
    """An aware datetime as the naive UTC datetime it is; any other value as it is."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _instant(moment: datetime | None, engine: str) -> str:
    """``moment`` as a timestamp literal of ``engine``'s SQL; before every row when None (Spark
    has no infinite timestamps: its first representable day)."""
    if engine == "spark":
        return f"timestamp '{moment.isoformat() if moment else '0001-01-01T00:00:00Z'}'"
    return f"timestamptz '{moment.isoformat()}'" if moment else "'-infinity'::timestamptz"


def last_clean_runs(
    con: duckdb.DuckDBPyConnection,
) -> dict[str, dict[tuple[str, str], datetime]]:
    """When each recorded check last ran without an error, by suite and (description,
    severity): it passed, or it failed only as a warning (its rows were read and reported).
    A check that failed with an error reads the same rows again until it passes."""
    ensure_results_table(con)
    rows = con.execute(
        f"""
        select suite, description, severity, max(checked_at)
        from {RESULTS_TABLE}
        where evaluation_error is null and (success or severity = 'warn')
        group by all
        """
    ).fetchall()
    since: dict[str, dict[tuple[str, str], datetime]] = {}
    for suite, description, severity, moment in rows:
        since.setdefault(suite, {})[(description, severity)] = moment
    return since


def _gx_run_id(run_id: str, at: datetime):
    from great_expectations.core.run_identifier import RunIdentifier

    return RunIdentifier(run_name=run_id, run_time=at)


def _in_suite_order(results: list, suite: Suite) -> list:
    """GX may return results in its own order; match them back to the declared checks."""
    remaining = list(results)
    ordered = []
    for check in suite.checks:
        for index, result in enumerate(remaining):
            meta = result.expectation_config.meta or {}
            if (
                meta.get("check") == check.description
                and meta.get("severity") == check.severity
                and result.expectation_config.type == _snake(check.expectation)
            ):
                ordered.append(remaining.pop(index))
                break
        else:
            raise RuntimeError(f"{suite.name}: no result for check {check.description!r}")
    return ordered


def _snake(name: str) -> str:
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index:
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def _check_result(run_id, checked_at, suite: Suite, check, gx_result) -> CheckResult:
    result = gx_result.result or {}
    error = _evaluation_error(gx_result)
    observed = result.get("observed_value")
    return CheckResult(
        run_id=run_id,
        checked_at=checked_at,
        layer=suite.layer,
        source=suite.source,
        suite=suite.name,
        kind=check.kind,
        severity=check.severity,
        description=check.description,
        expectation=check.expectation,
        success=bool(gx_result.success) and error is None,
        evaluation_error=error,
        element_count=_int(result.get("element_count")),
        unexpected_count=_int(result.get("unexpected_count"))
        # A custom-SQL check observes the number of rows its query returned.
        if check.expectation != "UnexpectedRowsExpectation"
        else _int(observed),
        unexpected_percent=_float(result.get("unexpected_percent")),
        observed_value=_observed(observed),
    )


def _evaluation_error(gx_result) -> str | None:
    """GX reports a check it could not evaluate as a failure with exception info."""
    info = gx_result.exception_info or {}
    for value in [info, *info.values()]:
        if isinstance(value, dict) and value.get("raised_exception"):
            message = str(value.get("exception_message") or "could not evaluate")
            return message.strip().splitlines()[0][:300]
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return int(value) if isinstance(value, int | float | Decimal) else None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float | Decimal) else None


def _observed(value: Any) -> str | None:
    """Observed values of table-level checks: counts and dates, never row contents."""
    if isinstance(value, bool | int | float | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and len(value) <= 40:
        return value
    return None


RESULTS_TABLE = "audit.quality_results"


def ensure_results_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``audit.quality_results`` if it does not exist yet."""
    con.execute("create schema if not exists audit")
    con.execute(
        f"""
        create table if not exists {RESULTS_TABLE} (
            run_id varchar, checked_at timestamptz, layer varchar, source varchar,
            suite varchar, kind varchar, severity varchar, description varchar,
            expectation varchar, success boolean, evaluation_error varchar,
            element_count bigint, unexpected_count bigint, unexpected_percent double,
            observed_value varchar
        )
        """
    )


def record_results(con: duckdb.DuckDBPyConnection, results: Iterable[CheckResult]) -> int:
    """Append check results to ``audit.quality_results`` (created on first use)."""
    ensure_results_table(con)
    return insert_records(con, RESULTS_TABLE, list(results))
