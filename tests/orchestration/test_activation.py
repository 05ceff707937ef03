"""The audience exports asset: its place in the graph, and a materialization on a tiny warehouse."""

from __future__ import annotations

import dagster as dg
import pytest

from cdp.activation.segments import load_audiences
from cdp.duckdb_budget import connect
from orchestration.defs.activation.assets import audience_exports
from orchestration.resources import DuckDBWarehouse, ExportsFolder
from tests.activation.test_exports import build_marts

AUDIENCE_EXPORTS = dg.AssetKey(["activation", "audience_exports"])


def test_audience_exports_hang_off_the_marts_they_read():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    node = graph.get(AUDIENCE_EXPORTS)
    assert node.group_name == "activation"
    assert node.parent_keys == {
        dg.AssetKey(["marts", "segment_members"]),
        dg.AssetKey(["marts", "customer_consent"]),
        dg.AssetKey(["marts", "customer_profiles"]),
    }


@pytest.mark.integration
def test_materialize_exports_every_declared_segment(tmp_path):
    audiences = load_audiences()
    channels = audiences.channels
    warehouse = tmp_path / "wh.duckdb"
    members, consent, profiles = [], [], []
    for index, segment in enumerate(audiences.segments):
        granted, denied = f"g{index}", f"d{index}"
        members += [(segment.name, granted, segment.channel), (segment.name, denied, "x")]
        for purpose in channels[segment.channel].purposes:
            consent += [(granted, purpose, "granted", None), (denied, purpose, "denied", None)]
        for customer_id in (granted, denied):
            profiles.append((customer_id, f"{customer_id}@example.org", "+393331234567", "Ana"))
    con = connect(str(warehouse))
    build_marts(con, members, consent, profiles)
    con.close()

    # an instance of the test's own: Dagster keeps the last one a process used in a global
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [audience_exports],
            instance=instance,
            resources={
                "warehouse": DuckDBWarehouse(path=str(warehouse)),
                "exports": ExportsFolder(path=str(tmp_path / "exports")),
            },
        )
    assert result.success
    metadata = result.asset_materializations_for_node("activation__audience_exports")[0].metadata
    assert metadata["exports_dir"].value == str(tmp_path / "exports" / "audiences")
    assert metadata["dagster/row_count"].value == len(audiences.segments)
    for segment in audiences.segments:
        assert metadata[f"{segment.name}/rows_exported"].value == 1
        assert metadata[f"{segment.name}/excluded_without_consent"].value == 1
        assert (tmp_path / "exports" / "audiences" / f"{segment.name}.parquet").exists()


@pytest.mark.integration
def test_an_unbuilt_warehouse_is_a_clear_failure(tmp_path):
    with dg.instance_for_test() as instance, pytest.raises(dg.Failure, match="dbt build"):
        dg.materialize(
            [audience_exports],
            instance=instance,
            resources={
                "warehouse": DuckDBWarehouse(path=str(tmp_path / "wh.duckdb")),
                "exports": ExportsFolder(path=str(tmp_path / "exports")),
            },
        )
