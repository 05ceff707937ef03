"""One quality run: validate suites, record the results and the key numbers, rebuild the site.

This is what the Dagster asset checks call (``orchestration/defs/quality``); it knows nothing
of Dagster, so tests and measurements call it the same way.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from cdp import registry
from cdp.config import PROJECT_ROOT
from cdp.duckdb_budget import connect
from cdp.quality.checks import Suite
from cdp.quality.dbt_results import ensure_table as ensure_dbt_results_table
from cdp.quality.offline import localize, tidy_dbt_docs
from cdp.quality.site import write_overview, write_portal
from cdp.quality.stakeholder import (
    KEY_NUMBER_TABLES,
    KeyNumbers,
    measure_key_numbers,
    record_key_numbers,
    write_summary,
)
from cdp.quality.suites import Sla, Staged, build_suites, load_slas, staged_models
from cdp.quality.validate import (
    CheckResult,
    SuiteResult,
    Validator,
    ensure_results_table,
    last_clean_runs,
    record_results,
)

# Published as pages of the site, beside the quality pages.
DOCS_FOLDER = PROJECT_ROOT / "docs"
# Validation results kept for the Data Docs and the overview's trend; the key numbers and the
# dbt test results of as many runs are kept for the stakeholder page.
KEEP_RUNS = 30


@dataclass
class QualityRun:
    """The suites of one pipeline run over one warehouse. With a ``spark`` session the suites
    read that session's tables, and ``warehouse`` is the DuckDB file of the loads, which holds
    the audit tables (results, key numbers) the site is written from."""

    warehouse: Path
    quality_dir: Path
    docs_dir: Path
    now: datetime | None = None
    manifest: Path = registry.MANIFEST
    keep_runs: int = KEEP_RUNS
    spark: Any = None

    def __post_init__(self) -> None:
        self.now = self.now or datetime.now(UTC)
        # the SLAs and the staging models' suites come from the dbt manifest; a run without one
        # (the raw layer alone) has neither
        has_manifest = self.manifest.exists()
        self.slas: dict[str, Sla] = load_slas(self.manifest) if has_manifest else {}
        self.staged: tuple[Staged, ...] = staged_models(self.manifest) if has_manifest else ()
        self._validator: Validator | None = None
        self.last_publish_seconds = 0.0
        self.last_published_checks = 0

    def suites(self) -> dict[tuple[str, ...], Suite]:
        return {suite.asset_key: suite for suite in build_suites(self.slas, self.now, self.staged)}

    @property
    def gx_docs_dir(self) -> Path:
        return self.docs_dir / "quality" / "gx"

    def validate(
        self,
        suites: Iterable[Suite],
        run_id: str,
        log: Callable[[str], None] = print,
        *,
        publish: bool = True,
    ) -> list[SuiteResult]:
        """Validate each suite, record the results and the run's key numbers, and (unless
        ``publish`` is false) rebuild the site. A suite that cannot run at all (a table
        missing) comes back as one failed error-level check."""
        suites = list(suites)
        with connect(str(self.warehouse)) as con:
            # the reconciliations and the checks on new rows read when they last ran
            since = last_clean_runs(con)
        validator = self._get_validator()
        results = []
        for index, suite in enumerate(suites, start=1):
            try:
                result = validator.run(suite, run_id=run_id, since=since.get(suite.name))
            except Exception as err:  # noqa: BLE001 - any failure is reported, never hidden
                result = unreadable(suite, run_id, err)
            failed = [r for r in result.results if not r.success]
            log(
                f"quality [{index}/{len(suites)}] {suite.name}: {result.status}, "
                f"{len(result.results) - len(failed)}/{len(result.results)} checks passed "
                f"({result.seconds:.1f}s)"
            )
            results.append(result)
        validator.close()
        self._prune()
        with connect(str(self.warehouse)) as con:
            record_results(con, [r for result in results for r in result.results])
            self._record_key_numbers(con, run_id, log)
        if publish:
            self.publish()
        return results

    def publish(self, everything: bool = False) -> Path:
        """Rebuild the overview and the portal from what is recorded, with the GX Data Docs
        pages of the results this run validated (every stored result's with ``everything``)."""
        started = time.monotonic()
        validator = self._get_validator()
        validator.build_docs(everything)
        validator.close()
        localize(self.gx_docs_dir)
        tidy_dbt_docs(self.docs_dir / "dbt" / "index.html")
        with connect(str(self.warehouse)) as con:
            ensure_results_table(con)  # the overview reads it even before the first run
            _, self.last_published_checks = write_overview(
                con, self.docs_dir / "quality", self.slas, self.now.date()
            )
            ensure_dbt_results_table(con)
            write_summary(con, self.docs_dir, self.slas, _declared_tests(self.manifest))
        index = write_portal(self.docs_dir, DOCS_FOLDER, datetime.now(UTC))
        self.last_publish_seconds = time.monotonic() - started
        return index

    def _record_key_numbers(
        self, con: duckdb.DuckDBPyConnection, run_id: str, log: Callable[[str], None]
    ) -> None:
        """Record what the marts and the load manifest hold now as the run's key numbers; each
        gate of a run replaces what the one before it recorded, so the last gate's stay. A
        warehouse that cannot be measured is said in the log, never a failed check."""
        try:
            if self.spark is not None:
                numbers = self._key_numbers_on_spark()
            else:
                numbers = measure_key_numbers(con, self.slas, self.now.date())
            record_key_numbers(con, run_id, self.now, numbers, self.keep_runs)
        except (duckdb.Error, OSError, ValueError) as err:
            log(f"quality: key numbers not recorded: {type(err).__name__}: {err}")

    def _key_numbers_on_spark(self) -> KeyNumbers:
        """The key numbers measured by the same code, on the tables it reads copied from
        Spark into an embedded DuckDB (``cdp.spark.tables``)."""
        from cdp.spark.tables import copy_into_duckdb

        with connect(":memory:") as con:
            copy_into_duckdb(self.spark, con, KEY_NUMBER_TABLES)
            return measure_key_numbers(con, self.slas, self.now.date())

    def _get_validator(self) -> Validator:
        if self._validator is None:
            self._validator = Validator(
                self.warehouse, self.quality_dir, self.gx_docs_dir, spark=self.spark
            )
        return self._validator

    def _prune(self) -> None:
        """Keep the validation results of the newest ``keep_runs`` runs of each suite."""
        store = self.quality_dir / "gx" / "validations"
        if not store.is_dir():
            return
        for suite_dir in {run_dir.parent for run_dir in _run_dirs(store)}:
            runs = sorted(
                (d for d in suite_dir.iterdir() if d.is_dir()),
                key=lambda d: max((t.name for t in d.iterdir()), default=""),
            )
            for old in runs[: -self.keep_runs]:
                shutil.rmtree(old, ignore_errors=True)


def unreadable(suite: Suite, run_id: str, err: BaseException) -> SuiteResult:
    """A suite that could not run: one failed error-level check that says why."""
    lines = str(err).strip().splitlines()
    message = f"{type(err).__name__}: {lines[0] if lines else ''}"
    check = CheckResult(
        run_id=run_id,
        checked_at=datetime.now(UTC),
        layer=suite.layer,
        source=suite.source,
        suite=suite.name,
        kind="completeness",
        severity="error",
        description="the table can be read and checked",
        expectation="",
        success=False,
        evaluation_error=message[:300],
        element_count=None,
        unexpected_count=None,
        unexpected_percent=None,
        observed_value=None,
    )
    return SuiteResult(suite, (check,), 0.0)


def _declared_tests(manifest: Path) -> set[str] | None:
    """The data tests the dbt project declares (their unique ids), when its manifest is there."""
    if not manifest.exists():
        return None
    nodes = registry.load_manifest(manifest).get("nodes") or {}
    return {unique_id for unique_id in nodes if unique_id.startswith("test.")}


def _run_dirs(store: Path) -> list[Path]:
    """The ``<run name>`` folders: those whose children are run-time folders of JSON files."""
    return [json.parent.parent for json in store.rglob("*.json")]
