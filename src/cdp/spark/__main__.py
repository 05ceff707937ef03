"""The Spark engine's commands.

``python -m cdp.spark publish --loads FILE``  the loads' raw tables as Spark tables
``python -m cdp.spark export --exports DIR [--built-at ISO]``  the audiences from Spark's marts
``python -m cdp.spark build --landing DIR --work DIR [--engine spark|duckdb|both]``
    the pipeline's tables from a landing zone, timed by stage; with ``both``, on DuckDB and on
    Spark, then the customers of the two builds compared (``cdp.spark.compare``)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _publish(args: argparse.Namespace) -> int:
    from cdp.spark.raw import publish
    from cdp.spark.session import get_session

    counts = publish(args.loads, get_session())
    print(f"published {len(counts)} raw tables to Spark, {sum(counts.values()):,} rows")
    return 0


def _export(args: argparse.Namespace) -> int:
    from datetime import datetime

    from cdp.spark.exports import export_from_spark
    from cdp.spark.session import get_session

    built_at = datetime.fromisoformat(args.built_at) if args.built_at else None
    export_from_spark(get_session(), args.exports, built_at=built_at)
    return 0


def _build(args: argparse.Namespace) -> int:
    import os
    from datetime import UTC, datetime

    from cdp.spark.build import build

    work: Path = args.work.absolute()
    engines = ("duckdb", "spark") if args.engine == "both" else (args.engine,)
    os.environ.setdefault("CDP_SPARK_WAREHOUSE", str(work / "spark"))
    built_at = datetime.now(UTC)
    builds = {
        engine: build(
            engine,
            args.landing.absolute(),
            work / f"{engine}.duckdb",
            work / f"target-{engine}",
            exports=work / f"exports-{engine}",
            built_at=built_at,
        )
        for engine in engines
    }
    for result in builds.values():
        print(result.line())
    if len(builds) == 2:
        from cdp.spark.compare import compare_customers, compare_exports
        from cdp.spark.session import get_session

        report = compare_customers(work / "duckdb.duckdb", get_session())
        print(report.summary())
        exports = compare_exports(work / "exports-duckdb", work / "exports-spark")
        print("audience exports: " + ("equal" if not exports else "; ".join(exports)))
        return 0 if report.equal and not exports else 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cdp.spark", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    publish = commands.add_parser("publish", help="the loads' raw tables as Spark tables")
    publish.add_argument("--loads", type=Path, required=True)
    publish.set_defaults(run=_publish)
    export = commands.add_parser("export", help="the audiences exported from Spark's marts")
    export.add_argument("--exports", type=Path, required=True, help="the exports folder")
    export.add_argument("--built-at", help="the build time written into the files (ISO 8601)")
    export.set_defaults(run=_export)
    build = commands.add_parser("build", help="the pipeline's tables on an engine, timed")
    build.add_argument("--landing", type=Path, default=Path("data/landing"))
    build.add_argument("--work", type=Path, required=True, help="a folder for the builds")
    build.add_argument("--engine", choices=("duckdb", "spark", "both"), default="both")
    build.set_defaults(run=_build)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    code = main()
    if "pyspark" in sys.modules:
        from cdp.spark.session import exit_process

        exit_process(code)
    sys.exit(code)
