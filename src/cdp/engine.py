"""The engine the platform runs on, chosen by one setting: ``CDP_ENGINE``.

``duckdb`` (the default) is the embedded warehouse file; ``spark`` is Apache Spark through
dbt-spark (``cdp.spark``, README "Scaling out").

On both engines the loads write a DuckDB file: on DuckDB it is the warehouse itself, on Spark
the file of the raw loads and of the platform's own records (load manifest, privacy lists and
logs, quality results), from which Spark's raw tables are published. ``Engine`` is what the
steps beside dbt ask of the engine (the Dagster assets, ``cdp.spark.build``): how dbt is
started, raw made readable to it, the erasure given the identity graph, the quality suites run
and the audiences exported. Each rule itself has one implementation, which both engines run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from cdp.activation.exports import ExportResult
    from cdp.quality.checks import Suite
    from cdp.quality.run import QualityRun
    from cdp.quality.validate import SuiteResult

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"


class UnknownEngine(ValueError):
    """CDP_ENGINE names no engine the platform runs on."""


def engine() -> str:
    """The engine named by ``CDP_ENGINE`` (``duckdb`` when unset or empty)."""
    name = (os.environ.get("CDP_ENGINE") or DEFAULT_ENGINE).strip().lower()
    if name not in ENGINES:
        raise UnknownEngine(
            f"CDP_ENGINE={os.environ['CDP_ENGINE']!r} is not an engine of the platform: "
            f"use one of {', '.join(ENGINES)}"
        )
    return name


class Engine:
    """The DuckDB engine: everything is in the warehouse file ``loads`` names."""

    name = "duckdb"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        # the environment of the processes an engine starts (dbt, Spark steps)
        self.env = {**os.environ, **(env or {}), "CDP_ENGINE": self.name}

    def dbt_executable(self) -> str:
        """The dbt installed beside this Python, whether or not the virtualenv is active."""
        return str(Path(sys.executable).with_name("dbt"))

    def publish_raw(self, loads: Path) -> None:
        """Make the raw tables of ``loads`` readable to dbt: on DuckDB they are already."""

    @contextmanager
    def erasure_connection(self, loads: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection for one round of the erasure, which reads the identity
        graph beside raw (``cdp.privacy.erasure.ERASURE_READS``)."""
        from cdp.duckdb_budget import connect

        with connect(str(loads)) as con:
            yield con

    def validate(
        self,
        run: QualityRun,
        suites: Iterable[Suite],
        run_id: str,
        log: Callable[[str], None] = print,
        *,
        publish: bool = True,
    ) -> list[SuiteResult]:
        """Run ``suites`` on the engine's tables, recorded in ``run.warehouse``."""
        return run.validate(suites, run_id, log, publish=publish)

    def export_audiences(
        self,
        loads: Path,
        exports_dir: Path,
        built_at: datetime | None = None,
        log: Callable[[str], None] = print,
    ) -> list[ExportResult]:
        """Every declared audience exported from the engine's marts into ``exports_dir``."""
        from cdp.activation.exports import export_declared_audiences
        from cdp.duckdb_budget import connect

        # read-write, as the pipeline's other steps: a warehouse not built yet is then named
        # by the export's own error (the marts it lacks), not by DuckDB's "does not exist"
        with connect(str(loads)) as con:
            return export_declared_audiences(con, exports_dir, built_at=built_at, log=log)


def get_engine(name: str | None = None, env: Mapping[str, str] | None = None) -> Engine:
    """The engine ``name`` (by default ``CDP_ENGINE``'s)."""
    name = name or engine()
    if name == "spark":
        from cdp.spark.engine import SparkEngine

        return SparkEngine(env)
    if name != "duckdb":
        raise UnknownEngine(f"{name!r} is not an engine of the platform: one of {ENGINES}")
    return Engine(env)
