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
What differs between the engines is asked of ``cdp.engine.Engine``, as the Dagster pipeline
does; each Spark step is a process of its own (Spark's catalog takes one process at a time).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT, Settings
from cdp.duckdb_budget import connect
from cdp.engine import get_engine
from cdp.ingest.loader import load_landing_zone
from cdp.privacy.compaction import compact_if_due
from cdp.privacy.erasure import REBUILT_SELECTION, complete_erasure, purge_before_dbt
from cdp.privacy.holdback import LoadSuppression
from cdp.privacy.keys import require_key
from cdp.privacy.retention import RetentionPolicy
from cdp.quality.run import QualityRun
from cdp.sources import SOURCE_FILES
from cdp.spark.engine import run_step

# The layer the erasure resolves requests through: dbt builds it (with all it reads) before
# the erasure, and the rest after it.
IDENTITY_LAYER = "intermediate.identity"


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
    raised. Every stage is timed on both engines (publishing is nothing on DuckDB)."""
    chosen = get_engine(engine, {**(env or {}), "DBT_PROFILES_DIR": str(PROJECT_ROOT)})
    built_at = built_at or datetime.now(UTC)
    run_id = f"{engine}-{uuid.uuid4().hex[:12]}"
    result = Build(engine)

    def stage(name: str) -> _Stage:
        return _Stage(result.stages, name)

    with stage("load"):
        loads.parent.mkdir(parents=True, exist_ok=True)
        with connect(str(loads)) as con:
            # rows that name erased people are held back, as the pipeline's loads do
            hold_back = LoadSuppression.of_warehouse(con, run_id)
            reports = load_landing_zone(
                con, landing, SOURCE_FILES, log=lambda _line: None, hold_back=hold_back
            )
    log(f"{engine}: loaded {sum(r.rows_loaded for r in reports):,} rows")

    key = require_key()
    with stage("privacy"), connect(str(loads)) as con:
        # before dbt reads raw, as in the pipeline: re-delivered rows of erased people, retention
        settings = Settings.from_env()
        policy = RetentionPolicy(settings.retention_raw_days, settings.retention_events_days)
        purge_before_dbt(con, key, run_id, policy, exports_dir=exports, log=lambda _l: None)

    def dbt(*args: str) -> None:
        variables = json.dumps({"warehouse": str(loads), "identity_from_scratch": True})
        run_step(
            [chosen.dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR)]
            + ["--target-path", str(target), "--vars", variables, "--quiet"],
            chosen.env,
            f"dbt {args[0]} on {engine}",
            cwd=DBT_PROJECT_DIR,
        )

    with stage("publish"):
        chosen.publish_raw(loads)

    # staging and identity; then the erasure requests resolved through that identity (raw
    # rows removed, staging and identity rebuilt, until a round removes nothing); then the
    # layers after identity, built without the people erased
    with stage("dbt"):
        dbt("build", "--exclude-resource-type", "unit_test", "--select", f"+{IDENTITY_LAYER}")

    def rebuild() -> None:
        chosen.publish_raw(loads)
        dbt("run", "--select", REBUILT_SELECTION)

    with stage("erasure"):
        complete_erasure(
            lambda: chosen.erasure_connection(loads),
            rebuild,
            key,
            run_id,
            exports_dir=exports,
            doc_dirs=(quality,) if quality is not None else (),
            log=log,
            progress=lambda _line: None,
        )
        # No freed block of the loads' file keeps an erased person's bytes (nor, on Spark, the
        # identity tables copied in for the rounds) beyond CDP_COMPACTION_DAYS, as on DuckDB.
        compact_if_due(loads, settings.compaction_days, run_id=run_id)

    with stage("dbt"):
        dbt("build", "--exclude-resource-type", "unit_test", "--exclude", f"+{IDENTITY_LAYER}")

    if quality is not None:
        with stage("quality"):
            run = QualityRun(
                loads, quality, quality / "site", now=built_at, manifest=target / "manifest.json"
            )
            chosen.validate(run, run.suites().values(), run_id, log=lambda _line: None)

    if exports is not None:
        with stage("exports"):
            chosen.export_audiences(loads, exports, built_at=built_at, log=lambda _line: None)
    log(result.line())
    return result


class _Stage:
    """Adds the time spent in the block to ``stages[name]``."""

    def __init__(self, stages: dict[str, float], name: str) -> None:
        self.stages, self.name = stages, name

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *_exc: object) -> None:
        self.stages[self.name] = (
            self.stages.get(self.name, 0.0) + time.perf_counter() - self.started
        )
