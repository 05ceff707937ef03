"""The expectation suites of ``cdp.quality.suites`` as Dagster asset checks.

One multi-asset check per gate, each a single step that yields one result per suite:

``quality_raw``               the raw loads; never blocks (a stale source is red on the site,
                              and the rest of the pipeline still runs on what arrived)
``quality_staging_identity``  staging models and identity tables; **blocking**: a failed
                              error-level check stops the marts (and everything after them)
                              in the same run, warnings do not
``quality_marts``             the marts; reported, never blocking

A check fails with severity ERROR when an error-level expectation failed, WARN when only
warning-level ones did. Metadata counts the failures; it never holds a failing value.
"""

from datetime import UTC, datetime

import dagster as dg

from cdp.quality.checks import Suite
from cdp.quality.suites import build_suites
from cdp.quality.validate import SuiteResult
from orchestration.resources import DataQuality

CHECK_NAME = "great_expectations"
GATES = {
    "quality_raw": (("raw",), False),
    "quality_staging_identity": (("staging", "intermediate"), True),
    "quality_marts": (("marts",), False),
}


def _result(key: dg.AssetKey, result: SuiteResult, docs: str) -> dg.AssetCheckResult:
    failed_errors, failed_warnings = result.failed("error"), result.failed("warn")
    failures = failed_errors + failed_warnings
    return dg.AssetCheckResult(
        asset_key=key,
        check_name=CHECK_NAME,
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR if failed_errors else dg.AssetCheckSeverity.WARN,
        description=(
            f"{len(result.results) - len(failures)} of {len(result.results)} expectations "
            f"passed ({len(failed_errors)} errors, {len(failed_warnings)} warnings failed)"
        ),
        metadata={
            "checks_run": len(result.results),
            "checks_failed_error": len(failed_errors),
            "checks_failed_warn": len(failed_warnings),
            "rows_failing": sum(r.unexpected_count or 0 for r in failures),
            "failures": dg.MetadataValue.md(
                "\n".join(
                    f"- **{r.severity}** ({r.kind}) {r.description}"
                    + (f": {r.unexpected_count:,} rows" if r.unexpected_count else "")
                    + (f" (could not evaluate: {r.evaluation_error})" if r.evaluation_error else "")
                    for r in failures
                )
                or "none"
            ),
            "seconds": round(result.seconds, 2),
            "quality_site": dg.MetadataValue.path(docs),
        },
    )


def gate(name: str, suites: list[Suite], blocking: bool) -> dg.AssetChecksDefinition:
    """One multi-asset check running ``suites``, one result per suite's asset."""
    specs = [
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=dg.AssetKey(list(suite.asset_key)),
            blocking=blocking,
            description=(
                f"Great Expectations suite {suite.name}: "
                + ", ".join(sorted({c.kind for c in suite.checks}))
            ),
        )
        for suite in suites
    ]

    @dg.multi_asset_check(specs=specs, can_subset=True, name=name)
    def _check(context: dg.AssetCheckExecutionContext, quality: DataQuality):
        run = quality.run()
        by_key = run.suites()
        selected = [by_key[tuple(key.asset_key.path)] for key in context.selected_asset_check_keys]
        results = run.validate(selected, run_id=context.run.run_id, log=context.log.info)
        docs = str(run.docs_dir / "quality" / "index.html")
        for result in results:
            yield _result(dg.AssetKey(list(result.suite.asset_key)), result, docs)

    return _check


def _suites_of(layers: tuple[str, ...]) -> list[Suite]:
    # The clock only changes thresholds, not which tables are checked.
    return [s for s in build_suites({}, datetime.now(UTC)) if s.layer in layers]


quality_checks = [
    gate(name, _suites_of(layers), blocking) for name, (layers, blocking) in GATES.items()
]
