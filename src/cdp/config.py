"""Where the platform reads and writes, from the environment, resolved in one place.

``CDP_LANDING_DIR``  the landing zone of source exports (default ``data/landing``)
``CDP_WAREHOUSE``    the DuckDB warehouse file (default ``data/warehouse/cdp.duckdb``)
``CDP_EXPORTS_DIR``  where activation files are written (default ``data/exports``)
``CDP_DOCS_DIR``     the data-quality and documentation site (default ``data/docs``)
``CDP_QUALITY_DIR``  Great Expectations' stores: suites and kept validation results
                     (default ``data/quality``)
``CDP_REPORTS_DIR``  reports of failed runs (default ``data/reports``)
``CDP_ALERT_WEBHOOK``  a URL that receives each failed run's report as JSON (optional)
``CDP_RETENTION_RAW_DAYS``     days raw record versions and snapshots are kept (default 730)
``CDP_RETENTION_EVENTS_DAYS``  days raw events (tracking, newsletter activity) are kept
                               (default 395)
``CDP_COMPACTION_DAYS``  the longest time, in days, the freed bytes of erased people may stay
                     in the warehouse file before it is rewritten (default 7; 1 rewrites it
                     in the run that erased; ``cdp.privacy.compaction``)
``CDP_ENGINE``       the engine: ``duckdb`` (the default) or ``spark`` (``cdp.engine``; the Spark
                     settings ``CDP_SPARK_*`` are in ``cdp.spark.session``)
``CDP_PRIVACY_KEY`` / ``CDP_PRIVACY_KEY_FILE``  the privacy key of keyed hashes and pseudonyms
                     (``cdp.privacy.keys``; default file ``~/.config/cdp/privacy.key``)
``CDP_ALERT_EMAIL``  an address that receives each failed run's report, sent through the SMTP
                     server ``CDP_SMTP_HOST`` (port ``CDP_SMTP_PORT``, default 25) (optional)

Relative paths are taken from the current directory, which is the repository root for the
Makefile, the Dagster code location and dbt.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

# The repository root: where the dbt project and its profile live.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

DEFAULT_LANDING_DIR = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse/cdp.duckdb"
DEFAULT_EXPORTS_DIR = "data/exports"
DEFAULT_DOCS_DIR = "data/docs"
DEFAULT_QUALITY_DIR = "data/quality"
DEFAULT_REPORTS_DIR = "data/reports"
DEFAULT_RETENTION_RAW_DAYS = 730
DEFAULT_RETENTION_EVENTS_DAYS = 395
DEFAULT_COMPACTION_DAYS = 7
# The company's time zone: the daily schedule runs at its local time.
TIMEZONE = "Europe/Rome"


class LandingZoneMissing(RuntimeError):
    """The configured landing zone is not a folder."""


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse: Path
    exports_dir: Path
    docs_dir: Path
    quality_dir: Path
    reports_dir: Path = Path(DEFAULT_REPORTS_DIR)
    alert_webhook: str | None = None
    alert_email: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    retention_raw_days: int = DEFAULT_RETENTION_RAW_DAYS
    retention_events_days: int = DEFAULT_RETENTION_EVENTS_DAYS
    compaction_days: int = DEFAULT_COMPACTION_DAYS

    @property
    def rebuilt_doc_dirs(self) -> tuple[Path, ...]:
        """The folders each run rebuilds that could hold data: the quality site and Great
        Expectations' stores (erasure searches them; the dbt docs are built from code)."""
        return (self.docs_dir / "quality", self.quality_dir)

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            landing_dir=Path(os.environ.get("CDP_LANDING_DIR") or DEFAULT_LANDING_DIR).absolute(),
            warehouse=Path(os.environ.get("CDP_WAREHOUSE") or DEFAULT_WAREHOUSE).absolute(),
            exports_dir=Path(os.environ.get("CDP_EXPORTS_DIR") or DEFAULT_EXPORTS_DIR).absolute(),
            docs_dir=Path(os.environ.get("CDP_DOCS_DIR") or DEFAULT_DOCS_DIR).absolute(),
            quality_dir=Path(os.environ.get("CDP_QUALITY_DIR") or DEFAULT_QUALITY_DIR).absolute(),
            reports_dir=Path(os.environ.get("CDP_REPORTS_DIR") or DEFAULT_REPORTS_DIR).absolute(),
            alert_webhook=os.environ.get("CDP_ALERT_WEBHOOK") or None,
            alert_email=os.environ.get("CDP_ALERT_EMAIL") or None,
            smtp_host=os.environ.get("CDP_SMTP_HOST") or None,
            smtp_port=int(os.environ.get("CDP_SMTP_PORT") or 25),
            retention_raw_days=_days("CDP_RETENTION_RAW_DAYS", DEFAULT_RETENTION_RAW_DAYS),
            retention_events_days=_days("CDP_RETENTION_EVENTS_DAYS", DEFAULT_RETENTION_EVENTS_DAYS),
            compaction_days=_days("CDP_COMPACTION_DAYS", DEFAULT_COMPACTION_DAYS),
        )


def _days(variable: str, default: int) -> int:
    """A positive number of days from the environment, with a message when it is not one."""
    value = os.environ.get(variable)
    if not value:
        return default
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"{variable}={value!r}: expected a whole number of days, at least 1")
    return int(value)


def require_landing_dir(path: Path) -> Path:
    """Return ``path`` if it is a folder, else raise a message a person can act on."""
    if not path.is_dir():
        raise LandingZoneMissing(
            f"landing zone {path} does not exist or is not a folder: point CDP_LANDING_DIR at "
            "the folder that holds <source>/<YYYY-MM-DD>/ export folders, or unset it to use "
            f"the built-in sample in {DEFAULT_LANDING_DIR}"
        )
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m cdp.config check``: fail early and clearly on a missing landing zone."""
    args = sys.argv[1:] if argv is None else argv
    try:
        settings = Settings.from_env()
    except ValueError as err:  # a setting that is not what it should be
        print(f"error: {err}", file=sys.stderr)
        return 1
    if args[:1] == ["check"]:
        try:
            require_landing_dir(settings.landing_dir)
        except LandingZoneMissing as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        from cdp.engine import UnknownEngine, engine

        try:
            chosen = engine()
        except UnknownEngine as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        print(f"engine:       {chosen}")
        print(f"landing zone: {settings.landing_dir}")
        print(f"warehouse:    {settings.warehouse}")
        print(f"exports:      {settings.exports_dir}")
        print(f"docs:         {settings.docs_dir}")
        print(f"quality:      {settings.quality_dir}")
        return 0
    print("usage: python -m cdp.config check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
