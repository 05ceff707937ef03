"""The pipeline's build on either engine, from one landing zone, timed by stage:
``python -m cdp.spark build --engine spark --landing data/landing``.

The same steps run on both engines, in the pipeline's order: the loads (``cdp.ingest``, into
the loads' DuckDB file); the purge before dbt and the retention (``cdp.privacy``, on the raw
tables of that file); on Spark their publication as Spark tables (``cdp.spark.raw``); dbt's
seeds, staging and identity; the erasure requests resolved through that identity
(``complete_erasure``: raw rows removed, then, on Spark, published again, and staging and
identity rebuilt, until a round removes nothing); dbt's layers after identity (dbt's unit tests
are DuckDB's, as in the pipeline's own dbt steps); the quality suites (``cdp.quality``; on
Spark through GX's Spark data source, their results recorded in the loads' DuckDB file); the
audience exports (``cdp.activation``; on Spark from Spark's marts, ``cdp.spark.exports``).
Each Spark step is a process of its own: Spark's catalog takes one process at a time.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cdp.activation.exports import export_declared_audiences
from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT, Settings
from cdp.duckdb_budget import connect
from cdp.engine import ENGINES
from cdp.ingest.loader import load_landing_zone
from cdp.privacy.compaction import compact
from cdp.privacy.erasure import ERASURE_READS, REBUILT_SELECTION, Purge, complete_erasure
from cdp.privacy.keys import require_key
from cdp.privacy.retention import RetentionPolicy, apply_retention
from cdp.quality.run import QualityRun
from cdp.sources import SOURCE_FILES

# The layer the erasure resolves requests through: dbt builds it (with all it reads) before
# the erasure, and the rest after it.
IDENTITY_LAYER = "intermediate"


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


@contextlib.contextmanager
def _erasure_connection(
    engine: str, loads: Path, env: dict[str, str]
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the loads' DuckDB file for one round of the erasure, which reads the
    identity graph beside raw: on DuckDB the file is the warehouse; on Spark the identity
    tables the purge reads are copied into it from Spark for the round, and dropped after
    (they name people: no copy is left behind)."""
    if engine == "spark":
        _run(
            [sys.executable, "-m", "cdp.spark", "pull", "--loads", str(loads)]
            + ["--tables", ",".join(ERASURE_READS)],
            env,
            PROJECT_ROOT,
            "copying the identity tables from Spark for the erasure failed",
        )
    con = connect(str(loads))
    try:
        yield con
    finally:
        if engine == "spark":
            for table in ERASURE_READS:
                con.execute(f"drop table if exists {table}")
        con.close()


def build(
    engine: str,
    landing: Path,
    loads: Path,
    target: Path,
    env: dict[str, str] | None = None,
    log: Callable[[str], None] = print,
    exports: Path | None = None,
    built_at: datetime | None = None,
    quality: Path | None = None,
) -> Build:
    """Load ``landing`` into ``loads`` (a DuckDB file: on DuckDB the warehouse itself), build
    every model on ``engine`` (dbt's files in ``target``), run every quality suite when
    ``quality`` (a folder for GX's stores and the site) is given, then export the audiences
    into ``exports`` when given. ``built_at`` is the build's time: the suites check against
    it and the exports carry it. Raises when a step fails; failing checks are recorded, not
    raised."""
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

    key = require_key()
    run_id = f"{engine}-{uuid.uuid4().hex[:12]}"
    started = time.perf_counter()
    with connect(str(loads)) as con:
        # before dbt reads raw, as in the pipeline: re-delivered rows of erased people, retention
        Purge(con, key, run_id, exports_dir=exports, log=lambda _l: None, before_dbt=True).run()
        settings = Settings.from_env()
        policy = RetentionPolicy(settings.retention_raw_days, settings.retention_events_days)
        apply_retention(con, policy, run_id)
    result.stages["privacy"] = time.perf_counter() - started

    def publish() -> None:
        if engine == "spark":
            _run(
                [sys.executable, "-m", "cdp.spark", "publish", "--loads", str(loads)],
                env,
                PROJECT_ROOT,
                "publishing the raw loads to Spark failed",
            )

    def dbt(*args: str) -> None:
        command = [
            *dbt_command(engine),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--vars",
            json.dumps({"warehouse": str(loads), "identity_from_scratch": True}),
            "--quiet",
        ]
        _run(command, env, DBT_PROJECT_DIR, f"dbt {args[0]} on {engine} failed")

    if engine == "spark":
        started = time.perf_counter()
        publish()
        result.stages["publish"] = time.perf_counter() - started

    # staging and identity; then the erasure requests resolved through that identity (raw
    # rows removed, staging and identity rebuilt, until a round removes nothing); then the
    # layers after identity, built without the people erased
    started = time.perf_counter()
    dbt("build", "--exclude-resource-type", "unit_test", "--select", f"+{IDENTITY_LAYER}")
    result.stages["dbt"] = time.perf_counter() - started

    started = time.perf_counter()

    def rebuild() -> None:
        publish()
        dbt("run", "--select", REBUILT_SELECTION)

    rounds = complete_erasure(
        lambda: _erasure_connection(engine, loads, env),
        rebuild,
        key,
        run_id,
        exports_dir=exports,
        doc_dirs=(quality,) if quality is not None else (),
        log=log,
        progress=lambda _line: None,
    )
    if any(erasure.raw_rows or erasure.report.requests for erasure in rounds):
        # no freed block of the loads' file keeps an erased person's bytes (nor, on Spark,
        # the identity tables copied in for the rounds)
        compact(loads)
    result.stages["erasure"] = time.perf_counter() - started

    started = time.perf_counter()
    dbt("build", "--exclude-resource-type", "unit_test", "--exclude", f"+{IDENTITY_LAYER}")
    result.stages["dbt"] += time.perf_counter() - started

    built_at = built_at or datetime.now(UTC)
    if quality is not None:
        started = time.perf_counter()
        manifest = target / "manifest.json"
        if engine == "spark":
            _run(
                [sys.executable, "-m", "cdp.spark", "quality", "--loads", str(loads)]
                + ["--manifest", str(manifest), "--now", built_at.isoformat()]
                + ["--quality-dir", str(quality), "--docs-dir", str(quality / "site")],
                env,
                PROJECT_ROOT,
                "the quality suites on Spark failed",
            )
        else:
            run = QualityRun(loads, quality, quality / "site", now=built_at, manifest=manifest)
            run.validate(run.suites().values(), run_id=f"duckdb-{uuid.uuid4().hex[:12]}")
        result.stages["quality"] = time.perf_counter() - started

    if exports is not None:
        started = time.perf_counter()
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
