"""The command line shared by the measurement commands (``cdp-accuracy``, ``cdp-eval``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

from cdp.config import PROJECT_ROOT, Settings
from cdp.duckdb_budget import connect


def run_measurement(
    argv: list[str] | None,
    *,
    prog: str,
    description: str,
    truth_files: tuple[str, ...],
    not_built: str,
    measure_and_report: Callable[[duckdb.DuckDBPyConnection, Path], str],
) -> int:
    """Parse ``--warehouse`` and ``--truth``, check they exist, open the warehouse read-only,
    and print what ``measure_and_report`` returns. Exit code 2, with a message, when an input
    is missing or the layer being measured has not been built (``not_built``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=f"{description} (measurement only; the pipeline never reads the truth).",
    )
    parser.add_argument("--warehouse", type=Path, default=Settings.from_env().warehouse)
    parser.add_argument("--truth", type=Path, default=PROJECT_ROOT / "data" / "truth")
    args = parser.parse_args(argv)
    for path in (args.warehouse, *(args.truth / name for name in truth_files)):
        if not path.exists():
            print(f"{prog}: {path} does not exist (run `make run` first)", file=sys.stderr)
            return 2
    con = connect(str(args.warehouse), read_only=True)
    try:
        print(measure_and_report(con, args.truth))
    except duckdb.CatalogException as error:
        print(f"{prog}: {not_built}: {error}", file=sys.stderr)
        return 2
    finally:
        con.close()
    return 0
