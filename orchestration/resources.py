"""Resources shared by every integration: the DuckDB warehouse, the landing zone, the
exports folder and the data-quality folders.

Paths come from the environment once, here (see ``cdp.config``); assets never read it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from cdp.config import DEFAULT_COMPACTION_DAYS, LandingZoneMissing, Settings, require_landing_dir
from cdp.duckdb_budget import connect
from cdp.engine import DEFAULT_ENGINE, Engine, engine, get_engine
from cdp.ops.reports import RunReport, send, write_report
from cdp.quality.checks import Suite
from cdp.quality.run import QualityRun
from cdp.quality.validate import SuiteResult


class DuckDBWarehouse(dg.ConfigurableResource):
    """The warehouse file. DuckDB takes one writer process at a time, so every asset that
    writes runs in the one process of the in-process executor. On the Spark engine
    (``engine``, from ``CDP_ENGINE``) the file holds the raw loads and the platform's records
    (manifest, privacy lists, quality results), and dbt builds Spark's tables from it: what
    differs is asked of ``get_engine()`` (``cdp.engine``)."""

    path: str
    engine: str = DEFAULT_ENGINE

    def get_engine(self) -> Engine:
        return get_engine(self.engine)

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection. A warehouse that cannot be written (read-only file or file
        system, no permission) fails the step at once: retrying cannot heal it."""
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            con = connect(self.path)
        except (duckdb.Error, OSError) as err:
            if not cannot_heal(err):
                raise
            raise dg.Failure(
                description=(
                    f"the warehouse {self.path} cannot be opened for writing: {err}. Check the "
                    "file's permissions and its file system (CDP_WAREHOUSE names the file)."
                ),
                allow_retries=False,
            ) from err
        try:
            yield con
        finally:
            con.close()

    def dbt_args(self, **variables: object) -> list[str]:
        """dbt's ``--vars`` naming this warehouse (``profiles.yml`` reads the var
        ``warehouse``), with ``variables``: dbt works on the file this resource names."""
        return ["--vars", json.dumps({"warehouse": self.path, **variables})]


def cannot_heal(err: BaseException) -> bool:
    """Errors that trying again will not fix: permissions and read-only storage."""
    if isinstance(err, PermissionError):
        return True
    text = str(err).lower()
    return any(
        marker in text
        for marker in ("permission denied", "read-only file system", "read only", "readonly")
    )


class LandingZone(dg.ConfigurableResource):
    """The folder of source exports, ``<source>/<YYYY-MM-DD>/<file>``."""

    path: str

    def require(self) -> Path:
        """The landing folder, or a run failure that says what to fix."""
        try:
            return require_landing_dir(Path(self.path))
        except LandingZoneMissing as err:
            raise dg.Failure(description=str(err), allow_retries=False) from err


class ExportsFolder(dg.ConfigurableResource):
    """The folder that activation files (audience exports) are written to."""

    path: str

    def folder(self) -> Path:
        return Path(self.path)


class DataQuality(dg.ConfigurableResource):
    """Where the quality checks read and write: the warehouse they validate, Great
    Expectations' stores, and the documentation site."""

    warehouse: str
    quality_dir: str
    docs_dir: str
    engine: str = DEFAULT_ENGINE

    def run(self) -> QualityRun:
        """The quality suites for a run starting now (SLAs from the dbt manifest)."""
        return QualityRun(
            warehouse=Path(self.warehouse),
            quality_dir=Path(self.quality_dir),
            docs_dir=Path(self.docs_dir),
        )

    def validate(
        self, run: QualityRun, suites: list[Suite], run_id: str, log: Callable[[str], None]
    ) -> list[SuiteResult]:
        """``suites`` validated on the engine's tables, recorded, and the site rebuilt."""
        return get_engine(self.engine).validate(run, suites, run_id, log)


class PrivacyPolicy(dg.ConfigurableResource):
    """Where erasure reaches beyond the warehouse (the exports, and the data-quality site and
    stores that each run rebuilds) and how long raw data is kept. The privacy key is never
    configuration: it is read from the environment when needed (``cdp.privacy.keys``), so it
    shows in no run's config."""

    exports_dir: str
    doc_dirs: list[str]
    retention_raw_days: int
    retention_events_days: int
    # the longest time, in days, the freed bytes of erased people stay in the warehouse file
    compaction_days: int = DEFAULT_COMPACTION_DAYS


class RunReports(dg.ConfigurableResource):
    """Where the reports of failed runs go: a folder, and optionally a webhook and a mailbox
    (``cdp.ops.reports``)."""

    folder: str
    webhook: str | None = None
    email: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25

    def deliver(self, report: RunReport, log: Callable[[str], None]) -> Path:
        """Write the report, send it where configured; returns its Markdown file."""
        path = write_report(report, Path(self.folder))
        send(
            report,
            webhook=self.webhook,
            email=self.email,
            smtp_host=self.smtp_host,
            smtp_port=self.smtp_port,
            log=log,
        )
        return path


def default_resources(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    """Every resource, from ``settings`` (by default the environment's)."""
    settings = settings or Settings.from_env()
    chosen = engine()
    return {
        "warehouse": DuckDBWarehouse(path=str(settings.warehouse), engine=chosen),
        "landing": LandingZone(path=str(settings.landing_dir)),
        "exports": ExportsFolder(path=str(settings.exports_dir)),
        "quality": DataQuality(
            warehouse=str(settings.warehouse),
            quality_dir=str(settings.quality_dir),
            docs_dir=str(settings.docs_dir),
            engine=chosen,
        ),
        "privacy": PrivacyPolicy(
            exports_dir=str(settings.exports_dir),
            doc_dirs=[str(d) for d in settings.rebuilt_doc_dirs],
            retention_raw_days=settings.retention_raw_days,
            retention_events_days=settings.retention_events_days,
            compaction_days=settings.compaction_days,
        ),
        "reports": RunReports(
            folder=str(settings.reports_dir),
            webhook=settings.alert_webhook,
            email=settings.alert_email,
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
        ),
    }
