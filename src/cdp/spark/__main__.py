"""The Spark engine's commands.

``python -m cdp.spark publish --loads FILE``  the loads' raw tables as Spark tables
``python -m cdp.spark export --exports DIR [--built-at ISO] [--results FILE]``  the audiences
    from Spark's marts
``python -m cdp.spark pull --loads FILE --tables SCHEMA.TABLE,...``  Spark tables copied
    into the loads' DuckDB file (what the erasure reads beside raw)
``python -m cdp.spark quality --loads FILE --manifest FILE --quality-dir DIR --docs-dir DIR``
    the quality suites (``--suites``, default all) on Spark's tables through GX's Spark data
    source, recorded in the loads' DuckDB file and published as the quality site
``python -m cdp.spark compare --duckdb FILE [...]``  a DuckDB warehouse's customers (exports,
    quality results) against what Spark holds
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
    print(f"published {len(counts)} changed raw table(s) to Spark, {sum(counts.values()):,} rows")
    return 0


def _export(args: argparse.Namespace) -> int:
    from datetime import datetime

    from cdp.spark.engine import write_results
    from cdp.spark.exports import export_from_spark
    from cdp.spark.session import get_session

    built_at = datetime.fromisoformat(args.built_at) if args.built_at else None
    results = export_from_spark(get_session(), args.exports, built_at=built_at)
    if args.results:
        write_results(args.results, results)
    return 0


def _pull(args: argparse.Namespace) -> int:
    from cdp.duckdb_budget import connect
    from cdp.spark.session import get_session
    from cdp.spark.tables import copy_into_duckdb

    tables = [name.strip() for name in args.tables.split(",") if name.strip()]
    with connect(str(args.loads)) as con:
        copied = copy_into_duckdb(get_session(), con, tables)
    missing = sorted(set(tables) - set(copied))
    print(
        f"copied {len(copied)} table(s) from Spark"
        + (f"; not in Spark: {missing}" if missing else "")
    )
    return 0


def _quality(args: argparse.Namespace) -> int:
    import uuid
    from datetime import datetime

    from cdp.quality.run import QualityRun
    from cdp.spark.engine import write_suite_results
    from cdp.spark.session import get_session

    run = QualityRun(
        args.loads,
        args.quality_dir,
        args.docs_dir,
        now=datetime.fromisoformat(args.now) if args.now else None,
        manifest=args.manifest,
        spark=get_session(),
    )
    suites = list(run.suites().values())
    if args.suites:
        wanted = set(args.suites.split(","))
        suites = [suite for suite in suites if suite.name in wanted]
        if unknown := wanted - {suite.name for suite in suites}:
            print(f"no such suite: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
    run_id = args.run_id or f"spark-{uuid.uuid4().hex[:12]}"
    results = run.validate(suites, run_id=run_id, publish=not args.no_publish)
    if args.results:
        write_suite_results(args.results, results)
    errors = sum(1 for result in results if result.status == "error")
    print(f"quality on Spark: {len(results)} suites, {errors} failing with errors")
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
            quality=work / f"quality-{engine}",
        )
        for engine in engines
    }
    for result in builds.values():
        print(result.line())
    if len(builds) == 2:
        return _compare_builds(
            work / "duckdb.duckdb",
            work / "spark.duckdb",
            (work / "exports-duckdb", work / "exports-spark"),
            quality=True,
        )
    return 0


def _compare_builds(
    duckdb_file: Path,
    spark_loads: Path,
    exports: tuple[Path, Path] | None,
    *,
    quality: bool,
) -> int:
    """Print what differs between a DuckDB warehouse and what Spark holds (with the loads'
    file beside it); 0 when nothing does."""
    from cdp.spark.compare import compare_customers, compare_exports, compare_quality
    from cdp.spark.session import get_session

    report = compare_customers(duckdb_file, get_session())
    print(report.summary())
    differences = 0 if report.equal else 1
    if exports is not None:
        found = compare_exports(*exports)
        print("audience exports: " + ("equal" if not found else _some(found)))
        differences += len(found)
    if quality:
        found = compare_quality(duckdb_file, spark_loads)
        print("quality results: " + ("equal" if not found else _some(found)))
        differences += len(found)
    return 0 if not differences else 1


def _compare(args: argparse.Namespace) -> int:
    if args.quality and args.spark_loads is None:
        print("--quality compares with the Spark loads' file: give --spark-loads", file=sys.stderr)
        return 2
    exports = (args.duckdb_exports, args.spark_exports) if args.duckdb_exports else None
    return _compare_builds(args.duckdb, args.spark_loads, exports, quality=args.quality)


def _some(differences: list[str], shown: int = 10) -> str:
    more = len(differences) - shown
    return "; ".join(differences[:shown]) + (f"; and {more} more" if more > 0 else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cdp.spark", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    publish = commands.add_parser("publish", help="the loads' raw tables as Spark tables")
    publish.add_argument("--loads", type=Path, required=True)
    publish.set_defaults(run=_publish)
    export = commands.add_parser("export", help="the audiences exported from Spark's marts")
    export.add_argument("--exports", type=Path, required=True, help="the exports folder")
    export.add_argument("--built-at", help="the build time written into the files (ISO 8601)")
    export.add_argument("--results", type=Path, help="a JSON file for what was exported")
    export.set_defaults(run=_export)
    pull = commands.add_parser("pull", help="Spark tables copied into the loads' DuckDB file")
    pull.add_argument("--loads", type=Path, required=True, help="the loads' DuckDB file")
    pull.add_argument("--tables", required=True, help="schema.table names, comma-separated")
    pull.set_defaults(run=_pull)
    quality = commands.add_parser("quality", help="the quality suites on Spark's tables")
    quality.add_argument("--loads", type=Path, required=True, help="the loads' DuckDB file")
    quality.add_argument("--manifest", type=Path, required=True, help="dbt's manifest.json")
    quality.add_argument("--quality-dir", type=Path, required=True)
    quality.add_argument("--docs-dir", type=Path, required=True)
    quality.add_argument("--now", help="the time the suites check against (ISO 8601)")
    quality.add_argument("--run-id", help="the run's id in the results (default: a new one)")
    quality.add_argument("--suites", help="suite names, comma-separated (default: every suite)")
    quality.add_argument("--results", type=Path, help="a JSON file for the results")
    quality.add_argument(
        "--no-publish", action="store_true", help="record the results, leave the site as it is"
    )
    quality.set_defaults(run=_quality)
    compare = commands.add_parser(
        "compare", help="a DuckDB warehouse's customers against Spark's (CDP_SPARK_WAREHOUSE)"
    )
    compare.add_argument("--duckdb", type=Path, required=True, help="the DuckDB warehouse")
    compare.add_argument("--spark-loads", type=Path, help="the Spark engine's loads file")
    compare.add_argument("--duckdb-exports", type=Path, help="the DuckDB build's exports")
    compare.add_argument("--spark-exports", type=Path, help="the Spark build's exports")
    compare.add_argument(
        "--quality", action="store_true", help="compare the newest quality run of each too"
    )
    compare.set_defaults(run=_compare)
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
