"""The Spark engine's side of ``cdp.engine.Engine``.

Every step that needs Spark runs as a process of its own (``python -m cdp.spark ...``) that
starts a session, does its work and stops: Spark's catalog (an embedded Derby database) takes
one process at a time, as a DuckDB file does, and dbt (``cdp-dbt-spark``) is such a process
too. The calling process (Dagster's, or the engine build's) never holds a session, so the
steps can follow each other. What a step returns (quality results, export counts) comes back
as a JSON file.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cdp.config import PROJECT_ROOT
from cdp.engine import Engine
from cdp.privacy.erasure import ERASURE_READS

if TYPE_CHECKING:
    import duckdb

    from cdp.activation.exports import ExportResult
    from cdp.quality.checks import Suite
    from cdp.quality.run import QualityRun
    from cdp.quality.validate import SuiteResult


class SparkStepFailed(RuntimeError):
    """A Spark step's process failed; its output above says why."""


def run_step(
    args: list[str],
    env: dict[str, str],
    what: str,
    cwd: Path = PROJECT_ROOT,
    log: Callable[[str], None] | None = None,
) -> None:
    """Run one step in a process of its own; raise ``SparkStepFailed`` naming ``what``. With
    ``log``, each line the step prints goes to it (a Dagster step's log, say) as it comes;
    without, to this process's output."""
    if log is None:
        returncode = subprocess.run(args, env=env, cwd=cwd).returncode
    else:
        with subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, text=True) as step:
            for line in step.stdout or ():
                if line.strip():
                    log(line.rstrip("\n"))
            returncode = step.wait()
    if returncode != 0:
        raise SparkStepFailed(f"{what} failed (exit {returncode})")


class SparkEngine(Engine):
    """Apache Spark through dbt-spark's session method (``cdp.spark.session``)."""

    name = "spark"

    def _spark(self, *args: str, what: str, log: Callable[[str], None] | None = None) -> None:
        run_step([sys.executable, "-m", "cdp.spark", *args], self.env, what, log=log)

    def dbt_executable(self) -> str:
        """``cdp-dbt-spark``: dbt with the platform's session and Python models on it."""
        return str(Path(sys.executable).with_name("cdp-dbt-spark"))

    def publish_raw(self, loads: Path) -> None:
        """Every raw table of ``loads`` written as a Spark table (``cdp.spark.raw``)."""
        self._spark("publish", "--loads", str(loads), what="publishing the raw loads to Spark")

    @contextmanager
    def erasure_connection(self, loads: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        """The identity tables the erasure reads, copied from Spark into ``loads`` for the
        round and dropped after it: they name people, so no copy is left behind (the erasure
        compacts the file after a round that removed someone)."""
        self._spark(
            "pull",
            "--loads",
            str(loads),
            "--tables",
            ",".join(ERASURE_READS),
            what="copying the identity tables from Spark for the erasure",
        )
        with super().erasure_connection(loads) as con:
            try:
                yield con
            finally:
                for table in ERASURE_READS:
                    con.execute(f"drop table if exists {table}")

    def validate(
        self,
        run: QualityRun,
        suites: Iterable[Suite],
        run_id: str,
        log: Callable[[str], None] = print,
        *,
        publish: bool = True,
    ) -> list[SuiteResult]:
        """The suites run on Spark's tables by ``python -m cdp.spark quality`` (GX's Spark
        data source), their results recorded in ``run.warehouse`` and returned; its line per
        suite goes to ``log``. The raw suites check raw as the loads wrote it: what changed is
        published first."""
        suites = list(suites)
        if any(suite.layer == "raw" for suite in suites):
            self.publish_raw(run.warehouse)
        by_name = {suite.name: suite for suite in suites}
        with tempfile.TemporaryDirectory() as folder:
            results = Path(folder) / "results.json"
            args = ["quality", "--loads", str(run.warehouse), "--manifest", str(run.manifest)]
            args += ["--quality-dir", str(run.quality_dir), "--docs-dir", str(run.docs_dir)]
            args += ["--now", run.now.isoformat(), "--run-id", run_id, "--results", str(results)]
            args += ["--suites", ",".join(by_name)]
            if not publish:
                args.append("--no-publish")
            self._spark(*args, what="the quality suites on Spark", log=log)
            return read_suite_results(results, by_name)

    def export_audiences(
        self,
        loads: Path,
        exports_dir: Path,
        built_at: datetime | None = None,
        log: Callable[[str], None] = print,
    ) -> list[ExportResult]:
        """Every declared audience exported from Spark's marts (``cdp.spark.exports``); the
        export's line per audience goes to ``log``."""
        from cdp.activation.exports import ExportResult

        with tempfile.TemporaryDirectory() as folder:
            results = Path(folder) / "results.json"
            args = ["export", "--exports", str(exports_dir), "--results", str(results)]
            if built_at is not None:
                args += ["--built-at", built_at.isoformat()]
            self._spark(*args, what="the audience exports from Spark", log=log)
            outcome = json.loads(results.read_text(encoding="utf-8"))
        return [
            ExportResult(**{k: Path(v) if k.endswith("_path") else v for k, v in row.items()})
            for row in outcome
        ]


def write_results(path: Path, rows: list[Any]) -> None:
    """Dataclass results as the JSON file a Spark step hands back to its caller."""
    path.write_text(json.dumps([asdict(row) for row in rows], default=str), encoding="utf-8")


def write_suite_results(path: Path, results: list[SuiteResult]) -> None:
    """Quality results as the JSON file the quality step hands back (``read_suite_results``)."""
    rows = [
        {
            "suite": result.suite.name,
            "seconds": result.seconds,
            "results": [asdict(check) for check in result.results],
        }
        for result in results
    ]
    path.write_text(json.dumps(rows, default=str), encoding="utf-8")


def read_suite_results(path: Path, suites: dict[str, Suite]) -> list[SuiteResult]:
    """The results ``write_suite_results`` wrote, with their ``suites`` (by name)."""
    from cdp.quality.validate import CheckResult, SuiteResult

    return [
        SuiteResult(
            suites[row["suite"]],
            tuple(
                CheckResult(**{**check, "checked_at": datetime.fromisoformat(check["checked_at"])})
                for check in row["results"]
            ),
            row["seconds"],
        )
        for row in json.loads(path.read_text(encoding="utf-8"))
    ]
