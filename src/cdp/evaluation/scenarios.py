"""``cdp-eval-scenarios``: identity measured on generated data made to look like outside data.

For each scenario of the generator (``cdp-generate --scenario``; see docs/generator.md): the
exports and their truth are generated into ``<out>/scenario-<name>/`` (once: again only when
the arguments change), loaded and built by staging, intermediate (identity) and the two customer
marts in a warehouse of their own (``cdp.evaluation.outside.build``), and measured against the
truth beside a plain Splink model on the same records (``cdp.evaluation.identity``). At the end,
one table of every scenario. The pipeline never reads the truth.

    cdp-eval-scenarios --only default,contact_free --persons 2000 --days 7 --out data/eval
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cdp.duckdb_budget import connect
from cdp.generator.scenarios import SCENARIOS

SCENARIO_NAMES = tuple(SCENARIOS)  # default, contact_free, typo_copies, movers
SEED = 42
END_DATE = date(2026, 11, 30)  # fixed, so that the same arguments give the same exports
# Staging and identity, and the marts the golden records are measured on.
SELECT = ("staging", "intermediate", "customer_source_records", "customer_profiles")


@dataclass(frozen=True)
class Run:
    """Where one scenario's exports, truth, warehouse and dbt files live."""

    name: str
    work: Path

    @property
    def landing(self) -> Path:
        return self.work / "landing"

    @property
    def truth(self) -> Path:
        return self.work / "truth"

    @property
    def warehouse(self) -> Path:
        return self.work / "warehouse.duckdb"

    @property
    def target(self) -> Path:
        return self.work / "dbt_target"

    @property
    def marker(self) -> Path:
        """The arguments the exports were generated with."""
        return self.work / "generated.json"


def scenario_run(out: Path, name: str) -> Run:
    return Run(name, out.absolute() / f"scenario-{name}")


def _scenarios(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown scenario {', '.join(unknown) or '(none)'}; one or more of: "
            + ", ".join(SCENARIO_NAMES)
        )
    return names


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return number


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cdp-eval-scenarios", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        type=_scenarios,
        default=SCENARIO_NAMES,
        help=f"comma-separated scenarios (default: all: {','.join(SCENARIO_NAMES)})",
    )
    parser.add_argument("--persons", type=_positive, default=2000, help="persons (2000)")
    parser.add_argument("--days", type=_positive, default=7, help="export days (7)")
    parser.add_argument("--out", type=Path, default=Path("data/eval"), help="(data/eval)")
    return parser.parse_args(argv)


def ensure_generated(run: Run, persons: int, days: int) -> bool:
    """Generate the scenario's exports unless they are there from the same arguments; whether
    it generated them."""
    from cdp.generator.engine import generate

    wanted = {
        "scenario": run.name,
        "persons": persons,
        "days": days,
        "seed": SEED,
        "end_date": END_DATE.isoformat(),
    }
    if (
        run.landing.is_dir()
        and run.marker.is_file()
        and json.loads(run.marker.read_text()) == wanted
    ):
        return False
    run.work.mkdir(parents=True, exist_ok=True)
    run.marker.unlink(missing_ok=True)
    generate(
        persons, days, SEED, str(run.work), end_date=END_DATE, progress=False, force=True,
        scenario=run.name,
    )  # fmt: skip
    run.marker.write_text(json.dumps(wanted, indent=1) + "\n")
    return True


BASELINE_CLUSTERS = "baseline_clusters"  # the temporary table plain_splink leaves on con


def _baseline_clusters(con) -> str:
    """The plain Splink model's clusters that ``measure_beside_baseline`` left on ``con``, or
    computed again if they are not there."""
    import duckdb

    try:
        con.execute(f"select record_key, cluster_id from {BASELINE_CLUSTERS} limit 0")
    except duckdb.CatalogException:
        from cdp.evaluation.baseline import plain_splink

        return plain_splink(con, log=print)
    return BASELINE_CLUSTERS


def evaluate(run: Run) -> tuple[str, dict, dict]:
    """What ``cdp-eval`` prints for the built warehouse (``measure_beside_baseline``: the
    platform beside the plain Splink model, the refusals and the threshold curve), and the
    figures of the two for the closing table."""

    from cdp.evaluation.identity import measure, measure_beside_baseline

    # dbt-duckdb, in this process, still holds the file open: the same configuration then.
    con = connect(str(run.warehouse))
    try:
        text = measure_beside_baseline(con, run.truth)
        figures = measure(con, run.truth)
        baseline = measure(
            con,
            run.truth,
            resolved=f"select record_key, cluster_id as customer_id from {_baseline_clusters(con)}",
        )
    finally:
        con.close()
    return text, figures, baseline


TABLE_FIGURES = (
    ("precision", "precision"),
    ("recall", "recall"),
    ("F1", "f1"),
    ("join.rec", "recall_of_joinable"),
    ("named F1", "named_f1"),
    ("evid. F1", "evidenced_f1"),
)


def table(results: list[tuple[str, dict, dict]]) -> str:
    """One line per scenario: records, then precision, recall, F1 and recall of joinable pairs
    of the pipeline and of the plain Splink model."""
    cells = "".join(f"{label:>10}" for label, _ in TABLE_FIGURES)
    width = 10 * len(TABLE_FIGURES)
    lines = [
        f"{'':<14}{'':>9}  {'pipeline':<{width}}  {'plain Splink'}",
        f"{'scenario':<14}{'records':>9}  {cells}  {cells}",
    ]
    for name, figures, baseline in results:
        row = f"{name:<14}{figures['evaluated_records']:>9,}  "
        row += "".join(f"{figures[key]:>10.4f}" for _, key in TABLE_FIGURES) + "  "
        row += "".join(f"{baseline[key]:>10.4f}" for _, key in TABLE_FIGURES)
        lines.append(row)
    lines.append(
        "(pairwise precision, recall and F1; join.rec: recall of the true pairs that share a "
        "chain of identifiers; named F1: F1 among the records that carry a name; evid. F1: "
        "among those that carry a birth date or a postcode besides)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from cdp.evaluation.outside import build

    args = parse_args(argv)
    results = []
    for name in args.only:
        run = scenario_run(args.out, name)
        made = ensure_generated(run, args.persons, args.days)
        print(
            f"== scenario {name}: {args.persons:,} persons x {args.days} days (seed {SEED}, "
            f"ending {END_DATE}) in {run.work} ({'generated' if made else 'already there'})",
            flush=True,
        )
        build(run.landing, run.warehouse, run.target, select=SELECT)
        text, figures, baseline = evaluate(run)
        print(text, flush=True)
        print(flush=True)
        results.append((name, figures, baseline))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
