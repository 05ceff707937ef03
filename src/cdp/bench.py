"""``cdp-bench``: the whole pipeline timed per stage, beside DuckDB's floor (``make bench``).

It generates N persons (default 100,000), holds back the last export day, runs the pipeline
through the docs site in the scheduled pipeline's order (load, privacy purge, staging, identity,
erasure with its rebuilds, marts, checks, docs, and the warehouse rewrite when one is due under
``CDP_COMPACTION_DAYS``), then delivers the held-back day and runs again. Each stage runs in
child processes, so that its peak resident memory is its own (``wait4``). The floor is DuckDB
alone reading every landing file into a table. The figures go to
``bench/results/<persons>-<timestamp>.json`` with a PNG chart of the stages beside them.
DuckDB's budget (``CDP_MEMORY_LIMIT``, ``CDP_THREADS``) applies to every stage.

    cdp-bench --persons 100000
    cdp-bench components --records 1000000   # identity's connected components alone
    cdp-bench components --engine spark      # ... searched by Spark (cdp.spark.identity)
    python -m cdp.bench dbt --warehouse W --target T --select path:models/intermediate/identity
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path


def _run_step(args: list[str]) -> tuple[float, float, dict]:
    """Run ``python -m cdp.bench <step> ...``; return seconds, peak RSS in MiB, its JSON output."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "cdp.bench", *args], stdout=subprocess.PIPE, text=True
    )
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"step {args[0]} failed with exit code {child.returncode}")
    lines = [line for line in output.splitlines() if line.startswith("{")]
    return seconds, usage.ru_maxrss / 1024, json.loads(lines[-1]) if lines else {}


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _step_generate(ns: argparse.Namespace) -> None:
    from cdp.generator.engine import generate

    stats = generate(
        persons=ns.persons, days=ns.days, seed=ns.seed, out=Path(ns.out), progress=True
    )
    print(json.dumps({"summary": stats}, default=str))


def _step_load(ns: argparse.Namespace) -> None:
    from cdp.duckdb_budget import connect
    from cdp.ingest.landing import pending_deliveries, survey
    from cdp.ingest.loader import load_file_type, loaded_files
    from cdp.privacy.holdback import LoadSuppression
    from cdp.sources import SOURCE_FILES

    landing = Path(ns.landing)
    if not any((landing / spec.source).is_dir() for spec in SOURCE_FILES):
        # loading nothing would pass for a load of nothing new
        raise SystemExit(
            f"cdp-bench load: no source folder (crm, shop, ...) in {landing}; "
            "`cdp-generate --out DIR` writes the exports to DIR/landing"
        )
    con = connect(ns.warehouse)
    # as the pipeline's runs (orchestration.defs.ingest.partitions.plan_loads): the export
    # dates with a file that is new, changed or failed before, and no other
    pending = pending_deliveries(survey(landing).deliveries, loaded_files(con))
    dates = sorted({delivery.export_date for delivery in pending})
    # as the pipeline's load assets: rows naming erased people are held back
    hold_back = LoadSuppression.of_warehouse(con, ns.run_id)
    reports = [
        load_file_type(
            con, landing, spec, log=lambda m: None, export_dates=dates, hold_back=hold_back
        )
        for spec in SOURCE_FILES
    ]
    con.close()
    print(
        json.dumps(
            {
                "rows": sum(r.rows_loaded for r in reports),
                "rows_rejected": sum(r.rows_rejected for r in reports),
                "rows_held_back": sum(r.rows_held_back for r in reports),
                "files": sum(len(r.files) for r in reports),
                "failed": sum(len(r.failed) for r in reports),
            }
        )
    )


PHONE_INPUTS = """
    select phone, country from raw.crm__contacts
    union all select mobile, country from raw.crm__contacts
    union all select phone, country_code from raw.shop__accounts
    union all select phone, ship_country from raw.shop__orders
"""


# The pipeline's dbt layers as the benchmark times them: staging (with the reference seeds),
# identity resolution, and everything after it (the other intermediate models, the marts,
# the pseudonymized copies and the audit tables).
STAGING = ["path:models/staging", "standardization_counts_by_file", "standardization_report"]
IDENTITY = ["path:models/intermediate/identity"]
MARTS_EXCLUDE = [*STAGING, *IDENTITY]
# The pipeline's order: the privacy purge runs before dbt reads raw, the erasure after
# identity (resolving requests through it), the warehouse rewrite last when it is due.
STAGES = (
    "load",
    "purge",
    "staging",
    "identity",
    "erasure",
    "marts",
    "checks",
    "docs",
    "compaction",
)


def _table_rows(warehouse: str, relations: list[tuple[str, str]]) -> int:
    """Rows of the tables among ``relations`` (views count nothing), counted: DuckDB's
    ``estimated_size`` also counts rows deleted and not yet compacted, which an incremental
    model's delete+insert leaves, so it varied between runs of the same code and data."""
    from cdp.duckdb_budget import connect

    if not relations:
        return 0
    con = connect(warehouse)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where list_contains(?, schema_name || '.' || table_name)",
            [sorted({f"{schema}.{name}" for schema, name in relations})],
        ).fetchall()
        return sum(
            con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0]
            for schema, name in tables
        )
    finally:
        con.close()


def _checkpoint(warehouse: str) -> None:
    """Write DuckDB's log of changes into the warehouse file. dbt's database stays open in this
    process until it exits, and at exit DuckDB may leave the log beside the file: whoever then
    copies the ``.duckdb`` file alone would miss the tables just built."""
    from cdp.duckdb_budget import connect

    con = connect(warehouse)
    try:
        con.execute("checkpoint")
    finally:
        con.close()


def _step_floor(ns: argparse.Namespace) -> None:
    """DuckDB alone: every landing file read into a table with DuckDB's own readers in the
    export's dialect, broken rows skipped, nothing else (no contract, lineage or rejects). The
    pipeline's time is read against it."""
    from cdp.duckdb_budget import connect
    from cdp.sources import SOURCE_FILES

    database = Path(ns.warehouse)
    database.unlink(missing_ok=True)
    con = connect(database)
    rows = 0
    for spec in SOURCE_FILES:
        files = sorted(
            str(path) for path in Path(ns.landing).glob(f"{spec.source}/*/{spec.filename}")
        )
        if not files:
            continue
        if spec.format == "csv":
            reader = (
                "read_csv(?, header = true, all_varchar = true, union_by_name = true, "
                f"delim = '{spec.delimiter}', ignore_errors = true, null_padding = true, "
                "strict_mode = false)"
            )
        else:
            layout = "array" if spec.format == "json_array" else "newline_delimited"
            reader = (
                f"read_json(?, format = '{layout}', union_by_name = true, ignore_errors = true)"
            )
        con.execute(f"create table {spec.table} as select * from {reader}", [files])
        rows += con.execute(f"select count(*) from {spec.table}").fetchall()[0][0]
    con.close()
    database.unlink(missing_ok=True)
    print(json.dumps({"rows": rows}))


def _privacy_places(ns: argparse.Namespace) -> dict:
    """Where a privacy step looks for the person beyond the warehouse: the audience exports
    and the folders of the quality site."""
    return {"exports_dir": Path(ns.exports), "doc_dirs": tuple(Path(d) for d in ns.doc_dirs)}


def _step_purge(ns: argparse.Namespace) -> None:
    """The purge before dbt reads raw, as the pipeline's privacy/purge asset runs it:
    re-delivered rows of erased people, then retention."""
    from cdp.config import Settings
    from cdp.duckdb_budget import connect
    from cdp.privacy.erasure import purge_before_dbt
    from cdp.privacy.keys import require_key
    from cdp.privacy.retention import RetentionPolicy

    settings = Settings.from_env()
    policy = RetentionPolicy(settings.retention_raw_days, settings.retention_events_days)
    with connect(ns.warehouse) as con:
        report, retained = purge_before_dbt(
            con, require_key(), ns.run_id, policy, **_privacy_places(ns), log=lambda _m: None
        )
    removed = report.by_layer()
    rows = removed.get("raw", 0) + removed.get("rejects", 0) + sum(retained.values())
    print(json.dumps({"rows": rows, "erased": removed, "retained": retained}))


def _step_erasure(ns: argparse.Namespace) -> None:
    """The erasure after identity, as the pipeline's privacy/erasure_completed asset runs it:
    the new requests resolved through identity, raw purged, staging and identity rebuilt by
    dbt (a child step of its own, ``dbt run --select`` ``REBUILT_SELECTION``), repeated until a
    round removes nothing. Rows: the rows removed from every layer."""
    import resource

    from cdp.duckdb_budget import connect
    from cdp.privacy.erasure import REBUILT_SELECTION, complete_erasure, removed_by_layer
    from cdp.privacy.keys import require_key

    def rebuild() -> None:
        _run_step(
            [
                "dbt",
                f"--warehouse={ns.warehouse}",
                f"--target={ns.target}",
                "--select",
                *REBUILT_SELECTION.split(),
            ]
        )

    rounds = complete_erasure(
        lambda: connect(ns.warehouse),
        rebuild,
        require_key(),
        ns.run_id,
        **_privacy_places(ns),
        log=lambda _m: None,
    )
    print(
        json.dumps(
            {
                "rows": sum(removed_by_layer(rounds).values()),
                "requests": rounds[0].report.requests,
                "rounds": len(rounds),
                "rebuild_seconds": [
                    round(r.rebuild_seconds, 2) for r in rounds if r.rebuild_seconds is not None
                ],
                # the rebuilds' dbt ran in child processes of this step
                "children_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            }
        )
    )


def _step_compaction(ns: argparse.Namespace) -> None:
    """The warehouse rewritten with live data only when it is due, as the pipeline's
    maintenance/warehouse_compacted asset does (``CDP_COMPACTION_DAYS``); left as it is
    otherwise."""
    from cdp.config import Settings
    from cdp.privacy.compaction import compact_if_due

    within = Settings.from_env().compaction_days
    pending, result = compact_if_due(Path(ns.warehouse), within, run_id=ns.run_id)
    if result is None:
        print(json.dumps({"rows": 0, "compacted": False, "pending": pending.entries}))
        return
    print(
        json.dumps(
            {
                "rows": 0,
                "compacted": True,
                "pending": pending.entries,
                "mb_before": round(result.bytes_before / 2**20, 1),
                "mb_after": round(result.bytes_after / 2**20, 1),
            }
        )
    )


def _step_name(args: list[str]) -> str:
    """How a child step is named in the results: ``dbt run``, ``dbt test``, ``checks``..."""
    if args[0] == "dbt":
        return "dbt test" if "--command=test" in args else "dbt run"
    return args[0]


def _quality_run(ns: argparse.Namespace):
    """The quality run of the checks and docs steps, with the dbt manifest of the benchmark's
    own dbt steps (``--target``; the project's without one). The staging suites and the SLAs
    come from it, so a missing manifest is an error rather than a run of the other layers."""
    from cdp import registry
    from cdp.quality.run import QualityRun

    manifest = Path(ns.target) / "manifest.json" if ns.target else registry.MANIFEST
    if not manifest.exists():
        raise SystemExit(
            f"cdp-bench {ns.step}: no dbt manifest at {manifest}; the staging suites and the "
            "SLAs come from it (run the dbt steps into that target first, or `make dbt-parse`)"
        )
    return QualityRun(Path(ns.warehouse), Path(ns.quality), Path(ns.docs), manifest=manifest)


def _step_checks(ns: argparse.Namespace) -> None:
    """The Great Expectations suites of every layer (dbt's tests run in a step of their own:
    DuckDB opens a file once per process, with one configuration). Rows are those of the
    tables the suites validate."""
    run = _quality_run(ns)
    suites = list(run.suites().values())
    results = run.validate(
        suites, run_id=f"bench-{time.time_ns()}", log=lambda _m: None, publish=False
    )
    rows = _table_rows(ns.warehouse, [(suite.schema, suite.table) for suite in suites])
    failed = [f"{r.suite.name}: {r.status}" for r in results if r.status != "pass"]
    # the suites, slowest first, listed beside the slowest dbt models of the stage
    timed = sorted(((f"GX {r.suite.name}", r.seconds) for r in results), key=lambda t: -t[1])
    print(
        json.dumps(
            {"rows": rows, "suites": len(results), "suites_not_passed": failed, "models": timed}
        )
    )


def _step_docs(ns: argparse.Namespace) -> None:
    """The data-quality site: Data Docs, overview and portal, from the recorded results."""
    run = _quality_run(ns)
    run.publish()
    print(json.dumps({"rows": run.last_published_checks}))


def _dbt(warehouse: str, target: str, commands: list[list[str]]) -> dict:
    """Run dbt commands in this process; their time, nodes, the rows of the tables they
    built, and the tests that failed or warned (a failing test does not stop the run)."""
    from dbt.cli.main import dbtRunner

    from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT

    os.environ["CDP_WAREHOUSE"] = warehouse
    common = [
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", target,
        "--log-path", target,
        "--quiet",
    ]  # fmt: skip
    runner = dbtRunner()
    models, built, not_passed = [], [], []
    started = time.perf_counter()
    for command in commands:
        result = runner.invoke([*command, *common])
        if result.exception is not None or result.result is None:
            raise SystemExit(f"dbt {command[0]} failed: {result.exception}")
        for r in result.result:
            models.append((r.node.name, r.execution_time))
            if r.node.resource_type in ("model", "seed", "snapshot"):
                built.append((r.node.schema, r.node.alias))
            if str(r.status) in ("error", "fail", "warn"):
                not_passed.append(f"{r.node.name}: {r.status}")
        if command[0] != "test" and not result.success:
            raise SystemExit(f"dbt {command[0]} failed: {not_passed}")
    _checkpoint(warehouse)
    return {
        "dbt_seconds": time.perf_counter() - started,
        "models": sorted(models, key=lambda m: -m[1]),
        "rows": _table_rows(warehouse, built),
        "not_passed": not_passed,
    }


def _step_dbt(ns: argparse.Namespace) -> None:
    from cdp.duckdb_budget import connect
    from cdp.standardize.duckdb_udfs import register
    from cdp.standardize.phones import to_e164

    selection = ["--select", *ns.select] if ns.select else []
    selection += ["--exclude", *ns.exclude] if ns.exclude else []
    # a scheduled run leaves dbt's unit tests (fixed input rows) to CI; so does the benchmark
    unit_tests = ["--exclude-resource-type", "unit_test"] if ns.command == "test" else []
    commands = [[ns.command, *unit_tests, *selection]]
    if ns.seed_first:
        commands.insert(0, ["seed"])
    figures = _dbt(ns.warehouse, ns.target, commands)
    if not ns.phones:
        print(json.dumps(figures))
        return

    # The phone function alone, on every raw phone, with an empty cache.
    con = connect(ns.warehouse)
    register(con)
    inputs = con.execute(
        f"select count(*), count(distinct (phone, country)) from ({PHONE_INPUTS}) "
        "where nullif(trim(phone), '') is not null"
    ).fetchall()[0]
    to_e164.cache_clear()
    started = time.perf_counter()
    valid = con.execute(
        f"select count(phone_to_e164(phone, country)) from ({PHONE_INPUTS})"
    ).fetchall()[0][0]
    udf_seconds = time.perf_counter() - started
    con.close()
    print(
        json.dumps(
            {
                **figures,
                "phones": inputs[0],
                "distinct_phones": inputs[1],
                "valid_phones": valid,
                "phone_seconds": udf_seconds,
            }
        )
    )


def _step_components(ns: argparse.Namespace) -> None:
    """Connected components on a graph shaped like identity's: record keys joined to email
    keys and, for a third of the edges, to other records (a fuzzy match), with one giant
    component and long chains."""
    from cdp.duckdb_budget import connect
    from cdp.identity.components import connected_components, sparse_labels

    labeler = sparse_labels
    if ns.engine == "spark":
        from cdp.spark.identity import SparkComponents
        from cdp.spark.session import get_session

        labeler = SparkComponents(get_session(), log=lambda _line: None)
    con = connect()
    records, edges = ns.records, ns.records * 3 // 2
    con.execute(
        f"""create table edges as
        select 'crm:C-' || lpad(cast(i % {records} as varchar), 7, '0') as left_node,
            case when i % 3 = 0
                then 'crm:C-' || lpad(cast(hash(i) % {records} as varchar), 7, '0')
                else 'email:x' || cast(hash(i * 7) % {records // 2} as varchar) || '@mail.com'
            end as right_node
        from range({edges}) as t(i)"""
    )
    started = time.perf_counter()
    table, rounds = connected_components(
        con, "select left_node, right_node from edges", labeler=labeler
    )
    seconds = time.perf_counter() - started
    rounds = getattr(labeler, "rounds", rounds)
    nodes, components = con.execute(
        f"select count(*), count(distinct component) from {table}"
    ).fetchall()[0]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rounds": rounds,
                "nodes": nodes,
                "edges": edges,
                "components": components,
            }
        )
    )


def _components_benchmark(records: int, engine: str) -> int:
    seconds, peak_mb, figures = _run_step(
        ["components", f"--records={records}", f"--engine={engine}", "--in-process"]
    )
    print(
        f"connected components ({engine}): {figures['nodes']:,} nodes, {figures['edges']:,} edges, "
        f"{figures['components']:,} components in {figures['seconds']:.1f} s "
        f"({figures['rounds']} round(s)); the step {seconds:.1f} s with building the graph, "
        f"peak RSS {peak_mb:,.0f} MiB"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cdp-bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step")
    gen = sub.add_parser("generate")
    gen.add_argument("--persons", type=int, required=True)
    gen.add_argument("--days", type=int, required=True)
    gen.add_argument("--seed", type=int, required=True)
    gen.add_argument("--out", required=True)
    load = sub.add_parser("load")
    load.add_argument("--landing", required=True)
    load.add_argument("--warehouse", required=True)
    load.add_argument("--run-id", required=True)
    stage = sub.add_parser("dbt")
    stage.add_argument("--warehouse", required=True)
    stage.add_argument("--target", required=True)
    stage.add_argument("--command", choices=("run", "test"), default="run")
    stage.add_argument("--select", nargs="+")
    stage.add_argument("--exclude", nargs="+")
    stage.add_argument("--seed-first", action="store_true", help="dbt seed before the run")
    stage.add_argument("--phones", action="store_true", help="then time the phone function")
    floor = sub.add_parser("floor", help="DuckDB alone reading every landing file")
    floor.add_argument("--landing", required=True)
    floor.add_argument("--warehouse", required=True)
    for name in ("purge", "erasure", "compaction"):
        privacy = sub.add_parser(name)
        privacy.add_argument("--warehouse", required=True)
        privacy.add_argument("--target", required=True, help="the dbt target of the rebuilds")
        privacy.add_argument("--exports", required=True, help="the audience exports folder")
        privacy.add_argument("--doc-dirs", nargs="*", default=[], help="folders to search")
        privacy.add_argument("--run-id", required=True)
    for name in ("checks", "docs"):
        site = sub.add_parser(name)
        site.add_argument("--warehouse", required=True)
        site.add_argument("--quality", required=True)
        site.add_argument("--docs", required=True)
        site.add_argument("--target", help="the dbt target folder whose manifest to read")
    components = sub.add_parser(
        "components", help="time identity's connected components on a synthetic graph"
    )
    components.add_argument("--records", type=int, default=1_000_000)
    components.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="search with SciPy (duckdb) or with Spark's large-star/small-star rounds",
    )
    components.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dir", default="data/bench", help="work folder (emptied first)")
    parser.add_argument(
        "--results", default="bench/results", help="where the figures (JSON) and chart go"
    )
    parser.add_argument(
        "--landing", help="time these exports instead of generating (their last day is held back)"
    )
    ns = parser.parse_args(argv)

    steps = {
        "generate": _step_generate,
        "load": _step_load,
        "dbt": _step_dbt,
        "floor": _step_floor,
        "checks": _step_checks,
        "docs": _step_docs,
        "purge": _step_purge,
        "erasure": _step_erasure,
        "compaction": _step_compaction,
    }
    if ns.step in steps:
        steps[ns.step](ns)
        # A child step ends here: its figures are printed, and tearing down dbt's and GX's
        # connections would only print binding warnings.
        sys.stdout.flush()
        os._exit(0)
    if ns.step == "components":
        if ns.in_process:
            _step_components(ns)
            return 0
        return _components_benchmark(ns.records, ns.engine)

    return _pipeline_benchmark(ns)


def _hold_back_last_day(landing: Path, held: Path) -> str:
    """Move the last complete export day of every source out of the landing zone (a later
    folder still being written stays); returns the day."""
    last = max(marker.parent.name for marker in landing.glob("*/*/_SUCCESS"))
    for folder in landing.glob(f"*/{last}"):
        target = held / folder.parent.name / last
        target.parent.mkdir(parents=True, exist_ok=True)
        folder.rename(target)
    return last


def _deliver(held: Path, landing: Path) -> None:
    for folder in held.glob("*/*"):
        folder.rename(landing / folder.parent.name / folder.name)


def _pipeline_benchmark(ns: argparse.Namespace) -> int:
    """Generate, run the whole pipeline through the docs site, deliver one more day and run
    again; print and keep the figures per stage beside DuckDB's floor."""
    from cdp.duckdb_budget import Budget
    from cdp.privacy.keys import load_key

    if ns.landing and not any(Path(ns.landing).glob("*/*/_SUCCESS")):
        print(
            f"--landing {ns.landing}: no complete export folder in it "
            "(<source>/<YYYY-MM-DD>/_SUCCESS); pass the landing zone itself, the folder "
            "`cdp-generate --out DIR` writes as DIR/landing",
            file=sys.stderr,
        )
        return 2
    if load_key() is None:
        # the benchmark's warehouse is thrown away: its pseudonyms take a key of its own
        # rather than the one `make run` would leave on this machine
        os.environ["CDP_PRIVACY_KEY"] = secrets.token_hex(32)
        print("privacy key: none configured; this benchmark uses a random one of its own")
    work = Path(ns.dir).absolute() / f"p{ns.persons}_d{ns.days}_s{ns.seed}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    landing, held = work / "landing", work / "next_day"
    warehouse = work / "warehouse.duckdb"
    budget = Budget.from_env()
    print(
        f"benchmark: {ns.persons:,} persons, {ns.days} days, seed {ns.seed}, in {work}\n"
        f"DuckDB budget: memory_limit {budget.memory_limit}, threads {budget.threads}, "
        f"spill to {budget.temp_directory}"
    )
    print(f"{'stage':<26}{'seconds':>9}{'rows':>14}{'rows/s':>12}{'peak MiB':>10}")
    stages: list[dict] = []

    def step(stage: str, *steps: list[str], kind: str = "full") -> dict:
        """One stage of a run (``kind``: setup, floor, full or incremental): its child steps
        one after the other (time summed, peak the largest)."""
        seconds, peak_mb, output, parts = 0.0, 0.0, {}, []
        for args in steps:
            more_seconds, more_peak, more = _run_step(args)
            more_peak = max(more_peak, more.get("children_peak_mb", 0))
            seconds, peak_mb = seconds + more_seconds, max(peak_mb, more_peak)
            parts.append([_step_name(args), round(more_seconds, 2)])
            output["slowest"] = output.get("slowest", []) + more.get("models", [])[:5]
            output |= {key: value for key, value in more.items() if key not in ("rows", "models")}
            output["rows"] = max(output.get("rows", 0), more.get("rows", 0))
        rows = int(output.get("rows", 0) or 0)
        rate = rows / seconds if seconds else 0.0
        label = f"{stage} (one more day)" if kind == "incremental" else stage
        print(f"{label:<26}{seconds:>9.1f}{rows:>14,}{rate:>12,.0f}{peak_mb:>10,.0f}", flush=True)
        stages.append(
            {
                "stage": stage,
                "run": kind,
                "seconds": round(seconds, 2),
                "rows": rows,
                "rows_per_second": round(rate, 1),
                "peak_memory_mb": round(peak_mb, 1),
                "steps": parts,
                "slowest_models": [[name, round(sec, 1)] for name, sec in output["slowest"]],
                **{
                    key: output[key]
                    for key in (
                        "suites",
                        "not_passed",
                        "suites_not_passed",
                        # the load: rows of erased people held back before they were written
                        "rows_held_back",
                        # the privacy stages: what the purge and the erasure removed, the
                        # erasure's rounds and rebuilds, the file before and after its rewrite
                        "erased",
                        "retained",
                        "requests",
                        "rounds",
                        "rebuild_seconds",
                        "compacted",
                        "pending",
                        "mb_before",
                        "mb_after",
                    )
                    if output.get(key) not in (None, [], {})
                },
            }
        )
        return output

    if ns.landing:
        # exports generated before (say by `cdp-generate`), linked rather than copied: the
        # benchmark moves folders, never changes a file
        subprocess.run(["cp", "-al", str(Path(ns.landing).absolute()), str(landing)], check=True)
        print(f"exports from {ns.landing} (not generated)")
    else:
        step(
            "generate",
            [
                "generate",
                f"--persons={ns.persons}",
                f"--days={ns.days}",
                f"--seed={ns.seed}",
                f"--out={work}",
            ],
            kind="setup",
        )
    next_day = _hold_back_last_day(landing, held)
    landing_mb = _folder_size(landing) / 2**20
    step(
        "floor",
        ["floor", f"--landing={landing}", f"--warehouse={work / 'floor.duckdb'}"],
        kind="floor",
    )

    def pipeline(kind: str) -> None:
        dbt = ["dbt", f"--warehouse={warehouse}", f"--target={work / 'dbt_target'}"]
        site = [
            f"--warehouse={warehouse}",
            f"--quality={work / 'quality'}",
            f"--docs={work / 'docs'}",
            f"--target={work / 'dbt_target'}",
        ]
        run_id = [f"--run-id=bench-{kind}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"]
        privacy = [
            f"--warehouse={warehouse}",
            f"--target={work / 'dbt_target'}",
            f"--exports={work / 'exports'}",
            "--doc-dirs",
            str(work / "docs"),
            str(work / "quality"),
        ]
        step(
            "load", ["load", f"--landing={landing}", f"--warehouse={warehouse}", *run_id], kind=kind
        )
        step("purge", ["purge", *privacy, *run_id], kind=kind)
        step("staging", [*dbt, "--seed-first", "--select", *STAGING], kind=kind)
        step("identity", [*dbt, "--select", *IDENTITY], kind=kind)
        step("erasure", ["erasure", *privacy, *run_id], kind=kind)
        step("marts", [*dbt, "--exclude", *MARTS_EXCLUDE], kind=kind)
        step("checks", [*dbt, "--command=test"], ["checks", *site], kind=kind)
        step("docs", ["docs", *site], kind=kind)
        step("compaction", ["compaction", *privacy, *run_id], kind=kind)

    pipeline("full")
    _deliver(held, landing)
    print(f"-- one more day delivered: {next_day}")
    pipeline("incremental")

    full = [stage for stage in stages if stage["run"] == "full"]
    day = [stage for stage in stages if stage["run"] == "incremental"]
    floor_seconds = next(stage["seconds"] for stage in stages if stage["run"] == "floor")
    total = sum(stage["seconds"] for stage in full)
    incremental = sum(stage["seconds"] for stage in day)
    peak = max(stage["peak_memory_mb"] for stage in full + day)
    identity = next(stage["seconds"] for stage in full if stage["stage"] == "identity")
    print()
    print(
        f"landing zone {landing_mb:,.0f} MiB; warehouse {warehouse.stat().st_size / 2**20:,.0f} MiB"
    )
    print(
        f"full run       {total:8.1f} s  ({total / floor_seconds if floor_seconds else 0:.1f}x "
        f"the floor of {floor_seconds:.1f} s), peak {peak:,.0f} MiB"
    )
    print(f"identity       {identity:8.1f} s")
    share = incremental / total if total else 0
    print(f"one more day   {incremental:8.1f} s  ({share:.0%} of the full run)")
    results = {
        "persons": ns.persons,
        "days": ns.days,
        "seed": ns.seed,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "budget": {"memory_limit": budget.memory_limit, "threads": budget.threads},
        "total_seconds": round(total, 2),
        "floor_seconds": round(floor_seconds, 2),
        "ratio_to_floor": round(total / floor_seconds, 2) if floor_seconds else None,
        "peak_memory_mb": round(peak, 1),
        "identity_seconds": round(identity, 2),
        "incremental_seconds": round(incremental, 2),
        "landing_mb": round(landing_mb, 1),
        "stages": stages,
    }
    out = Path(ns.results)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{ns.persons}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    (out / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    _chart(results, out / f"{stem}.png")
    print(f"figures: {out / (stem + '.json')}; chart: {out / (stem + '.png')}")
    return 0


def _chart(results: dict, path: Path) -> None:
    """Stages of the full run and of the one-day run side by side, the floor as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(STAGES)
    seconds = {
        run: {s["stage"]: s["seconds"] for s in results["stages"] if s["run"] == run}
        for run in ("full", "incremental")
    }
    figure, axes = plt.subplots(figsize=(8, 4.5))
    positions = range(len(labels))
    axes.barh(
        [p + 0.2 for p in positions],
        [seconds["full"].get(x, 0) for x in labels],
        height=0.4,
        label=f"full run ({results['total_seconds']:.0f} s)",
    )
    axes.barh(
        [p - 0.2 for p in positions],
        [seconds["incremental"].get(x, 0) for x in labels],
        height=0.4,
        label=f"one more day ({results['incremental_seconds']:.0f} s)",
    )
    axes.axvline(
        results["floor_seconds"],
        color="black",
        linestyle="--",
        label=f"floor: DuckDB reads every file ({results['floor_seconds']:.0f} s)",
    )
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("seconds")
    axes.set_title(
        f"{results['persons']:,} persons: stage times, peak {results['peak_memory_mb']:,.0f} MiB"
    )
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    raise SystemExit(main())
