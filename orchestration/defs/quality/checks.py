"""The expectation suites of ``cdp.quality.suites`` as Dagster asset checks.

One multi-asset check per gate, each a single step that yields one result per suite:

``quality_raw``               the raw loads; never blocks (a stale source is red on the site,
                              and the rest of the pipeline still runs on what arrived)
``quality_staging_identity``  staging models and identity tables; **blocking**: a failed
                              error-level check stops the marts (and everything after them)
                              in the same run, warnings do not
``quality_marts``             the marts; reported, never blocking

A check fails with severity ERROR when an error-level expectation failed, WARN when only
warning-level ones did. Its metadata lists every expectation of the suite as a table (result,
severity, kind, rows failing), the failed ones first; it never holds a failing value.
"""

from datetime import UTC, datetime

import dagster as dg

from cdp.quality.checks import Suite
from cdp.quality.suites import build_suites
from cdp.quality.validate import SuiteResult
from orchestration.resources import DataQuality

CHECK_NAME = "great_expectations"
SEVERITIES = ("warn", "error")
GATES = {
    "quality_raw": (("raw",), False),
    "quality_staging_identity": (("staging", "intermediate"), True),
    "quality_marts": (("marts",), False),
}


EXPECTATION_COLUMNS = dg.TableSchema(
    columns=[
        dg.TableColumn("result", "string", description="passed, or failed"),
        dg.TableColumn("severity", "string", description="error or warn"),
        dg.TableColumn("kind", "string", description="freshness, completeness, validity, ..."),
        dg.TableColumn("check", "string", description="what the expectation asks"),
        dg.TableColumn("rows_failing", "int", description="rows that broke it (no values)"),
        dg.TableColumn("note", "string", description="why it could not be evaluated, if so"),
    ]
)


def expectations_table(result: SuiteResult) -> dg.TableMetadataValue:
    """Every expectation of the suite as a row, the failed ones first: the check's page in the
    UI reads at a glance. Counts only, never a failing value."""
    rows = sorted(result.results, key=lambda r: (r.success, r.severity != "error"))
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    "result": "passed" if r.success else "failed",
                    "severity": r.severity,
                    "kind": r.kind,
                    "check": r.description,
                    "rows_failing": r.unexpected_count or 0,
                    "note": r.evaluation_error or "",
                }
            )
            for r in rows
        ],
        schema=EXPECTATION_COLUMNS,
    )


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
            "expectations": expectations_table(result),
            "seconds": round(result.seconds, 2),
            "quality_site": dg.MetadataValue.path(docs),
        },
    )


def gate_summary(name: str, results: list[SuiteResult]) -> str:
    """One console line for a gate: its suites and expectations, and what failed."""
    checks = sum(len(result.results) for result in results)
    failed = {s: sum(len(result.failed(s)) for result in results) for s in SEVERITIES}
    seconds = sum(result.seconds for result in results)
    return (
        f"{name}: {len(results)} suites, {checks - sum(failed.values())} of {checks} "
        f"expectations passed, {failed['warn']} warned, {failed['error']} failed ({seconds:.1f} s)"
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
        # a line per suite at DEBUG; the console gets the gate's line and each suite that failed
        results = quality.validate(run, selected, run_id=context.run.run_id, log=context.log.debug)
        docs = str(run.docs_dir / "quality" / "index.html")
        context.log.info(gate_summary(name, results))
        for result in results:
            if result.status != "pass":
                context.log.warning(
                    f"{result.suite.name}: {result.status}: "
                    + "; ".join(
                        f"{r.description} ({r.unexpected_count or 0:,} rows)"
                        for r in result.results
                        if not r.success
                    )
                    + f" (see {docs})"
                )
            yield _result(dg.AssetKey(list(result.suite.asset_key)), result, docs)

    return _check


def _suites_of(layers: tuple[str, ...]) -> list[Suite]:
    # The clock only changes thresholds, not which tables are checked.
    return [s for s in build_suites({}, datetime.now(UTC)) if s.layer in layers]


quality_checks = [
    gate(name, _suites_of(layers), blocking) for name, (layers, blocking) in GATES.items()
]
