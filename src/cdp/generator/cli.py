"""``cdp-generate``: write synthetic source exports and their ground truth."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from .engine import LandingNotEmptyError, generate
from .scenarios import SCENARIOS


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {s!r}") from e


def _positive(s: str) -> int:
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError("must be >= 1")
    return v


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="cdp-generate",
        description="Generate the Cucina Viva source exports (DIR/landing) and the ground truth "
        "(DIR/truth). Same arguments give byte-identical files.",
    )
    ap.add_argument("--persons", type=_positive, default=5000, help="number of persons (5000)")
    ap.add_argument("--days", type=_positive, default=30, help="export days (30)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (42)")
    ap.add_argument("--out", default="data", help="output directory (data)")
    ap.add_argument(
        "--end-date",
        type=_date,
        default=None,
        help="last complete export day, YYYY-MM-DD (default: today, UTC)",
    )
    ap.add_argument(
        "--force", action="store_true", help="delete DIR/landing and DIR/truth first if they exist"
    )
    ap.add_argument(
        "--scenario",
        choices=list(SCENARIOS),
        default="default",
        help="default (the sample), or data made to look like outside data: contact_free (no "
        "e-mail, phone or handle), typo_copies (typo'd CRM copies of one person), movers "
        "(moves and surname changes); see docs/generator.md",
    )
    ap.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="processes (default: one per core); the files do not depend on it",
    )
    ap.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = ap.parse_args(argv)
    try:
        s = generate(
            args.persons,
            args.days,
            args.seed,
            args.out,
            end_date=args.end_date,
            progress=not args.quiet,
            force=args.force,
            scenario=args.scenario,
            workers=args.workers,
        )
    except LandingNotEmptyError as e:
        print(f"cdp-generate: refusing to write: {e}", file=sys.stderr)
        return 2
    per_source: dict[str, int] = {}
    for key, n in s["rows"].items():
        src = key.split("/")[0]
        per_source[src] = per_source.get(src, 0) + n
    rows = ", ".join(f"{k}={v:,}" for k, v in per_source.items())
    if not args.quiet:
        print(
            f"cdp-generate: resent folders: {', '.join(s['resent']) or 'none'}; "
            f"incomplete folder: {s['incomplete_folder']}",
            file=sys.stderr,
        )
    print(
        f"cdp-generate: wrote {s['files']:,} files ({s['landing_bytes'] / 1e6:,.1f} MB) "
        f"for {s['persons']:,} persons x {s['days']} days to {args.out}"
        f"{'' if args.scenario == 'default' else f' (scenario {args.scenario})'}; rows: {rows}; "
        f"truth records={s['truth_records']:,}; {s['seconds']:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
