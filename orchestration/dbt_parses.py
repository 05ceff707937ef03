"""dbt's parse of the project, kept between the dbt steps that run with the same vars.

dbt parses the whole project again (about 5 s here) when the vars or the profile it runs with
differ from those of the parse it finds in its target folder. `make dbt-parse` parses with the
default warehouse, so each dbt step of a run over any other warehouse (a test's, an
evaluation's, the benchmark's, `make full-refresh`'s extra var) would parse in full: three
times a run. ``invoke`` starts each step from the parse the last step with the same vars left,
and ``keep_parse`` keeps the step's own; dbt itself decides whether a parse still holds (files,
vars, profile), so a stale one only costs the full parse it would have cost anyway.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Sequence
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from cdp.config import DBT_PROJECT_DIR

PARTIAL_PARSE = "partial_parse.msgpack"
# Parses kept (2 MB each): the newest, one per set of vars recently run with.
KEEP_PARSES = 8


def target_root() -> Path:
    """The project's target folder (``DBT_TARGET_PATH``, by default ``target``)."""
    return DBT_PROJECT_DIR / os.environ.get("DBT_TARGET_PATH", "target")


def kept_parse(args: Sequence[str]) -> Path:
    """Where the parse of a step with these ``--vars`` is kept."""
    variables = args[list(args).index("--vars") + 1] if "--vars" in args else ""
    digest = hashlib.sha256(variables.encode()).hexdigest()[:16]
    return target_root() / "parses" / f"{digest}.msgpack"


def invoke(
    dbt: DbtCliResource,
    args: Sequence[str],
    context: dg.AssetExecutionContext | None = None,
    *,
    raise_on_error: bool = True,
) -> DbtCliInvocation:
    """``dbt.cli(args)`` in a target folder of its own that starts from the kept parse of
    these vars, when there is one (else dagster-dbt copies the project's)."""
    target = target_root() / f"dbt-{uuid.uuid4().hex[:12]}"
    kept = kept_parse(args)
    if kept.exists():
        target.mkdir(parents=True)
        shutil.copy(kept, target / PARTIAL_PARSE)
    return dbt.cli(list(args), context=context, target_path=target, raise_on_error=raise_on_error)


def keep_parse(invocation: DbtCliInvocation, args: Sequence[str]) -> None:
    """Keep the parse ``invocation`` wrote for the next step with the same vars (replaced
    whole, so a step reading it at the same time reads the old one or the new one)."""
    parsed = Path(invocation.target_path) / PARTIAL_PARSE
    if not parsed.exists():
        return
    kept = kept_parse(args)
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(f"{kept.name}.{uuid.uuid4().hex[:8]}.tmp")
    shutil.copy(parsed, partial)
    os.replace(partial, kept)
    older = sorted(kept.parent.glob("*.msgpack"), key=_modified, reverse=True)[KEEP_PARSES:]
    for path in older:
        path.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # removed meanwhile by another run
        return 0.0


def succeeded(invocation: DbtCliInvocation, args: Sequence[str]) -> None:
    """After a step dbt finished without error: its parse is kept for the next step with the
    same vars, and its own target folder (compiled SQL, run results, dbt.log; 9 MB on the
    sample) goes. A failed step keeps its folder for whoever looks into it."""
    keep_parse(invocation, args)
    forget_target(Path(invocation.target_path))


def forget_target(target: Path) -> None:
    """Remove a dbt invocation's own target folder: one inside the project's target folder,
    never that itself."""
    if target.resolve().parent == target_root().resolve() and target.is_dir():
        shutil.rmtree(target, ignore_errors=True)
