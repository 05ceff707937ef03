"""dbt test results, kept per pipeline run for the stakeholder page.

dbt writes what each invocation did to ``run_results.json`` in its target folder, and what each
test is to ``manifest.json``. ``record_invocation`` reads both after a ``dbt build`` step and
appends one row per data test to ``audit.dbt_test_results``: the test, the model and column it
tests, its severity, its status (``pass``, ``warn``, ``fail``, ``error`` or ``skipped``), how
many rows it found, dbt's message, and two plain sentences, what the test checks and what its
result means. The results of the newest ``keep_runs`` runs are kept, as the check results are.

A test's ``description`` or ``meta.explanation`` in the dbt yml is what it checks, when given;
otherwise the sentence is made from the test's type (unique, not_null, relationships,
accepted_values and the project's generic tests in ``dbt_project/tests/generic``), column and
model. Rows hold counts and names only, never a tested value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from cdp.duckdb_budget import connect
from cdp.warehouse import insert_records, table_exists

DBT_RESULTS_TABLE = "audit.dbt_test_results"
STATUSES = ("pass", "warn", "fail", "error", "skipped")

# Words written in capitals when a table or column name is said in plain words.
_CAPITALS = {"crm": "CRM", "nps": "NPS", "csat": "CSAT", "rfm": "RFM", "eur": "EUR", "fx": "FX",
             "id": "ID", "ids": "IDs", "sms": "SMS", "e164": "E.164", "utc": "UTC"}  # fmt: skip
_LAYER_PREFIXES = ("stg_", "int_")


@dataclass(frozen=True)
class DbtTestResult:
    """One data test of one dbt invocation."""

    run_id: str
    recorded_at: datetime
    invocation_id: str | None
    unique_id: str
    test_name: str
    test_type: str  # unique, not_null, relationships, ..., or "singular"
    model: str | None  # the model, seed or source it tests
    column_name: str | None
    severity: str  # error or warn
    status: str  # pass, warn, fail, error or skipped
    failures: int | None  # rows (or values) the test found
    message: str | None
    checks: str  # what the test checks, in plain words
    outcome: str  # what its result means, in plain words


def plain_name(identifier: str | None) -> str:
    """A table or column name in words: ``stg_shop__orders`` is "shop orders",
    ``account_id`` "account ID"."""
    if not identifier:
        return "the table"
    name = identifier.split(".")[-1]
    for prefix in _LAYER_PREFIXES:
        name = name.removeprefix(prefix)
    words = [w for w in re.split(r"_+", name) if w]
    return " ".join(_CAPITALS.get(w, w) for w in words)


def _a(noun: str) -> str:
    """``noun`` with its indefinite article: "an order ID", "a customer ID"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _referenced(expression: Any) -> str | None:
    """The model named by ``ref('x')`` or the table by ``source('s', 't')``."""
    if not isinstance(expression, str):
        return None
    names = re.findall(r"['\"]([^'\"]+)['\"]", expression)
    if not names:
        return None
    return f"{names[0]}__{names[-1]}" if expression.strip().startswith("source") else names[-1]


def _listed(values: Any, limit: int = 6) -> str:
    values = list(values) if isinstance(values, list | tuple) else [values]
    shown = ", ".join(str(v).lower() if isinstance(v, bool) else str(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def what_it_checks(node: Mapping[str, Any], model: str | None) -> str:
    """What a dbt test checks, in one plain sentence: its description or ``meta.explanation``
    when the yml gives one, else a sentence made from its type, column and model."""
    meta = {**(node.get("meta") or {}), **((node.get("config") or {}).get("meta") or {})}
    given = meta.get("explanation") or (node.get("description") or "").strip()
    if given:
        return str(given)
    test = node.get("test_metadata") or {}
    kwargs = test.get("kwargs") or {}
    table = plain_name(model)
    column = plain_name(kwargs.get("column_name") or node.get("column_name"))
    kind = test.get("name")
    if kind == "unique":
        return f"No two rows of {table} share the same {column}."
    if kind == "unique_in_latest_batch":
        return (
            f"No two rows of {table} share the same {column}, looked up for the rows the "
            "latest run wrote (the only rows where a repeat can arise)."
        )
    if kind == "not_null":
        return f"Every row of {table} has {_a(column)}."
    if kind == "relationships":
        other = plain_name(_referenced(kwargs.get("to")))
        return (
            f"Every {column} in {table} points at {_a(plain_name(kwargs.get('field')))} "
            f"that {other} holds."
        )
    if kind == "accepted_values":
        values = kwargs.get("values") or []
        if len(values) == 1:
            return f"The {column} of every row of {table} is {_listed(values)}."
        return f"The {column} of {table} is one of: {_listed(values)}."
    if kind == "accepted_range":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is not None and high is not None:
            return f"The {column} of {table} lies between {low} and {high}."
        if low is not None:
            return f"The {column} of {table} is at least {low}."
        return f"The {column} of {table} is at most {high}."
    if kind == "expression_is_true":
        rule = f"Every row of {table} meets the rule {kwargs.get('expression')}"
        where = kwargs.get("where_clause")
        return rule + (f" (when {where})." if where else ".")
    if kind == "unique_combination":
        columns = " and ".join(plain_name(c) for c in kwargs.get("columns") or [])
        return f"No two rows of {table} share the same {columns}."
    return f"The check {node.get('name', 'without a name')} finds nothing wrong in {table}."


def what_it_means(
    status: str,
    failures: int | None,
    node: Mapping[str, Any],
    model: str | None,
    message: str | None = None,
) -> str:
    """What a test's result means, in one plain sentence."""
    if status == "pass":
        return "Holds: nothing found."
    if status == "skipped":
        return "Not run: something it depends on failed first."
    if status == "error":
        reason = (message or "").strip().splitlines()
        return "Could not be run" + (f": {reason[0][:200]}" if reason else ".")
    test = node.get("test_metadata") or {}
    kwargs = test.get("kwargs") or {}
    table = plain_name(model)
    column = plain_name(kwargs.get("column_name") or node.get("column_name"))
    count = failures or 0
    one = count == 1  # "1 row ... has", "3 rows ... have"
    kind = test.get("name")
    if kind in ("unique", "unique_in_latest_batch"):
        appear = "appears" if one else "appear"
        found = f"{_plural(count, 'value')} of {column} {appear} more than once in {table}"
    elif kind == "not_null":
        found = f"{_plural(count, 'row')} of {table} {'has' if one else 'have'} no {column}"
    elif kind == "relationships":
        other = plain_name(_referenced(kwargs.get("to")))
        field = _a(plain_name(kwargs.get("field")))
        found = (
            f"{_plural(count, 'row')} of {table} {'points' if one else 'point'} at {field} "
            f"that {other} does not hold: {'it still counts' if one else 'they still count'}, "
            "but cannot be tied to it"
        )
    elif kind == "accepted_values":
        found = f"{_plural(count, 'unexpected value')} of {column} found in {table}"
    elif kind == "accepted_range":
        has = "has" if one else "have"
        found = f"{_plural(count, 'row')} of {table} {has} {_a(column)} out of range"
    elif kind == "expression_is_true":
        found = f"{_plural(count, 'row')} of {table} {'breaks' if one else 'break'} the rule"
    elif kind == "unique_combination":
        appear = "appears" if one else "appear"
        found = f"{_plural(count, 'combination')} {appear} more than once in {table}"
    else:
        found = f"{_plural(count, 'row')} found"
    if status == "warn":
        return f"{found}. A warning: reported, nothing was stopped."
    return f"{found}. A failure: what is built from {table} was not rebuilt in this run."


def read_test_results(
    target: Path,
    run_id: str,
    manifest: Mapping[str, Any] | Path | None = None,
    recorded_at: datetime | None = None,
) -> list[DbtTestResult]:
    """The data tests of the dbt invocation whose target folder is ``target``, from its
    ``run_results.json`` and the manifest (``target/manifest.json`` unless given)."""
    target = Path(target)
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
    if manifest is None:
        manifest = target / "manifest.json"
    if not isinstance(manifest, Mapping):
        manifest = json.loads(Path(manifest).read_text(encoding="utf-8"))
    nodes = manifest.get("nodes") or {}
    recorded_at = recorded_at or datetime.now(UTC)
    invocation = (results.get("metadata") or {}).get("invocation_id")
    tests = []
    for result in results.get("results") or []:
        unique_id = result.get("unique_id") or ""
        if not unique_id.startswith("test."):
            continue  # models, seeds, snapshots; unit tests are "unit_test."
        node = nodes.get(unique_id) or {"name": unique_id.split(".")[-1]}
        test = node.get("test_metadata") or {}
        attached = node.get("attached_node") or next(
            iter((node.get("depends_on") or {}).get("nodes") or []), None
        )
        model = attached.split(".")[-1] if attached else None
        if attached and attached.startswith("source."):
            model = "__".join(attached.split(".")[-2:])
        status = str(result.get("status") or "error").lower()
        failures = result.get("failures")
        message = result.get("message")
        tests.append(
            DbtTestResult(
                run_id=run_id,
                recorded_at=recorded_at,
                invocation_id=invocation,
                unique_id=unique_id,
                test_name=node.get("name") or unique_id,
                test_type=test.get("name") or "singular",
                model=model,
                column_name=(test.get("kwargs") or {}).get("column_name")
                or node.get("column_name"),
                severity=str((node.get("config") or {}).get("severity") or "error").lower(),
                status=status,
                failures=int(failures) if isinstance(failures, int | float) else None,
                message=str(message)[:300] if message else None,
                checks=what_it_checks(node, model),
                outcome=what_it_means(status, failures, node, model, message),
            )
        )
    return tests


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``audit.dbt_test_results`` if it does not exist yet."""
    con.execute("create schema if not exists audit")
    con.execute(
        f"""
        create table if not exists {DBT_RESULTS_TABLE} (
            run_id varchar, recorded_at timestamptz, invocation_id varchar, unique_id varchar,
            test_name varchar, test_type varchar, model varchar, column_name varchar,
            severity varchar, status varchar, failures bigint, message varchar,
            checks varchar, outcome varchar
        )
        """
    )


def keep_newest_runs(con: duckdb.DuckDBPyConnection, table: str, at: str, keep_runs: int) -> int:
    """Delete from ``table`` the rows of every run but the newest ``keep_runs`` (a run's time
    is the earliest ``at`` of its rows); returns the rows deleted."""
    deleted = con.execute(
        f"""
        delete from {table}
        where run_id in (
            select run_id from {table}
            group by run_id
            order by min({at}) desc
            offset ?
        )
        returning 1
        """,
        [keep_runs],
    ).fetchall()
    return len(deleted)


def record_test_results(
    con: duckdb.DuckDBPyConnection, results: list[DbtTestResult], keep_runs: int | None = None
) -> int:
    """Append ``results`` to ``audit.dbt_test_results``, then keep the newest ``keep_runs``
    runs (as many as the check results, by default); returns the rows appended."""
    if keep_runs is None:
        from cdp.quality.run import KEEP_RUNS

        keep_runs = KEEP_RUNS
    ensure_table(con)
    appended = insert_records(con, DBT_RESULTS_TABLE, results)
    keep_newest_runs(con, DBT_RESULTS_TABLE, "recorded_at", keep_runs)
    return appended


def record_invocation(
    target: Path,
    warehouse: Path,
    run_id: str,
    manifest: Mapping[str, Any] | Path | None = None,
    keep_runs: int | None = None,
) -> int:
    """Read the test results of the dbt invocation in ``target`` and record them in the
    warehouse (opened once dbt has let it go); returns the tests recorded."""
    results = read_test_results(target, run_id, manifest)
    if not results:  # a step that ran no test leaves the warehouse alone
        return 0
    with connect(str(warehouse)) as con:
        return record_test_results(con, results, keep_runs)


def latest_test_results(
    con: duckdb.DuckDBPyConnection, known: set[str] | None = None
) -> list[dict[str, Any]]:
    """Each test's newest recorded result (only tests in ``known``, when given: the tests the
    project still declares), failures first."""
    if not table_exists(con, *DBT_RESULTS_TABLE.split(".")):
        return []
    cursor = con.execute(
        f"""
        select * from {DBT_RESULTS_TABLE}
        qualify row_number() over (partition by unique_id order by recorded_at desc) = 1
        """
    )
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    if known is not None:
        rows = [r for r in rows if r["unique_id"] in known]
    order = {"error": 0, "fail": 1, "warn": 2, "skipped": 3, "pass": 4}
    return sorted(rows, key=lambda r: (order.get(r["status"], 0), r["model"] or "", r["checks"]))
