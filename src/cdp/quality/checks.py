"""The vocabulary of quality checks: one ``Check`` is one Great Expectations expectation with
the kind of question it answers and how much its failure matters.

Kinds, as the overview page groups them:
``freshness``     is the data recent enough for its source's SLA?
``completeness``  did every row arrive and reconcile, and are required attributes filled?
``validity``      are formats, ranges, accepted values and keys right?
``identity``      are customer profiles of a sane size, and is every record resolved?

Severities: ``error`` fails the asset check with severity ERROR (on staging and identity it
blocks the marts downstream); ``warn`` fails it with severity WARN and blocks nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

Kind = Literal["freshness", "completeness", "validity", "identity"]
Severity = Literal["error", "warn"]
# ``all``: the check reads the whole table. ``new``: a row-by-row rule read only on the rows
# loaded since the check last ran without an error (see ``Suite.loaded_at``), so its cost
# grows with the day's delivery, not with the history.
Rows = Literal["all", "new"]
KINDS: tuple[Kind, ...] = ("freshness", "completeness", "validity", "identity")

# GX's severities for ours: only what we call an error is critical to GX.
GX_SEVERITY = {"error": "critical", "warn": "warning"}

# A value that staging keeps and flags (an email that is not one, a phone that is no number)
# is a warning: one bad row never stops everyone's marts. Only when more than this share of
# the rows is flagged is it an error, since then an export or a rule is broken, not a row.
FLAGGED_ERROR_SHARE = 0.01

EMAIL_REGEX = r"^[a-z0-9._%+'-]+@[a-z0-9.-]+\.[a-z]{2,}$"
E164_REGEX = r"^\+[1-9][0-9]{6,14}$"


@dataclass(frozen=True)
class Check:
    """One expectation: ``expectation`` is a GX class name in ``great_expectations.expectations``
    and ``kwargs`` its arguments; ``description`` is the sentence a stakeholder reads."""

    kind: Kind
    severity: Severity
    description: str
    expectation: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    rows: Rows = "all"


@dataclass(frozen=True)
class Suite:
    """The checks of one table, run as one asset check on the asset that builds it."""

    layer: str
    source: str
    schema: str
    table: str
    asset_key: tuple[str, ...]
    checks: tuple[Check, ...]
    # Failing error-level checks stop downstream assets in the same run.
    blocking: bool = False
    # The column that says when a row was loaded: checks on ``new`` rows read only the rows
    # loaded after the check last ran without an error.
    loaded_at: str | None = None

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"


def worst_status(outcomes: Iterable[tuple[bool, str]]) -> str:
    """The status of a set of check outcomes ``(success, severity)``: ``error`` when an
    error-level check failed, else ``warn`` when any failed, else ``pass``; ``none`` when
    nothing was checked."""
    outcomes = list(outcomes)
    failed = {severity for success, severity in outcomes if not success}
    if "error" in failed:
        return "error"
    if failed:
        return "warn"
    return "pass" if outcomes else "none"


# --- builders: each returns one check, worded for the overview page --------------------------


def row_count_at_least(minimum: int, severity: Severity = "error") -> Check:
    return Check(
        "completeness",
        severity,
        f"holds at least {minimum:,} row{'s' if minimum != 1 else ''}",
        "ExpectTableRowCountToBeBetween",
        {"min_value": minimum},
    )


def not_null(column: str, severity: Severity = "error") -> Check:
    return Check(
        "completeness",
        severity,
        f"`{column}` is always filled",
        "ExpectColumnValuesToNotBeNull",
        {"column": column},
    )


def filled_at_least(column: str, rate: float, severity: Severity = "warn") -> Check:
    return Check(
        "completeness",
        severity,
        f"`{column}` is filled in at least {rate:.0%} of rows",
        "ExpectColumnValuesToNotBeNull",
        {"column": column, "mostly": rate},
    )


def matches(column: str, regex: str, what: str, severity: Severity = "error") -> Check:
    return Check(
        "validity",
        severity,
        f"`{column}` is {what}",
        "ExpectColumnValuesToMatchRegex",
        {"column": column, "regex": regex},
    )


def kept_and_flagged(check: Check) -> tuple[Check, Check]:
    """A validity check on a value that is kept and flagged, as two: a warning for any failing
    row, and an error when more than ``FLAGGED_ERROR_SHARE`` of the rows fail."""
    most = 1 - FLAGGED_ERROR_SHARE
    return (
        replace(check, severity="warn"),
        replace(
            check,
            severity="error",
            description=f"{check.description} in at least {most:.0%} of rows",
            kwargs={**check.kwargs, "mostly": most},
        ),
    )


def in_set(column: str, values: list[Any], what: str, severity: Severity = "warn") -> Check:
    return Check(
        "validity",
        severity,
        f"`{column}` is {what}",
        "ExpectColumnValuesToBeInSet",
        {"column": column, "value_set": list(values)},
    )


def between(
    column: str,
    minimum: Any = None,
    maximum: Any = None,
    what: str | None = None,
    severity: Severity = "warn",
) -> Check:
    if what is None:
        bounds = [f"at least {minimum}" if minimum is not None else None]
        bounds.append(f"at most {maximum}" if maximum is not None else None)
        what = " and ".join(b for b in bounds if b)
    return Check(
        "validity",
        severity,
        f"`{column}` is {what}",
        "ExpectColumnValuesToBeBetween",
        {"column": column, "min_value": minimum, "max_value": maximum},
    )


def not_in_future(column: str, now: datetime, severity: Severity = "warn") -> Check:
    # A day of slack: sources stamp local times and clocks drift.
    limit: date | datetime = now.date() if column.endswith(("_date", "_on")) else now
    return Check(
        "validity",
        severity,
        f"`{column}` is not in the future",
        "ExpectColumnValuesToBeBetween",
        {"column": column, "max_value": _plus_a_day(limit)},
    )


def newest_at_least(
    column: str, oldest_allowed: date | datetime, what: str, severity: Severity
) -> Check:
    return Check(
        "freshness",
        severity,
        what,
        "ExpectColumnMaxToBeBetween",
        {"column": column, "min_value": oldest_allowed},
    )


# In the query of a custom-SQL check on ``new`` rows, the moment after which rows are new (a
# timestamp literal; before every row when the check never ran without an error).
LOADED_AFTER = "{loaded_after}"


def no_rows_from(query: str, kind: Kind, description: str, severity: Severity = "error") -> Check:
    """Fails when ``query`` returns rows; ``{batch}`` in it is the table under test (and, in a
    check on ``new`` rows, ``LOADED_AFTER`` the moment after which rows are new). The query
    must select only keys or counts, never personal data."""
    return Check(
        kind,
        severity,
        description,
        "UnexpectedRowsExpectation",
        {"unexpected_rows_query": query, "description": description},
    )


def on_new_rows(checks: Iterable[Check]) -> list[Check]:
    """Row-by-row checks, read only on the rows loaded since each last ran without an error
    (a column check through a row condition on ``Suite.loaded_at``, a custom-SQL check through
    ``LOADED_AFTER`` in its query). A check on a share of the rows (``mostly``) still reads
    the whole table: a share of a small delivery says little, and one bad row of twenty would
    fail it."""
    return [check if "mostly" in check.kwargs else replace(check, rows="new") for check in checks]


def _plus_a_day(moment: date | datetime) -> date | datetime:
    from datetime import timedelta

    return moment + timedelta(days=1)
