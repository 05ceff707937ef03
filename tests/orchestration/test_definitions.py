"""The Dagster code location: its assets, and a real materialization on a tiny landing zone."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pytest

from cdp.sources import SOURCE_FILES
from orchestration.defs.ingest.assets import landing_reconciled, raw_load_assets
from orchestration.defs.ingest.partitions import export_dates
from orchestration.resources import DuckDBWarehouse, LandingZone
from tests.conftest import write_export


def test_definitions_load_with_one_raw_asset_per_source_file():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    raw = {
        k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).group_name == "raw"
    }
    assert raw == {f"{s.source}/{s.entity}" for s in SOURCE_FILES}


def test_dbt_staging_models_hang_off_the_raw_loads():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    campaigns = dg.AssetKey(["staging", "stg_marketing__campaigns"])
    assert graph.get(campaigns).group_name == "staging"
    # its raw load, and the privacy purge that runs between the loads and staging
    assert graph.get(campaigns).parent_keys == {
        dg.AssetKey(["marketing", "campaigns"]),
        dg.AssetKey(["privacy", "purge"]),
    }
    purge = graph.get(dg.AssetKey(["privacy", "purge"]))
    assert {dg.AssetKey(spec.asset_key) for spec in SOURCE_FILES} == purge.parent_keys
    staging_from_raw = {
        key
        for spec in SOURCE_FILES
        for key in graph.get(dg.AssetKey(spec.asset_key)).child_keys
        if key.path[0] == "staging"
    }
    assert staging_from_raw <= purge.child_keys


def test_every_raw_load_feeds_a_staging_model():
    """The UI's lineage runs raw → staging for every export, and groups show the layers."""
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    for source_file in SOURCE_FILES:
        children = graph.get(dg.AssetKey(source_file.asset_key)).child_keys
        assert any(graph.get(c).group_name == "staging" for c in children), source_file.name
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert groups["staging/stg_crm__contacts"] == "staging"
    assert groups["audit/standardization_report"] == "audit"
    assert groups["reference/country_aliases"] == "reference"


def _resources(tmp_path, landing):
    return {
        "warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb")),
        "landing": LandingZone(path=str(landing)),
    }


def _materialize(assets, resources, day="2026-11-01", **kwargs):
    """Materialize raw loads for one export date (a partition, registered first)."""
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(export_dates.name, [day])
        return dg.materialize(
            assets, resources=resources, partition_key=day, instance=instance, **kwargs
        )


@pytest.mark.integration
def test_each_model_is_rebuilt_by_the_erasure_or_built_after_it():
    """A model dbt builds before the erasure of the run's requests is one the erasure's rounds
    rebuild from the purged raw, and it is no more than those: every other model (the
    customer traits, the marts) waits for the erasure and is built once. A model in neither
    would keep an erased person until the next run."""
    from dagster_dbt import build_dbt_asset_selection

    from cdp.privacy.erasure import REBUILT_SELECTION
    from orchestration.definitions import defs
    from orchestration.defs.dbt.assets import dbt_marts, dbt_transform
    from orchestration.defs.privacy.assets import ERASURE_KEY

    graph = defs.resolve_asset_graph()

    def models(keys) -> set[dg.AssetKey]:
        return {key for key in keys if graph.get(key).group_name != "reference"}  # no seeds

    before = models(dbt_transform.keys)
    rebuilt = models(
        key
        for step in (dbt_transform, dbt_marts)
        for key in build_dbt_asset_selection([step], dbt_select=REBUILT_SELECTION).resolve(graph)
    )
    after = dg.AssetSelection.assets(ERASURE_KEY).downstream(include_self=False).resolve(graph)
    assert before == rebuilt
    assert models(dbt_marts.keys) <= after
    assert not before & after
    traits = dg.AssetKey(["intermediate", "int_web_events_attributed"])
    assert traits in after and dg.AssetKey(["intermediate", "int_identity__records"]) in before


def test_materialize_reports_rows_files_and_rejects(tmp_path, landing):
    write_export(
        landing,
        "marketing",
        "2026-11-01",
        "campaigns.csv",
        "campaign_id,name,channel,utm_campaign,starts_on,ends_on,budget_eur\n"
        "K1,Spring,email,spring,2026-03-01,2026-03-31,1500.00\n"
        "K2,Broken,email,broken,someday,2026-03-31,10\n",
    )
    result = _materialize(raw_load_assets, _resources(tmp_path, landing))
    assert result.success
    materializations = {
        m.asset_key.to_user_string(): m.metadata
        for m in result.get_asset_materialization_events()
        for m in [m.event_specific_data.materialization]
    }
    campaigns = materializations["marketing/campaigns"]
    assert campaigns["rows_loaded"].value == 1
    assert campaigns["rows_rejected"].value == 1
    assert campaigns["files_seen"].value == 1
    # A source with no export yet materializes an empty table rather than failing.
    assert materializations["crm/contacts"]["dagster/row_count"].value == 0


@pytest.mark.integration
def test_the_console_gets_a_load_summary_and_shape_changes_not_a_line_per_file(tmp_path, landing):
    write_export(
        landing,
        "marketing",
        "2026-11-01",
        "campaigns.csv",
        "campaign_id,name,channel,utm_campaign,starts_on,ends_on,budget_eur,owner\n"
        "K1,Spring,email,spring,2026-03-01,2026-03-31,1500.00,anna\n",
    )
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(export_dates.name, ["2026-11-01"])
        result = dg.materialize(
            raw_load_assets,
            resources=_resources(tmp_path, landing),
            partition_key="2026-11-01",
            instance=instance,
        )
        assert result.success
        logs = [
            (entry.level, entry.user_message)
            for entry in instance.all_logs(result.run_id)
            if entry.is_dagster_event is False and "marketing.campaigns" in entry.user_message
        ]
    by_level = {level: [m for lvl, m in logs if lvl == level] for level, _ in logs}
    # the file's own line is DEBUG; INFO says what the source loaded; the new column warns
    assert any("campaigns.csv: loaded, 1 rows" in m for m in by_level[logging.DEBUG])
    assert any("1 loaded" in m and "1 rows loaded" in m for m in by_level[logging.INFO])
    assert not any("campaigns.csv: loaded" in m for m in by_level[logging.INFO])
    (warning,) = by_level[logging.WARNING]
    assert "does not declare" in warning and "owner" in warning


@pytest.mark.integration
def test_an_unreadable_file_is_set_aside_and_fails_the_run_at_the_end(tmp_path, landing):
    """The loads go on (this source's other files, every other source); the reconciliation of
    the landing zone, last, fails the run and names the file."""
    write_export(landing, "subscriptions", "2026-11-01", "subscriptions.json", "[{broken")
    write_export(
        landing,
        "consent",
        "2026-11-01",
        "consent_events.csv",
        "consent_event_id,subject_type,subject_value,purpose,status,captured_at,source,policy_version\n"
        "CE1,email,a@b.it,email_marketing,granted,2026-11-01T10:00:00Z,checkout,v3.2\n",
    )
    result = _materialize(
        [*raw_load_assets, landing_reconciled], _resources(tmp_path, landing), raise_on_error=False
    )
    assert not result.success
    failed = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failed] == ["maintenance__landing_reconciled"]
    message = failed[0].event_specific_data.error.message
    assert "subscriptions/2026-11-01/subscriptions.json" in message
    done = {
        m.asset_key.to_user_string(): m.metadata
        for m in result.get_asset_materialization_events()
        for m in [m.event_specific_data.materialization]
    }
    assert "consent/consent_events" in done
    assert done["subscriptions/subscriptions"]["files_failed"].value == 1


@pytest.mark.integration
def test_missing_landing_zone_is_a_clear_failure(tmp_path):
    with pytest.raises(dg.Failure, match="does not exist"):
        _materialize(raw_load_assets[:1], _resources(tmp_path, tmp_path / "nowhere"))


def test_every_asset_has_an_owner_and_a_description():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners, key
        assert (node.description or "").strip(), key


def test_the_daily_pipeline_takes_a_full_refresh_of_dbt_as_run_config():
    """`make full-refresh` runs the job with this configuration; the dbt steps turn it into
    `dbt build --full-refresh`."""
    import re

    from orchestration.definitions import defs

    job = defs.resolve_job_def("daily_pipeline")
    config = {"config": {"full_refresh": True}}
    assert dg.validate_run_config(job, {"ops": {"dbt_transform": config, "dbt_marts": config}})
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    recipe = re.search(r"^full-refresh:.*?(?=^\S)", makefile, re.S | re.M).group(0)
    assert '"dbt_transform": {"config": {"full_refresh": true}}' in recipe
    assert '"dbt_marts": {"config": {"full_refresh": true}}' in recipe


class _Invocation:
    """A dbt invocation that produced no events, or failed, with a target folder of its own."""

    manifest: dict = {"nodes": {}}

    def __init__(self, target_path: Path, error: Exception | None = None):
        self.target_path = target_path
        self.error = error
        target_path.mkdir(parents=True, exist_ok=True)
        (target_path / "run_results.json").write_text("{}")

    def stream(self):
        if self.error is not None:
            raise self.error
        return iter(())


def _context():
    """What the dbt steps use of a Dagster context: the run id and the log."""
    return SimpleNamespace(run_id="test-run", log=logging.getLogger("test-dbt-step"))


def _warehouse(folder: Path) -> DuckDBWarehouse:
    return DuckDBWarehouse(path=str(folder / "warehouse.duckdb"))


@pytest.mark.parametrize("full_refresh", [False, True])
def test_the_dbt_steps_build_with_data_tests_and_leave_unit_tests_to_ci(full_refresh, tmp_path):
    """A scheduled run builds the models with their data tests; the unit tests, whose inputs
    are fixed rows, run in `make test`. A step that succeeded leaves no target folder."""
    from orchestration.defs.dbt.assets import DbtBuildConfig, build

    calls, folders = [], []

    class Dbt:
        def cli(self, args, context=None, target_path=None, raise_on_error=True):
            calls.append(args)
            folders.append(target_path)
            return _Invocation(target_path)

    config = DbtBuildConfig(full_refresh=full_refresh)
    assert list(build(_context(), Dbt(), config, _warehouse(tmp_path))) == []
    (args,), (folder,) = calls, folders
    assert args[0] == "build"
    assert args[args.index("--exclude-resource-type") + 1] == "unit_test"
    assert ("--full-refresh" in args) is full_refresh
    assert not folder.exists()


def test_a_failed_dbt_step_keeps_its_target_folder(tmp_path):
    from orchestration.defs.dbt.assets import DbtBuildConfig, build

    folders = []

    class Dbt:
        def cli(self, args, context=None, target_path=None, raise_on_error=True):
            folders.append(target_path)
            return _Invocation(target_path, error=RuntimeError("dbt failed"))

    try:
        with pytest.raises(RuntimeError, match="dbt failed"):
            list(build(_context(), Dbt(), DbtBuildConfig(), _warehouse(tmp_path)))
        assert (folders[0] / "run_results.json").exists()
    finally:
        shutil.rmtree(folders[0], ignore_errors=True)
