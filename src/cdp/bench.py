"""``cdp-bench``: time and peak memory of generating, loading and staging a data set.

Each step runs in a child process so that its peak resident memory is its own (``wait4``).
The staging step (``dbt seed``, ``dbt run`` of staging) also prints the throughput of the
Python phone function on every raw phone; the identity step runs identity resolution and the
profile marts. Both print their slowest models.

    cdp-bench --persons 100000 --days 30
    cdp-bench components --records 1000000   # identity's connected components alone
"""

from __future__ import annotations

import argparse
import json
import os
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
    import duckdb

    from cdp.ingest.loader import load_landing_zone
    from cdp.sources import SOURCE_FILES

    con = duckdb.connect(ns.warehouse)
    reports = load_landing_zone(con, Path(ns.landing), SOURCE_FILES, log=lambda m: None)
    con.close()
    print(
        json.dumps(
            {
                "rows_loaded": sum(r.rows_loaded for r in reports),
                "rows_rejected": sum(r.rows_rejected for r in reports),
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


STAGING = ["staging", "standardization_report"]
IDENTITY = ["intermediate", "marts", "identity_quality", "identity_skipped_joins"]


def _step_dbt(ns: argparse.Namespace) -> None:
    import duckdb
    from dbt.cli.main import dbtRunner

    from cdp.config import DBT_PROJECT_DIR, PROJECT_ROOT
    from cdp.standardize.duckdb_udfs import register
    from cdp.standardize.phones import to_e164

    os.environ["CDP_WAREHOUSE"] = ns.warehouse
    common = [
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", ns.target,
        "--log-path", ns.target,
        "--quiet",
    ]  # fmt: skip
    runner = dbtRunner()
    models = []
    started = time.perf_counter()
    commands = [["run", "--select", *ns.select]]
    if ns.seed_first:
        commands.insert(0, ["seed"])
    for command in commands:
        result = runner.invoke([*command, *common])
        if not result.success:
            raise SystemExit(f"dbt {command[0]} failed: {result.exception}")
        models += [(r.node.name, r.execution_time) for r in result.result]
    dbt_seconds = time.perf_counter() - started
    figures = {"dbt_seconds": dbt_seconds, "models": sorted(models, key=lambda m: -m[1])}
    if not ns.phones:
        print(json.dumps(figures))
        return

    # The phone function alone, on every raw phone, with an empty cache.
    con = duckdb.connect(ns.warehouse)
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
    import duckdb

    from cdp.identity.components import connected_components

    con = duckdb.connect()
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
    table, rounds = connected_components(con, "select left_node, right_node from edges")
    seconds = time.perf_counter() - started
    nodes, components = con.execute(
        f"select count(*), count(distinct component) from {table}"
    ).fetchall()[0]
    print(
        json.dumps(
            {"seconds": seconds, "rounds": rounds, "nodes": nodes, "edges": edges,
             "components": components}
        )
    )  # fmt: skip


def _components_benchmark(records: int) -> int:
    seconds, peak_mb, figures = _run_step(["components", f"--records={records}", "--in-process"])
    print(
        f"connected components: {figures['nodes']:,} nodes, {figures['edges']:,} edges, "
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
    stage = sub.add_parser("dbt")
    stage.add_argument("--warehouse", required=True)
    stage.add_argument("--target", required=True)
    stage.add_argument("--select", nargs="+", required=True)
    stage.add_argument("--seed-first", action="store_true", help="dbt seed before the run")
    stage.add_argument("--phones", action="store_true", help="then time the phone function")
    components = sub.add_parser(
        "components", help="time identity's connected components on a synthetic graph"
    )
    components.add_argument("--records", type=int, default=1_000_000)
    components.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dir", default="data/bench", help="work folder (emptied first)")
    ns = parser.parse_args(argv)

    if ns.step == "generate":
        _step_generate(ns)
        return 0
    if ns.step == "load":
        _step_load(ns)
        return 0
    if ns.step == "dbt":
        _step_dbt(ns)
        return 0
    if ns.step == "components":
        if ns.in_process:
            _step_components(ns)
            return 0
        return _components_benchmark(ns.records)

    work = Path(ns.dir).absolute() / f"p{ns.persons}_d{ns.days}_s{ns.seed}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "warehouse.duckdb"
    print(f"benchmark: {ns.persons} persons, {ns.days} days, seed {ns.seed}, in {work}")
    print(f"{'step':<22}{'seconds':>10}{'peak RSS MiB':>14}")

    def step(label: str, args: list[str]) -> dict:
        seconds, peak_mb, output = _run_step(args)
        print(f"{label:<22}{seconds:>10.1f}{peak_mb:>14.0f}", flush=True)
        return output

    step(
        "generate",
        [
            "generate",
            f"--persons={ns.persons}",
            f"--days={ns.days}",
            f"--seed={ns.seed}",
            f"--out={work}",
        ],
    )
    landing_mb = _folder_size(work / "landing") / 2**20
    load_args = ["load", f"--landing={work / 'landing'}", f"--warehouse={warehouse}"]
    loaded = step("raw load", load_args)
    step("reload (no change)", load_args)
    dbt_args = ["dbt", f"--warehouse={warehouse}", f"--target={work / 'dbt_target'}"]
    staged = step("staging (dbt)", [*dbt_args, "--seed-first", "--phones", "--select", *STAGING])
    resolved = step("identity (dbt)", [*dbt_args, "--select", *IDENTITY])
    warehouse_mb = warehouse.stat().st_size / 2**20
    print()
    print(f"landing zone   {landing_mb:,.0f} MiB")
    print(f"warehouse      {warehouse_mb:,.0f} MiB")
    print(
        f"rows loaded    {loaded.get('rows_loaded', 0):,} "
        f"(rejected {loaded.get('rows_rejected', 0):,}; files {loaded.get('files', 0)}, "
        f"failed {loaded.get('failed', 0)})"
    )
    print()
    for label, figures in (("staging", staged), ("identity", resolved)):
        print(f"dbt {label}: {figures['dbt_seconds']:.1f} s; slowest models:")
        for name, seconds in figures["models"][:6]:
            print(f"  {name:<40}{seconds:>8.1f} s")
    phones, seconds = staged["phones"], staged["phone_seconds"]
    print(
        f"phone_to_e164 on every raw phone: {phones:,} phones "
        f"({staged['distinct_phones']:,} distinct, {staged['valid_phones']:,} valid) "
        f"in {seconds:.1f} s, {phones / seconds if seconds else 0:,.0f} phones/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
