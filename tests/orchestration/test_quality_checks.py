"""The quality gates as Dagster asset checks: in the graph, and blocking what they should."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from cdp.duckdb_budget import connect
from cdp.quality.suites import build_suites
from orchestration.defs.quality.checks import CHECK_NAME, GATES, gate
from orchestration.resources import DataQuality
from tests.conftest import replace_with_table

STAGED = dg.AssetKey(["staging", "stg_crm__contacts"])
MART = dg.AssetKey(["marts", "customer_profiles"])


def test_every_suite_is_a_check_of_its_asset_and_only_staging_and_identity_block():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    checks = {key: graph.get_check_spec(key) for key in graph.asset_check_keys}
    gx = {key.asset_key: spec for key, spec in checks.items() if key.name == CHECK_NAME}
    suites = build_suites({}, datetime.now(UTC))
    assert set(gx) == {dg.AssetKey(list(s.asset_key)) for s in suites}
    for suite in suites:
        spec = gx[dg.AssetKey(list(suite.asset_key))]
        assert spec.blocking == (suite.layer in ("staging", "intermediate")), suite.name
    # Every checked asset is in the graph (raw loads, dbt models), none invented.
    assert set(gx) <= set(graph.get_all_asset_keys())
    assert set(GATES) == {"quality_raw", "quality_staging_identity", "quality_marts"}


def test_the_marts_build_after_the_staging_gate_in_a_step_of_their_own():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    staging_node = graph.get(STAGED)
    mart_node = graph.get(MART)
    assert staging_node.group_name == "staging" and mart_node.group_name == "marts"
    assets_def = {k: graph.assets_def_for_key(k).node_def.name for k in (STAGED, MART)}
    assert assets_def == {STAGED: "dbt_transform", MART: "dbt_marts"}


def _break_phone(warehouse) -> None:
    """Every contact's phone is not a number: far more than the share a flagged value may
    have, so the error-level check fails."""
    con = connect(str(warehouse))
    replace_with_table(
        con, "staging.stg_crm__contacts", "select * replace ('333 123' as phone) from {relation}"
    )
    con.close()


def _break_one_email(warehouse) -> None:
    """One contact's email is not an email: staging keeps it, flagged."""
    con = connect(str(warehouse))
    replace_with_table(
        con,
        "staging.stg_crm__contacts",
        "select * replace (case when row_number() over (order by contact_id) = 1 "
        "then 'mario.rossi@@example' else email end as email, "
        "case when row_number() over (order by contact_id) = 1 then false "
        "else is_email_valid end as is_email_valid) from {relation}",
    )
    con.close()


def _blank_emails(warehouse) -> None:
    """Half the contacts lose their email: a warning-level fill rate fails, nothing else."""
    con = connect(str(warehouse))
    replace_with_table(
        con,
        "staging.stg_crm__contacts",
        "select * replace (case when hash(contact_id) % 2 = 0 then null else email end "
        "as email) from {relation}",
    )
    con.close()


def _pipeline(warehouse, tmp_path):
    """Stand-ins for the staging model and a mart, gated by the real check of that model."""
    built = []

    @dg.asset(key=STAGED)
    def staged():
        built.append("staging")

    @dg.asset(key=MART, deps=[STAGED])
    def mart():
        built.append("marts")

    suite = [s for s in build_suites({}, datetime.now(UTC)) if s.asset_key == tuple(STAGED.path)]
    check = gate("test_gate", suite, blocking=True)
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [staged, mart, check],
            instance=instance,
            resources={
                "quality": DataQuality(
                    warehouse=str(warehouse),
                    quality_dir=str(tmp_path / "quality"),
                    docs_dir=str(tmp_path / "docs"),
                )
            },
            raise_on_error=False,
        )
    evaluations = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    return result, built, evaluations


@pytest.mark.integration
def test_a_failed_error_check_on_staging_blocks_the_marts(warehouse_copy, tmp_path):
    _break_phone(warehouse_copy)
    result, built, evaluations = _pipeline(warehouse_copy, tmp_path)
    assert not result.success
    assert built == ["staging"], "the mart was built after a failed blocking check"
    (evaluation,) = evaluations
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["checks_failed_error"].value == 1
    # Every expectation is a row of the check's table, the failed one first, counts only.
    rows = [record.data for record in evaluation.metadata["expectations"].records]
    assert len(rows) == evaluation.metadata["checks_run"].value
    assert rows[0]["result"] == "failed" and rows[0]["severity"] == "error"
    assert rows[0]["rows_failing"] >= 1
    failed = [row for row in rows if row["result"] == "failed"]
    assert rows[: len(failed)] == failed
    assert len(failed) == sum(
        evaluation.metadata[f"checks_failed_{severity}"].value for severity in ("error", "warn")
    )
    # The site was rebuilt and shows the failure.
    overview = (tmp_path / "docs" / "quality" / "index.html").read_text(encoding="utf-8")
    assert 'data-layer="staging" data-source="crm" data-status="error"' in overview


@pytest.mark.integration
def test_one_invalid_email_warns_and_blocks_nothing(warehouse_copy, tmp_path):
    """One flagged value in one row used to fail the blocking check and stop the marts and
    the exports for everyone."""
    _break_one_email(warehouse_copy)
    result, built, evaluations = _pipeline(warehouse_copy, tmp_path)
    assert result.success
    assert built == ["staging", "marts"]
    (evaluation,) = evaluations
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["checks_failed_error"].value == 0
    assert evaluation.metadata["rows_failing"].value == 1


@pytest.mark.integration
def test_a_failed_warning_does_not_block(warehouse_copy, tmp_path):
    _blank_emails(warehouse_copy)
    result, built, evaluations = _pipeline(warehouse_copy, tmp_path)
    assert result.success
    assert built == ["staging", "marts"]
    (evaluation,) = evaluations
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["checks_failed_error"].value == 0
