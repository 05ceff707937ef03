"""The pipeline's build on either engine, from one landing zone, timed by stage:
``python -m cdp.spark build --engine spark --landing data/landing``.

The same steps run on both engines: the loads (``cdp.ingest``, into the loads' DuckDB file),
on Spark their publication as Spark tables (``cdp.spark.raw``), dbt's seeds, models and data
tests (``dbt build``; dbt's unit tests are DuckDB's, as in the pipeline's own dbt steps), then
the audience exports (``cdp.activation``; on Spark from Spark's marts, ``cdp.spark.exports``)
into ``<work>/exports-<engine>``. What it does not run yet on Spark: the quality suites and the
erasure (README, "Scaling out").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cdp.activation.exports import export_declared_audiences
from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
from cdp.duckdb_budget import connect
from cdp.engine import ENGINES
from cdp.ingest.loader import load_landing_zone
from cdp.sources import SOURCE_FILES


@dataclass
class Build:
    engine: str
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.stages.values())

    def line(self) -> str:
        parts = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.stages.items())
        return f"{self.engine}: {self.total_seconds:.1f} s ({parts})"


def dbt_command(engine: str) -> list[str]:
    """How dbt is started on ``engine``."""
    if engine == "spark":
        return [sys.executable, "-m", "cdp.spark.dbt"]
    return [str(Path(sys.executable).with_name("dbt"))]


def _run(command: list[str], env: dict[str, str], cwd: Path, failed: str) -> None:
    """Run one step in a process of its own (each Spark step starts and stops its own session:
    the catalog takes one process at a time); raise ``failed`` when it fails."""
    done = subprocess.run(command, env=env, cwd=cwd)
    if done.returncode != 0:
        raise RuntimeError(f"{failed} (exit {done.returncode})")


def build(
    engine: str,
    landing: Path,
    loads: Path,
    target: Path,
    env: dict[str, str] | None = None,
    log: Callable[[str], None] = print,
    exports: Path | None = None,
    built_at: datetime | None = None,
) -> Build:
    """Load ``landing`` into ``loads`` (a DuckDB file: on DuckDB the warehouse itself), build
    every model on ``engine`` (dbt's files in ``target``), then export the audiences into
    ``exports`` when given (``built_at`` written into them). Raises when a step fails."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: one of {', '.join(ENGINES)}")
    env = {**os.environ, **(env or {}), "CDP_ENGINE": engine, "DBT_PROFILES_DIR": str(PROJECT_ROOT)}
    result = Build(engine)

    started = time.perf_counter()
    loads.parent.mkdir(parents=True, exist_ok=True)
    con = connect(str(loads))
    try:
        reports = load_landing_zone(con, landing, SOURCE_FILES, log=lambda _line: None)
    finally:
        con.close()
    rows = sum(report.rows_loaded for report in reports)
    result.stages["load"] = time.perf_counter() - started
    log(f"{engine}: loaded {rows:,} rows ({result.stages['load']:.1f} s)")

    if engine == "spark":
        started = time.perf_counter()
        _run(
            [sys.executable, "-m", "cdp.spark", "publish", "--loads", str(loads)],
            env,
            PROJECT_ROOT,
            "publishing the raw loads to Spark failed",
        )
        result.stages["publish"] = time.perf_counter() - started

    started = time.perf_counter()
    command = [
        *dbt_command(engine),
        "build",
        "--exclude-resource-type",
        "unit_test",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
        "--vars",
        json.dumps({"warehouse": str(loads), "identity_from_scratch": True}),
        "--quiet",
    ]
    _run(command, env, DBT_PROJECT_DIR, f"dbt build on {engine} failed")
    result.stages["dbt"] = time.perf_counter() - started

    if exports is not None:
        started = time.perf_counter()
        built_at = built_at or datetime.now(UTC)
        if engine == "spark":
            _run(
                [sys.executable, "-m", "cdp.spark", "export", "--exports", str(exports)]
                + ["--built-at", built_at.isoformat()],
                env,
                PROJECT_ROOT,
                "the audience exports from Spark failed",
            )
        else:
            con = connect(str(loads), read_only=True)
            try:
                export_declared_audiences(con, exports, built_at=built_at, log=lambda _l: None)
            finally:
                con.close()
        result.stages["exports"] = time.perf_counter() - started
    log(result.line())
    return result
