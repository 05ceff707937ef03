"""The closing summary of a run, from the run's own events."""

import json

import dagster as dg
import pytest

from cdp.config import Settings
from orchestration.summary import RULE, dbt_test_explanations, summarize, summary_lines

PROFILES = dg.AssetKey(["marts", "customer_profiles"])
DBT_TEST = "test.cdp.relationships_orders_account_id.1a2b3c"


@dg.asset(key=["shop", "orders"])
def orders_load() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={
            "rows_loaded": 120,
            "rows_rejected": 3,
            "rows_held_back": 4,
            "files_loaded": 2,
            "files_failed": 0,
        }
    )


@dg.asset(
    key=PROFILES,
    deps=[orders_load],
    check_specs=[
        dg.AssetCheckSpec("great_expectations", asset=PROFILES),
        dg.AssetCheckSpec("relationships_orders_account_id", asset=PROFILES),
        dg.AssetCheckSpec("unique_customer_id", asset=PROFILES),
    ],
)
def profiles() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"unique_id": "model.cdp.customer_profiles", "dagster/row_count": 42},
        check_results=[
            dg.AssetCheckResult(
                check_name="great_expectations",
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"checks_run": 10, "checks_failed_warn": 1, "checks_failed_error": 0},
            ),
            dg.AssetCheckResult(
                check_name="relationships_orders_account_id",
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"unique_id": DBT_TEST, "dagster_dbt/failed_row_count": 9},
            ),
            dg.AssetCheckResult(
                check_name="unique_customer_id",
                passed=True,
                metadata={"unique_id": "test.cdp.unique_customer_id.4d5e"},
            ),
        ],
    )


@dg.asset(key=["quality", "site"], deps=[profiles])
def site() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"index": dg.MetadataValue.path("/docs/index.html")})


@dg.asset(key=["privacy", "warehouse_compacted"], deps=[site])
def compaction() -> dg.MaterializeResult:
    return dg.MaterializeResult(
        metadata={"compacted": False, "pending_erasure_entries": 5, "due_by": "2026-12-14"}
    )


@pytest.mark.integration
def test_the_summary_counts_what_the_run_recorded_and_explains_each_warning(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    DBT_TEST: {
                        "resource_type": "test",
                        "description": "Orders whose account\n  row was set aside at load.",
                    },
                    "model.cdp.customer_profiles": {"resource_type": "model", "description": "x"},
                }
            }
        )
    )
    with dg.instance_for_test() as instance:
        result = dg.materialize([orders_load, profiles, site, compaction], instance=instance)
        summary = summarize(instance, result.run_id)
    assert summary.status == "SUCCESS"
    assert (summary.rows_loaded, summary.rows_rejected, summary.files_loaded) == (120, 3, 2)
    assert summary.profiles == 42 and summary.models_built == 1
    assert summary.dbt_tests.passed == 1 and summary.dbt_tests.warned == [DBT_TEST]
    assert summary.expectations.passed == 9
    assert summary.expectations.warned == ["marts.customer_profiles"]
    assert summary.site == "/docs/index.html"

    explanations = dbt_test_explanations(manifest)
    assert explanations == {DBT_TEST: "Orders whose account row was set aside at load."}
    lines = summary_lines(summary, Settings.from_env(), explanations)
    text = "\n".join(lines)
    assert lines[0] == lines[-1] == RULE
    assert "120 rows from 2 new files; 3 rows set aside (raw._rejects); 4 held back" in text
    assert "42 customer profiles" in text
    assert "2 dbt tests: 1 passed, 1 warned, 0 failed" in text
    assert "10 quality expectations: 9 passed, 1 warned, 0 failed" in text
    warned = lines.index("    warned: relationships_orders_account_id (9 rows)")
    assert lines[warned + 1] == "      Orders whose account row was set aside at load."
    assert "/docs/index.html" in text and "make ui" in text
    assert "5 erasure-log entries: their freed bytes leave the warehouse file by 2026-12-14" in text


@pytest.mark.integration
def test_a_failed_run_names_its_failed_step(tmp_path):
    @dg.asset(key=["shop", "orders"])
    def broken() -> None:
        raise RuntimeError("the export could not be read")

    with dg.instance_for_test() as instance:
        result = dg.materialize([broken], instance=instance, raise_on_error=False)
        summary = summarize(instance, result.run_id)
    assert summary.status == "FAILURE"
    assert summary.failed_steps == ["shop__orders"]
    text = "\n".join(summary_lines(summary, Settings.from_env(), {}))
    assert "did not finish" in text and "shop__orders" in text
